//! The s3:// filesystem API: [`S3Url`]; [`S3Fs`] (open, create, append, metadata, exists,
//! read_dir, copy, rename, remove, create_dir, remove_dir, remove_dir_all, with a stat cache);
//! [`S3Reader`] (ranged, seekable, ETag-pinned reads); [`S3Writer`] (streaming multipart writes
//! and appends); and [`BlockingS3Fs`] with `std::io` adapters for synchronous code.

mod blocking;
mod copy;
mod download;
mod error;
mod listing;
mod local_path;
mod ops;
mod reader;
mod stat_cache;
mod types;
mod url;
mod writer;

pub use blocking::{BlockingReader, BlockingS3Fs, BlockingWriter};
pub use copy::MAX_COPY_PART;
pub use download::{DOWNLOAD_PARALLELISM, Downloaded};
pub use error::FsError;
pub use listing::{ListedKeyError, decode_listed};
pub use local_path::{UnsafeKey, local_destination, local_path_for_key};
pub use ops::S3Fs;
pub use reader::{DEFAULT_READ_AHEAD, S3Reader};
pub use types::{CopiedVersion, DirEntry, EntryKind, ListedObject, Metadata};
pub use url::{S3Url, S3UrlError, is_access_point_arn, is_valid_bucket_name, printable_key};
pub use writer::{MIN_PART_SIZE, S3Writer};
