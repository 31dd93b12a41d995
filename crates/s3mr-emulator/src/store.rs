//! The S3 handler of one region: s3s-fs for object semantics, plus the bucket → region registry
//! for the operations whose answers depend on it.

use std::path::PathBuf;
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;

use crate::conditions::{self, ReadConditions};
use crate::index::{BucketIndex, Listed};
use crate::keys;
use crate::registry::{BucketEntry, Registry, now_unix_ms};

/// One region's view of the shared store.
pub(crate) struct RegionStore {
    pub(crate) region: String,
    pub(crate) fs: Arc<FileSystem>,
    pub(crate) root: PathBuf,
    pub(crate) registry: Arc<Registry>,
    pub(crate) uploads: Arc<OpenUploads>,
    pub(crate) locks: Arc<crate::conditions::KeyLocks>,
    pub(crate) denied_deletes: Arc<DeniedDeletes>,
    pub(crate) index: Arc<crate::index::Index>,
    /// Directory-bucket zones served (zone ID → region).
    pub(crate) zones: Arc<std::collections::BTreeMap<String, String>>,
}

/// Key prefixes of a bucket whose objects may not be deleted, as a bucket policy denying
/// `s3:DeleteObject` on `arn:aws:s3:::bucket/prefix*` makes them: DeleteObject answers `403
/// AccessDenied`, and DeleteObjects refuses each such key with its own `AccessDenied` entry
/// while deleting the others.
#[derive(Debug, Default)]
pub(crate) struct DeniedDeletes {
    prefixes: std::sync::RwLock<Vec<(String, String)>>,
}

impl DeniedDeletes {
    pub(crate) fn deny(&self, bucket: &str, prefix: &str) {
        self.prefixes
            .write()
            .expect("denied deletes lock")
            .push((bucket.to_owned(), prefix.to_owned()));
    }

    fn denies(&self, bucket: &str, key: &str) -> bool {
        self.prefixes
            .read()
            .expect("denied deletes lock")
            .iter()
            .any(|(b, p)| b == bucket && key.starts_with(p.as_str()))
    }
}

/// Multipart uploads started and neither completed nor aborted, shared by all regions.
///
/// s3s-fs records only who started an upload, not for which bucket and key, so it cannot answer
/// ListMultipartUploads; this registry can, which is how tests prove no upload is left dangling.
/// Kept in (bucket, key, upload id) order, so a page of one bucket is a range: O(log n + page).
#[derive(Debug, Default)]
pub(crate) struct OpenUploads {
    inner: std::sync::Mutex<Uploads>,
}

#[derive(Debug, Default)]
struct Uploads {
    /// Upload id → (bucket, key).
    by_id: std::collections::HashMap<String, (String, String)>,
    /// (bucket, key, upload id) → when it was started.
    ordered: std::collections::BTreeMap<(String, String, String), std::time::SystemTime>,
}

/// One open upload as ListMultipartUploads shows it: key, upload id, when it started.
pub(crate) type OpenUpload = (String, String, std::time::SystemTime);

impl OpenUploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, Uploads> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn started(&self, id: &str, bucket: &str, key: &str) {
        let mut uploads = self.lock();
        uploads
            .by_id
            .insert(id.to_owned(), (bucket.to_owned(), key.to_owned()));
        uploads.ordered.insert(
            (bucket.to_owned(), key.to_owned(), id.to_owned()),
            std::time::SystemTime::now(),
        );
    }

    fn ended(&self, id: &str) {
        let mut uploads = self.lock();
        if let Some((bucket, key)) = uploads.by_id.remove(id) {
            uploads.ordered.remove(&(bucket, key, id.to_owned()));
        }
    }

    /// At most `max` open uploads in `bucket` whose key starts with `prefix`, ordered by key
    /// then id, after (`key_marker`, `id_marker`) as S3 pages them; and whether more follow.
    fn page(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        id_marker: Option<&str>,
        max: usize,
    ) -> (Vec<OpenUpload>, bool) {
        use std::ops::Bound;
        let start = match key_marker {
            // With an id marker, the marker key's later uploads come first; without one, S3
            // starts after every upload of the marker key.
            Some(key) if key >= prefix => match id_marker {
                Some(id) => Bound::Excluded((bucket.to_owned(), key.to_owned(), id.to_owned())),
                None => Bound::Excluded((bucket.to_owned(), key.to_owned(), "\u{10ffff}".into())),
            },
            _ => Bound::Included((bucket.to_owned(), prefix.to_owned(), String::new())),
        };
        let uploads = self.lock();
        let mut found = uploads
            .ordered
            .range((start, Bound::Unbounded))
            .take_while(|((b, key, _), _)| b == bucket && key.starts_with(prefix))
            .map(|((_, key, id), initiated)| (key.clone(), id.clone(), *initiated));
        let page: Vec<OpenUpload> = found.by_ref().take(max).collect();
        let more = found.next().is_some();
        (page, more)
    }

    /// How many uploads are open in all buckets.
    pub(crate) fn count(&self) -> usize {
        self.lock().by_id.len()
    }
}

