//! What filesystem calls return (a leaf: plain values).

use std::time::SystemTime;

use crate::fs::S3Url;

/// Whether a URL names an object or a directory (a bucket, or a prefix holding objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// An object.
    File,
    /// A bucket or a key prefix ending at `/`.
    Directory,
}

/// What `metadata` learned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metadata {
    /// Object or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// The object's ETag, without quotes.
    pub etag: Option<String>,
    /// Last modification of the object.
    pub modified: Option<SystemTime>,
    /// The object's `Content-Type` (known from a HEAD; `None` for directories and for entries
    /// that came from a listing, which does not carry it).
    pub content_type: Option<String>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirEntry {
    /// The entry's URL (directories end with `/`).
    pub url: S3Url,
    /// Object or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
}

/// One object of a recursive listing ([`S3Fs::objects_under`](crate::fs::S3Fs::objects_under)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListedObject {
    /// The key, as S3 holds it.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, as S3 lists it.
    pub modified: Option<SystemTime>,
    /// The ETag, without quotes.
    pub etag: Option<String>,
}

/// The version of a source that [`S3Fs::copy_version`](crate::fs::S3Fs::copy_version) copied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopiedVersion {
    /// Bytes copied.
    pub bytes: u64,
    /// The source's ETag when it was copied (without quotes): what a move compares before it
    /// deletes the source.
    pub etag: Option<String>,
}
