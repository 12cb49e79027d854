//! The API key, prompts and model output never reach error messages or log lines.
//!
//! This is its own test binary with a single test: tracing caches per-callsite interest
//! globally, and a thread-local subscriber in a binary with concurrently running tests can
//! miss events whose callsites another thread registered first.
#[path = "support/fake_server.rs"]
mod fake_server;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ap_llm::{Client, LlmConfig, LlmError};
use serde_json::json;

use fake_server::{FakeServer, Reply, TEST_KEY, text_message, tool_message};

const PROMPT: &str = "PROMPT-MARKER list unpaid invoices";
const OUTPUT: &str = "OUTPUT-MARKER model says hi";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer lock")).into_owned()
    }
}

/// Runs every failure mode once and returns the resulting errors.
async fn provoke_errors() -> Vec<LlmError> {
    let mut errors = Vec::new();
    let scripts = [
        Reply::error(401, "authentication_error", "invalid x-api-key"),
        Reply::error(400, "invalid_request_error", "messages: field required"),
        Reply::error(529, "overloaded_error", "Overloaded"),
        Reply::error(429, "rate_limit_error", "slow down").with_header("retry-after", "0"),
        Reply::ok(text_message(OUTPUT)),
        Reply::ok(json!({"garbage": OUTPUT})),
        Reply::ok(text_message(OUTPUT)).delayed(Duration::from_secs(2)),
    ];
    for reply in scripts {
        let server = FakeServer::start(vec![reply]).await;
        let config = LlmConfig {
            max_retries: 1,
            timeout: Duration::from_millis(200),
            ..server.config()
        };
        let client = Client::new(config).expect("client builds");
        let result = client
            .extract_structured::<serde_json::Value>("system", PROMPT, "t", "d", json!({}))
            .await;
        errors.push(result.expect_err("every scripted reply fails"));
    }
    let server =
        FakeServer::start(vec![Reply::ok(tool_message("other", json!({"x": OUTPUT})))]).await;
    let typed = server
        .client()
        .extract_structured::<u32>("system", PROMPT, "t", "d", json!({}))
        .await;
    errors.push(typed.expect_err("wrong tool"));
    errors
}

#[tokio::test]
async fn the_api_key_never_appears_in_errors_or_logs() {
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Thread-local: the current-thread test runtime polls the client on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = FakeServer::start(vec![Reply::ok(text_message(OUTPUT))]).await;
    let client = server.client();
    client
        .complete_text("system", PROMPT)
        .await
        .expect("valid test input");
    let errors = provoke_errors().await;

    assert_eq!(errors.len(), 8);
    for error in &errors {
        let display = error.to_string();
        let debug = format!("{error:?}");
        assert!(
            !display.contains(TEST_KEY) && !debug.contains(TEST_KEY),
            "{debug}"
        );
        assert!(!display.contains("PROMPT-MARKER"), "{display}");
        assert!(!display.contains("OUTPUT-MARKER"), "{display}");
    }
    for debug in [format!("{client:?}"), format!("{:?}", server.config())] {
        assert!(!debug.contains(TEST_KEY), "{debug}");
    }

    let captured = logs.contents();
    assert!(
        captured.contains("anthropic request attempt finished attempt=1"),
        "the client's own events were captured: {captured}"
    );
    assert!(
        captured.contains("retrying anthropic request"),
        "{captured}"
    );
    assert!(captured.contains("status=529"), "{captured}");
    assert!(!captured.contains(TEST_KEY), "{captured}");
    assert!(!captured.contains("PROMPT-MARKER"), "{captured}");
    assert!(!captured.contains("OUTPUT-MARKER"), "{captured}");
}