impl RegionStore {
    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// Records `key` in `bucket` before its object is written (see [`crate::keys`]).
    fn remember(&self, bucket: &str, key: &str) -> S3Result<()> {
        if !self.bucket_dir(bucket).is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        keys::remember(&self.bucket_dir(bucket), key).map_err(internal)
    }

    /// s3s-fs completes a multipart upload over an existing object keeping that object's stored
    /// whole-object checksums, which then no longer match the bytes (and SDKs reject the GET).
    /// S3 gives a multipart object only part-level checksums, so drop the stale ones.
    fn forget_stale_checksums(&self, bucket: &str, stored: &str) {
        let path = crate::index::internal_info_path(&self.root, bucket, stored);
        let Ok(text) = std::fs::read(&path) else {
            return;
        };
        let Ok(mut info) =
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&text)
        else {
            return;
        };
        info.retain(|name, _| !name.starts_with("checksum_"));
        if let Ok(text) = serde_json::to_vec(&info) {
            let _ = std::fs::write(&path, text);
        }
    }

    /// The ETag s3s-fs keeps for an object (HEAD through s3s-fs, as the request's caller).
    async fn etag_of<T>(&self, like: &S3Request<T>, bucket: &str, stored: &str) -> Option<ETag> {
        self.head_of(like, bucket, stored).await?.e_tag
    }

    /// s3s-fs's HEAD of an object (stored name), as the request's caller.
    async fn head_of<T>(
        &self,
        like: &S3Request<T>,
        bucket: &str,
        stored: &str,
    ) -> Option<HeadObjectOutput> {
        let head = HeadObjectInput::builder()
            .bucket(bucket.to_owned())
            .key(stored.to_owned())
            .build()
            .ok()?;
        let probe = S3Request {
            input: head,
            method: hyper::Method::HEAD,
            uri: like.uri.clone(),
            headers: Default::default(),
            extensions: Default::default(),
            credentials: like.credentials.clone(),
            region: like.region.clone(),
            service: like.service.clone(),
            trailing_headers: None,
        };
        Some(self.fs.head_object(probe).await.ok()?.output)
    }

    /// S3's GET/HEAD conditions, which s3s-fs ignores: 412 or 304 before any byte is read.
    async fn check_read<T>(
        &self,
        like: &S3Request<T>,
        bucket: &str,
        stored: &str,
        conditions: ReadConditions<'_>,
    ) -> S3Result<()> {
        if !conditions.any() {
            return Ok(());
        }
        let Some(head) = self.head_of(like, bucket, stored).await else {
            // Missing: s3s-fs answers 404 itself.
            return Ok(());
        };
        match (&head.e_tag, &head.last_modified) {
            (Some(etag), Some(modified)) => conditions::check_read(&conditions, etag, modified),
            _ => Ok(()),
        }
    }

    /// A page of `bucket`'s index (see listing.rs); `NoSuchBucket` when there is no such bucket.
    fn page(
        &self,
        bucket: &str,
        prefix: Option<&str>,
        delimiter: Option<&str>,
        after: Option<&str>,
        max_keys: usize,
    ) -> S3Result<crate::listing::Page<Listed>> {
        self.index
            .read(bucket, |index: &BucketIndex| {
                crate::listing::page(index, prefix.unwrap_or(""), delimiter, after, max_keys)
            })
            .ok_or_else(|| s3_error!(NoSuchBucket))
    }
}

