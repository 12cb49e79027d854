//! Turning one HTTP exchange into a response or a classified, possibly retryable failure.
use std::time::Duration;

use reqwest::StatusCode;

use super::retry;
use crate::error::{LlmError, truncate};
use crate::types::ErrorEnvelope;

/// A response larger than this is not a plausible answer to our prompts; refusing it bounds
/// memory use if the endpoint misbehaves.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Anthropic's error messages are short; anything longer is not worth carrying around.
const MAX_ERROR_MESSAGE_BYTES: usize = 500;

/// Why an attempt failed and whether another one may help.
pub(crate) struct Failure {
    pub(crate) error: LlmError,
    pub(crate) retryable: bool,
    pub(crate) retry_after: Option<Duration>,
}

impl Failure {
    pub(crate) fn fatal(error: LlmError) -> Self {
        Self {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

pub(crate) async fn read_limited(
    mut response: reqwest::Response,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_failure)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Failure::fatal(LlmError::bad_response(
                "response body is too large",
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Only connect failures and timeouts are retried: once a request reached the server, a
/// broken connection may already have cost tokens, and the caller decides about repeating it.
pub(crate) fn transport_failure(error: reqwest::Error) -> Failure {
    let (error, retryable) = if error.is_timeout() {
        (LlmError::Timeout, true)
    } else if error.is_connect() {
        (
            LlmError::Transport("could not connect to the llm service".into()),
            true,
        )
    } else {
        // The top-level reqwest message names the failing step, never headers or body.
        (LlmError::Transport(error.without_url().to_string()), false)
    };
    Failure {
        error,
        retryable,
        retry_after: None,
    }
}

pub(crate) fn status_failure(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Failure {
    let code = status.as_u16();
    if retry::is_retryable_status(status) {
        let error = if code == 429 {
            LlmError::RateLimited { retry_after }
        } else {
            LlmError::Unavailable { status: code }
        };
        return Failure {
            error,
            retryable: true,
            retry_after,
        };
    }
    let error = match code {
        401 => LlmError::Unauthorized,
        403 => LlmError::Forbidden,
        404 => LlmError::NotFound,
        400..=499 => LlmError::BadRequest {
            message: error_message(code, body),
        },
        500..=599 => LlmError::Unavailable { status: code },
        _ => LlmError::bad_response(format!("unexpected http status {code}")),
    };
    Failure::fatal(error)
}

/// Anthropic's `error.message` explains what was wrong with the request; fall back to the
/// status alone when the body is not the documented envelope.
fn error_message(code: u16, body: &[u8]) -> String {
    let parsed = serde_json::from_slice::<ErrorEnvelope>(body).ok();
    match parsed.and_then(|e| e.error.message.map(|m| (e.error.kind, m))) {
        Some((kind, message)) => {
            let kind = kind.unwrap_or_else(|| "error".to_owned());
            let text = truncate(format!("{kind}: {message}"), MAX_ERROR_MESSAGE_BYTES);
            format!("{text} (status {code})")
        }
        None => format!("status {code}"),
    }
}
