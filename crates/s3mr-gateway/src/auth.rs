//! Who may do what, decided before anything is forwarded: s3s verifies the SigV4 signature with
//! the secret [`GatewayAuth`] gives it (unknown key: 403 InvalidAccessKeyId; bad signature: 403
//! SignatureDoesNotMatch), then [`GatewayAccess`] checks the key's buckets and write right.

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::{S3Result, s3_error};

use crate::exchange::{Exchange, Refusal};
use crate::keys::KeysHandle;

/// The secrets of the keys file, for s3s's signature check.
#[derive(Debug, Clone)]
pub(crate) struct GatewayAuth(pub(crate) KeysHandle);

#[async_trait::async_trait]
impl S3Auth for GatewayAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.current().secret(access_key) {
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
pub(crate) struct GatewayAccess(pub(crate) KeysHandle);

#[async_trait::async_trait]
impl S3Access for GatewayAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let verdict = self.verdict(cx);
        if let Some(exchange) = cx.extensions_mut().get::<Exchange>() {
            exchange.update(|seen| seen.refusal = verdict.as_ref().err().map(|(r, _)| *r));
        }
        verdict.map_err(|(refusal, why)| match refusal {
            Refusal::UnknownKey => s3_error!(InvalidAccessKeyId),
            _ => s3_error!(AccessDenied, "Access Denied: {why}"),
        })
    }
}

impl GatewayAccess {
    /// The key's verdict on the request, with what it names in the exchange's record.
    fn verdict(&self, cx: &mut S3AccessContext<'_>) -> Result<(), (Refusal, &'static str)> {
        let operation = s3s_operation_name(cx.s3_op().name());
        let (bucket, object) = match cx.s3_path() {
            S3Path::Root => (None, None),
            S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
            S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
        };
        let access_key = cx.credentials().map(|c| c.access_key.clone());
        if let Some(exchange) = cx.extensions_mut().get::<Exchange>() {
            exchange.update(|seen| {
                seen.operation = Some(operation);
                seen.key_id.clone_from(&access_key);
                seen.bucket.clone_from(&bucket);
                seen.key = object;
            });
        }
        let Some(access_key) = access_key else {
            return Err((Refusal::Anonymous, "anonymous requests are not allowed"));
        };
        let keys = self.0.current();
        let Some(key) = keys.get(&access_key) else {
            // Removed by a reload between the signature check and this one.
            return Err((Refusal::UnknownKey, "unknown key"));
        };
        // It would hand out the gateway's own credentials (S3 Express sessions).
        if operation == "CreateSession" {
            return Err((
                Refusal::Operation,
                "CreateSession is not offered by this gateway",
            ));
        }
        if key.read_only() && !is_read(operation) {
            return Err((Refusal::ReadOnly, "this key is read-only"));
        }
        if let Some(bucket) = &bucket
            && !key.allows(bucket)
        {
            return Err((Refusal::Bucket, "this key may not use this bucket"));
        }
        if matches!(operation, "CopyObject" | "UploadPartCopy") {
            let source = cx
                .headers()
                .get("x-amz-copy-source")
                .and_then(|v| v.to_str().ok())
                .and_then(copy_source_bucket);
            match source {
                Some(bucket) if key.allows(&bucket) => {}
                _ => return Err((Refusal::Bucket, "this key may not read the copy source")),
            }
        }
        Ok(())
    }
}

/// The operation's name as a `'static` label: s3s's own names are static strings, but its
/// accessor borrows them; an unknown one (never seen) is "Unknown".
fn s3s_operation_name(name: &str) -> &'static str {
    let known = crate::forward::OPERATIONS;
    known.binary_search(&name).map_or("Unknown", |i| known[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_found_by_binary_search() {
        let known = crate::forward::OPERATIONS;
        assert!(
            known.windows(2).all(|w| w[0] < w[1]),
            "OPERATIONS is sorted"
        );
        for name in known {
            assert_eq!(s3s_operation_name(name), *name);
        }
        assert_eq!(s3s_operation_name("NoSuchOperation"), "Unknown");
    }

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