/// The objects of a listing page as S3 shows them: key, size, ETag and modification time.
fn listed(objects: Vec<(String, Listed)>) -> Vec<Object> {
    objects
        .into_iter()
        .map(|(key, listed)| Object {
            key: Some(key),
            size: Some(listed.size as i64),
            e_tag: Some(listed.etag()),
            last_modified: Some(Timestamp::from(listed.modified)),
            ..Default::default()
        })
        .collect()
}

fn internal(e: std::io::Error) -> S3Error {
    S3Error::with_message(s3s::S3ErrorCode::InternalError, e.to_string())
}

/// Replaces the key a request names with its stored name; returns the key.
fn to_stored(key: &mut String) -> String {
    let stored = keys::stored_name(key);
    std::mem::replace(key, stored)
}

/// The copy source with its key replaced by the stored name.
fn stored_source(source: &mut CopySource) {
    if let CopySource::Bucket { key, .. } = source {
        *key = keys::stored_name(key).into();
    }
}

/// What a CreateBucket `LocationConstraint` means at an endpoint of `endpoint_region`.
///
/// us-east-1 accepts any other region's constraint (and none, for itself) but rejects an explicit
/// `us-east-1`; every other endpoint accepts only its own region.
pub(crate) fn bucket_region_for(
    endpoint_region: &str,
    constraint: Option<&str>,
) -> Result<String, S3Error> {
    let constraint = constraint.filter(|c| !c.is_empty());
    let constraint = constraint.map(|c| if c == "EU" { "eu-west-1" } else { c });
    if let Some(c) = constraint
        && !crate::is_region_name(c)
    {
        return Err(s3_error!(
            InvalidLocationConstraint,
            "The specified location-constraint is not valid"
        ));
    }
    match (endpoint_region, constraint) {
        ("us-east-1", None) => Ok("us-east-1".to_owned()),
        ("us-east-1", Some("us-east-1")) => Err(s3_error!(
            InvalidLocationConstraint,
            "The specified location-constraint is not valid"
        )),
        ("us-east-1", Some(other)) => Ok(other.to_owned()),
        (here, Some(c)) if c == here => Ok(here.to_owned()),
        (_, c) => Err(s3_error!(
            IllegalLocationConstraintException,
            "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
            c.unwrap_or("unspecified")
        )),
    }
}

