//! What went wrong in a command, as the one line `main` prints (and a hint where one exists).

/// What went wrong, as one line (and a hint where one exists); usage errors exit 2, the rest 1.
/// `main` prints it as `s3mr: <verb> <object>: <cause>`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{object}: {cause}")]
    Object {
        object: String,
        cause: String,
        hint: Option<&'static str>,
    },
    #[error("{0}")]
    Other(String),
    /// A recursive transfer that skipped or failed some objects (each already reported).
    #[error("{verb}: {transferred} transferred, {skipped} skipped, {failed} failed")]
    Incomplete {
        verb: &'static str,
        transferred: usize,
        skipped: usize,
        failed: usize,
    },
}

impl CliError {
    /// What to try, where there is one thing to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Object { hint, .. } => *hint,
            _ => None,
        }
    }

    pub fn with_hint(self, hint: &'static str) -> Self {
        match self {
            Self::Object { object, cause, .. } => Self::Object {
                object,
                cause,
                hint: Some(hint),
            },
            other => other,
        }
    }

    /// What went wrong without naming the object: the same cause on two objects is one kind.
    pub fn cause(&self) -> String {
        match self {
            Self::Object { cause, .. } => cause.clone(),
            other => other.to_string(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}
