//! The entries of a batch's source and destination, one at a time and in S3's order (UTF-8
//! bytes of the name below the root): a local tree walked lazily (local trees are hostile too),
//! or the objects under an S3 prefix as their listing pages arrive. Both sides come in the same
//! order, so `sync` compares them as a merge (merge.rs) holding one entry of each.
//!
//! A local directory is read and sorted when the walk reaches it, a subdirectory sorted as its
//! name and `/` (so `a-b` comes before `a/x`, as S3 lists them): memory holds the entries of the
//! directories on the current path, never the whole tree.
//!
//! Symlinks are followed by default (as the aws CLI does), but a directory already on the path
//! from the root (same device and inode) is never entered again, so `sub/loop -> ..` cannot make
//! an upload recurse until keys grow too long. Sockets, FIFOs, devices and entries that cannot be
//! read are skipped with a warning: opening a FIFO would block the whole transfer.

use std::path::{Path, PathBuf};

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use s3_multi_region::fs::S3Fs;
use s3_multi_region::fs::S3Url;

use super::compare::Entry;
use crate::context::Context;
use crate::error::{CliError, reported};

/// Where an entry lives: a local file, or an object's key (as S3 holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    File(PathBuf),
    Key(String),
}

/// One file or object: its name below the root (`/`-separated), size and time, and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    pub name: String,
    pub entry: Entry,
    pub place: Place,
}

/// What a walk or listing yields, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Walked {
    Found(Found),
    /// An entry passed over, with its warning and its name below the root (`""` for the root
    /// itself): `sync --delete` deletes nothing at or under it, since what it holds is unknown,
    /// not absent.
    Skipped {
        warning: String,
        name: String,
    },
}

/// A side of a batch: its entries in name order.
pub(super) type Side<'a> = BoxStream<'a, Result<Walked, CliError>>;

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

/// An entry of a directory being walked, read when the directory was.
enum Pending {
    File {
        name: String,
        path: PathBuf,
        entry: Entry,
    },
    Dir {
        name: String,
        path: PathBuf,
        identity: (u64, u64),
    },
}

impl Pending {
    /// Where it sorts among its siblings: a directory as its name and `/`, which is where its
    /// files' names sort in S3's order.
    fn sort_key(&self) -> String {
        match self {
            Pending::File { name, .. } => name.clone(),
            Pending::Dir { name, .. } => format!("{name}/"),
        }
    }
}

/// One directory on the current path: its entries still to yield (sorted, reversed so the next
/// is popped), and the identities of the directories from the root to it.
struct Frame {
    pending: Vec<Pending>,
    ancestors: Vec<(u64, u64)>,
}

/// The files below a root in S3's order (see the module docs), read lazily;
/// `follow_symlinks` as the aws CLI's `--[no-]follow-symlinks`.
pub(super) struct LocalWalk {
    follow_symlinks: bool,
    frames: Vec<Frame>,
    /// Warnings of the directory just read, yielded before its entries.
    skipped: std::collections::VecDeque<Walked>,
}

fn joined(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

impl LocalWalk {
    pub(super) fn new(root: &Path, follow_symlinks: bool) -> Self {
        let mut walk = Self {
            follow_symlinks,
            frames: Vec::new(),
            skipped: Default::default(),
        };
        match std::fs::metadata(root) {
            Ok(meta) => walk.enter(root, "", vec![identity(&meta)]),
            Err(_) => walk.pass_over(format!("{}: cannot read the directory", root.display()), ""),
        }
        walk
    }

    fn pass_over(&mut self, warning: String, name: &str) {
        self.skipped.push_back(Walked::Skipped {
            warning,
            name: name.to_owned(),
        });
    }

    /// Reads directory `dir` (named `name` below the root) and puts its entries on the path.
    fn enter(&mut self, dir: &Path, name: &str, ancestors: Vec<(u64, u64)>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.pass_over(format!("{}: {e}", dir.display()), name),
        };
        let mut pending = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            // A name that is not UTF-8 has no S3 key: a lossy one would collide with another
            // name (two such files, one silently lost). Passed over with a warning, as the aws
            // CLI does; `--delete` spares what the lossy name would have been.
            let Some(entry_name) = entry.file_name().to_str().map(str::to_owned) else {
                let lossy = entry.file_name().to_string_lossy().into_owned();
                self.pass_over(
                    format!("{}: the file name is not valid UTF-8", path.display()),
                    &joined(name, &lossy),
                );
                continue;
            };
            let entry_name = joined(name, &entry_name);
            let Ok(link_meta) = std::fs::symlink_metadata(&path) else {
                self.pass_over(format!("{}: cannot read", path.display()), &entry_name);
                continue;
            };
            if link_meta.file_type().is_symlink() && !self.follow_symlinks {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                self.pass_over(format!("{}: broken symlink", path.display()), &entry_name);
                continue;
            };
            if meta.is_dir() {
                let identity = identity(&meta);
                if (cfg!(unix) && ancestors.contains(&identity)) || ancestors.len() > MAX_DEPTH {
                    self.pass_over(
                        format!(
                            "{}: symlink loop (leads back to a directory on its own path)",
                            path.display()
                        ),
                        &entry_name,
                    );
                    continue;
                }
                pending.push(Pending::Dir {
                    name: entry_name,
                    path,
                    identity,
                });
            } else if meta.is_file() {
                let entry = Entry {
                    size: meta.len(),
                    modified: meta.modified().ok(),
                };
                pending.push(Pending::File {
                    name: entry_name,
                    path,
                    entry,
                });
            } else {
                self.pass_over(
                    format!(
                        "{}: not a regular file (socket, FIFO or device)",
                        path.display()
                    ),
                    &entry_name,
                );
            }
        }
        pending.sort_by_cached_key(|p| std::cmp::Reverse(p.sort_key()));
        self.frames.push(Frame { pending, ancestors });
    }
}