#[async_trait::async_trait]
impl S3 for RegionStore {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let config = req.input.create_bucket_configuration.as_ref();
        let constraint = config
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned());
        let location = config.and_then(|c| c.location.as_ref());
        let region = match crate::hosts::bucket_zone(&req.input.bucket) {
            // S3 Express: `<Location><Name>zone</Name><Type>AvailabilityZone</Type></Location>`,
            // the zone the name carries, served by this region.
            Some(zone) => {
                let named = location.and_then(|l| l.name.as_deref());
                if named != Some(zone) {
                    return Err(s3_error!(
                        InvalidBucketName,
                        "a directory bucket's name must end with --<zone>--x-s3 of its Location Name"
                    ));
                }
                if self.zones.get(zone) != Some(&self.region) {
                    return Err(s3_error!(
                        InvalidLocationConstraint,
                        "zone {} is not a zone of {}",
                        zone,
                        self.region
                    ));
                }
                self.region.clone()
            }
            None if location.is_some() => {
                return Err(s3_error!(
                    InvalidBucketName,
                    "a bucket with a Location must be named <base>--<zone>--x-s3"
                ));
            }
            None => bucket_region_for(&self.region, constraint.as_deref())?,
        };
        if self.registry.get(&req.input.bucket).is_some() {
            return Err(s3_error!(BucketAlreadyOwnedByYou));
        }
        let bucket = req.input.bucket.clone();
        let out = self.fs.create_bucket(req).await?;
        self.registry.insert(
            &bucket,
            BucketEntry {
                region,
                created_unix_ms: now_unix_ms(),
            },
        );
        Ok(out)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        // s3s-fs removes a bucket with everything in it; S3 refuses while it holds objects.
        let bucket = req.input.bucket.clone();
        match self.index.read(&bucket, |index| index.is_empty()) {
            None => return Err(s3_error!(NoSuchBucket)),
            Some(false) => return Err(s3_error!(BucketNotEmpty)),
            Some(true) => {}
        }
        let out = self.fs.delete_bucket(req).await?;
        self.index.drop_bucket(&bucket);
        self.registry.remove(&bucket);
        Ok(out)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let entry = self
            .registry
            .get(&req.input.bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        // S3 reports us-east-1 as an empty constraint.
        let location_constraint =
            (entry.region != "us-east-1").then(|| BucketLocationConstraint::from(entry.region));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let entry = self.registry.get(&req.input.bucket);
        let mut out = self.fs.head_bucket(req).await?;
        out.output.bucket_region = entry.map(|e| e.region);
        Ok(out)
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let input = req.input;
        let max = match input.max_buckets {
            None => usize::MAX,
            Some(n) if (1..=10_000).contains(&n) => n as usize,
            Some(_) => {
                return Err(s3_error!(
                    InvalidArgument,
                    "max-buckets must be between 1 and 10000"
                ));
            }
        };
        let mut matching = self.registry.list().into_iter().filter(|(name, entry)| {
            input.prefix.as_deref().is_none_or(|p| name.starts_with(p))
                && input
                    .bucket_region
                    .as_deref()
                    .is_none_or(|r| entry.region == r)
                && input
                    .continuation_token
                    .as_deref()
                    .is_none_or(|after| name.as_str() > after)
        });
        let page: Vec<Bucket> = matching
            .by_ref()
            .take(max)
            .map(|(name, entry)| Bucket {
                bucket_region: Some(entry.region.clone()),
                creation_date: Some(Timestamp::from(entry.created())),
                name: Some(name),
            })
            .collect();
        let continuation_token = matching
            .next()
            .and(page.last().and_then(|b| b.name.clone()));
        let output = ListBucketsOutput {
            buckets: Some(page),
            continuation_token,
            owner: Some(Owner {
                display_name: Some("emulator".into()),
                id: Some("s3mr-emulator".into()),
            }),
            prefix: input.prefix,
        };
        Ok(S3Response::new(output))
    }

    // Every object operation below hands s3s-fs the key's stored name, never the key: see
    // `keys.rs`. Answers that echo the key get it back.
    // Reads share the key's lock, writes hold it alone (see `conditions.rs`); s3s-fs reads the
    // data and its metadata before a GET returns, so the stream that follows stays consistent.
    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        to_stored(&mut req.input.key);
        let (bucket, stored) = (req.input.bucket.clone(), req.input.key.clone());
        let _reading = self.locks.read(&bucket, &stored).await;
        let i = &req.input;
        let conditions = ReadConditions {
            if_match: i.if_match.as_ref(),
            if_none_match: i.if_none_match.as_ref(),
            if_modified_since: i.if_modified_since.as_ref(),
            if_unmodified_since: i.if_unmodified_since.as_ref(),
        };
        self.check_read(&req, &bucket, &stored, conditions).await?;
        if let Some(Range::Suffix { .. }) = req.input.range
            && let Some(size) = self
                .head_of(&req, &bucket, &stored)
                .await
                .and_then(|h| h.content_length)
        {
            let range = req.input.range.take().expect("a suffix range");
            req.input.range = Some(conditions::clamp_range(range, size.max(0) as u64));
        }
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        to_stored(&mut req.input.key);
        let (bucket, stored) = (req.input.bucket.clone(), req.input.key.clone());
        let _reading = self.locks.read(&bucket, &stored).await;
        let i = &req.input;
        let conditions = ReadConditions {
            if_match: i.if_match.as_ref(),
            if_none_match: i.if_none_match.as_ref(),
            if_modified_since: i.if_modified_since.as_ref(),
            if_unmodified_since: i.if_unmodified_since.as_ref(),
        };
        self.check_read(&req, &bucket, &stored, conditions).await?;
        self.fs.head_object(req).await
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let key = to_stored(&mut req.input.key);
        let bucket = req.input.bucket.clone();
        let _writing = self.locks.write(&bucket, &req.input.key).await;
        self.remember(&bucket, &key)?;
        let out = self.fs.put_object(req).await;
        self.index.refresh(&bucket, &key);
        out
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let key = to_stored(&mut req.input.key);
        stored_source(&mut req.input.copy_source);
        let i = &req.input;
        let same_object = matches!(&i.copy_source, CopySource::Bucket { bucket, key, .. }
            if **bucket == *i.bucket && **key == *i.key);
        let changes = conditions::CopyChanges {
            replaces_metadata: i
                .metadata_directive
                .as_ref()
                .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE),
            storage_class: i.storage_class.is_some(),
            website_redirect: i.website_redirect_location.is_some(),
            encryption: i.server_side_encryption.is_some() || i.sse_customer_algorithm.is_some(),
        };
        conditions::check_self_copy(same_object, changes)?;
        let bucket = req.input.bucket.clone();
        let _writing = self.locks.write(&bucket, &req.input.key).await;
        self.remember(&bucket, &key)?;
        let out = self.fs.copy_object(req).await;
        self.index.refresh(&bucket, &key);
        out
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        if self
            .denied_deletes
            .denies(&req.input.bucket, &req.input.key)
        {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        let key = to_stored(&mut req.input.key);
        let bucket = req.input.bucket.clone();
        let _writing = self.locks.write(&bucket, &req.input.key).await;
        // S3's conditional delete: checked and done under the key's write lock, as one step.
        if let Some(if_match) = &req.input.if_match {
            let head = self.head_of(&req, &bucket, &req.input.key).await;
            conditions::check_delete(if_match, head.as_ref().and_then(|h| h.e_tag.as_ref()))?;
        }
        let out = self.fs.delete_object(req).await?;
        keys::forget(&self.bucket_dir(&bucket), &key);
        self.index.refresh(&bucket, &key);
        Ok(out)
    }

    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let mut by_stored = std::collections::HashMap::new();
        for object in &mut req.input.delete.objects {
            let key = to_stored(&mut object.key);
            by_stored.insert(object.key.clone(), key);
        }
        // S3's conditional delete per object (`<ETag>` in an `<Object>`): a changed or missing
        // object is refused with its own error entry and kept; the others are deleted.
        let bucket = req.input.bucket.clone();
        let mut refused = Vec::new();
        let mut unconditional = Vec::new();
        for object in std::mem::take(&mut req.input.delete.objects) {
            let original = by_stored.get(&object.key).unwrap_or(&object.key);
            if self.denied_deletes.denies(&bucket, original) {
                refused.push(Error {
                    code: Some("AccessDenied".to_owned()),
                    key: Some(object.key.clone()),
                    message: Some("Access Denied".to_owned()),
                    version_id: None,
                });
                continue;
            }
            if let Some(wanted) = &object.e_tag {
                let head = self.head_of(&req, &bucket, &object.key).await;
                let condition = ETagCondition::ETag(wanted.clone());
                if let Err(e) = conditions::check_delete(
                    &condition,
                    head.as_ref().and_then(|h| h.e_tag.as_ref()),
                ) {
                    refused.push(Error {
                        code: Some(e.code().as_str().to_owned()),
                        key: Some(object.key.clone()),
                        message: e.message().map(str::to_owned),
                        version_id: None,
                    });
                    continue;
                }
            }
            unconditional.push(object);
        }
        req.input.delete.objects = unconditional;
        let bucket_dir = self.bucket_dir(&req.input.bucket);
        let mut out = self.fs.delete_objects(req).await?;
        if !refused.is_empty() {
            out.output
                .errors
                .get_or_insert_with(Vec::new)
                .extend(refused);
        }
        let original = |stored: &mut Option<String>| {
            if let Some(key) = stored.as_ref().and_then(|s| by_stored.get(s)) {
                *stored = Some(key.clone());
            }
        };
        for deleted in out.output.deleted.iter_mut().flatten() {
            original(&mut deleted.key);
            if let Some(key) = &deleted.key {
                keys::forget(&bucket_dir, key);
                self.index.refresh(&bucket, key);
            }
        }
        for error in out.output.errors.iter_mut().flatten() {
            original(&mut error.key);
        }
        Ok(out)
    }

    async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let key = to_stored(&mut req.input.key);
        let bucket = req.input.bucket.clone();
        if !self.bucket_dir(&bucket).is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        let mut created = self.fs.create_multipart_upload(req).await?;
        if let Some(id) = &created.output.upload_id {
            self.uploads.started(id, &bucket, &key);
        }
        created.output.key = Some(key);
        Ok(created)
    }

    async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        to_stored(&mut req.input.key);
        self.fs.upload_part(req).await
    }

    // s3s-fs ignores `x-amz-copy-source-if-match` on UploadPartCopy; S3 answers 412
    // PreconditionFailed when the source changed, which is what makes an append safe.
    async fn upload_part_copy(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        to_stored(&mut req.input.key);
        stored_source(&mut req.input.copy_source);
        if let (Some(ETagCondition::ETag(wanted)), CopySource::Bucket { bucket, key, .. }) =
            (&req.input.copy_source_if_match, &req.input.copy_source)
        {
            let current = self.etag_of(&req, bucket, key).await;
            if !current.is_some_and(|etag| etag.strong_cmp(wanted)) {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
        self.fs.upload_part_copy(req).await
    }

    async fn list_parts(
        &self,
        mut req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let key = to_stored(&mut req.input.key);
        let mut out = self.fs.list_parts(req).await?;
        out.output.key = Some(key);
        Ok(out)
    }

    async fn complete_multipart_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let id = req.input.upload_id.clone();
        let key = to_stored(&mut req.input.key);
        let (bucket, stored) = (req.input.bucket.clone(), req.input.key.clone());
        let _writing = self.locks.write(&bucket, &stored).await;
        self.remember(&bucket, &key)?;
        let mut completed = self.fs.complete_multipart_upload(req).await?;
        self.uploads.ended(&id);
        self.forget_stale_checksums(&bucket, &stored);
        self.index.refresh(&bucket, &key);
        completed.output.key = Some(key.clone());
        if let Some(future) = completed.output.future.take() {
            completed.output.future = Some(Box::pin(async move {
                let mut output = future.await?;
                output.key = Some(key);
                Ok(output)
            }));
        }
        Ok(completed)
    }

    async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        to_stored(&mut req.input.key);
        let id = req.input.upload_id.clone();
        let aborted = self.fs.abort_multipart_upload(req).await?;
        self.uploads.ended(&id);
        Ok(aborted)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        if !self.bucket_dir(&input.bucket).is_dir() {
            return Err(s3_error!(NoSuchBucket));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000);
        let (page, truncated) = self.uploads.page(
            &input.bucket,
            &prefix,
            input.key_marker.as_deref(),
            input.upload_id_marker.as_deref(),
            max as usize,
        );
        let last = page.last().filter(|_| truncated).cloned();
        let uploads = page
            .into_iter()
            .map(|(key, id, initiated)| MultipartUpload {
                key: Some(key),
                upload_id: Some(id),
                initiated: Some(Timestamp::from(initiated)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max),
            is_truncated: Some(truncated),
            next_key_marker: last.as_ref().map(|(key, _, _)| key.clone()),
            next_upload_id_marker: last.map(|(_, id, _)| id),
            uploads: Some(uploads),
            ..Default::default()
        }))
    }

    /// An unversioned bucket's versions: one per object, `null` and latest, as S3 lists a
    /// bucket that never had versioning on; paged and grouped like ListObjects, over the index.
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input;
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let page = self.page(
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            input.key_marker.as_deref(),
            max_keys as usize,
        )?;
        let encode = Encoder::for_request(input.encoding_type.as_ref());
        let versions = listed(page.objects)
            .into_iter()
            .map(|mut object| {
                encode.value(&mut object.key);
                ObjectVersion {
                    key: object.key,
                    size: object.size,
                    e_tag: object.e_tag,
                    last_modified: object.last_modified,
                    version_id: Some("null".to_owned()),
                    is_latest: Some(true),
                    ..Default::default()
                }
            })
            .collect();
        let mut output = ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            key_marker: input.key_marker,
            max_keys: Some(max_keys),
            is_truncated: Some(page.next_after.is_some()),
            next_key_marker: page.next_after,
            next_version_id_marker: None,
            versions: Some(versions),
            common_prefixes: Some(encode.prefixes(page.common_prefixes)),
            encoding_type: input.encoding_type,
            ..Default::default()
        };
        if output.next_key_marker.is_some() {
            output.next_version_id_marker = Some("null".to_owned());
        }
        encode.value(&mut output.delimiter);
        encode.value(&mut output.prefix);
        encode.value(&mut output.key_marker);
        encode.value(&mut output.next_key_marker);
        Ok(S3Response::new(output))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = &req.input;
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let token = match input.continuation_token.as_deref() {
            Some(token) => Some(crate::listing::after_token(token).ok_or_else(|| {
                s3_error!(
                    InvalidArgument,
                    "The continuation token provided is incorrect"
                )
            })?),
            None => None,
        };
        let after = match (token.as_deref(), input.start_after.as_deref()) {
            (Some(token), Some(start)) => Some(token.max(start)),
            (token, start) => token.or(start),
        };
        let page = self.page(
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            after,
            max_keys as usize,
        )?;
        let mut contents = listed(page.objects);
        let key_count = (contents.len() + page.common_prefixes.len()) as i32;
        let input = req.input;
        let encode = Encoder::for_request(input.encoding_type.as_ref());
        for object in &mut contents {
            encode.value(&mut object.key);
        }
        let mut output = ListObjectsV2Output {
            key_count: Some(key_count),
            max_keys: Some(max_keys),
            is_truncated: Some(page.next_after.is_some()),
            contents: Some(contents),
            common_prefixes: Some(encode.prefixes(page.common_prefixes)),
            continuation_token: input.continuation_token,
            next_continuation_token: page.next_after.as_deref().map(crate::listing::token_for),
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            name: Some(input.bucket),
            prefix: input.prefix,
            start_after: input.start_after,
            ..Default::default()
        };
        encode.value(&mut output.delimiter);
        encode.value(&mut output.prefix);
        encode.value(&mut output.start_after);
        Ok(S3Response::new(output))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = &req.input;
        let max_keys = input.max_keys.unwrap_or(1000).clamp(0, 1000);
        let page = self.page(
            &input.bucket,
            input.prefix.as_deref(),
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            max_keys as usize,
        )?;
        let mut contents = listed(page.objects);
        let input = req.input;
        let encode = Encoder::for_request(input.encoding_type.as_ref());
        for object in &mut contents {
            encode.value(&mut object.key);
        }
        let mut output = ListObjectsOutput {
            max_keys: Some(max_keys),
            is_truncated: Some(page.next_after.is_some()),
            contents: Some(contents),
            common_prefixes: Some(encode.prefixes(page.common_prefixes)),
            marker: input.marker,
            next_marker: page.next_after,
            delimiter: input.delimiter,
            encoding_type: input.encoding_type,
            name: Some(input.bucket),
            prefix: input.prefix,
            ..Default::default()
        };
        encode.value(&mut output.delimiter);
        encode.value(&mut output.prefix);
        encode.value(&mut output.marker);
        encode.value(&mut output.next_marker);
        Ok(S3Response::new(output))
    }
}

