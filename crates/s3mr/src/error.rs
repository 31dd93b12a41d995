//! What went wrong in a command, as the one line `main` prints (and a hint where one exists),
//! and the exit code its kind maps to.

use s3_multi_region::ErrorKind;

/// The exit codes of the aws CLI's "return codes" page, which `--help` and the README list: a
/// script written against `aws s3` reads the same number from `s3mr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Exit {
    Done = 0,
    /// A transfer or delete failed (each one already reported).
    TransferFailed = 1,
    /// Files or objects were skipped, everything else was transferred.
    Skipped = 2,
    /// Ctrl-C or SIGTERM.
    Interrupted = 130,
    /// Bad arguments, or a value that prevented the command from running (nothing was sent).
    Usage = 252,
    /// No credentials (or no configuration) to send anything with.
    Setup = 253,
    /// The command reached S3 and S3 refused it.
    Refused = 254,
    /// Anything else: no answer from the endpoint, a local path that does not exist, ...
    Other = 255,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

/// What the command at hand does: in the aws CLI's terms, a failure of a command that moves or
/// deletes data is "a transfer failed" (1) whatever S3 said; any other command reports what S3
/// said (254) or why nothing was answered (255).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    Transfers,
    Queries,
}

/// The exit code for a failure of `kind` in a command doing `work`: a script can tell "fix the
/// setup" (253) and "no answer" (255) from "S3 said no" without reading the message.
pub(crate) fn exit_for(kind: ErrorKind, work: Work) -> Exit {
    match (kind, work) {
        (ErrorKind::NoCredentials, _) => Exit::Setup,
        (_, Work::Transfers) => Exit::TransferFailed,
        // No answer, or routing would not go where S3 pointed (outside the endpoint map or the
        // partition): nothing S3 refused.
        (
            ErrorKind::Unreachable | ErrorKind::Region | ErrorKind::IsADirectory | ErrorKind::Other,
            Work::Queries,
        ) => Exit::Other,
        (_, Work::Queries) => Exit::Refused,
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
    /// A local source that does not exist: nothing was sent (exit 255, as the aws CLI).
    #[error("the user-provided path {0} does not exist")]
    Missing(String),
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

    /// The exit code of this failure in a command doing `work`.
    pub(crate) fn exit(&self, work: Work) -> Exit {
        match self {
            Self::OutputClosed => Exit::Done,
            Self::Usage(_) => Exit::Usage,
            Self::Interrupted(_) => Exit::Interrupted,
            Self::Object {
                kind: Some(kind), ..
            } => exit_for(*kind, work),
            // The CLI's own words: a failed write, a refused batch, in a transfer; else 255.
            Self::Object { kind: None, .. } => match work {
                Work::Transfers => Exit::TransferFailed,
                Work::Queries => Exit::Other,
            },
            Self::Incomplete { failed: 0, .. } => Exit::Skipped,
            Self::Incomplete { .. } => Exit::TransferFailed,
            Self::Missing(_) | Self::Other(_) => Exit::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_exit_codes() {
        use ErrorKind::*;
        use Work::*;
        let table = [
            (NoCredentials, Transfers, 253),
            (NoCredentials, Queries, 253),
            (Unreachable, Transfers, 1),
            (Unreachable, Queries, 255),
            (NoSuchBucket, Transfers, 1),
            (NoSuchBucket, Queries, 254),
            (NoSuchKey, Transfers, 1),
            (NoSuchKey, Queries, 254),
            (AccessDenied, Queries, 254),
            (PreconditionFailed, Queries, 254),
            (NotEmpty, Transfers, 1),
            (NotEmpty, Queries, 254),
            (Region, Transfers, 1),
            (Region, Queries, 255),
            (Service, Queries, 254),
            (IsADirectory, Transfers, 1),
            (IsADirectory, Queries, 255),
            (Other, Transfers, 1),
            (Other, Queries, 255),
        ];
        for (kind, work, code) in table {
            assert_eq!(exit_for(kind, work).code(), code, "{kind:?} in {work:?}");
        }
    }

    #[test]
    fn cli_errors_map_to_exit_codes() {
        let incomplete = |skipped, failed| CliError::Incomplete {
            verb: "cp",
            transferred: 1,
            skipped,
            failed,
        };
        let table = [
            (CliError::Usage("x".into()), Work::Transfers, 252),
            (CliError::Missing("x".into()), Work::Transfers, 255),
            (CliError::Other("x".into()), Work::Queries, 255),
            (CliError::Interrupted(String::new()), Work::Transfers, 130),
            (CliError::OutputClosed, Work::Queries, 0),
            (failed("x", "y"), Work::Transfers, 1),
            (failed("x", "y"), Work::Queries, 255),
            (incomplete(3, 0), Work::Transfers, 2),
            (incomplete(3, 1), Work::Transfers, 1),
            (incomplete(0, 1), Work::Transfers, 1),
        ];
        for (err, work, code) in table {
            assert_eq!(err.exit(work).code(), code, "{err:?} in {work:?}");
        }
    }
}
