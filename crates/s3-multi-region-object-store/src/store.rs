//! [`MultiRegionStore`]: `impl ObjectStore` for one bucket, over a shared `MultiRegionClient`.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::path::Path;
use object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    Result,
};
use s3_multi_region::MultiRegionClient;
use s3_multi_region::aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use s3_multi_region::aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::aws_sdk_s3::types::{Delete, EncodingType, ObjectIdentifier};

use crate::convert::{self, MetaFields, ObjectHeaders, get_result, object_meta, with_headers};
use crate::error::{self, Kind, generic, to_object_store, with_kind};
use crate::multipart::{self, Upload};
use object_store::MultipartId;
use object_store::multipart::{MultipartStore, PartId};

/// Keys one DeleteObjects request takes (S3's limit).
const DELETE_BATCH: usize = 1000;
/// DeleteObjects requests in flight at once in `delete_stream`.
const DELETE_CONCURRENCY: usize = 4;

/// An [`ObjectStore`] for one bucket, in whatever region it lives.
///
/// Every request goes through a [`MultiRegionClient`]: the bucket's region is learned from S3's
/// first wrong-region answer (or a cache) and never surfaces as an error. Stores for many buckets
/// share one client — one connection pool, one region cache — so making one is cheap.
///
/// ```no_run
/// # async fn run() -> object_store::Result<()> {
/// use object_store::{ObjectStore, ObjectStoreExt, path::Path};
/// use s3_multi_region_object_store::MultiRegionStore;
///
/// let sdk = s3_multi_region::aws_config::load_from_env().await;
/// let client = s3_multi_region::MultiRegionClient::new(&sdk).expect("a valid region");
/// let logs = MultiRegionStore::new(client.clone(), "logs-in-sydney")?;
/// let data = MultiRegionStore::new(client, "data-in-frankfurt")?;
/// let day = logs.get(&Path::from("2026/12/01.json")).await?.bytes().await?;
/// data.put(&Path::from("copy.json"), day.into()).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MultiRegionStore {
    client: MultiRegionClient,
    bucket: String,
}

impl MultiRegionStore {
    /// A store for `bucket` over `client` (shared: clone one client for every bucket). The name
    /// is checked against S3's bucket naming rules, so a bad name fails here, not per request.
    pub fn new(client: MultiRegionClient, bucket: impl Into<String>) -> Result<Self> {
        let bucket = bucket.into();
        if !s3_multi_region::fs::is_valid_bucket_name(&bucket) {
            return Err(generic(format!("{bucket:?} is not a valid S3 bucket name")));
        }
        Ok(Self { client, bucket })
    }

    /// A store for `bucket` with a new client built from `sdk` (its credentials, HTTP client,
    /// default region). Prefer [`MultiRegionStore::new`] with one client for many buckets.
    pub fn from_sdk_config(sdk: &aws_types::SdkConfig, bucket: impl Into<String>) -> Result<Self> {
        let client = MultiRegionClient::new(sdk).map_err(|e| object_store::Error::Generic {
            store: error::STORE,
            source: Box::new(e),
        })?;
        Self::new(client, bucket)
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The client (share it with other stores and with direct S3 calls).
    pub fn client(&self) -> &MultiRegionClient {
        &self.client
    }

    async fn head_opts(&self, location: &Path, options: &GetOptions) -> Result<GetResult> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(location.as_ref())
            .set_if_match(options.if_match.clone())
            .set_if_none_match(options.if_none_match.clone())
            .set_if_modified_since(options.if_modified_since.map(convert::to_smithy))
            .set_if_unmodified_since(options.if_unmodified_since.map(convert::to_smithy))
            .set_version_id(options.version.clone())
            .send()
            .await
            .map_err(|e| to_object_store(location.as_ref(), e))?;
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let meta = object_meta(
            location,
            size,
            MetaFields {
                last_modified: head.last_modified(),
                e_tag: head.e_tag(),
                version: head.version_id(),
            },
        );
        Ok(GetResult {
            payload: GetResultPayload::Stream(stream::empty().boxed()),
            meta,
            range: 0..size,
            attributes: convert::attributes_of(
                head.cache_control(),
                head.content_disposition(),
                head.content_encoding(),
                head.content_language(),
                head.content_type(),
                head.metadata(),
            ),
            extensions: Default::default(),
        })
    }

