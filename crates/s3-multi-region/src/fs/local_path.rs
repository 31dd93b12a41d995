//! Where an object goes on local disk: keys are data, never paths.
//!
//! S3 keys are opaque strings. `../../.ssh/authorized_keys`, `/etc/passwd`, `a/../../x`, `..` and
//! `a//b` are all legal keys, so whoever can write keys into a bucket could make a naive
//! `dest.join(key)` download write anywhere the user can. Local paths are therefore built from the
//! key's `/`-separated segments, each of which must be a plain file name, and a download never
//! passes through an existing symlink that leads out of its destination.

use std::path::{Component, Path, PathBuf};

/// Why a key has no safe local path under a destination. The CLI skips such keys with a warning.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeKey {
    /// The key does not start with the prefix being downloaded.
    #[error("the key is not under the prefix being copied")]
    NotUnderPrefix,
    /// The key is the prefix itself, or a directory marker (ends with `/`): there is no file to
    /// write.
    #[error("the key names a directory, not a file")]
    Directory,
    /// A `..` segment: the file would land in a parent directory.
    #[error("the key references a parent directory")]
    ParentSegment,
    /// A `.` segment or an empty one (`a//b`, a leading `/`): two keys could name one file.
    #[error("the key has an empty, `.` or absolute path segment")]
    AmbiguousSegment,
    /// A NUL byte, which no file name can hold.
    #[error("the key holds a NUL byte")]
    Nul,
    /// A directory on the way is a symlink that leads out of the destination.
    #[error("{} is a symlink that leads outside the destination", path.display())]
    SymlinkOutside {
        /// The symlink.
        path: PathBuf,
    },
}

/// The path, relative to the destination directory, where the object `key` found under `prefix`
/// is written: one plain component per `/`-separated segment of the rest of the key.
///
/// ```
/// use s3_multi_region::fs::{UnsafeKey, local_path_for_key};
/// assert_eq!(local_path_for_key("photos/", "photos/2026/a.jpg").unwrap(), std::path::Path::new("2026/a.jpg"));
/// assert_eq!(local_path_for_key("", "../../.bashrc"), Err(UnsafeKey::ParentSegment));
/// ```
pub fn local_path_for_key(prefix: &str, key: &str) -> Result<PathBuf, UnsafeKey> {
    let rest = key.strip_prefix(prefix).ok_or(UnsafeKey::NotUnderPrefix)?;
    if rest.is_empty() || rest.ends_with('/') {
        return Err(UnsafeKey::Directory);
    }
    if rest.contains('\0') {
        return Err(UnsafeKey::Nul);
    }
    let mut path = PathBuf::new();
    for segment in rest.split('/') {
        match segment {
            ".." => return Err(UnsafeKey::ParentSegment),
            "" | "." => return Err(UnsafeKey::AmbiguousSegment),
            // On Windows `\` and `:` separate paths too; a segment holding them is not one name.
            s if cfg!(windows) && s.contains(['\\', ':']) => {
                return Err(UnsafeKey::AmbiguousSegment);
            }
            s => path.push(s),
        }
    }
    // Each segment is one plain name: nothing else can have come out (checked, not assumed).
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(UnsafeKey::AmbiguousSegment);
    }
    Ok(path)
}

/// [`local_path_for_key`] joined to `destination`, refusing a path whose existing directories
/// include a symlink that resolves outside `destination` (one planted there would otherwise
/// carry the write out). Directories that do not exist yet are fine: the caller creates them.
pub fn local_destination(
    destination: &Path,
    prefix: &str,
    key: &str,
) -> Result<PathBuf, UnsafeKey> {
    let relative = local_path_for_key(prefix, key)?;
    let root = destination
        .canonicalize()
        .unwrap_or_else(|_| destination.to_path_buf());
    let mut walked = destination.to_path_buf();
    let mut components = relative.components().peekable();
    while let Some(component) = components.next() {
        walked.push(component);
        let Ok(meta) = std::fs::symlink_metadata(&walked) else {
            break;
        };
        // The last component is the file itself: downloads replace it by rename, which replaces
        // a symlink rather than following it.
        if meta.file_type().is_symlink() && components.peek().is_some() {
            let inside = walked
                .canonicalize()
                .is_ok_and(|target| target.starts_with(&root));
            if !inside {
                return Err(UnsafeKey::SymlinkOutside { path: walked });
            }
        }
    }
    Ok(destination.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_to_local_paths() {
        let ok: &[(&str, &str, &str)] = &[
            ("", "a.txt", "a.txt"),
            ("", "a/b/c.txt", "a/b/c.txt"),
            ("photos/", "photos/2026/a.jpg", "2026/a.jpg"),
            ("", "%2e%2e/z.txt", "%2e%2e/z.txt"),
            ("", "...", "..."),
            ("", "..a/b..", "..a/b.."),
            ("", "sp ace/ünï", "sp ace/ünï"),
            ("", "back\\slash", "back\\slash"),
        ];
        for (prefix, key, want) in ok {
            assert_eq!(
                local_path_for_key(prefix, key).as_deref(),
                Ok(Path::new(want)),
                "{key:?}"
            );
        }
        let refused: &[(&str, &str, UnsafeKey)] = &[
            ("", "../../escape1.txt", UnsafeKey::ParentSegment),
            ("", "a/../../escape2.txt", UnsafeKey::ParentSegment),
            ("", "..", UnsafeKey::ParentSegment),
            ("", "x/..", UnsafeKey::ParentSegment),
            ("", ".", UnsafeKey::AmbiguousSegment),
            ("", "x/./y", UnsafeKey::AmbiguousSegment),
            ("", "/abs", UnsafeKey::AmbiguousSegment),
            ("", "/etc/passwd", UnsafeKey::AmbiguousSegment),
            ("", "a//b", UnsafeKey::AmbiguousSegment),
            ("", "dir/", UnsafeKey::Directory),
            ("p/", "p/", UnsafeKey::Directory),
            ("p/", "q/a", UnsafeKey::NotUnderPrefix),
            ("", "nul\0byte", UnsafeKey::Nul),
            ("p/", "p/../x", UnsafeKey::ParentSegment),
        ];
        for (prefix, key, want) in refused {
            assert_eq!(
                local_path_for_key(prefix, key).as_ref(),
                Err(want),
                "{key:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_destination_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dest.path().join("out")).unwrap();
        std::fs::create_dir(dest.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dest.path().join("real"), dest.path().join("inside")).unwrap();
        assert_eq!(
            local_destination(dest.path(), "", "out/x.txt"),
            Err(UnsafeKey::SymlinkOutside {
                path: dest.path().join("out")
            })
        );
        assert_eq!(
            local_destination(dest.path(), "", "inside/x.txt"),
            Ok(dest.path().join("inside/x.txt"))
        );
        assert_eq!(
            local_destination(dest.path(), "", "new/dir/x.txt"),
            Ok(dest.path().join("new/dir/x.txt"))
        );
        // The file itself may be a symlink: downloads replace it, never write through it.
        assert_eq!(
            local_destination(dest.path(), "", "out"),
            Ok(dest.path().join("out"))
        );
    }
}
