//! Multipart uploads: object_store's `MultipartUpload` (parts sent concurrently, aborted when
//! dropped unfinished), the requests `MultipartStore` (in `store.rs`) sends, and the copy that
//! creates only if the key is free.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    MultipartUpload, PutMultipartOptions, PutPayload, PutResult, Result, UploadPart,
};
use s3_multi_region::MultiRegionClient;
use s3_multi_region::aws_sdk_s3::primitives::ByteStream;
use s3_multi_region::aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::convert::with_headers;
use crate::convert::{self, ObjectHeaders};
use crate::error::{Kind, generic, to_object_store};

/// Starts a multipart upload of `location`, with `opts`' attributes and tags.
pub(crate) async fn create(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    opts: PutMultipartOptions,
) -> Result<String> {
    let PutMultipartOptions {
        tags, attributes, ..
    } = opts;
    let mut request = with_headers!(
        client
            .create_multipart_upload()
            .bucket(bucket)
            .key(location.as_ref()),
        ObjectHeaders::from_attributes(&attributes)
    );
    if !tags.encoded().is_empty() {
        request = request.tagging(tags.encoded());
    }
    let created = request
        .send()
        .await
        .map_err(|e| to_object_store(location.as_ref(), e))?;
    created
        .upload_id()
        .map(str::to_owned)
        .ok_or_else(|| generic("S3 returned no upload id"))
}

pub(crate) async fn upload_part(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    id: &str,
    part_number: i32,
    data: PutPayload,
) -> Result<String> {
    let uploaded = client
        .upload_part()
        .bucket(bucket)
        .key(location.as_ref())
        .upload_id(id)
        .part_number(part_number)
        .body(ByteStream::from(Bytes::from(data)))
        .send()
        .await
        .map_err(|e| to_object_store(location.as_ref(), e))?;
    uploaded
        .e_tag()
        .map(str::to_owned)
        .ok_or_else(|| generic("S3 returned no ETag for the part"))
}

/// Completes `id` with `parts` (part number, ETag); `if_none_match` makes it create-only.
pub(crate) async fn complete(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    id: &str,
    mut parts: Vec<(i32, String)>,
    if_none_match: bool,
) -> Result<PutResult> {
    if parts.is_empty() {
        // S3 refuses to complete an upload of no parts (InvalidPart): an empty object is one
        // empty part, as object_store's own S3 store sends it.
        let etag = upload_part(client, bucket, location, id, 1, PutPayload::new()).await?;
        parts.push((1, etag));
    }
    parts.sort_unstable_by_key(|(number, _)| *number);
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .into_iter()
                .map(|(number, etag)| {
                    CompletedPart::builder()
                        .part_number(number)
                        .e_tag(etag)
                        .build()
                })
                .collect(),
        ))
        .build();
    let done = client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(location.as_ref())
        .upload_id(id)
        .multipart_upload(completed)
        .set_if_none_match(if_none_match.then(|| "*".to_owned()))
        .send()
        .await;
    match done {
        Ok(out) => Ok(PutResult {
            e_tag: out.e_tag().map(str::to_owned),
            version: out.version_id().map(str::to_owned),
            extensions: Default::default(),
        }),
        Err(err)
            if if_none_match
                && matches!(
                    crate::error::kind(&err),
                    Kind::Precondition | Kind::Conflict
                ) =>
        {
            Err(object_store::Error::AlreadyExists {
                path: location.to_string(),
                source: Box::new(err),
            })
        }
        Err(err) => Err(to_object_store(location.as_ref(), err)),
    }
}

pub(crate) async fn abort(
    client: &MultiRegionClient,
    bucket: &str,
    location: &Path,
    id: &str,
) -> Result<()> {
    client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(location.as_ref())
        .upload_id(id)
        .send()
        .await
        .map_err(|e| to_object_store(location.as_ref(), e))?;
    Ok(())
}

