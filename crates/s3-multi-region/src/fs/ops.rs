//! Filesystem-style calls on `s3://` URLs, whatever the bucket's region: open, create, append,
//! metadata, exists, read_dir, copy, rename, remove, create_dir, remove_dir, remove_dir_all.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, EncodingType, ObjectIdentifier,
};
use futures::{Stream, StreamExt, TryStreamExt};

use crate::client::MultiRegionClient;
use crate::fs::S3Url;
use crate::fs::error::{FsError, s3_error};
use crate::fs::listing::decode_listed;
use crate::fs::stat_cache::StatCache;
use crate::fs::types::{CopiedVersion, DirEntry, EntryKind, ListedObject, Metadata};
use crate::fs::writer::{Plan, Start};

/// Any other failure about `url` (an invalid URL built from a listing, a body that could not be
/// read), its cause kept.
fn other_error(url: &S3Url, err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> FsError {
    let source = err.into();
    FsError::S3 {
        url: url.clone(),
        report: crate::ErrorReport::new(
            crate::ErrorKind::Other,
            crate::report::chain(source.as_ref()),
        ),
        source: Some(source),
    }
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
    stat_cache: Arc<StatCache>,
    part_size: usize,
    parallel_parts: usize,
    read_ahead: usize,
}

/// 404 from a HEAD or GET.
fn is_not_found<E>(err: &SdkError<E>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 404)
}

impl S3Fs {
    /// Filesystem calls through `client`: 8 MiB parts, 4 uploading at once, 8 MiB read-ahead,
    /// and a stat cache of 1024 entries kept 5 seconds each.
    pub fn new(client: MultiRegionClient) -> Self {
        Self {
            client,
            stat_cache: Arc::new(StatCache::new(1024, Duration::from_secs(5))),
            part_size: 8 * 1024 * 1024,
            parallel_parts: 4,
            read_ahead: crate::fs::DEFAULT_READ_AHEAD,
        }
    }

