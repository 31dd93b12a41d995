//! Filesystem-style calls on `s3://` URLs, whatever the bucket's region: `metadata`, `exists`,
//! `read_dir`. (Readers, writers, append and rename come next.)

use std::time::SystemTime;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use futures::{Stream, StreamExt};

use crate::client::MultiRegionClient;
use crate::fs::S3Url;

/// What a filesystem call could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// Neither an object nor a prefix of that name exists.
    #[error("{0}: no such object or directory")]
    NotFound(S3Url),
    /// S3 or routing refused the call.
    #[error("{url}: {message}")]
    S3 {
        /// The URL.
        url: S3Url,
        /// S3's code and message, or routing's error.
        message: String,
    },
}

fn s3_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    url: &S3Url,
    err: SdkError<E>,
) -> FsError {
    let message = match crate::Error::find(&err) {
        Some(routing) => routing.to_string(),
        None => match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
        },
    };
    FsError::S3 {
        url: url.clone(),
        message,
    }
}

/// Whether a URL names an object or a directory (a bucket, or a prefix holding objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// An object.
    File,
    /// A bucket or a key prefix ending at `/`.
    Directory,
}

/// What `metadata` learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Object or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// The object's ETag, without quotes.
    pub etag: Option<String>,
    /// Last modification of the object.
    pub modified: Option<SystemTime>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's URL (directories end with `/`).
    pub url: S3Url,
    /// Object or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
}

/// Filesystem-style access to every bucket the client can reach, in any region.
///
/// ```no_run
/// # async fn run(client: s3_multi_region::MultiRegionClient) -> Result<(), Box<dyn std::error::Error>> {
/// use futures::StreamExt;
/// use s3_multi_region::fs::S3Fs;
///
/// let fs = S3Fs::new(client);
/// let url = "s3://photos-in-eu-west-1/2026/".parse()?;
/// let mut entries = std::pin::pin!(fs.read_dir(&url));
/// while let Some(entry) = entries.next().await {
///     let entry = entry?;
///     println!("{:?} {} {}", entry.kind, entry.size, entry.url);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct S3Fs {
    client: MultiRegionClient,
}

impl S3Fs {
    /// Filesystem calls through `client`.
    pub fn new(client: MultiRegionClient) -> Self {
        Self { client }
    }

    /// A reader of `url`, pinned to its current ETag, reading ahead 8 MiB per ranged GET.
    pub async fn open(&self, url: &S3Url) -> std::io::Result<crate::fs::S3Reader> {
        crate::fs::S3Reader::open(
            self.client.clone(),
            url.clone(),
            crate::fs::DEFAULT_READ_AHEAD,
        )
        .await
    }

    /// A writer that streams to `url` in 8 MiB parts, 4 uploading at once (at most ~40 MiB in
    /// memory). Call `shutdown` (`AsyncWriteExt::shutdown`) to finish; dropping it aborts.
    pub fn create(&self, url: &S3Url) -> crate::fs::S3Writer {
        crate::fs::S3Writer::new(self.client.clone(), url.clone(), 8 * 1024 * 1024, 4)
    }

    /// The client underneath.
    pub fn client(&self) -> &MultiRegionClient {
        &self.client
    }

    /// An object's size, ETag and modification time, or `Directory` for a bucket or a prefix that
    /// holds objects. Correct on the first call for a bucket in any region: routing follows S3's
    /// bodiless HEAD redirects, so a wrong region never reads as "not found".
    pub async fn metadata(&self, url: &S3Url) -> Result<Metadata, FsError> {
        let directory = Metadata {
            kind: EntryKind::Directory,
            size: 0,
            etag: None,
            modified: None,
        };
        if url.key().is_empty() {
            return match self.client.head_bucket().bucket(url.bucket()).send().await {
                Ok(_) => Ok(directory),
                Err(err)
                    if err
                        .raw_response()
                        .is_some_and(|r| r.status().as_u16() == 404) =>
                {
                    Err(FsError::NotFound(url.clone()))
                }
                Err(err) => Err(s3_error(url, err)),
            };
        }
        if !url.key().ends_with('/') {
            match self
                .client
                .head_object()
                .bucket(url.bucket())
                .key(url.key())
                .send()
                .await
            {
                Ok(head) => {
                    return Ok(Metadata {
                        kind: EntryKind::File,
                        size: head.content_length().unwrap_or(0).max(0) as u64,
                        etag: head.e_tag().map(|e| e.trim_matches('"').to_owned()),
                        modified: head
                            .last_modified()
                            .and_then(|t| SystemTime::try_from(*t).ok()),
                    });
                }
                Err(err)
                    if err
                        .raw_response()
                        .is_some_and(|r| r.status().as_u16() == 404) => {}
                Err(err) => return Err(s3_error(url, err)),
            }
        }
        let prefix = url.dir_prefix();
        let listing = self
            .client
            .list_objects_v2()
            .bucket(url.bucket())
            .prefix(&prefix)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_error(url, e))?;
        if listing.key_count().unwrap_or(0) > 0 {
            Ok(directory)
        } else {
            Err(FsError::NotFound(url.clone()))
        }
    }

    /// Whether an object or a non-empty directory exists at `url`.
    pub async fn exists(&self, url: &S3Url) -> Result<bool, FsError> {
        match self.metadata(url).await {
            Ok(_) => Ok(true),
            Err(FsError::NotFound(_)) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The entries directly under a directory, one page of ListObjectsV2 at a time, fetched as
    /// the stream is read.
    pub fn read_dir(
        &self,
        url: &S3Url,
    ) -> impl Stream<Item = Result<DirEntry, FsError>> + Send + 'static {
        let prefix = url.dir_prefix();
        let pages = self
            .client
            .list_objects_v2()
            .bucket(url.bucket())
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let (bucket, url) = (url.bucket().to_owned(), url.clone());
        futures::stream::unfold(Some(pages), move |state| {
            let (bucket, url) = (bucket.clone(), url.clone());
            async move {
                let mut pages = state?;
                let page = match pages.next().await? {
                    Ok(page) => page,
                    Err(err) => return Some((vec![Err(s3_error(&url, err))], None)),
                };
                let entry = |key: &str, kind, size| {
                    S3Url::new(&bucket, key)
                        .map(|url| DirEntry { url, kind, size })
                        .map_err(|e| FsError::S3 {
                            url: url.clone(),
                            message: e.to_string(),
                        })
                };
                let mut entries: Vec<_> = page
                    .common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .map(|p| entry(p, EntryKind::Directory, 0))
                    .collect();
                entries.extend(page.contents().iter().filter_map(|o| {
                    let key = o.key()?;
                    Some(entry(
                        key,
                        EntryKind::File,
                        o.size().unwrap_or(0).max(0) as u64,
                    ))
                }));
                Some((entries, Some(pages)))
            }
        })
        .flat_map(futures::stream::iter)
    }
}
