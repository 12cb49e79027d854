//! Error type of the crate; every `Display` string is safe to log or show to users.
use std::fmt;
use std::time::Duration;

pub type Result<T, E = LlmError> = std::result::Result<T, E>;

/// Failures of an LLM call.
///
/// Messages are lowercase and never contain the API key, the prompt or model output, because
/// these errors end up in logs and API responses of the platform.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// No API key is configured; the feature should be reported as unavailable.
    #[error("llm client is not configured")]
    NotConfigured,
    /// The configuration is unusable (bad URL, zero timeout, ...).
    #[error("invalid llm configuration: {0}")]
    InvalidConfig(String),
    /// The request (including retries) ran out of time.
    #[error("llm request timed out")]
    Timeout,
    /// Still rate limited after the last retry.
    #[error("llm rate limit exceeded")]
    RateLimited { retry_after: Option<Duration> },
    /// The service kept failing (5xx or 529 overloaded) after the last retry.
    #[error("llm service unavailable (status {status})")]
    Unavailable { status: u16 },
    /// The API key was rejected (401).
    #[error("llm api key was rejected")]
    Unauthorized,
    /// The API key is valid but not allowed to do this (403).
    #[error("llm api key is not permitted to perform this request")]
    Forbidden,
    /// Unknown endpoint or model (404).
    #[error("llm endpoint or model not found")]
    NotFound,
    /// Any other 4xx; `message` is Anthropic's own `error.message`, which describes the request
    /// problem without echoing its content.
    #[error("llm rejected the request: {message}")]
    BadRequest { message: String },
    /// A 2xx response that cannot be used (unparseable, missing tool call, wrong shape).
    #[error("llm returned an unusable response: {0}")]
    BadResponse(BadResponseDetail),
    /// Network-level failure other than a timeout.
    #[error("llm transport error: {0}")]
    Transport(String),
}

impl LlmError {
    pub(crate) fn bad_response(reason: impl Into<String>) -> Self {
        Self::BadResponse(BadResponseDetail {
            reason: reason.into(),
            raw: None,
        })
    }

    pub(crate) fn bad_response_with_raw(reason: impl Into<String>, raw: impl Into<String>) -> Self {
        Self::BadResponse(BadResponseDetail {
            reason: reason.into(),
            raw: Some(truncate(raw.into(), RAW_DETAIL_LIMIT)),
        })
    }

    /// Whether a later attempt by the caller (e.g. a background job) might succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout
                | Self::RateLimited { .. }
                | Self::Unavailable { .. }
                | Self::Transport(_)
        )
    }
}

/// Bounds the raw text kept for debugging so a runaway response cannot bloat memory or logs.
const RAW_DETAIL_LIMIT: usize = 4096;

/// Why a response was unusable.
///
/// `Display` shows only the safe `reason`. The raw model output (or parser message, which may
/// quote it) is only reachable through [`BadResponseDetail::raw`] and `Debug`, for local
/// debugging; do not `Debug`-log it in production paths that handle customer documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadResponseDetail {
    reason: String,
    raw: Option<String>,
}

impl BadResponseDetail {
    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }
}

impl fmt::Display for BadResponseDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Cuts on a char boundary so the result stays valid UTF-8.
pub(crate) fn truncate(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
