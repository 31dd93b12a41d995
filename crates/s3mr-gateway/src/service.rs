//! What the gateway does with a request once it is authenticated and allowed: forward it
//! through the routed client (`forward.rs`), answer a few operations itself, and never let a
//! wrong-region answer or a routing error reach a client in a shape it cannot use.

use s3_multi_region::MultiRegionClient;
use s3s::dto;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::exchange::mark_forwarded;
use crate::keys::KeysHandle;
use crate::uploads::OpenUploads;

/// The S3 service behind the front: s3s-aws's `Proxy` over the routed `aws_sdk_s3::Client`.
pub(crate) struct GatewayS3 {
    pub(crate) proxy: s3s_aws::Proxy,
    pub(crate) keys: KeysHandle,
    /// `--region`: where a CreateBucket goes that names no region and was signed for none.
    pub(crate) default_region: String,
    pub(crate) uploads: OpenUploads,
}

impl GatewayS3 {
    pub(crate) fn new(client: &MultiRegionClient, keys: KeysHandle, uploads: OpenUploads) -> Self {
        Self {
            proxy: s3s_aws::Proxy::from(client.s3().clone()),
            keys,
            default_region: client.default_region().to_owned(),
            uploads,
        }
    }
}

/// An S3 answer as a client may see it (see [`client_error`]).
pub(crate) fn answer<T>(result: S3Result<T>) -> S3Result<T> {
    result.map_err(client_error)
}

