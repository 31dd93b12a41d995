//! The s3:// filesystem API. So far: [`S3Url`], the parsed form of `s3://bucket/key`.

mod url;

pub use url::{S3Url, S3UrlError, is_valid_bucket_name};