#[derive(Debug)]
struct UploadState {
    client: MultiRegionClient,
    bucket: String,
    location: Path,
    id: String,
    /// (part number, ETag) of every part uploaded so far, in any order.
    parts: Mutex<Vec<(i32, String)>>,
}

/// An upload in progress (from [`ObjectStore::put_multipart_opts`]). Parts go up concurrently
/// as soon as `put_part` is polled; dropped before `complete` or `abort`, it aborts the upload
/// in the background so no parts are left behind (S3 would otherwise keep, and bill, them).
///
/// [`ObjectStore::put_multipart_opts`]: object_store::ObjectStore::put_multipart_opts
#[derive(Debug)]
pub(crate) struct Upload {
    state: Arc<UploadState>,
    next_part: i32,
    finished: bool,
}

impl Upload {
    pub(crate) fn new(
        client: MultiRegionClient,
        bucket: &str,
        location: &Path,
        id: String,
    ) -> Self {
        Self {
            state: Arc::new(UploadState {
                client,
                bucket: bucket.to_owned(),
                location: location.clone(),
                id,
                parts: Mutex::default(),
            }),
            next_part: 1,
            finished: false,
        }
    }
}

#[async_trait]
impl MultipartUpload for Upload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let number = self.next_part;
        self.next_part += 1;
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let etag = upload_part(
                &state.client,
                &state.bucket,
                &state.location,
                &state.id,
                number,
                data,
            )
            .await?;
            state
                .parts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((number, etag));
            Ok(())
        })
    }

    async fn complete(&mut self) -> Result<PutResult> {
        self.finished = true;
        let parts = self
            .state
            .parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let s = &self.state;
        // A part that failed or is still uploading would leave a hole S3 happily completes
        // around (a silently truncated object): refuse, as object_store's own S3 store does, and
        // abort so no part is left billed.
        let started = usize::try_from(self.next_part - 1).unwrap_or(0);
        if parts.len() != started {
            let _ = abort(&s.client, &s.bucket, &s.location, &s.id).await;
            return Err(object_store::Error::Generic {
                store: crate::error::STORE,
                source: format!(
                    "Missing part: {} of {started} parts uploaded; the upload was aborted",
                    parts.len()
                )
                .into(),
            });
        }
        let result = complete(&s.client, &s.bucket, &s.location, &s.id, parts, false).await;
        if result.is_err() {
            let _ = abort(&s.client, &s.bucket, &s.location, &s.id).await;
        }
        result
    }

    async fn abort(&mut self) -> Result<()> {
        self.finished = true;
        let s = &self.state;
        abort(&s.client, &s.bucket, &s.location, &s.id).await
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = Arc::clone(&self.state);
        runtime.spawn(async move {
            let s = &state;
            let _ = abort(&s.client, &s.bucket, &s.location, &s.id).await;
        });
    }
}

/// Copies `from` to `to` only if `to` does not exist: a one-part upload copied server-side from
/// the source, completed with `If-None-Match: *`; aborted on any failure.
pub(crate) async fn copy_if_not_exists(
    client: &MultiRegionClient,
    bucket: &str,
    from: &Path,
    to: &Path,
) -> Result<()> {
    let id = create(client, bucket, to, PutMultipartOptions::default()).await?;
    let copied = async {
        let part = client
            .upload_part_copy()
            .bucket(bucket)
            .key(to.as_ref())
            .upload_id(&id)
            .part_number(1)
            .copy_source(convert::copy_source(bucket, from.as_ref()))
            .send()
            .await
            .map_err(|e| to_object_store(from.as_ref(), e))?;
        let etag = part
            .copy_part_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned)
            .ok_or_else(|| generic("S3 returned no ETag for the copied part"))?;
        complete(client, bucket, to, &id, vec![(1, etag)], true).await
    }
    .await;
    if copied.is_err() {
        let _ = abort(client, bucket, to, &id).await;
    }
    copied.map(drop)
}
