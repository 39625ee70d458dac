//! The service's error type. The binary wraps it in `anyhow`; the gRPC edge
//! maps it to a `Status` in one place (`api::convert`).

use lookout_ais::RecordingError;
use lookout_core::InvalidField;
use lookout_score::baseline::BaselineFileError;

/// Errors the service reports to its callers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request argument is impossible; `field` names it as the client sent it.
    #[error(transparent)]
    InvalidArgument(#[from] InvalidField),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request asks for more than a limit allows; the message names the limit.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The configuration is not valid: every problem found, one per line.
    #[error("configuration:\n  {}", .0.join("\n  "))]
    Config(Vec<String>),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Recording(#[from] RecordingError),
    #[error(transparent)]
    Baseline(#[from] BaselineFileError),
    /// A query ran past the server's deadline; the message names it.
    #[error("{0}")]
    DeadlineExceeded(String),
    /// The archive refused or failed a write: input is not acknowledged.
    #[error(transparent)]
    Archive(#[from] lookout_archive::Error),
    /// The call needs something this service is not configured with (the message says what).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The service is shutting down or a pipeline stage has stopped.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument(InvalidField::new(field, reason))
    }
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
    pub(crate) fn config(problem: impl Into<String>) -> Self {
        Error::Config(vec![problem.into()])
    }
}
