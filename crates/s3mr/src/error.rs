//! What went wrong in a command, as the one line `main` prints (and a hint where one exists),
//! and the exit code its kind maps to.

use s3_multi_region::ErrorKind;

/// Exit codes, as `--help` lists them.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Bad arguments (clap's own code for them).
pub(crate) const EXIT_USAGE: u8 = 2;
/// No credentials could be loaded: nothing was sent.
pub(crate) const EXIT_NO_CREDENTIALS: u8 = 3;
/// No answer from the endpoint (connection refused, DNS, TLS, timeout): worth retrying later.
pub(crate) const EXIT_UNREACHABLE: u8 = 4;

/// The exit code for a failure of `kind`: a script can tell "fix the setup" and "try again later"
/// from "S3 said no" without reading the message.
pub(crate) fn exit_code_for(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::NoCredentials => EXIT_NO_CREDENTIALS,
        ErrorKind::Unreachable => EXIT_UNREACHABLE,
        _ => EXIT_FAILED,
    }
}

/// What to try for a failure of `kind`, where there is one thing to say.
fn hint_for(kind: ErrorKind) -> Option<&'static str> {
    match kind {
        ErrorKind::NoCredentials => Some(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run `aws configure`",
        ),
        ErrorKind::Unreachable => Some(
            "check the network, HTTPS_PROXY / NO_PROXY and --ca-bundle; `-v` shows each request",
        ),
        _ => None,
    }
}

/// What went wrong, as one line (and a hint where one exists). `main` prints it as
/// `s3mr: <verb> <object>: <cause>`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{object}: {cause}")]
    Object {
        object: String,
        cause: String,
        /// The library's kind for it; `None` for the CLI's own refusals (exit 1).
        kind: Option<ErrorKind>,
        hint: Option<&'static str>,
    },
    #[error("{0}")]
    Other(String),
    /// Ctrl-C or SIGTERM stopped the command (what was done so far, when there is something to
    /// say): exit 130.
    #[error("interrupted{}", interrupted_tail(.0))]
    Interrupted(String),
    /// Standard output was closed by its reader (`s3mr cat s3://b/big | head`): the command
    /// stops, exit 0, nothing printed — as Unix tools do.
    #[error("standard output closed")]
    OutputClosed,
    /// A recursive transfer that skipped or failed some objects (each already reported).
    #[error("{verb}: {transferred} transferred, {skipped} skipped, {failed} failed")]
    Incomplete {
        verb: &'static str,
        transferred: usize,
        skipped: usize,
        failed: usize,
    },
}

/// `: <what was done>` after "interrupted", or nothing.
fn interrupted_tail(done: &str) -> String {
    if done.is_empty() {
        String::new()
    } else {
        format!(": {done}")
    }
}

/// `object` failed with `cause` (the CLI's own words; exit 1).
pub(crate) fn failed(object: impl std::fmt::Display, cause: impl std::fmt::Display) -> CliError {
    CliError::Object {
        object: object.to_string(),
        cause: cause.to_string(),
        kind: None,
        hint: None,
    }
}

/// A library (or SDK) error about `object`, in the library's words ([`Report`]), with its hint.
///
/// [`Report`]: s3_multi_region::Report
pub(crate) fn reported(
    object: impl std::fmt::Display,
    err: &impl s3_multi_region::Report,
) -> CliError {
    CliError::reported(object, err.report())
}

/// A usage error from a guard's refusal (exit 2, nothing sent).
pub(crate) fn refused(why: String) -> CliError {
    CliError::Usage(why)
}

/// A failure writing to standard output: its reader going away is [`CliError::OutputClosed`].
pub(crate) fn stdout_failed(err: std::io::Error) -> CliError {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        failed("standard output", err)
    }
}

impl CliError {
    /// A library error about `object`, in the library's words, with its kind.
    pub(crate) fn reported(
        object: impl std::fmt::Display,
        report: s3_multi_region::ErrorReport,
    ) -> Self {
        Self::Object {
            object: object.to_string(),
            cause: report.to_string(),
            kind: Some(report.kind()),
            hint: report.hint().or_else(|| hint_for(report.kind())),
        }
    }

    /// What to try, where there is one thing to say.
    pub(crate) fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Object { hint, .. } => *hint,
            _ => None,
        }
    }

    pub(crate) fn with_hint(self, hint: &'static str) -> Self {
        match self {
            Self::Object {
                object,
                cause,
                kind,
                ..
            } => Self::Object {
                object,
                cause,
                kind,
                hint: Some(hint),
            },
            other => other,
        }
    }

    /// What went wrong without naming the object: the same cause on two objects is one kind.
    pub(crate) fn cause(&self) -> String {
        match self {
            Self::Object { cause, .. } => cause.clone(),
            other => other.to_string(),
        }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::OutputClosed => 0,
            Self::Usage(_) => EXIT_USAGE,
            Self::Interrupted(_) => crate::interrupt::EXIT_INTERRUPTED,
            Self::Object {
                kind: Some(kind), ..
            } => exit_code_for(*kind),
            _ => EXIT_FAILED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_exit_codes() {
        let table = [
            (ErrorKind::NoCredentials, 3),
            (ErrorKind::Unreachable, 4),
            (ErrorKind::NoSuchBucket, 1),
            (ErrorKind::NoSuchKey, 1),
            (ErrorKind::AccessDenied, 1),
            (ErrorKind::PreconditionFailed, 1),
            (ErrorKind::NotEmpty, 1),
            (ErrorKind::IsADirectory, 1),
            (ErrorKind::Region, 1),
            (ErrorKind::Service, 1),
            (ErrorKind::Other, 1),
        ];
        for (kind, code) in table {
            assert_eq!(exit_code_for(kind), code, "{kind:?}");
        }
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
    }
}