impl Iterator for LocalWalk {
    type Item = Walked;

    fn next(&mut self) -> Option<Walked> {
        loop {
            if let Some(skipped) = self.skipped.pop_front() {
                return Some(skipped);
            }
            let frame = self.frames.last_mut()?;
            let Some(next) = frame.pending.pop() else {
                self.frames.pop();
                continue;
            };
            match next {
                Pending::Dir {
                    name,
                    path,
                    identity,
                } => {
                    let mut below = frame.ancestors.clone();
                    below.push(identity);
                    self.enter(&path, &name, below);
                }
                Pending::File { name, path, entry } => {
                    // Readable now, or passed over: a transfer must not fail on it later.
                    if let Err(e) = std::fs::File::open(&path) {
                        self.pass_over(format!("{}: {e}", path.display()), &name);
                        continue;
                    }
                    return Some(Walked::Found(Found {
                        name,
                        entry,
                        place: Place::File(path),
                    }));
                }
            }
        }
    }
}

/// The files below `dir`, lazily, as a side of a batch.
pub(super) fn local_side<'a>(dir: &Path, follow_symlinks: bool) -> Side<'a> {
    futures::stream::iter(LocalWalk::new(dir, follow_symlinks).map(Ok)).boxed()
}

/// The objects under `url` (names below its prefix) as their listing pages arrive, as a side of
/// a batch; directory markers and the prefix's own key are left out.
pub(super) fn s3_side<'a>(ctx: &'a Context, url: &S3Url) -> Result<Side<'a>, CliError> {
    ctx.prefer_region(url.bucket())?;
    let prefix = url.dir_prefix();
    let shown = url.clone();
    let objects = S3Fs::new(ctx.client.clone())
        .stream_objects_under(url)
        .map_err(move |e| reported(&shown, &e))
        .try_filter_map(move |o| {
            let found = o
                .key
                .get(prefix.len()..)
                .filter(|relative| !relative.is_empty() && !is_marker(&o.key, o.size))
                .map(|relative| {
                    Walked::Found(Found {
                        name: relative.to_owned(),
                        entry: Entry {
                            size: o.size,
                            modified: o.modified,
                        },
                        place: Place::Key(o.key.clone()),
                    })
                });
            std::future::ready(Ok(found))
        });
    Ok(objects.boxed())
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

    /// What a whole walk yields: file names, warnings, names passed over.
    #[derive(Debug, Default)]
    struct Walk {
        files: Vec<String>,
        skipped: Vec<String>,
        skipped_names: Vec<String>,
    }

    fn walk_all(root: &Path, follow_symlinks: bool) -> Walk {
        let mut out = Walk::default();
        for walked in LocalWalk::new(root, follow_symlinks) {
            match walked {
                Walked::Found(found) => out.files.push(found.name),
                Walked::Skipped { warning, name } => {
                    out.skipped.push(warning);
                    out.skipped_names.push(name);
                }
            }
        }
        out
    }

    fn names(walk: &Walk) -> Vec<&str> {
        walk.files.iter().map(String::as_str).collect()
    }

    #[test]
    fn files_come_in_s3_order_directory_by_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in ["a/x", "a-b", "a.c", "b/c/d", "b/c-", "é", "Z", "a/y/z"] {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let walked = walk_all(root, true);
        let mut sorted = walked.files.clone();
        sorted.sort();
        assert_eq!(walked.files, sorted, "byte order of the whole name");
        assert_eq!(
            names(&walked),
            ["Z", "a-b", "a.c", "a/x", "a/y/z", "b/c-", "b/c/d", "é"]
        );
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
        let walk = walk_all(root, true);
        assert_eq!(names(&walk), ["a.txt", "link.txt", "sub/b.txt"]);
        assert_eq!(walk.skipped.len(), 2, "{:?}", walk.skipped);
        assert!(walk.skipped.iter().any(|s| s.contains("symlink loop")));
        assert!(walk.skipped.iter().any(|s| s.contains("broken symlink")));

        let walk = walk_all(root, false);
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
        let walk = walk_all(&root, true);
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
            walk_all(&dir.path().join("nothing"), true).skipped_names,
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
        let walk = walk_all(root, true);
        assert_eq!(names(&walk), ["plain"]);
        assert_eq!(walk.skipped.len(), 2, "{:?}", walk.skipped);
    }
}
