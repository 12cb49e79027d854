//! Crate root of `ap-llm`: a small, retry-aware client for the Anthropic Messages API.
//!
//! The client is deliberately narrow: a text completion ([`Client::complete_text`]) and a
//! forced-tool structured extraction ([`Client::extract_structured`]), plus the raw
//! [`Client::send`] for callers that need multi-turn conversations. Errors never carry the
//! API key, prompts or model output in their `Display` form, so they are safe to log and to
//! show to end users.
#![forbid(unsafe_code)]

mod client;
mod config;
mod error;
pub mod prompt;
pub mod types;

pub use client::{Client, Completion, Structured};
pub use config::{
    DEFAULT_ANTHROPIC_VERSION, DEFAULT_BASE_URL, DEFAULT_MAX_TOKENS, DEFAULT_MODEL, LlmConfig,
};
pub use error::{BadResponseDetail, LlmError, Result};
pub use secrecy::{ExposeSecret, SecretString};
