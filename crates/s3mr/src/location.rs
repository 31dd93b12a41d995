//! Where a command reads or writes: standard input/output (`-`), a local path or an s3:// URL,
//! and where one object or file lands when the destination names a directory.

use std::path::{Component, Path, PathBuf};

use s3_multi_region::fs::S3Url;
use s3_multi_region::fs::{local_path_for_key, printable_key};

use crate::error::{CliError, failed};

/// Where `cp`, `mv` and `sync` read or write.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    Stdio,
    Local(PathBuf),
    S3(S3Url),
}

impl Location {
    /// `-`, `s3://bucket/key` or a local path.
    pub(crate) fn parse(s: &str) -> Result<Self, CliError> {
        Ok(match s {
            "-" => Self::Stdio,
            s if s.starts_with("s3://") => Self::S3(parse_url(s)?),
            s => Self::Local(PathBuf::from(s)),
        })
    }

    /// A source to read from: as [`Location::parse`], and a local path must exist (a symlink
    /// counts, broken or not) — refused before anything is sent, as the aws CLI does (exit 255).
    pub(crate) fn parse_source(s: &str) -> Result<Self, CliError> {
        let location = Self::parse(s)?;
        if let Self::Local(path) = &location
            && path.symlink_metadata().is_err()
        {
            return Err(CliError::Missing(s.to_owned()));
        }
        Ok(location)
    }

    /// The name filters see for a single object or file: its last segment.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::S3(url) => url.file_name().unwrap_or_default().to_owned(),
            Self::Local(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Self::Stdio => String::new(),
        }
    }
}

/// As messages name it: `s3://bucket/prefix/`, a local path as typed, or `-`.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::S3(url) => write!(f, "{url}"),
            Self::Local(path) => write!(f, "{}", path.display()),
            Self::Stdio => f.write_str("-"),
        }
    }
}

/// An `s3://bucket[/key]` argument, or a usage error saying why not.
pub(crate) fn parse_url(s: &str) -> Result<S3Url, CliError> {
    s.parse()
        .map_err(|e: s3_multi_region::fs::S3UrlError| CliError::Usage(e.to_string()))
}

/// `s3://bucket/key` as printed everywhere: the key as S3 holds it, control characters escaped.
pub(crate) fn object_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{}", printable_key(key))
}

/// Where one object or file from `from` lands at `to`, as the aws CLI decides: a destination
/// that is a directory (an S3 URL ending in `/`, an existing local directory) keeps the
/// source's name; anything else is the name itself. A key's last segment never names a local
/// file `..` or `.`.
pub(crate) fn single_destination(from: &Location, to: Location) -> Result<Location, CliError> {
    Ok(match to {
        Location::S3(dst) if dst.is_directory() => Location::S3(dst.join(&from.name())),
        // `newdir/` names a directory even before it exists (the download makes it).
        Location::Local(dir) if dir.is_dir() || ends_with_separator(&dir) => match from {
            Location::S3(src) => {
                let name = src.file_name().unwrap_or_default();
                Location::Local(dir.join(local_path_for_key("", name).map_err(|e| failed(src, e))?))
            }
            _ => Location::Local(dir),
        },
        other => other,
    })
}

/// Whether `path` was written with a trailing separator (`out/`): a directory, existing or not.
fn ends_with_separator(path: &std::path::Path) -> bool {
    path.as_os_str()
        .to_str()
        .is_some_and(|s| s.ends_with(std::path::MAIN_SEPARATOR) || s.ends_with('/'))
}

/// A local path as the aws CLI prints it in `upload:`/`download:`/`delete:` lines: relative to
/// the working directory, whatever form was typed (`./s/b.txt` and `/home/u/s/b.txt` both print
/// `s/b.txt` from `/home/u`; a file in it prints `./b.txt`; one elsewhere `../t/b.txt`).
pub(crate) fn shown_path(path: &Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) => relative_to(path, &cwd),
        Err(_) => path.display().to_string(),
    }
}

/// `path` relative to `cwd`, as Python's `os.path.relpath(dirname(abspath(path)))` joined with
/// the file name (what the aws CLI prints): lexical, symlinks are not resolved.
fn relative_to(path: &Path, cwd: &Path) -> String {
    let absolute = lexical_absolute(&cwd.join(path));
    let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return path.display().to_string();
    };
    let cwd = lexical_absolute(cwd);
    let common = parent
        .components()
        .zip(cwd.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut relative = PathBuf::new();
    for _ in common..cwd.components().count() {
        relative.push("..");
    }
    relative.extend(parent.components().skip(common));
    if relative.as_os_str().is_empty() {
        relative.push(".");
    }
    relative.join(name).display().to_string()
}

/// `path` with `.` dropped and `..` taken back, without asking the file system.
fn lexical_absolute(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_print_relative_to_the_working_directory() {
        let cwd = Path::new("/home/u");
        let table = [
            ("s/b.txt", "s/b.txt"),
            ("./s/b.txt", "s/b.txt"),
            ("/home/u/s/b.txt", "s/b.txt"),
            ("b.txt", "./b.txt"),
            ("./b.txt", "./b.txt"),
            ("/home/u/b.txt", "./b.txt"),
            ("/home/t/b.txt", "../t/b.txt"),
            ("/tmp/x/b.txt", "../../tmp/x/b.txt"),
            ("s/../t/./b.txt", "t/b.txt"),
            ("../b.txt", "../b.txt"),
            ("/b.txt", "../../b.txt"),
        ];
        for (path, want) in table {
            assert_eq!(relative_to(Path::new(path), cwd), want, "{path}");
        }
        assert_eq!(relative_to(Path::new("a/b.txt"), Path::new("/")), "a/b.txt");
    }

    fn shown(location: &Location) -> String {
        match location {
            Location::Stdio => "-".into(),
            Location::Local(path) => path.display().to_string(),
            Location::S3(url) => url.to_string(),
        }
    }

    #[test]
    fn a_directory_destination_keeps_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let local_dir = dir.path().display().to_string();
        let table = [
            (
                "s3://src-bucket/k/a.txt",
                "s3://dst-bucket/",
                "s3://dst-bucket/a.txt".to_owned(),
            ),
            (
                "s3://src-bucket/k/a.txt",
                "s3://dst-bucket/x/",
                "s3://dst-bucket/x/a.txt".to_owned(),
            ),
            (
                "s3://src-bucket/k/a.txt",
                "s3://dst-bucket/renamed",
                "s3://dst-bucket/renamed".to_owned(),
            ),
            (
                "s3://src-bucket/k/a.txt",
                local_dir.as_str(),
                format!("{local_dir}/a.txt"),
            ),
            (
                "s3://src-bucket/k/a.txt",
                "new-name.txt",
                "new-name.txt".to_owned(),
            ),
            (
                "dir/f.txt",
                "s3://dst-bucket/p/",
                "s3://dst-bucket/p/f.txt".to_owned(),
            ),
            (
                "dir/f.txt",
                "s3://dst-bucket/p/g.txt",
                "s3://dst-bucket/p/g.txt".to_owned(),
            ),
        ];
        for (from, to, want) in table {
            let from = Location::parse(from).unwrap();
            let got = single_destination(&from, Location::parse(to).unwrap()).unwrap();
            assert_eq!(shown(&got), want, "{to}");
        }
    }
}
