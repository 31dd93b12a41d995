//! How each error of this crate, the SDK's and `std::io`'s reads as an [`ErrorReport`].
//!
//! Apart from `report.rs` (the words and kinds, which every module uses) so that the modules
//! whose errors are read here (`error`, `fs`, `cache`) never import what reads them: a trait
//! impl needs no import to be found.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::report::{
    CREDENTIAL_SOURCES, ErrorKind, ErrorReport, Report, chain, from_code, innermost,
};

/// Missing credentials, a routing error or a network failure anywhere in the chain of `err`.
fn from_chain(err: &(dyn std::error::Error + 'static)) -> Option<ErrorReport> {
    let mut cursor: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cursor {
        if current.downcast_ref::<CredentialsError>().is_some() {
            return Some(ErrorReport::new(
                ErrorKind::NoCredentials,
                format!("no AWS credentials found (looked in: {CREDENTIAL_SOURCES})"),
            ));
        }
        if let Some(routing) = current.downcast_ref::<crate::Error>() {
            return Some(routing.report());
        }
        if let Some(fs) = current.downcast_ref::<crate::fs::FsError>() {
            return Some(fs.report());
        }
        // `io::Error::source` skips the error it wraps: look at that one too.
        cursor = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as _),
            None => current.source(),
        };
    }
    None
}

impl<E> Report for SdkError<E, aws_smithy_runtime_api::http::Response>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn report(&self) -> ErrorReport {
        if let Some(found) = from_chain(self) {
            return found;
        }
        match self {
            SdkError::ServiceError(service) => from_code(
                service.err().code().unwrap_or_default(),
                service.err().message(),
                Some(service.raw().status().as_u16()),
            ),
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => ErrorReport::new(
                ErrorKind::Unreachable,
                format!("no answer from the endpoint: {}", innermost(self)),
            ),
            SdkError::ResponseError(_) => ErrorReport::new(
                ErrorKind::Service,
                format!("unreadable answer: {}", innermost(self)),
            ),
            _ => ErrorReport::new(ErrorKind::Other, innermost(self)),
        }
    }
}

impl Report for crate::Error {
    fn report(&self) -> ErrorReport {
        if let crate::Error::ProbeFailed { source, .. } = self
            && let Some(found) = from_chain(source.as_ref())
            && found.kind() == ErrorKind::NoCredentials
        {
            return found;
        }
        ErrorReport::new(self.kind(), chain(self))
    }
}

impl Report for crate::fs::FsError {
    fn report(&self) -> ErrorReport {
        use crate::fs::FsError as F;
        match self {
            F::NotFound(_) => ErrorReport::new(
                ErrorKind::NoSuchKey,
                "not found (no such object or directory)",
            ),
            F::IsADirectory(_) => ErrorReport::new(ErrorKind::IsADirectory, "is a directory"),
            F::DirectoryNotEmpty(_) => ErrorReport::new(ErrorKind::NotEmpty, "directory not empty"),
            F::Changed(_) => ErrorReport::new(
                ErrorKind::PreconditionFailed,
                "changed after it was copied; the source was kept",
            ),
            F::Overlap { why, .. } => {
                ErrorReport::new(ErrorKind::Other, format!("cannot move {why}"))
            }
            F::InvalidRegion(e) => ErrorReport::new(ErrorKind::Region, chain(e)),
            F::NoRuntime(_) => ErrorReport::new(ErrorKind::Other, "needs a Tokio runtime"),
            F::Io { .. } => ErrorReport::new(ErrorKind::Other, chain(self)),
            F::S3 { report, .. } => report.clone(),
        }
    }
}

impl Report for crate::cache::CacheError {
    /// "bucket-region cache failed: <the tier's cause, whole>": a cache command's error names
    /// what the backend said (a missing table, a refused connection), not only that it failed.
    fn report(&self) -> ErrorReport {
        ErrorReport::new(ErrorKind::Other, chain(self))
    }
}

impl Report for std::io::Error {
    fn report(&self) -> ErrorReport {
        match self.get_ref().and_then(|inner| from_chain(inner)) {
            Some(found) => found,
            None => ErrorReport::new(ErrorKind::Other, chain(self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    #[test]
    fn missing_credentials_are_found_in_the_chain() {
        #[derive(Debug)]
        struct Wrapper(CredentialsError);
        impl fmt::Display for Wrapper {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("dispatch failure")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Wrapper(CredentialsError::not_loaded("no providers in chain"));
        let report = from_chain(&err).unwrap();
        assert_eq!(report.kind(), ErrorKind::NoCredentials);
        assert!(report.to_string().starts_with("no AWS credentials found"));
        assert!(report.hint().is_some());
    }
}