    /// Writers start with parts of `bytes` (at least 5 MiB, S3's minimum). The size doubles
    /// every 1000 parts so that S3's 10 000-part limit still reaches its 5 TiB object limit.
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(crate::fs::MIN_PART_SIZE);
        self
    }

    /// Writers upload `parts` parts at once; a writer holds at most `parts + 1` parts in memory.
    pub fn with_parallel_parts(mut self, parts: usize) -> Self {
        self.parallel_parts = parts.max(1);
        self
    }

    /// Readers ask for `bytes` per ranged GET (a sequential reader holds up to three such ranges:
    /// the one being read and two in flight).
    pub fn with_read_ahead(mut self, bytes: usize) -> Self {
        self.read_ahead = bytes.max(1);
        self
    }

    /// Keeps up to `capacity` stat results for `ttl` each (0 turns the cache off).
    pub fn with_stat_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.stat_cache = Arc::new(StatCache::new(capacity, ttl));
        self
    }

    /// The client underneath.
    pub fn client(&self) -> &MultiRegionClient {
        &self.client
    }

    /// The part size of writers, and of a download's ranged GETs.
    pub(crate) fn part_size(&self) -> usize {
        self.part_size
    }

    fn plan(&self, start: Start) -> Plan {
        Plan {
            part_size: self.part_size,
            parallel: self.parallel_parts,
            start,
            stat_cache: Some(self.stat_cache.clone()),
            content_type: None,
        }
    }

    /// Writers spawn their upload task: refuse (rather than panic) outside a Tokio runtime.
    fn writer_url(url: &S3Url) -> Result<(), FsError> {
        Self::object_url(url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(FsError::NoRuntime(url.clone()));
        }
        Ok(())
    }

    fn object_url(url: &S3Url) -> Result<(), FsError> {
        if url.key().is_empty() || url.key().ends_with('/') {
            return Err(FsError::IsADirectory(url.clone()));
        }
        Ok(())
    }

    /// A reader of `url`, pinned to its current ETag (one HeadObject now, ranged GETs as read).
    pub async fn open(&self, url: &S3Url) -> std::io::Result<crate::fs::S3Reader> {
        Self::object_url(url).map_err(std::io::Error::other)?;
        crate::fs::S3Reader::open(self.client.clone(), url.clone(), self.read_ahead).await
    }

    /// A writer that replaces `url` with what is written. Nothing is sent before the first full
    /// part; `shutdown` (`AsyncWriteExt::shutdown`) finishes the object, and dropping the writer
    /// or any failure aborts it, leaving whatever was there before.
    pub fn create(&self, url: &S3Url) -> Result<crate::fs::S3Writer, FsError> {
        Self::writer_url(url)?;
        Ok(crate::fs::S3Writer::with_plan(
            self.client.clone(),
            url.clone(),
            self.plan(Start::Empty),
        ))
    }

    /// [`create`](Self::create) with the object's `Content-Type` (for uploads of one part and of
    /// many alike).
    pub fn create_with_content_type(
        &self,
        url: &S3Url,
        content_type: &str,
    ) -> Result<crate::fs::S3Writer, FsError> {
        Self::writer_url(url)?;
        let mut plan = self.plan(Start::Empty);
        plan.content_type = Some(content_type.to_owned());
        Ok(crate::fs::S3Writer::with_plan(
            self.client.clone(),
            url.clone(),
            plan,
        ))
    }

    /// A writer that adds to the end of `url` (creating it when missing). The existing bytes stay
    /// on the server: they become the first parts of a multipart upload through UploadPartCopy.
    /// Only an object under 5 MiB, too small to be a part, is read and written again. The
    /// append completes only if the object still has the ETag it had here.
    pub async fn append(&self, url: &S3Url) -> Result<crate::fs::S3Writer, FsError> {
        Self::object_url(url)?;
        self.stat_cache.forget(url);
        let start = match self.metadata(url).await {
            Err(FsError::NotFound(_)) => Start::Empty,
            Err(err) => return Err(err),
            Ok(found) if found.kind == EntryKind::Directory => {
                return Err(FsError::IsADirectory(url.clone()));
            }
            Ok(found) => {
                let etag = found
                    .etag
                    .map(|e| format!("\"{e}\""))
                    .ok_or_else(|| other_error(url, "S3 sent no ETag"))?;
                if found.size >= crate::fs::MIN_PART_SIZE as u64 {
                    Start::CopyExisting {
                        etag,
                        size: found.size,
                    }
                } else {
                    let got = self
                        .client
                        .get_object()
                        .bucket(url.bucket())
                        .key(url.key())
                        .if_match(&etag)
                        .send()
                        .await
                        .map_err(|e| s3_error(url, e))?;
                    let bytes = got.body.collect().await.map_err(|e| other_error(url, e))?;
                    Start::Rewrite {
                        etag,
                        bytes: bytes.into_bytes(),
                    }
                }
            }
        };
        Ok(crate::fs::S3Writer::with_plan(
            self.client.clone(),
            url.clone(),
            self.plan(start),
        ))
    }

    /// An object's size, ETag and modification time, or `Directory` for a bucket or a prefix that
    /// holds objects. Correct on the first call for a bucket in any region: routing follows S3's
    /// bodiless HEAD redirects, so a wrong region never reads as "not found". Answers come from
    /// the stat cache when `read_dir` or an earlier call has just seen the entry.
    pub async fn metadata(&self, url: &S3Url) -> Result<Metadata, FsError> {
        let cached = match url.key() {
            "" => self.stat_cache.get(url.bucket(), ""),
            key if key.ends_with('/') => self.stat_cache.get(url.bucket(), key),
            key => self
                .stat_cache
                .get(url.bucket(), key)
                .or_else(|| self.stat_cache.get(url.bucket(), &url.dir_prefix())),
        };
        if let Some(found) = cached {
            return Ok(found);
        }
        let found = self.metadata_uncached(url).await?;
        let key = match found.kind {
            EntryKind::File => url.key().to_owned(),
            EntryKind::Directory if url.key().is_empty() => String::new(),
            EntryKind::Directory => url.dir_prefix(),
        };
        self.stat_cache.put(url.bucket(), &key, found.clone());
        Ok(found)
    }

    async fn metadata_uncached(&self, url: &S3Url) -> Result<Metadata, FsError> {
        let directory = Metadata {
            kind: EntryKind::Directory,
            size: 0,
            etag: None,
            modified: None,
            content_type: None,
        };
        if url.key().is_empty() {
            return match self.client.head_bucket().bucket(url.bucket()).send().await {
                Ok(_) => Ok(directory),
                Err(err) if is_not_found(&err) => Err(FsError::NotFound(url.clone())),
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
                        content_type: head.content_type().map(str::to_owned),
                    });
                }
                Err(err) if is_not_found(&err) => {}
                Err(err) => return Err(s3_error(url, err)),
            }
        }
        let listing = self.first_keys(url, 1).await?;
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
    /// the stream is read. Each entry is put in the stat cache, so `metadata` on it right after
    /// sends nothing. A directory's own marker object (`dir/`) is not listed as an entry.
    pub fn read_dir(
        &self,
        url: &S3Url,
    ) -> impl Stream<Item = Result<DirEntry, FsError>> + Send + 'static {
        let prefix = url.dir_prefix();
        let pages = self
            .client
            .list_objects_v2()
            .bucket(url.bucket())
            .prefix(&prefix)
            .delimiter("/")
            .encoding_type(EncodingType::Url)
            .into_paginator()
            .send();
        let (url, cache) = (url.clone(), self.stat_cache.clone());
        futures::stream::unfold(Some(pages), move |state| {
            let (url, cache, prefix) = (url.clone(), cache.clone(), prefix.clone());
            async move {
                let mut pages = state?;
                let page = match pages.next().await? {
                    Ok(page) => page,
                    Err(err) => return Some((vec![Err(s3_error(&url, err))], None)),
                };
                let entry = |key: &str, metadata: Metadata| {
                    let size = metadata.size;
                    let kind = metadata.kind;
                    cache.put(url.bucket(), key, metadata);
                    S3Url::new(url.bucket(), key)
                        .map(|url| DirEntry { url, kind, size })
                        .map_err(|e| other_error(&url, e))
                };
                let decoded =
                    |encoded: &str| decode_listed(encoded).map_err(|e| other_error(&url, e));
                let mut entries: Vec<_> = page
                    .common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .map(|p| {
                        let directory = Metadata {
                            kind: EntryKind::Directory,
                            size: 0,
                            etag: None,
                            modified: None,
                            content_type: None,
                        };
                        entry(&decoded(p)?, directory)
                    })
                    .collect();
                entries.extend(page.contents().iter().filter_map(|o| {
                    let key = match decoded(o.key()?) {
                        Ok(key) => key,
                        Err(err) => return Some(Err(err)),
                    };
                    if key == prefix {
                        return None;
                    }
                    let file = Metadata {
                        kind: EntryKind::File,
                        size: o.size().unwrap_or(0).max(0) as u64,
                        etag: o.e_tag().map(|e| e.trim_matches('"').to_owned()),
                        modified: o
                            .last_modified()
                            .and_then(|t| SystemTime::try_from(*t).ok()),
                        content_type: None,
                    };
                    Some(entry(&key, file))
                }));
                Some((entries, Some(pages)))
            }
        })
        .flat_map(futures::stream::iter)
    }

    /// The first `n` keys under `url`'s directory prefix.
    async fn first_keys(
        &self,
        url: &S3Url,
        n: i32,
    ) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output, FsError> {
        self.client
            .list_objects_v2()
            .bucket(url.bucket())
            .prefix(url.dir_prefix())
            .max_keys(n)
            .encoding_type(EncodingType::Url)
            .send()
            .await
            .map_err(|e| s3_error(url, e))
    }

    /// Every object key under `url` read as a directory (a bucket, or a prefix ending at `/`), at
    /// any depth, with its size, in S3's order. Keys are returned as S3 holds them. Collected
    /// from [`stream_objects_under`](Self::stream_objects_under): for a prefix of millions of
    /// keys, read the stream instead.
    pub async fn keys_under(&self, url: &S3Url) -> Result<Vec<(String, u64)>, FsError> {
        Ok(self
            .objects_under(url)
            .await?
            .into_iter()
            .map(|o| (o.key, o.size))
            .collect())
    }

    /// Every object under `url`'s prefix (recursively), with its size, modification time and
    /// ETag: what `sync` compares. Collected from
    /// [`stream_objects_under`](Self::stream_objects_under).
    pub async fn objects_under(&self, url: &S3Url) -> Result<Vec<ListedObject>, FsError> {
        self.stream_objects_under(url).try_collect().await
    }

    /// Every object under `url`'s prefix (recursively) in S3's order (UTF-8 bytes), one
    /// ListObjectsV2 page fetched at a time as the stream is read: memory holds one page
    /// whatever the prefix holds. The first error ends the stream.
    ///
    /// ```no_run
    /// # async fn run(fs: s3_multi_region::fs::S3Fs) -> Result<(), s3_multi_region::fs::FsError> {
    /// use futures::TryStreamExt;
    /// let url: s3_multi_region::fs::S3Url = "s3://logs/2026/".parse().unwrap();
    /// let mut objects = std::pin::pin!(fs.stream_objects_under(&url));
    /// let mut bytes = 0;
    /// while let Some(object) = objects.try_next().await? {
    ///     bytes += object.size;
    /// }
    /// println!("{bytes} bytes under {url}");
    /// # Ok(()) }
    /// ```
    pub fn stream_objects_under(
        &self,
        url: &S3Url,
    ) -> impl Stream<Item = Result<ListedObject, FsError>> + Send + 'static {
        self.stream_object_pages_under(url)
            .map_ok(|page| futures::stream::iter(page.into_iter().map(Ok)))
            .try_flatten()
    }

    /// [`stream_objects_under`](Self::stream_objects_under) a page at a time (up to 1 000
    /// objects each, as S3 sends them): for a caller that acts on a page as it arrives.
    pub fn stream_object_pages_under(
        &self,
        url: &S3Url,
    ) -> impl Stream<Item = Result<Vec<ListedObject>, FsError>> + Send + 'static {
        let pages = self
            .client
            .list_objects_v2()
            .bucket(url.bucket())
            .prefix(url.dir_prefix())
            .encoding_type(EncodingType::Url)
            .into_paginator()
            .send();
        let url = url.clone();
        futures::stream::unfold(Some(pages), move |state| {
            let url = url.clone();
            async move {
                let mut pages = state?;
                let page = match pages.next().await? {
                    Ok(page) => page,
                    Err(err) => return Some((Err(s3_error(&url, err)), None)),
                };
                let objects: Result<Vec<ListedObject>, FsError> = page
                    .contents
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|o| {
                        let key = o.key?;
                        Some(Ok(ListedObject {
                            size: o.size.unwrap_or(0).max(0) as u64,
                            modified: o.last_modified.and_then(|t| SystemTime::try_from(t).ok()),
                            etag: o.e_tag.map(|e| e.trim_matches('"').to_owned()),
                            key: match decode_listed(&key) {
                                Ok(key) => key,
                                Err(e) => return Some(Err(other_error(&url, e))),
                            },
                        }))
                    })
                    .collect();
                // After an error, nothing more: the caller sees where the listing stopped.
                let next = objects.is_ok().then_some(pages);
                Some((objects, next))
            }
        })
    }

    /// Copies an object on the server side, to any bucket in any region (CopyObject, or a
    /// multipart UploadPartCopy above 5 GiB), pinned to the ETag the source has now. Returns
    /// the bytes copied.
    pub async fn copy(&self, from: &S3Url, to: &S3Url) -> Result<u64, FsError> {
        Self::object_url(from)?;
        let source = self.metadata_uncached(from).await?;
        self.copy_from(from, &source, to).await
    }

    async fn copy_from(&self, from: &S3Url, source: &Metadata, to: &S3Url) -> Result<u64, FsError> {
        Self::object_url(to)?;
        if source.kind == EntryKind::Directory {
            return Err(FsError::IsADirectory(from.clone()));
        }
        let etag = source.etag.as_ref().map(|e| format!("\"{e}\""));
        crate::fs::copy::copy_object(&self.client, from, to, source.size, etag.as_deref()).await?;
        self.stat_cache.forget(to);
        Ok(source.size)
    }

    /// Like [`copy`](Self::copy), and says which version of the source was copied: its size and
    /// ETag, what [`remove_if_unchanged`](Self::remove_if_unchanged) compares before a move
    /// deletes the source.
    pub async fn copy_version(&self, from: &S3Url, to: &S3Url) -> Result<CopiedVersion, FsError> {
        Self::object_url(from)?;
        let source = self.metadata_uncached(from).await?;
        let bytes = self.copy_from(from, &source, to).await?;
        Ok(CopiedVersion {
            bytes,
            etag: source.etag,
        })
    }

    /// Deletes an object only if its ETag is still `etag` (S3's conditional delete, `If-Match`):
    /// a write that landed after the copy a move made is never deleted uncopied. A changed
    /// object is [`FsError::Changed`] and stays.
    pub async fn remove_if_unchanged(&self, url: &S3Url, etag: &str) -> Result<(), FsError> {
        Self::object_url(url)?;
        self.stat_cache.forget(url);
        let deleted = self
            .client
            .delete_object()
            .bucket(url.bucket())
            .key(url.key())
            .if_match(quoted(etag))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) => {
                let err = s3_error(url, err);
                // Changed (412) or already gone (404): either way nothing of the copy's is lost.
                match err.kind() {
                    crate::ErrorKind::PreconditionFailed | crate::ErrorKind::NoSuchKey => {
                        Err(FsError::Changed(url.clone()))
                    }
                    _ => Err(err),
                }
            }
        }
    }

    /// Moves an object, or every object of a directory, to `to` in any bucket and region: a
    /// server-side copy pinned to the source's ETag, then a delete of the source that S3 carries
    /// out only if the source still has that ETag ([`FsError::Changed`] otherwise: the source
    /// stays). A move onto itself or into its own subtree is [`FsError::Overlap`], refused before
    /// any request. Returns the number of objects moved.
    pub async fn rename(&self, from: &S3Url, to: &S3Url) -> Result<u64, FsError> {
        let overlap = |why| FsError::Overlap {
            from: from.clone(),
            to: to.clone(),
            why,
        };
        if from.bucket() == to.bucket() && from.key() == to.key() {
            return Err(overlap("onto itself"));
        }
        if !from.key().is_empty() && !from.key().ends_with('/') {
            let source = self.metadata_uncached(from).await?;
            if source.kind == EntryKind::File {
                self.copy_from(from, &source, to).await?;
                let etag = source
                    .etag
                    .as_deref()
                    .ok_or_else(|| FsError::Changed(from.clone()))?;
                self.remove_if_unchanged(from, etag).await?;
                return Ok(1);
            }
        }
        let target = S3Url::new(to.bucket(), &to.dir_prefix()).map_err(|e| other_error(to, e))?;
        if from.overlaps(&target) {
            return Err(overlap(if from.tree_contains(&target) {
                "into its own subtree"
            } else {
                "onto a directory that holds it"
            }));
        }
        let prefix = from.dir_prefix();
        let objects = self.objects_under(from).await?;
        if objects.is_empty() {
            return Err(FsError::NotFound(from.clone()));
        }
        let mut copied = Vec::with_capacity(objects.len());
        for object in &objects {
            let source =
                S3Url::new(from.bucket(), &object.key).map_err(|e| other_error(from, e))?;
            let destination = target.join(&object.key[prefix.len()..]);
            if object.key.ends_with('/') {
                self.create_dir(&destination).await?;
            } else {
                let etag = object.etag.as_ref().map(|e| quoted(e));
                crate::fs::copy::copy_object(
                    &self.client,
                    &source,
                    &destination,
                    object.size,
                    etag.as_deref(),
                )
                .await?;
            }
            copied.push((object.key.clone(), object.etag.clone()));
        }
        let moved = self.remove_keys_if_unchanged(from, copied).await?;
        self.stat_cache.forget_tree(&target);
        Ok(moved)
    }

    /// Deletes `keys` of `url`'s bucket with DeleteObjects, 1000 at a time; the first key S3
    /// refuses ends it with an error naming that key. Returns how many were deleted.
    pub async fn remove_keys(&self, url: &S3Url, keys: Vec<String>) -> Result<u64, FsError> {
        self.remove_keys_if_unchanged(url, keys.into_iter().map(|k| (k, None)).collect())
            .await
    }

    /// [`remove_keys`](Self::remove_keys) where a key given with an ETag is deleted only if it
    /// still has it (S3's conditional delete, per object of a DeleteObjects). The others of the
    /// batch are deleted; the first changed key is [`FsError::Changed`] and stays.
    async fn remove_keys_if_unchanged(
        &self,
        url: &S3Url,
        keys: Vec<(String, Option<String>)>,
    ) -> Result<u64, FsError> {
        let mut deleted = 0;
        for batch in keys.chunks(1000) {
            let out = self.delete_objects(url, batch).await?;
            if let Some(error) = out.errors().first() {
                if matches!(error.code(), Some("PreconditionFailed" | "NoSuchKey"))
                    && let Ok(changed) = S3Url::new(url.bucket(), error.key().unwrap_or_default())
                {
                    self.stat_cache.forget_tree(url);
                    return Err(FsError::Changed(changed));
                }
                return Err(FsError::S3 {
                    url: url.clone(),
                    report: crate::ErrorReport::new(
                        crate::ErrorKind::Service,
                        format!(
                            "{}: {}",
                            crate::fs::printable_key(error.key().unwrap_or_default()),
                            error.message().unwrap_or("not deleted")
                        ),
                    ),
                    source: None,
                });
            }
            deleted += batch.len() as u64;
        }
        self.stat_cache.forget_tree(url);
        Ok(deleted)
    }

    /// Deletes `keys` of `url`'s bucket with DeleteObjects, 1000 keys a request (S3's limit;
    /// the SDK adds the checksum header S3 requires), and says what became of each key: the
    /// keys S3 refused come back with S3's words for each (its per-key code and message),
    /// every other key was deleted. A request refused as a whole (no such bucket, no answer) is
    /// the error, and keys of later batches are not tried.
    ///
    /// ```no_run
    /// # async fn run(fs: s3_multi_region::fs::S3Fs) -> Result<(), s3_multi_region::fs::FsError> {
    /// let url: s3_multi_region::fs::S3Url = "s3://logs/2025/".parse().unwrap();
    /// let keys = vec!["2025/a.gz".to_owned(), "2025/b.gz".to_owned()];
    /// for (key, why) in fs.remove_keys_each(&url, &keys).await? {
    ///     eprintln!("{key} not deleted: {why}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn remove_keys_each(
        &self,
        url: &S3Url,
        keys: &[String],
    ) -> Result<Vec<(String, crate::ErrorReport)>, FsError> {
        let mut refused = Vec::new();
        for batch in keys.chunks(1000) {
            let unconditional: Vec<(String, Option<String>)> =
                batch.iter().map(|k| (k.clone(), None)).collect();
            let out = self.delete_objects(url, &unconditional).await?;
            refused.extend(out.errors().iter().map(|error| {
                (
                    error.key().unwrap_or_default().to_owned(),
                    crate::report::from_code(
                        error.code().unwrap_or_default(),
                        error.message(),
                        None,
                    ),
                )
            }));
        }
        self.stat_cache.forget_tree(url);
        Ok(refused)
    }

    /// One DeleteObjects request (quiet: only the refused keys are answered) for up to 1000
    /// keys of `url`'s bucket, each deleted only if it still has the ETag given with it.
    async fn delete_objects(
        &self,
        url: &S3Url,
        batch: &[(String, Option<String>)],
    ) -> Result<aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput, FsError> {
        let objects = batch
            .iter()
            .map(|(k, etag)| {
                ObjectIdentifier::builder()
                    .key(k)
                    .set_e_tag(etag.as_deref().map(quoted))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| other_error(url, e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| other_error(url, e))?;
        self.client
            .delete_objects()
            .bucket(url.bucket())
            .delete(delete)
            .send()
            .await
            .map_err(|e| s3_error(url, e))
    }

    /// Deletes an object. Like S3's DeleteObject it succeeds when the object is already gone.
    pub async fn remove(&self, url: &S3Url) -> Result<(), FsError> {
        Self::object_url(url)?;
        self.stat_cache.forget(url);
        self.client
            .delete_object()
            .bucket(url.bucket())
            .key(url.key())
            .send()
            .await
            .map_err(|e| s3_error(url, e))?;
        Ok(())
    }

    /// Creates a directory: for a bucket URL (`s3://name/`) a bucket in the client's default
    /// region, for a prefix an empty marker object `prefix/` (what the S3 console makes).
    pub async fn create_dir(&self, url: &S3Url) -> Result<(), FsError> {
        if url.key().is_empty() {
            let region = self.client.default_region().to_owned();
            return self.create_bucket(url, &region).await;
        }
        let marker =
            S3Url::new(url.bucket(), &url.dir_prefix()).map_err(|e| other_error(url, e))?;
        self.client
            .put_object()
            .bucket(marker.bucket())
            .key(marker.key())
            .body(ByteStream::from_static(b""))
            .send()
            .await
            .map_err(|e| s3_error(&marker, e))?;
        self.stat_cache.forget(&marker);
        Ok(())
    }

    /// Creates the bucket of `url` in `region`, with the LocationConstraint S3 wants there (none
    /// for us-east-1), sent to that region's endpoint.
    pub async fn create_bucket(&self, url: &S3Url, region: &str) -> Result<(), FsError> {
        let region = crate::region::validate_region(region)?;
        let mut request = self.client.create_bucket().bucket(url.bucket());
        if region != "us-east-1" {
            let config = CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build();
            request = request.create_bucket_configuration(config);
        }
        request.send().await.map_err(|e| s3_error(url, e))?;
        Ok(())
    }

    /// Removes an empty directory: a bucket (DeleteBucket), or a prefix's marker object. Fails
    /// with `DirectoryNotEmpty` when objects remain, `NotFound` when there is nothing.
    pub async fn remove_dir(&self, url: &S3Url) -> Result<(), FsError> {
        self.stat_cache.forget(url);
        if url.key().is_empty() {
            return match self
                .client
                .delete_bucket()
                .bucket(url.bucket())
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(err) if err.code() == Some("BucketNotEmpty") => {
                    Err(FsError::DirectoryNotEmpty(url.clone()))
                }
                Err(err) if is_not_found(&err) => Err(FsError::NotFound(url.clone())),
                Err(err) => Err(s3_error(url, err)),
            };
        }
        let prefix = url.dir_prefix();
        let listing = self.first_keys(url, 2).await?;
        let keys = listing
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .map(|k| decode_listed(k).map_err(|e| other_error(url, e)))
            .collect::<Result<Vec<String>, FsError>>()?;
        match keys.as_slice() {
            [] => Err(FsError::NotFound(url.clone())),
            [only] if *only == prefix => {
                let marker = S3Url::new(url.bucket(), &prefix).map_err(|e| other_error(url, e))?;
                self.remove_marker(&marker).await
            }
            _ => Err(FsError::DirectoryNotEmpty(url.clone())),
        }
    }

    async fn remove_marker(&self, marker: &S3Url) -> Result<(), FsError> {
        self.client
            .delete_object()
            .bucket(marker.bucket())
            .key(marker.key())
            .send()
            .await
            .map_err(|e| s3_error(marker, e))?;
        Ok(())
    }

    /// Removes a directory and everything in it (one DeleteObjects per listing page of up to
    /// 1000 keys, sent as the page arrives: memory holds one page); for a bucket URL the bucket
    /// too. Returns the number of objects deleted.
    pub async fn remove_dir_all(&self, url: &S3Url) -> Result<u64, FsError> {
        let mut pages = std::pin::pin!(self.stream_object_pages_under(url));
        let mut deleted = 0;
        while let Some(page) = pages.try_next().await? {
            if !page.is_empty() {
                let keys = page.into_iter().map(|o| o.key).collect();
                deleted += self.remove_keys(url, keys).await?;
            }
        }
        if url.key().is_empty() {
            self.remove_dir(url).await?;
        }
        Ok(deleted)
    }
}

/// An ETag as S3's headers and XML carry it: in double quotes.
fn quoted(etag: &str) -> String {
    format!("\"{}\"", etag.trim_matches('"'))
}
