//! What a filesystem call could not do (a leaf: the other `fs` modules use it, it uses none).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::fs::S3Url;

/// What a filesystem call could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// Neither an object nor a prefix of that name exists.
    #[error("{0}: no such object or directory")]
    NotFound(S3Url),
    /// The call needs an object and the URL names a bucket or a directory.
    #[error("{0}: is a directory")]
    IsADirectory(S3Url),
    /// `remove_dir` on a directory that still holds objects.
    #[error("{0}: directory not empty")]
    DirectoryNotEmpty(S3Url),
    /// A move's source was written after it was copied: the delete was refused (S3's
    /// conditional delete) and the source kept, so the write is not lost.
    #[error("{0}: changed after it was copied; the source was kept")]
    Changed(S3Url),
    /// A move or rename whose source and destination hold each other (onto itself, or into its
    /// own subtree): refused before any request, as it would delete what it copies.
    #[error("{from} and {to}: {why}")]
    Overlap {
        /// The source.
        from: S3Url,
        /// The destination.
        to: S3Url,
        /// Which of the two: `onto itself` or `into its own subtree`.
        why: &'static str,
    },
    /// A region argument that is not a region name.
    #[error(transparent)]
    InvalidRegion(#[from] crate::region::InvalidRegion),
    /// Writers and readers upload and read ahead in Tokio tasks: the call was made outside a
    /// Tokio runtime.
    #[error("{0}: s3:// writers and readers need a Tokio runtime")]
    NoRuntime(S3Url),
    /// A local file a download writes could not be created, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The local path.
        path: std::path::PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
    /// S3 or routing refused the call, or it could not be made.
    #[error("{url}: {report}")]
    S3 {
        /// The URL.
        url: S3Url,
        /// What went wrong in one line: S3's code and message, routing's error, or the network's;
        /// its [`kind`](crate::ErrorReport::kind) is what to decide on.
        report: crate::ErrorReport,
        /// The cause, whole (the SDK's error), where there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl FsError {
    /// What kind of failure this is, whatever the variant: decide on this, never on the text.
    ///
    /// ```
    /// use s3_multi_region::ErrorKind;
    /// use s3_multi_region::fs::FsError;
    /// let err = FsError::NotFound("s3://my-bucket/k".parse().unwrap());
    /// assert_eq!(err.kind(), ErrorKind::NoSuchKey);
    /// ```
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::Report as _;
        self.report().kind()
    }
}

pub(crate) fn s3_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    url: &S3Url,
    err: SdkError<E>,
) -> FsError {
    use crate::Report as _;
    FsError::S3 {
        url: url.clone(),
        report: err.report(),
        source: Some(Box::new(err)),
    }
}
