//! The s3:// filesystem API: [`S3Url`] and [`S3Fs`] (metadata, exists, read_dir) [`S3Reader`] (ranged, seekable, ETag-pinned reads) and [`S3Writer`]
//! (streaming multipart writes).

mod ops;
mod reader;
mod url;
mod writer;

pub use ops::{DirEntry, EntryKind, FsError, Metadata, S3Fs};
pub use reader::{DEFAULT_READ_AHEAD, S3Reader};
pub use url::{S3Url, S3UrlError, is_valid_bucket_name};
pub use writer::{MIN_PART_SIZE, S3Writer};
