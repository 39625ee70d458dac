//! The library's error type. The binary wraps it in `anyhow`; the gRPC edge
//! maps it to a `Status` in one place (`api::convert`).

/// Errors Lookout reports to its callers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request argument is impossible; `field` names it as the client sent it.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{context}: {source}")]
    Io { context: String, #[source] source: std::io::Error },
    /// A server this process called as a client refused the call.
    #[error("server refused the call: {code}: {message}")]
    Remote { code: String, message: String },
    /// The service is shutting down or a pipeline stage has stopped.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { field, reason: reason.into() }
    }
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}
