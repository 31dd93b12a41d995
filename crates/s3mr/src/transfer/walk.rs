//! The entries of a batch's source and destination: a local tree walked (local trees are
//! hostile too), or the objects under an S3 prefix, each filtered.
//!
//! Symlinks are followed by default (as the aws CLI does), but a directory already on the path
//! from the root (same device and inode) is never entered again, so `sub/loop -> ..` cannot make
//! an upload recurse until keys grow too long. Sockets, FIFOs, devices and entries that cannot be
//! read are skipped with a warning: opening a FIFO would block the whole transfer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;

use super::compare::Entry;
use crate::context::Context;
use crate::error::{CliError, reported};
use crate::filter::Filters;

/// A file to upload: its key below the destination prefix (`/`-separated) and its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalFile {
    pub name: String,
    pub path: PathBuf,
}

/// What the walk found: files in name order, and one warning per entry it passed over.
#[derive(Debug, Default)]
pub(super) struct Walk {
    pub files: Vec<LocalFile>,
    pub skipped: Vec<String>,
    /// The names (below the root, `/`-separated; `""` for the root itself) of the entries
    /// passed over: `sync --delete` deletes nothing at or under them, since what they hold is
    /// unknown, not absent.
    pub skipped_names: Vec<String>,
}

/// Whether `path` lies inside `root` once every symlink on the way is resolved: a file reached
/// through a symlinked directory that leads elsewhere does not. Removing `path` itself (a file,
/// or a symlink, which removes only the link) then touches nothing outside `root`. Anything
/// that cannot be resolved is not inside.
pub(super) fn stays_inside(root: &Path, path: &Path) -> bool {
    let (Ok(root), Some(parent)) = (std::fs::canonicalize(root), path.parent()) else {
        return false;
    };
    std::fs::canonicalize(parent).is_ok_and(|parent| parent.starts_with(root))
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Directories nest at most this deep even where inodes cannot tell a cycle (non-Unix).
const MAX_DEPTH: usize = 256;

/// Every file below `root`; `follow_symlinks` as the aws CLI's `--[no-]follow-symlinks`.
pub(super) fn walk(root: &Path, follow_symlinks: bool) -> Walk {
    let mut out = Walk::default();
    let Ok(root_meta) = std::fs::metadata(root) else {
        out.skipped
            .push(format!("{}: cannot read the directory", root.display()));
        out.skipped_names.push(String::new());
        return out;
    };
    // (directory, its name below the root, identities of the directories from the root to it)
    let mut stack = vec![(
        root.to_path_buf(),
        String::new(),
        vec![identity(&root_meta)],
    )];
    while let Some((dir, name, ancestors)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.skipped.push(format!("{}: {e}", dir.display()));
                out.skipped_names.push(name);
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // A name that is not UTF-8 has no S3 key: a lossy one would collide with another
            // name (two such files, one silently lost). Passed over with a warning, as the aws
            // CLI does; `--delete` spares what the lossy name would have been.
            let Some(entry_name) = entry.file_name().to_str().map(str::to_owned) else {
                let lossy = entry.file_name().to_string_lossy().into_owned();
                out.skipped.push(format!(
                    "{}: the file name is not valid UTF-8",
                    path.display()
                ));
                out.skipped_names.push(if name.is_empty() {
                    lossy
                } else {
                    format!("{name}/{lossy}")
                });
                continue;
            };
            let name = if name.is_empty() {
                entry_name
            } else {
                format!("{name}/{entry_name}")
            };
            let Ok(link_meta) = std::fs::symlink_metadata(&path) else {
                out.skipped.push(format!("{}: cannot read", path.display()));
                out.skipped_names.push(name);
                continue;
            };
            let is_link = link_meta.file_type().is_symlink();
            if is_link && !follow_symlinks {
                continue;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(_) => {
                    out.skipped
                        .push(format!("{}: broken symlink", path.display()));
                    out.skipped_names.push(name);
                    continue;
                }
            };
            if meta.is_dir() {
                let id = identity(&meta);
                if (cfg!(unix) && ancestors.contains(&id)) || ancestors.len() > MAX_DEPTH {
                    out.skipped.push(format!(
                        "{}: symlink loop (leads back to a directory on its own path)",
                        path.display()
                    ));
                    out.skipped_names.push(name);
                    continue;
                }
                let mut below = ancestors.clone();
                below.push(id);
                stack.push((path, name, below));
            } else if meta.is_file() {
                if let Err(e) = std::fs::File::open(&path) {
                    out.skipped.push(format!("{}: {e}", path.display()));
                    out.skipped_names.push(name);
                    continue;
                }
                out.files.push(LocalFile { name, path });
            } else {
                out.skipped.push(format!(
                    "{}: not a regular file (socket, FIFO or device)",
                    path.display()
                ));
                out.skipped_names.push(name);
            }
        }
    }
    out.files.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Warns (one line each) about `--exclude` / `--include` patterns that match nothing in the
/// source: most often a typo.
fn warn_unmatched(ctx: &Context, filters: &Filters, names: &[&str], source: &str) {
    for pattern in filters.unmatched(names) {
        ctx.printer.warn(&format!(
            "the pattern {pattern:?} matches nothing under {source}"
        ));
    }
}

/// The files below `dir` (relative `/` names) that the filters let through; with `ctx`, patterns
/// that match nothing are warned about.
pub(super) fn local_entries(
    ctx: Option<&Context>,
    dir: &Path,
    follow_symlinks: bool,
    filters: &Filters,
    skipped: &mut Vec<String>,
    unknown: &mut Vec<String>,
) -> BTreeMap<String, (PathBuf, Entry)> {
    let walk = walk(dir, follow_symlinks);
    skipped.extend(walk.skipped);
    unknown.extend(walk.skipped_names);
    if let Some(ctx) = ctx {
        let names: Vec<&str> = walk.files.iter().map(|f| f.name.as_str()).collect();
        warn_unmatched(ctx, filters, &names, &dir.display().to_string());
    }
    walk.files
        .into_iter()
        .filter(|f| filters.includes(&f.name))
        .filter_map(|f| {
            let meta = match std::fs::metadata(&f.path) {
                Ok(meta) => meta,
                Err(e) => {
                    skipped.push(format!("{}: {e}", f.path.display()));
                    unknown.push(f.name);
                    return None;
                }
            };
            let entry = Entry {
                size: meta.len(),
                modified: meta.modified().ok(),
            };
            Some((f.name, (f.path, entry)))
        })
        .collect()
}

/// The objects under `url` (relative names below its prefix) that the filters let through;
/// for a source, patterns that match nothing are warned about.
pub(super) async fn s3_entries(
    ctx: &Context,
    url: &S3Url,
    filters: &Filters,
    is_source: bool,
) -> Result<BTreeMap<String, (String, Entry)>, CliError> {
    ctx.prefer_region(url.bucket())?;
    let prefix = url.dir_prefix();
    let objects = S3Fs::new(ctx.client.clone())
        .objects_under(url)
        .await
        .map_err(|e| reported(url, &e))?;
    if is_source {
        let names: Vec<&str> = objects
            .iter()
            .filter_map(|o| o.key.get(prefix.len()..))
            .collect();
        warn_unmatched(ctx, filters, &names, &url.to_string());
    }
    Ok(objects
        .into_iter()
        .filter_map(|o| {
            let relative = o.key.get(prefix.len()..)?.to_owned();
            if relative.is_empty() || !filters.includes(&relative) || is_marker(&o.key, o.size) {
                return None;
            }
            let entry = Entry {
                size: o.size,
                modified: o.modified,
            };
            Some((relative, (o.key, entry)))
        })
        .collect())
}

/// A directory marker: a zero-byte key ending in `/`, as the S3 console makes for a folder. Not
/// data: a transfer's listings leave it out on both sides, as the aws CLI's do — never
/// downloaded (not even as an empty directory), copied or moved, and never deleted by
/// `sync --delete` (only `rm` deletes it). A key ending in `/` with bytes in it is data, and a
/// download reports it.
pub(super) fn is_marker(key: &str, size: u64) -> bool {
    key.ends_with('/') && size == 0
}

/// Whether `name` is at or under a source path the walk could not read: what it holds is
/// unknown, not absent, so `--delete` must not delete its destination copy.
pub(super) fn under_unknown(unknown: &[String], name: &str) -> bool {
    unknown.iter().any(|u| {
        u.is_empty()
            || name == u
            || name
                .strip_prefix(u.as_str())
                .is_some_and(|r| r.starts_with('/'))
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(walk: &Walk) -> Vec<&str> {
        walk.files.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn loops_are_entered_once_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), b"a").unwrap();
        std::fs::write(root.join("sub/b.txt"), b"b").unwrap();
        symlink("..", root.join("sub/loop")).unwrap();
        symlink(root.join("a.txt"), root.join("link.txt")).unwrap();
        symlink(root.join("missing"), root.join("dangling")).unwrap();
        let walk = walk(root, true);
        assert_eq!(names(&walk), ["a.txt", "link.txt", "sub/b.txt"]);
        assert_eq!(walk.skipped.len(), 2, "{:?}", walk.skipped);
        assert!(walk.skipped.iter().any(|s| s.contains("symlink loop")));
        assert!(walk.skipped.iter().any(|s| s.contains("broken symlink")));

        let walk = super::walk(root, false);
        assert_eq!(names(&walk), ["a.txt", "sub/b.txt"]);
        assert!(walk.skipped.is_empty(), "{:?}", walk.skipped);
    }

    #[test]
    fn skipped_entries_are_named_and_symlinks_out_are_not_inside() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("root"), dir.path().join("outside"));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("precious.txt"), b"p").unwrap();
        std::fs::write(root.join("sub/a.txt"), b"a").unwrap();
        symlink(&outside, root.join("link")).unwrap();
        symlink(root.join("missing"), root.join("sub/dangling")).unwrap();
        let walk = walk(&root, true);
        assert_eq!(names(&walk), ["link/precious.txt", "sub/a.txt"]);
        assert_eq!(walk.skipped_names, ["sub/dangling"]);
        assert!(stays_inside(&root, &root.join("sub/a.txt")));
        assert!(
            stays_inside(&root, &root.join("link")),
            "the link itself is inside"
        );
        assert!(!stays_inside(&root, &root.join("link/precious.txt")));
        assert!(!stays_inside(&root, &root.join("gone/x")));
        assert_eq!(
            super::walk(&dir.path().join("nothing"), true).skipped_names,
            [""]
        );
    }

    #[test]
    fn fifos_and_sockets_are_skipped_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("plain"), b"x").unwrap();
        let fifo = root.join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        let walk = walk(root, true);
        assert_eq!(names(&walk), ["plain"]);
        assert_eq!(walk.skipped.len(), 2, "{:?}", walk.skipped);
    }
}
