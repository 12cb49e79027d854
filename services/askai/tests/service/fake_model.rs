//! A stand-in for the Anthropic Messages API on 127.0.0.1:0: the SQL call gets whatever SQL
//! the test put in, the summary call gets a fixed sentence. It counts the calls it served.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

pub const SUMMARY: &str = "Acme Steel has the largest open balance.";

#[derive(Default)]
struct Shared {
    sql: Mutex<String>,
    sql_calls: AtomicUsize,
    summary_calls: AtomicUsize,
}

pub struct FakeModel {
    pub base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeModel {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake model");
        let addr = listener.local_addr().expect("fake model address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake model runs");
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// The SQL the model "writes" from now on.
    pub fn answer_with(&self, sql: &str) {
        *self.shared.sql.lock().expect("sql lock") = sql.to_owned();
    }

    pub fn sql_calls(&self) -> usize {
        self.shared.sql_calls.load(Ordering::SeqCst)
    }

    pub fn summary_calls(&self) -> usize {
        self.shared.summary_calls.load(Ordering::SeqCst)
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn messages(State(shared): State<Arc<Shared>>, Json(body): Json<Value>) -> Json<Value> {
    let system = body["system"].as_str().unwrap_or_default();
    let text = if system.contains("You translate questions") {
        shared.sql_calls.fetch_add(1, Ordering::SeqCst);
        shared.sql.lock().expect("sql lock").clone()
    } else {
        shared.summary_calls.fetch_add(1, Ordering::SeqCst);
        SUMMARY.to_owned()
    };
    Json(json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 34}
    }))
}
