//! Public client for `POST /v1/messages`: request building, the retry loop and result mapping.
mod outcome;
mod retry;

use std::fmt;
use std::time::Instant;

use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;

use self::outcome::{Failure, read_limited, status_failure, transport_failure};
use crate::config::LlmConfig;
use crate::error::{LlmError, Result};
use crate::types::{
    Message, MessagesRequest, MessagesResponse, StopReason, Tool, ToolChoice, Usage,
};

/// A text answer.
#[derive(Clone, Debug)]
pub struct Completion {
    pub text: String,
    pub stop_reason: Option<StopReason>,
    pub usage: Usage,
    pub model: String,
    pub message_id: String,
}

/// The typed input of the forced tool call.
#[derive(Clone, Debug)]
pub struct Structured<T> {
    pub value: T,
    pub tool_use_id: String,
    pub stop_reason: Option<StopReason>,
    pub usage: Usage,
    pub model: String,
    pub message_id: String,
}

/// Client for the Anthropic Messages API; cheap to clone and meant to be shared.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: LlmConfig,
    endpoint: Url,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("model", &self.config.model)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: LlmConfig) -> Result<Self> {
        config.validate()?;
        let endpoint = config.messages_url()?;
        // The platform links only aws-lc-rs; rustls needs it selected explicitly. An error here
        // means another component already installed a provider, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

        let mut key = HeaderValue::from_str(config.api_key.expose_secret())
            .map_err(|_| LlmError::InvalidConfig("api key is not a valid header value".into()))?;
        // Keeps the key out of any `Debug` output of headers inside reqwest/hyper.
        key.set_sensitive(true);
        let version = HeaderValue::from_str(&config.anthropic_version).map_err(|_| {
            LlmError::InvalidConfig("anthropic version is not a valid header value".into())
        })?;
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", key);
        headers.insert("anthropic-version", version);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| LlmError::Transport(format!("could not build http client: {e}")))?;
        Ok(Self {
            http,
            config,
            endpoint,
        })
    }

    /// A client from the environment, or [`LlmError::NotConfigured`] without an API key.
    pub fn from_env() -> Result<Self> {
        Self::new(LlmConfig::from_env()?.ok_or(LlmError::NotConfigured)?)
    }

    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// A request with the configured model and token limit, ready for [`Client::send`].
    pub fn request(&self, system: &str, messages: Vec<Message>) -> MessagesRequest {
        MessagesRequest {
            model: self.config.model.clone(),
            max_tokens: self.config.max_tokens,
            system: (!system.is_empty()).then(|| system.to_owned()),
            messages,
            tools: Vec::new(),
            tool_choice: None,
            temperature: None,
        }
    }

    /// Asks for a plain text answer to a single user turn.
    pub async fn complete_text(&self, system: &str, user: &str) -> Result<Completion> {
        let response = self
            .send(&self.request(system, vec![Message::user(user)]))
            .await?;
        let text = response
            .text()
            .ok_or_else(|| LlmError::bad_response("response contained no text"))?;
        Ok(Completion {
            text,
            stop_reason: response.stop_reason,
            usage: response.usage,
            model: response.model,
            message_id: response.id,
        })
    }

    /// Forces the model to call `tool_name` with input matching `schema` and returns that input
    /// deserialised as `T`.
    pub async fn extract_structured<T: DeserializeOwned>(
        &self,
        system: &str,
        user: &str,
        tool_name: &str,
        description: &str,
        schema: serde_json::Value,
    ) -> Result<Structured<T>> {
        let mut request = self.request(system, vec![Message::user(user)]);
        request.tools = vec![Tool {
            name: tool_name.to_owned(),
            description: description.to_owned(),
            input_schema: schema,
        }];
        request.tool_choice = Some(ToolChoice::Tool {
            name: tool_name.to_owned(),
        });
        // Extraction should be repeatable for the same document.
        request.temperature = Some(0.0);

        let response = self.send(&request).await?;
        let Some((tool_use_id, input)) = response.tool_use(tool_name) else {
            let raw = response.text().unwrap_or_default();
            return Err(LlmError::bad_response_with_raw(
                "response did not contain the requested tool call",
                raw,
            ));
        };
        // serde's message can quote the offending value, so it stays in the debug detail only.
        let value = T::deserialize(input).map_err(|e| {
            LlmError::bad_response_with_raw(
                "tool input did not match the expected shape",
                format!("{e}; input: {input}"),
            )
        })?;
        Ok(Structured {
            value,
            tool_use_id: tool_use_id.to_owned(),
            stop_reason: response.stop_reason,
            usage: response.usage,
            model: response.model,
            message_id: response.id,
        })
    }

    /// Sends a request, retrying transient failures up to `1 + max_retries` attempts in total.
    pub async fn send(&self, request: &MessagesRequest) -> Result<MessagesResponse> {
        let body = serde_json::to_vec(request)
            .map_err(|_| LlmError::InvalidConfig("request could not be serialised".into()))?;
        let max_attempts = self.config.max_retries.saturating_add(1);
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(&body, attempt, max_attempts).await {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            if !failure.retryable || attempt >= max_attempts {
                return Err(failure.error);
            }
            let delay = failure.retry_after.unwrap_or_else(|| {
                retry::backoff(
                    attempt,
                    self.config.retry_base_delay,
                    self.config.max_retry_delay,
                )
            });
            tracing::debug!(
                attempt,
                max_attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                reason = %failure.error,
                "retrying anthropic request"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        body: &[u8],
        attempt: u32,
        max_attempts: u32,
    ) -> std::result::Result<MessagesResponse, Failure> {
        let started = Instant::now();
        let sent = self
            .http
            .post(self.endpoint.clone())
            .body(body.to_vec())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let failure = transport_failure(error);
                tracing::debug!(
                    attempt,
                    max_attempts,
                    elapsed_ms = elapsed_ms(started),
                    error = %failure.error,
                    "anthropic request attempt failed before a response"
                );
                return Err(failure);
            }
        };

        let status = response.status();
        let retry_after = retry::retry_after(response.headers(), self.config.max_retry_delay);
        // Safe to log and handy when raising a support ticket with Anthropic.
        let request_id = response
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_limited(response).await;
        tracing::debug!(
            attempt,
            max_attempts,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or("-"),
            elapsed_ms = elapsed_ms(started),
            "anthropic request attempt finished"
        );
        let body = body?;

        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                Failure::fatal(LlmError::bad_response_with_raw(
                    "response body is not a valid messages response",
                    format!("{e}; body: {}", String::from_utf8_lossy(&body)),
                ))
            });
        }
        Err(status_failure(status, &body, retry_after))
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
