//! Configuration loading through an injected variable lookup.
use std::collections::HashMap;
use std::time::Duration;

use ap_llm::{Client, DEFAULT_BASE_URL, DEFAULT_MODEL, ExposeSecret, LlmConfig, LlmError};

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn without_an_api_key_the_client_is_not_configured() {
    assert!(
        LlmConfig::from_lookup(lookup(&[]))
            .expect("valid test input")
            .is_none()
    );
    let blank = lookup(&[("ANTHROPIC_API_KEY", "  "), ("ANTHROPIC_MODEL", "m")]);
    assert!(
        LlmConfig::from_lookup(blank)
            .expect("valid test input")
            .is_none()
    );
}

#[test]
fn defaults_apply_when_only_the_key_is_set() {
    let config = LlmConfig::from_lookup(lookup(&[("ANTHROPIC_API_KEY", "k")]))
        .expect("valid test input")
        .expect("valid test input");
    assert_eq!(config.api_key.expose_secret(), "k");
    assert_eq!(config.base_url, DEFAULT_BASE_URL);
    assert_eq!(config.model, DEFAULT_MODEL);
    assert_eq!(config.timeout, Duration::from_secs(60));
    assert_eq!(config.max_retries, 3);
    assert_eq!(config.anthropic_version, "2023-06-01");
}

#[test]
fn environment_overrides_are_read() {
    let config = LlmConfig::from_lookup(lookup(&[
        ("ANTHROPIC_API_KEY", "k"),
        ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/proxy/"),
        ("ANTHROPIC_MODEL", "claude-other"),
        ("ANTHROPIC_TIMEOUT_SECS", "5"),
        ("ANTHROPIC_MAX_RETRIES", "0"),
    ]))
    .expect("valid test input")
    .expect("valid test input");
    assert_eq!(config.base_url, "http://127.0.0.1:9/proxy/");
    assert_eq!(config.model, "claude-other");
    assert_eq!(config.timeout, Duration::from_secs(5));
    assert_eq!(config.max_retries, 0);
    assert!(
        format!("{:?}", Client::new(config).expect("valid test input"))
            .contains("/proxy/v1/messages")
    );
}

#[test]
fn invalid_settings_are_rejected_without_echoing_values() {
    for (name, value) in [
        ("ANTHROPIC_BASE_URL", "ftp://example.invalid"),
        ("ANTHROPIC_BASE_URL", "not a url"),
        ("ANTHROPIC_BASE_URL", "https://user:pw@example.invalid"),
        ("ANTHROPIC_TIMEOUT_SECS", "soon"),
        ("ANTHROPIC_TIMEOUT_SECS", "0"),
    ] {
        let error = LlmConfig::from_lookup(lookup(&[("ANTHROPIC_API_KEY", "k"), (name, value)]))
            .unwrap_err();
        assert!(
            matches!(error, LlmError::InvalidConfig(_)),
            "{name}={value}: {error:?}"
        );
        assert!(!error.to_string().contains(value), "{error}");
    }
}

#[test]
fn a_client_for_the_default_https_endpoint_builds_with_the_aws_lc_provider() {
    let config = LlmConfig::from_lookup(lookup(&[("ANTHROPIC_API_KEY", "k")]))
        .expect("valid test input")
        .expect("valid test input");
    let client = Client::new(config).expect("valid test input");
    assert!(format!("{client:?}").contains("https://api.anthropic.com/v1/messages"));
    // A second client must not trip over the already installed crypto provider.
    assert!(Client::new(client.config().clone()).is_ok());
}
