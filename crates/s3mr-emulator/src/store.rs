//! The S3 handler of one region: s3s-fs for object semantics, plus the bucket → region registry
//! for the operations whose answers depend on it.

use std::path::PathBuf;
use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;

use crate::registry::{BucketEntry, Registry, now_unix_ms};

/// One region's view of the shared store.
pub(crate) struct RegionStore {
    pub(crate) region: String,
    pub(crate) fs: Arc<FileSystem>,
    pub(crate) root: PathBuf,
    pub(crate) registry: Arc<Registry>,
}

impl RegionStore {
    fn is_directory(&self, bucket: &str, key: &str) -> bool {
        !key.is_empty() && !key.contains("..") && self.root.join(bucket).join(key).is_dir()
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

/// Hands operations to s3s-fs unchanged. Written in the form `#[async_trait]` expands to, since
/// the attribute does not see inside macro invocations.
fn holds_a_file(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let path = e.path();
        if path.is_dir() {
            holds_a_file(&path)
        } else {
            true
        }
    })
}

macro_rules! delegate {
    ($($op:ident($input:ty) -> $output:ty;)*) => {
        $(
            fn $op<'life0, 'async_trait>(
                &'life0 self,
                req: S3Request<$input>,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = S3Result<S3Response<$output>>> + Send + 'async_trait>>
            where
                'life0: 'async_trait,
                Self: 'async_trait,
            {
                self.fs.$op(req)
            }
        )*
    };
}

#[async_trait::async_trait]
impl S3 for RegionStore {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned());
        let region = bucket_region_for(&self.region, constraint.as_deref())?;
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
        // s3s-fs removes a bucket with everything in it; S3 refuses while it holds objects. Empty
        // directories that s3s-fs leaves behind after deletes are not objects.
        if holds_a_file(&self.root.join(&req.input.bucket)) {
            return Err(s3_error!(BucketNotEmpty));
        }
        let bucket = req.input.bucket.clone();
        let out = self.fs.delete_bucket(req).await?;
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

    // s3s-fs keeps `a/b` as a file in directory `a`; S3 has no object `a` then, so neither do we
    // (s3s-fs would fail to open the directory and answer 500).
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        if self.is_directory(&req.input.bucket, &req.input.key) {
            return Err(s3_error!(NoSuchKey));
        }
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        if self.is_directory(&req.input.bucket, &req.input.key) {
            return Err(s3_error!(NoSuchKey));
        }
        self.fs.head_object(req).await
    }

    delegate! {
        copy_object(CopyObjectInput) -> CopyObjectOutput;
        delete_object(DeleteObjectInput) -> DeleteObjectOutput;
        delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
        list_objects(ListObjectsInput) -> ListObjectsOutput;
        list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
        put_object(PutObjectInput) -> PutObjectOutput;
        create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
        upload_part(UploadPartInput) -> UploadPartOutput;
        upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
        list_parts(ListPartsInput) -> ListPartsOutput;
        complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
        abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
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