/// What a listing asked with `encoding-type=url` gets: its keys, prefixes, delimiter and
/// markers percent-encoded, as S3 encodes them (listing.rs); otherwise verbatim.
struct Encoder {
    url: bool,
}

impl Encoder {
    fn for_request(encoding: Option<&EncodingType>) -> Self {
        Self {
            url: encoding.is_some_and(|e| e.as_str() == EncodingType::URL),
        }
    }

    fn value(&self, value: &mut Option<String>) {
        if self.url
            && let Some(v) = value
        {
            *v = crate::listing::url_encoded(v);
        }
    }

    fn prefixes(&self, prefixes: Vec<String>) -> Vec<CommonPrefix> {
        prefixes
            .into_iter()
            .map(|p| {
                let mut prefix = Some(p);
                self.value(&mut prefix);
                CommonPrefix { prefix }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3ErrorCode;

    #[test]
    fn location_constraints_as_aws_reads_them() {
        let ok = |endpoint: &str, c: Option<&str>| bucket_region_for(endpoint, c).ok();
        let code = |endpoint: &str, c: Option<&str>| {
            bucket_region_for(endpoint, c).unwrap_err().code().clone()
        };
        assert_eq!(ok("us-east-1", None).as_deref(), Some("us-east-1"));
        assert_eq!(ok("us-east-1", Some("")).as_deref(), Some("us-east-1"));
        assert_eq!(
            ok("us-east-1", Some("eu-west-1")).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(ok("us-east-1", Some("EU")).as_deref(), Some("eu-west-1"));
        assert_eq!(
            ok("eu-west-1", Some("eu-west-1")).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            code("us-east-1", Some("us-east-1")),
            S3ErrorCode::InvalidLocationConstraint
        );
        assert_eq!(
            code("eu-west-1", None),
            S3ErrorCode::IllegalLocationConstraintException
        );
        assert_eq!(
            code("eu-west-1", Some("ap-southeast-2")),
            S3ErrorCode::IllegalLocationConstraintException
        );
        assert_eq!(
            code("us-east-1", Some("Not A Region")),
            S3ErrorCode::InvalidLocationConstraint
        );
    }
}
