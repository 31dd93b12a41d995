//! One readable line, and a kind to decide on, for any error the client or `S3Fs` returns.
//!
//! The SDK's own `Display` of a service error is often just "service error", and its `Debug` is
//! kilobytes of nested structs. [`Report`] walks the error and its sources for what a user can act
//! on: missing credentials (which the SDK reports as a dispatch failure blaming the endpoint),
//! S3's error code and message, a routing error, or the innermost cause of a network failure.

use std::fmt;

/// What kind of failure an [`ErrorReport`] describes. The same cause gets the same kind (and the
/// same words) whatever the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No credentials could be loaded from any source of the AWS config chain.
    NoCredentials,
    /// The bucket does not exist.
    NoSuchBucket,
    /// The object does not exist (or, for a HEAD answer without a body, nothing by that name).
    NoSuchKey,
    /// S3 refused the credentials or the policy denies the call.
    AccessDenied,
    /// A condition (`If-Match`, `If-None-Match`) did not hold: the object changed.
    PreconditionFailed,
    /// The bucket or directory still holds objects.
    NotEmpty,
    /// The call needs an object and the name is a bucket or directory.
    IsADirectory,
    /// Routing refused a region (invalid, outside the partition or endpoint map) or could not
    /// learn one.
    Region,
    /// No answer came: connection refused, DNS, TLS, timeout.
    Unreachable,
    /// Any other error answer from S3.
    Service,
    /// Anything else (a local I/O error, a request that could not be built).
    Other,
}

/// A readable, complete, one-line account of an error, with its [`ErrorKind`].
///
/// ```
/// use s3_multi_region::{ErrorKind, Report};
/// let err = std::io::Error::new(std::io::ErrorKind::NotFound, "./missing.txt");
/// assert_eq!(err.report().kind(), ErrorKind::Other);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    kind: ErrorKind,
    text: String,
}

/// Where the AWS config chain looks for credentials, as the no-credentials report names them.
pub const CREDENTIAL_SOURCES: &str = "environment variables (AWS_ACCESS_KEY_ID), the shared config \
     and credentials files (AWS_PROFILE), SSO, web identity, container and EC2 instance metadata";

impl ErrorReport {
    pub(crate) fn new(kind: ErrorKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What a user can do about it, where there is one thing to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self.kind {
            ErrorKind::NoCredentials => Some(
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run `aws configure`",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Turns an error into an [`ErrorReport`]: implemented for the client's `SdkError`s, `S3Fs`'s
/// [`FsError`](crate::fs::FsError), routing's [`Error`](crate::Error) and the `std::io::Error`s
/// of readers and writers.
///
/// ```no_run
/// # async fn run(client: s3_multi_region::MultiRegionClient) {
/// use s3_multi_region::Report;
/// if let Err(err) = client.get_object().bucket("logs").key("today").send().await {
///     // e.g. "bucket does not exist (NoSuchBucket)", not "service error"
///     eprintln!("{}", err.report());
/// }
/// # }
/// ```
pub trait Report {
    /// The report.
    fn report(&self) -> ErrorReport;
}

/// The words for S3's error codes that users meet most, so every command says the same.
pub(crate) fn from_code(code: &str, message: Option<&str>, status: Option<u16>) -> ErrorReport {
    let (kind, words) = match (code, status) {
        ("NoSuchBucket", _) => (ErrorKind::NoSuchBucket, "bucket does not exist"),
        ("NoSuchKey", _) => (ErrorKind::NoSuchKey, "no such key"),
        // HEAD answers have no body: the SDK names a 404 `NotFound`.
        ("NotFound", _) | ("", Some(404)) => {
            (ErrorKind::NoSuchKey, "not found (no such bucket or key)")
        }
        ("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch", _) | ("", Some(403)) => {
            (ErrorKind::AccessDenied, "access denied")
        }
        ("PreconditionFailed", _) | ("", Some(412)) => (
            ErrorKind::PreconditionFailed,
            "the object changed (precondition failed)",
        ),
        ("BucketNotEmpty", _) => (ErrorKind::NotEmpty, "bucket is not empty"),
        _ => {
            let text = match (code, message, status) {
                ("", _, Some(status)) => format!("S3 answered {status}"),
                ("", _, None) => "S3 answered with an error".to_owned(),
                (code, Some(message), _) => format!("{code}: {message}"),
                (code, None, _) => code.to_owned(),
            };
            return ErrorReport::new(ErrorKind::Service, text);
        }
    };
    // S3's code stays in the line, for searching and support.
    let shown = if code.is_empty() {
        String::new()
    } else {
        format!(" ({code})")
    };
    ErrorReport::new(kind, format!("{words}{shown}"))
}

/// The innermost source of `err`: for network failures, the part that says what happened.
pub(crate) fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// `err` and each of its sources, joined by `": "`, a source whose words its parent already
/// printed skipped: the whole story of an error on one line (for logs of any error).
///
/// ```
/// let inner = std::io::Error::other("connection reset");
/// let outer = s3_multi_region::cache::CacheError::new(inner);
/// assert_eq!(
///     s3_multi_region::error_chain(&outer),
///     "bucket-region cache failed: connection reset"
/// );
/// ```
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cursor = err.source();
    while let Some(current) = cursor {
        let words = current.to_string();
        if !text.ends_with(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        cursor = current.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_cause_gets_the_same_words() {
        // (code, message, status) -> (kind, words)
        type Row = (
            &'static str,
            Option<&'static str>,
            Option<u16>,
            ErrorKind,
            &'static str,
        );
        let table: &[Row] = &[
            (
                "NoSuchBucket",
                Some("The specified bucket does not exist"),
                Some(404),
                ErrorKind::NoSuchBucket,
                "bucket does not exist (NoSuchBucket)",
            ),
            (
                "NoSuchKey",
                None,
                Some(404),
                ErrorKind::NoSuchKey,
                "no such key (NoSuchKey)",
            ),
            (
                "NotFound",
                None,
                Some(404),
                ErrorKind::NoSuchKey,
                "not found (no such bucket or key) (NotFound)",
            ),
            (
                "",
                None,
                Some(404),
                ErrorKind::NoSuchKey,
                "not found (no such bucket or key)",
            ),
            (
                "AccessDenied",
                Some("Access Denied"),
                Some(403),
                ErrorKind::AccessDenied,
                "access denied (AccessDenied)",
            ),
            (
                "",
                None,
                Some(403),
                ErrorKind::AccessDenied,
                "access denied",
            ),
            (
                "PreconditionFailed",
                Some("x"),
                Some(412),
                ErrorKind::PreconditionFailed,
                "the object changed (precondition failed) (PreconditionFailed)",
            ),
            (
                "BucketNotEmpty",
                Some("x"),
                Some(409),
                ErrorKind::NotEmpty,
                "bucket is not empty (BucketNotEmpty)",
            ),
            (
                "SlowDown",
                Some("Please reduce your request rate."),
                Some(503),
                ErrorKind::Service,
                "SlowDown: Please reduce your request rate.",
            ),
            ("", None, Some(500), ErrorKind::Service, "S3 answered 500"),
        ];
        for (code, message, status, kind, text) in table {
            let report = from_code(code, *message, *status);
            assert_eq!(
                (report.kind(), report.to_string().as_str()),
                (*kind, *text),
                "{code}"
            );
        }
    }
}