/// What a client gets for an error, with the cause in the gateway's log:
///
/// - a wrong-region answer that survived routing (301, 307, 400 AuthorizationHeaderMalformed or
///   IllegalLocationConstraintException) is never passed on: botocore would follow it to AWS
///   around the gateway, s3cmd re-signs and retries without end. It is a 500;
/// - a routing error (s3s-aws makes every non-service error a 500 with the SDK error as its
///   source): a bucket that does not exist is 404 NoSuchBucket, a body that could not be
///   replayed to the bucket's region is 503 SlowDown (a client retries it), anything else 500;
/// - every other S3 error passes as S3 said it.
pub(crate) fn client_error(err: S3Error) -> S3Error {
    use s3_multi_region::Error as Routing;
    let wrong_region = matches!(
        err.code().as_str(),
        "PermanentRedirect"
            | "TemporaryRedirect"
            | "AuthorizationHeaderMalformed"
            | "IllegalLocationConstraintException"
            | "AuthorizationQueryParametersError"
    );
    let source = err
        .source()
        .map(|s| s as &(dyn std::error::Error + 'static));
    let routing = source.and_then(Routing::find);
    let cause = source.map(s3_multi_region::error_chain);
    let mapped = match routing {
        Some(Routing::NoSuchBucket { .. }) => {
            s3_error!(NoSuchBucket, "The specified bucket does not exist")
        }
        Some(Routing::BodyNotReplayable { .. }) => s3_error!(
            SlowDown,
            "The bucket's region was learned while the body was sent: please retry"
        ),
        Some(_) => internal("the gateway could not route the request"),
        None if wrong_region => internal("the gateway could not reach the bucket's region"),
        None if *err.code() == S3ErrorCode::InternalError && err.source().is_some() => {
            internal("the gateway's request to S3 failed")
        }
        None => return err,
    };
    tracing::warn!(
        code = err.code().as_str(),
        answered = mapped.code().as_str(),
        cause = cause.as_deref().unwrap_or_default(),
        "request failed behind the gateway"
    );
    mapped
}

/// Wraps `body` in a check of the checksum trailer the request announces (see `checksum.rs`).
fn verify_trailer(
    headers: &http::HeaderMap,
    trailers: Option<s3s::TrailingHeaders>,
    body: &mut Option<dto::StreamingBlob>,
) -> Option<(String, crate::checksum::Mismatch)> {
    let (name, algorithm) = crate::checksum::announced_trailer(headers)?;
    let inner = body.take()?;
    let mismatch = crate::checksum::Mismatch::default();
    let sent = crate::checksum::trailer_of(trailers, name.clone());
    *body = Some(crate::checksum::verified(
        inner,
        name.clone(),
        algorithm,
        sent,
        mismatch.clone(),
    ));
    Some((name, mismatch))
}

/// An upload's answer: BadDigest when its trailer did not match (the upload failed on purpose
/// before its last chunk), else as [`answer`].
fn checked<T>(
    check: Option<(String, crate::checksum::Mismatch)>,
    result: S3Result<T>,
) -> S3Result<T> {
    match (result, check) {
        (Err(err), Some((name, mismatch))) if mismatch.happened() => {
            tracing::warn!(trailer = %name, cause = %err, "checksum trailer did not match: upload refused");
            Err(crate::checksum::Mismatch::error(&name))
        }
        (result, _) => answer(result),
    }
}

fn internal(message: &'static str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InternalError, message)
}

/// `Content-Encoding` without `aws-chunked`: that is how the body was framed on the wire
/// (s3s already removed the framing), never how the object is stored (versitygw#2398 and
/// trinodb/aws-proxy#124 stored it, and every later reader was told to un-chunk plain bytes).
pub(crate) fn without_aws_chunked(encoding: Option<String>) -> Option<String> {
    let kept: Vec<&str> = encoding
        .as_deref()?
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

impl GatewayS3 {
    /// CreateBucket without a LocationConstraint: the region the client signed for (rclone and
    /// DuckDB sign for the region they were given), else `--region`. us-east-1 takes none.
    pub(crate) async fn create_bucket_here(
        &self,
        mut req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        mark_forwarded(&req.extensions);
        let named = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .is_some_and(|c| !c.as_str().is_empty());
        if !named {
            let signed = req.region.as_ref().map(|r| r.as_str().to_owned());
            let region = signed
                .filter(|r| s3_multi_region::region::ValidRegion::new(r).is_ok())
                .unwrap_or_else(|| self.default_region.clone());
            if region != "us-east-1" {
                let mut config = req
                    .input
                    .create_bucket_configuration
                    .take()
                    .unwrap_or_default();
                config.location_constraint = Some(dto::BucketLocationConstraint::from(region));
                req.input.create_bucket_configuration = Some(config);
            }
        }
        answer(self.proxy.create_bucket(req).await)
    }

    /// ListBuckets shows only the buckets the key may use.
    pub(crate) async fn list_buckets_here(
        &self,
        req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        mark_forwarded(&req.extensions);
        let key = req
            .credentials
            .as_ref()
            .and_then(|c| self.keys.current().get(&c.access_key).cloned());
        let mut answered = answer(self.proxy.list_buckets(req).await)?;
        if let Some(buckets) = answered.output.buckets.as_mut() {
            buckets.retain(|b| {
                b.name
                    .as_deref()
                    .is_some_and(|name| key.as_ref().is_some_and(|k| k.allows(name)))
            });
        }
        Ok(answered)
    }

    pub(crate) async fn put_object_here(
        &self,
        mut req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        mark_forwarded(&req.extensions);
        req.input.content_encoding = without_aws_chunked(req.input.content_encoding.take());
        let check = verify_trailer(
            &req.headers,
            req.trailing_headers.clone(),
            &mut req.input.body,
        );
        checked(check, self.proxy.put_object(req).await)
    }

    pub(crate) async fn upload_part_here(
        &self,
        mut req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        mark_forwarded(&req.extensions);
        let check = verify_trailer(
            &req.headers,
            req.trailing_headers.clone(),
            &mut req.input.body,
        );
        checked(check, self.proxy.upload_part(req).await)
    }

    /// CreateMultipartUpload, remembered until it is completed or aborted (see `uploads.rs`).
    pub(crate) async fn create_multipart_upload_here(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        mark_forwarded(&req.extensions);
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let answered = answer(self.proxy.create_multipart_upload(req).await)?;
        if let Some(id) = &answered.output.upload_id {
            self.uploads.started(&bucket, &key, id);
        }
        Ok(answered)
    }

    pub(crate) async fn complete_multipart_upload_here(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        mark_forwarded(&req.extensions);
        let ids = (
            req.input.bucket.clone(),
            req.input.key.clone(),
            req.input.upload_id.clone(),
        );
        let answered = answer(self.proxy.complete_multipart_upload(req).await)?;
        self.uploads.ended(&ids.0, &ids.1, &ids.2);
        Ok(answered)
    }

    pub(crate) async fn abort_multipart_upload_here(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        mark_forwarded(&req.extensions);
        let ids = (
            req.input.bucket.clone(),
            req.input.key.clone(),
            req.input.upload_id.clone(),
        );
        let answered = answer(self.proxy.abort_multipart_upload(req).await);
        // Gone either way once S3 has answered that it does not know it.
        if answered.is_ok()
            || answered
                .as_ref()
                .is_err_and(|e| *e.code() == S3ErrorCode::NoSuchUpload)
        {
            self.uploads.ended(&ids.0, &ids.1, &ids.2);
        }
        answered
    }

    /// S3 Express sessions would hand a client the gateway's own credentials: refused (the
    /// access check refuses it first; this stands behind it).
    pub(crate) async fn create_session_here(
        &self,
        _req: S3Request<dto::CreateSessionInput>,
    ) -> S3Result<S3Response<dto::CreateSessionOutput>> {
        Err(s3_error!(
            AccessDenied,
            "CreateSession is not offered by this gateway"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_framing_not_encoding() {
        let table = [
            (None, None),
            (Some("aws-chunked"), None),
            (Some("AWS-CHUNKED"), None),
            (Some("aws-chunked,gzip"), Some("gzip")),
            (Some("gzip, aws-chunked"), Some("gzip")),
            (Some("gzip"), Some("gzip")),
            (Some(""), None),
        ];
        for (sent, stored) in table {
            assert_eq!(
                without_aws_chunked(sent.map(str::to_owned)).as_deref(),
                stored,
                "{sent:?}"
            );
        }
    }

    #[test]
    fn wrong_region_answers_never_reach_a_client() {
        for code in [
            "PermanentRedirect",
            "TemporaryRedirect",
            "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException",
        ] {
            let err = S3Error::new(S3ErrorCode::from_bytes(code.as_bytes()).unwrap());
            assert_eq!(client_error(err).code().as_str(), "InternalError", "{code}");
        }
        let routed = S3Error::with_source(
            S3ErrorCode::InternalError,
            Box::new(s3_multi_region::Error::NoSuchBucket { bucket: "b".into() }),
        );
        assert_eq!(client_error(routed).code().as_str(), "NoSuchBucket");
        let plain = S3Error::new(S3ErrorCode::NoSuchKey);
        assert_eq!(client_error(plain).code().as_str(), "NoSuchKey");
    }
}
