//! The s3:// filesystem API: [`S3Url`] and [`S3Fs`] (metadata, exists, read_dir so far).

mod ops;
mod url;

pub use ops::{DirEntry, EntryKind, FsError, Metadata, S3Fs};
pub use url::{S3Url, S3UrlError, is_valid_bucket_name};
