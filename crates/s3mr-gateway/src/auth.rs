//! Who may do what, decided before anything is forwarded: s3s verifies the SigV4 signature with
//! the secret [`GatewayAuth`] gives it (unknown key: 403 InvalidAccessKeyId; bad signature: 403
//! SignatureDoesNotMatch), then [`GatewayAccess`] checks the key's buckets and write right.

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::{S3Result, s3_error};

use crate::keys::Keys;

/// The secrets of the keys file, for s3s's signature check.
#[derive(Debug, Clone)]
pub(crate) struct GatewayAuth(pub(crate) Arc<Keys>);

#[async_trait::async_trait]
impl S3Auth for GatewayAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.secret(access_key) {
            Some(secret) => Ok(SecretKey::from(secret)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS access key Id you provided does not exist in our records."
            )),
        }
    }
}

/// Operations that only read (everything else writes, and a read-only key may not).
pub(crate) fn is_read(operation: &str) -> bool {
    operation.starts_with("Get")
        || operation.starts_with("Head")
        || operation.starts_with("List")
        || operation == "SelectObjectContent"
}

/// The bucket of an `x-amz-copy-source` header (`bucket/key` or `/bucket/key`, URL-encoded,
/// `?versionId=` allowed); `None` for anything else (an access point ARN is not allowed).
pub(crate) fn copy_source_bucket(header: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(header)
        .decode_utf8()
        .ok()?;
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);
    if path.starts_with("arn:") {
        return None;
    }
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| bucket.to_owned())
}

/// The keys file's bucket allow-lists and read-only flags.
#[derive(Debug, Clone)]
pub(crate) struct GatewayAccess(pub(crate) Arc<Keys>);

#[async_trait::async_trait]
impl S3Access for GatewayAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let denied = |why: &str| Err(s3_error!(AccessDenied, "Access Denied: {why}"));
        let Some(credentials) = cx.credentials() else {
            return denied("anonymous requests are not allowed");
        };
        let Some(key) = self.0.get(&credentials.access_key) else {
            return Err(s3_error!(InvalidAccessKeyId));
        };
        let operation = cx.s3_op().name();
        // It would hand out the gateway's own credentials (S3 Express sessions).
        if operation == "CreateSession" {
            return denied("CreateSession is not offered by this gateway");
        }
        if key.read_only() && !is_read(operation) {
            return denied("this key is read-only");
        }
        match cx.s3_path() {
            S3Path::Root => {}
            S3Path::Bucket { bucket } | S3Path::Object { bucket, .. } => {
                if !key.allows(bucket) {
                    return denied("this key may not use this bucket");
                }
            }
        }
        if matches!(operation, "CopyObject" | "UploadPartCopy") {
            let source = cx
                .headers()
                .get("x-amz-copy-source")
                .and_then(|v| v.to_str().ok())
                .and_then(copy_source_bucket);
            match source {
                Some(bucket) if key.allows(&bucket) => {}
                _ => return denied("this key may not read the copy source"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_and_reads() {
        let table = [
            ("src-bucket/a/b.txt", Some("src-bucket")),
            ("/src-bucket/a%20b.txt", Some("src-bucket")),
            ("src-bucket/k?versionId=3", Some("src-bucket")),
            ("src%2Dbucket/k", Some("src-bucket")),
            ("arn:aws:s3:us-east-1:123:accesspoint/ap/object/k", None),
            ("just-a-bucket", None),
            ("bucket/", None),
            ("/", None),
        ];
        for (header, want) in table {
            assert_eq!(copy_source_bucket(header).as_deref(), want, "{header}");
        }
        for read in [
            "GetObject",
            "HeadBucket",
            "ListObjectsV2",
            "ListBuckets",
            "SelectObjectContent",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "PutObject",
            "DeleteObjects",
            "CreateBucket",
            "CopyObject",
            "UploadPart",
            "CompleteMultipartUpload",
            "RestoreObject",
            "PostObject",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }
}
