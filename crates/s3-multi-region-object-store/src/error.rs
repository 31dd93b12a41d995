//! S3's answers as `object_store::Error` kinds, the cause kept as the source.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use object_store::Error;
use s3_multi_region::aws_sdk_s3::error::ProvideErrorMetadata;

/// The name object_store's `Generic` errors carry for this store.
pub(crate) const STORE: &str = "MultiRegionS3";

/// What an error answer means, by status and S3 code (pure, table-tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    NotFound,
    NotModified,
    Precondition,
    /// 409 `ConditionalRequestConflict`: another conditional write to the key was in flight.
    /// S3 says to retry; for a caller of `PutMode::Update` it is a lost race, like a 412.
    Conflict,
    PermissionDenied,
    Generic,
}

pub(crate) fn kind_of(status: Option<u16>, code: Option<&str>) -> Kind {
    match (status, code) {
        (_, Some("NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchUpload")) | (Some(404), _) => {
            Kind::NotFound
        }
        (Some(304), _) => Kind::NotModified,
        (_, Some("PreconditionFailed")) | (Some(412), _) => Kind::Precondition,
        (_, Some("ConditionalRequestConflict")) | (Some(409), _) => Kind::Conflict,
        (_, Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch"))
        | (Some(403), _) => Kind::PermissionDenied,
        _ => Kind::Generic,
    }
}

/// The kind of an SDK error (`Generic` when no answer came: network, routing, credentials).
pub(crate) fn kind<E>(err: &SdkError<E, Response>) -> Kind
where
    E: ProvideErrorMetadata,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    };
    match (status, err) {
        (Some(_), _) => kind_of(status, code),
        _ => Kind::Generic,
    }
}

/// `err` about `path` as the `object_store::Error` of its kind.
pub(crate) fn to_object_store<E>(path: &str, err: SdkError<E, Response>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = kind(&err);
    with_kind(kind, path, Box::new(err))
}

pub(crate) fn with_kind(
    kind: Kind,
    path: &str,
    source: Box<dyn std::error::Error + Send + Sync>,
) -> Error {
    let path = path.to_owned();
    match kind {
        Kind::NotFound => Error::NotFound { path, source },
        Kind::NotModified => Error::NotModified { path, source },
        Kind::Precondition | Kind::Conflict => Error::Precondition { path, source },
        Kind::PermissionDenied => Error::PermissionDenied { path, source },
        Kind::Generic => Error::Generic {
            store: STORE,
            source,
        },
    }
}

/// A failure that is not an answer from S3 (a malformed answer, a bad argument).
pub(crate) fn generic(message: impl Into<String>) -> Error {
    Error::Generic {
        store: STORE,
        source: message.into().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_kinds() {
        let table = [
            ((Some(404), Some("NoSuchKey")), Kind::NotFound),
            ((Some(404), None), Kind::NotFound),
            ((Some(404), Some("NoSuchBucket")), Kind::NotFound),
            ((Some(404), Some("NoSuchUpload")), Kind::NotFound),
            ((Some(304), None), Kind::NotModified),
            ((Some(412), Some("PreconditionFailed")), Kind::Precondition),
            ((Some(412), None), Kind::Precondition),
            (
                (Some(409), Some("ConditionalRequestConflict")),
                Kind::Conflict,
            ),
            ((Some(403), Some("AccessDenied")), Kind::PermissionDenied),
            ((Some(403), None), Kind::PermissionDenied),
            ((Some(400), Some("InvalidArgument")), Kind::Generic),
            ((Some(416), Some("InvalidRange")), Kind::Generic),
            ((Some(500), Some("InternalError")), Kind::Generic),
        ];
        for ((status, code), want) in table {
            assert_eq!(kind_of(status, code), want, "{status:?} {code:?}");
        }
    }
}
