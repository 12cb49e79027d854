//! Client configuration: defaults, environment loading and validation.
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{LlmError, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// Overridable through `ANTHROPIC_MODEL` so a model upgrade needs no release.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_RETRIES: u32 = 3;
const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(500);
const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Everything the client needs. `Debug` is safe: the key prints as `[REDACTED]`.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    pub api_key: SecretString,
    /// Scheme and host (optionally a path prefix for a proxy); `/v1/messages` is appended.
    pub base_url: String,
    pub model: String,
    pub max_tokens: u32,
    /// Per attempt, covering connect, upload and the full response body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Extra attempts after the first; total attempts = 1 + `max_retries`.
    pub max_retries: u32,
    pub anthropic_version: String,
    /// First backoff step; doubles per attempt (with jitter).
    pub retry_base_delay: Duration,
    /// Upper bound for any single wait, including a server-sent `retry-after`, so a hostile or
    /// confused upstream cannot park a request for minutes.
    pub max_retry_delay: Duration,
}

impl LlmConfig {
    /// A configuration with production defaults for the given key.
    pub fn new(api_key: SecretString) -> Self {
        Self {
            api_key,
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            max_tokens: DEFAULT_MAX_TOKENS,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            anthropic_version: DEFAULT_ANTHROPIC_VERSION.to_owned(),
            retry_base_delay: DEFAULT_RETRY_BASE_DELAY,
            max_retry_delay: DEFAULT_MAX_RETRY_DELAY,
        }
    }

    /// Reads the process environment; see [`LlmConfig::from_lookup`].
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from a variable lookup.
    ///
    /// Returns `Ok(None)` when `ANTHROPIC_API_KEY` is absent or blank, meaning "AI features are
    /// not configured" rather than an error. Recognised variables: `ANTHROPIC_API_KEY`,
    /// `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`, `ANTHROPIC_TIMEOUT_SECS`,
    /// `ANTHROPIC_MAX_TOKENS`, `ANTHROPIC_MAX_RETRIES`. Taking a lookup instead of reading
    /// the environment directly keeps tests free of `std::env::set_var`, which is `unsafe`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let Some(key) = value("ANTHROPIC_API_KEY") else {
            return Ok(None);
        };
        let mut config = Self::new(SecretString::from(key));
        if let Some(url) = value("ANTHROPIC_BASE_URL") {
            config.base_url = url;
        }
        if let Some(model) = value("ANTHROPIC_MODEL") {
            config.model = model;
        }
        if let Some(secs) = value("ANTHROPIC_TIMEOUT_SECS") {
            config.timeout = Duration::from_secs(parse_number("ANTHROPIC_TIMEOUT_SECS", &secs)?);
        }
        if let Some(tokens) = value("ANTHROPIC_MAX_TOKENS") {
            config.max_tokens = parse_number("ANTHROPIC_MAX_TOKENS", &tokens)?;
        }
        if let Some(retries) = value("ANTHROPIC_MAX_RETRIES") {
            config.max_retries = parse_number("ANTHROPIC_MAX_RETRIES", &retries)?;
        }
        config.validate()?;
        Ok(Some(config))
    }

    /// Checks the configuration before any request is made, so mistakes surface at startup.
    pub fn validate(&self) -> Result<()> {
        if self.api_key.expose_secret().trim().is_empty() {
            return Err(LlmError::NotConfigured);
        }
        // Header values must be visible ASCII; checking here keeps the key out of any later
        // header-construction error.
        if !self
            .api_key
            .expose_secret()
            .bytes()
            .all(|b| b.is_ascii_graphic())
        {
            return invalid("api key contains characters not allowed in an http header");
        }
        let url = reqwest::Url::parse(&self.base_url)
            .or_else(|_| invalid("base url is not a valid url"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return invalid("base url must use http or https");
        }
        if url.host_str().is_none() {
            return invalid("base url must include a host");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return invalid("base url must not contain credentials");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return invalid("base url must not contain a query or fragment");
        }
        if self.model.trim().is_empty() {
            return invalid("model must not be empty");
        }
        if self.max_tokens == 0 {
            return invalid("max_tokens must be greater than zero");
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return invalid("timeouts must be greater than zero");
        }
        if self.anthropic_version.trim().is_empty() {
            return invalid("anthropic version must not be empty");
        }
        Ok(())
    }

    /// The Messages endpoint; a path prefix in `base_url` (e.g. behind a proxy) is kept.
    pub(crate) fn messages_url(&self) -> Result<reqwest::Url> {
        let base = self.base_url.trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}/v1/messages"))
            .map_err(|_| LlmError::InvalidConfig("base url is not a valid url".to_owned()))
    }
}

fn invalid<T>(reason: &str) -> Result<T> {
    Err(LlmError::InvalidConfig(reason.to_owned()))
}

/// The offending value is not echoed: a misplaced secret in the wrong variable must not leak.
fn parse_number<N: std::str::FromStr>(name: &str, raw: &str) -> Result<N> {
    raw.parse()
        .map_err(|_| LlmError::InvalidConfig(format!("{name} must be a non-negative integer")))
}