    /// One page of ListObjectsV2 results at a time.
    fn list_pages(
        &self,
        prefix: Option<&Path>,
        delimiter: bool,
        start_after: Option<&Path>,
    ) -> BoxStream<'static, Result<ListResult>> {
        let key_prefix = convert::list_prefix(prefix);
        let shown = prefix.map(|p| p.to_string()).unwrap_or_default();
        let pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .set_prefix(key_prefix)
            .set_delimiter(delimiter.then(|| "/".to_owned()))
            .set_start_after(start_after.map(|p| p.to_string()))
            .encoding_type(EncodingType::Url)
            .into_paginator()
            .send();
        stream::unfold(pages, |mut pages| async move {
            pages.next().await.map(|page| (page, pages))
        })
        .map(move |page| list_result(&page.map_err(|e| to_object_store(&shown, e))?))
        .boxed()
    }

    fn list_objects(
        &self,
        prefix: Option<&Path>,
        start_after: Option<&Path>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_pages(prefix, false, start_after)
            .map_ok(|page| stream::iter(page.objects.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    async fn delete_batch(&self, batch: Vec<Result<Path>>) -> Vec<Result<Path>> {
        let paths: Vec<&Path> = batch.iter().filter_map(|p| p.as_ref().ok()).collect();
        if paths.is_empty() {
            return batch;
        }
        let objects = paths
            .iter()
            .map(|p| ObjectIdentifier::builder().key(p.as_ref()).build())
            .collect::<std::result::Result<Vec<_>, _>>();
        let delete =
            objects.and_then(|objects| Delete::builder().set_objects(Some(objects)).build());
        let sent = match delete {
            Ok(delete) => self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| to_object_store(&self.bucket, e)),
            Err(e) => Err(generic(e.to_string())),
        };
        let out = match sent {
            Ok(out) => out,
            Err(err) => {
                // The whole batch failed: every path reports it.
                let text = err.to_string();
                return batch
                    .into_iter()
                    .map(|p| p.and_then(|_| Err(generic(text.clone()))))
                    .collect();
            }
        };
        let failed: std::collections::HashMap<&str, (Option<&str>, Option<&str>)> = out
            .errors()
            .iter()
            .filter_map(|e| Some((e.key()?, (e.code(), e.message()))))
            .collect();
        batch
            .into_iter()
            .map(|p| {
                let path = p?;
                match failed.get(path.as_ref()) {
                    None => Ok(path),
                    Some((code, message)) => {
                        let kind = error::kind_of(None, *code);
                        let text = format!(
                            "{}: {}",
                            code.unwrap_or("Error"),
                            message.unwrap_or("not deleted")
                        );
                        Err(with_kind(kind, path.as_ref(), text.into()))
                    }
                }
            })
            .collect()
    }
}

/// One ListObjectsV2 page as object_store's `ListResult` (prefixes without their trailing `/`).
/// A key or prefix of a listing asked with `EncodingType=url` (every listing here), decoded.
fn listed(encoded: &str) -> Result<String> {
    s3_multi_region::fs::decode_listed(encoded).map_err(|e| object_store::Error::Generic {
        store: crate::error::STORE,
        source: Box::new(e),
    })
}

fn list_result(page: &ListObjectsV2Output) -> Result<ListResult> {
    let common_prefixes = page
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(|p| Path::parse(listed(p)?.trim_end_matches('/')).map_err(Into::into))
        .collect::<Result<Vec<_>>>()?;
    let objects = page
        .contents()
        .iter()
        .map(|o| {
            Ok(ObjectMeta {
                location: Path::parse(listed(o.key().unwrap_or_default())?)?,
                last_modified: o
                    .last_modified()
                    .and_then(convert::to_chrono)
                    .unwrap_or_default(),
                size: o.size().unwrap_or(0).max(0) as u64,
                e_tag: o.e_tag().map(str::to_owned),
                version: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ListResult {
        common_prefixes,
        objects,
        extensions: Default::default(),
    })
}

/// object_store's one-page listing: ListObjectsV2 with the caller's prefix (a raw key prefix,
/// not a path), delimiter, `StartAfter` and continuation token.
#[async_trait]
impl PaginatedListStore for MultiRegionStore {
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> Result<PaginatedListResult> {
        let max_keys = opts.max_keys.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .set_prefix(prefix.map(str::to_owned))
            .set_delimiter(opts.delimiter.map(|d| d.into_owned()))
            .set_max_keys(max_keys)
            .set_start_after(opts.offset)
            .set_continuation_token(opts.page_token)
            .encoding_type(EncodingType::Url)
            .send()
            .await
            .map_err(|e| to_object_store(prefix.unwrap_or_default(), e))?;
        let page_token = page
            .is_truncated()
            .unwrap_or(false)
            .then(|| page.next_continuation_token().map(str::to_owned))
            .flatten();
        Ok(PaginatedListResult {
            result: list_result(&page)?,
            page_token,
        })
    }
}

impl fmt::Display for MultiRegionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MultiRegionStore(s3://{})", self.bucket)
    }
}

#[async_trait]
impl ObjectStore for MultiRegionStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let payload = Bytes::from(payload);
        if let Some(put) =
            crate::light::put(&self.client, &self.bucket, location, &payload, &opts).await
        {
            return Ok(put);
        }
        let PutOptions {
            mode,
            tags,
            attributes,
            ..
        } = opts;
        let body = ByteStream::from(payload);
        let mut request = with_headers!(
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(location.as_ref())
                .body(body),
            ObjectHeaders::from_attributes(&attributes)
        );
        if !tags.encoded().is_empty() {
            request = request.tagging(tags.encoded());
        }
        let update = matches!(mode, PutMode::Update(_));
        request = match mode {
            PutMode::Overwrite => request,
            // S3's conditional write: 412 when the key exists.
            PutMode::Create => request.if_none_match("*"),
            PutMode::Update(version) => {
                let etag = version
                    .e_tag
                    .ok_or_else(|| generic("PutMode::Update needs the ETag of the version"))?;
                request.if_match(etag)
            }
        };
        match request.send().await {
            Ok(out) => Ok(PutResult {
                e_tag: out.e_tag().map(str::to_owned),
                version: out.version_id().map(str::to_owned),
                extensions: Default::default(),
            }),
            Err(err) => {
                let path = location.as_ref();
                Err(match (error::kind(&err), update) {
                    // `If-None-Match: *` failing (412, or 409 for a concurrent create).
                    (Kind::Precondition | Kind::Conflict, false) => {
                        object_store::Error::AlreadyExists {
                            path: path.to_owned(),
                            source: Box::new(err),
                        }
                    }
                    // S3 answers 404 for `If-Match` on a missing key: a failed precondition.
                    (Kind::NotFound, true) => object_store::Error::Precondition {
                        path: path.to_owned(),
                        source: Box::new(err),
                    },
                    _ => to_object_store(path, err),
                })
            }
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let id = multipart::create(&self.client, &self.bucket, location, opts).await?;
        Ok(Box::new(Upload::new(
            self.client.clone(),
            &self.bucket,
            location,
            id,
        )))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if options.head {
            return self.head_opts(location, &options).await;
        }
        if let Some(answer) =
            crate::light::get(&self.client, &self.bucket, location, &options).await
        {
            return answer;
        }
        let range = match &options.range {
            Some(range) => Some(convert::range_header(range).map_err(generic)?),
            None => None,
        };
        let mut got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(location.as_ref())
            .set_range(range)
            .set_if_match(options.if_match)
            .set_if_none_match(options.if_none_match)
            .set_if_modified_since(options.if_modified_since.map(convert::to_smithy))
            .set_if_unmodified_since(options.if_unmodified_since.map(convert::to_smithy))
            .set_version_id(options.version)
            .send()
            .await
            .map_err(|e| to_object_store(location.as_ref(), e))?;
        let body = std::mem::take(&mut got.body);
        let attributes = convert::attributes_of(
            got.cache_control(),
            got.content_disposition(),
            got.content_encoding(),
            got.content_language(),
            got.content_type(),
            got.metadata(),
        );
        get_result(
            location,
            got.content_length().unwrap_or(0).max(0) as u64,
            got.content_range(),
            MetaFields {
                last_modified: got.last_modified(),
                e_tag: got.e_tag(),
                version: got.version_id(),
            },
            attributes,
            body,
        )
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let store = self.clone();
        locations
            .chunks(DELETE_BATCH)
            .map(move |batch| {
                let store = store.clone();
                async move { stream::iter(store.delete_batch(batch).await) }
            })
            .buffered(DELETE_CONCURRENCY)
            .flatten()
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_objects(prefix, None)
    }

    /// S3's `StartAfter`: the listing starts after `offset`, nothing is filtered client-side.
    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_objects(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let mut pages = self.list_pages(prefix, true, None);
        let mut all = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
            extensions: Default::default(),
        };
        while let Some(page) = pages.try_next().await? {
            all.common_prefixes.extend(page.common_prefixes);
            all.objects.extend(page.objects);
        }
        Ok(all)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        match options.mode {
            CopyMode::Overwrite => {
                self.client
                    .copy_object()
                    .bucket(&self.bucket)
                    .key(to.as_ref())
                    .copy_source(convert::copy_source(&self.bucket, from.as_ref()))
                    .send()
                    .await
                    .map_err(|e| to_object_store(from.as_ref(), e))?;
                Ok(())
            }
            // CopyObject takes no `If-None-Match`; CompleteMultipartUpload does. A one-part
            // upload copied from the source and completed only if the key is still free is
            // what object_store's own S3 store does (`S3CopyIfNotExists::Multipart`).
            CopyMode::Create => {
                multipart::copy_if_not_exists(&self.client, &self.bucket, from, to).await
            }
        }
    }
}

/// object_store's low-level multipart API (`part_idx` from 0, S3's part numbers from 1).
#[async_trait]
impl MultipartStore for MultiRegionStore {
    async fn create_multipart(&self, path: &Path) -> Result<MultipartId> {
        multipart::create(
            self.client(),
            self.bucket(),
            path,
            PutMultipartOptions::default(),
        )
        .await
    }

    async fn create_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> Result<MultipartId> {
        multipart::create(self.client(), self.bucket(), path, opts).await
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> Result<PartId> {
        let number = i32::try_from(part_idx + 1)
            .ok()
            .filter(|n| *n <= 10_000)
            .ok_or_else(|| generic(format!("part index {part_idx} is beyond S3's 10 000 parts")))?;
        let etag =
            multipart::upload_part(self.client(), self.bucket(), path, id, number, data).await?;
        Ok(PartId { content_id: etag })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> Result<PutResult> {
        let numbered = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| (i as i32 + 1, part.content_id))
            .collect();
        multipart::complete(self.client(), self.bucket(), path, id, numbered, false).await
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> Result<()> {
        multipart::abort(self.client(), self.bucket(), path, id).await
    }
}
