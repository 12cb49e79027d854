//! A scripted stand-in for the Anthropic Messages API, bound to 127.0.0.1:0 per test.
// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ap_llm::{Client, LlmConfig, SecretString};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// Looks like a real key so that any leak would be recognisable.
pub const TEST_KEY: &str = "sk-ant-api03-TESTKEY-do-not-leak-7f3a9c";

/// One scripted answer; the last one repeats once the script is exhausted.
#[derive(Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    delay: Duration,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Self::status(200, body)
    }

    pub fn status(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
            delay: Duration::ZERO,
        }
    }

    pub fn error(status: u16, kind: &str, message: &str) -> Self {
        Self::status(
            status,
            json!({"type": "error", "error": {"type": kind, "message": message}}),
        )
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

pub fn text_message(text: &str) -> Value {
    message(json!([{"type": "text", "text": text}]), "end_turn")
}

pub fn tool_message(name: &str, input: Value) -> Value {
    message(
        json!([{"type": "tool_use", "id": "toolu_01", "name": name, "input": input}]),
        "tool_use",
    )
}

fn message(content: Value, stop_reason: &str) -> Value {
    json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 34}
    })
}

/// What the server received, for assertions after the call.
#[derive(Clone, Debug)]
pub struct Seen {
    pub headers: HeaderMap,
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Shared {
    script: Vec<Reply>,
    seen: Mutex<Vec<Seen>>,
}

pub struct FakeServer {
    base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    pub async fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a fake server needs at least one reply");
        let shared = Arc::new(Shared {
            script,
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/messages", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake server");
        let addr = listener.local_addr().expect("fake server address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake server runs");
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
            task,
        }
    }

    pub fn calls(&self) -> usize {
        self.requests().len()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("seen lock").clone()
    }

    /// Production-like settings, except for millisecond backoff so tests stay fast.
    pub fn config(&self) -> LlmConfig {
        LlmConfig {
            base_url: self.base_url.clone(),
            model: "claude-test".to_owned(),
            max_tokens: 1024,
            timeout: Duration::from_secs(5),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(10),
            ..LlmConfig::new(SecretString::from(TEST_KEY))
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).expect("client builds")
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let index = {
        let mut seen = shared.seen.lock().expect("seen lock");
        seen.push(Seen { headers, body });
        seen.len() - 1
    };
    let reply = shared.script[index.min(shared.script.len() - 1)].clone();
    tokio::time::sleep(reply.delay).await;
    let status = StatusCode::from_u16(reply.status).expect("valid scripted status");
    let mut response = (status, axum::Json(reply.body)).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("valid scripted header"),
        );
    }
    response
}
