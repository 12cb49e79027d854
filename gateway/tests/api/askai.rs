//! `POST /api/v1/ask-ai` end to end: gateway → askai gRPC → PostgreSQL, with a fake model
//! server speaking the Anthropic Messages API. Authorization, the 400s that come before any
//! model call, 503 without a model, 429 over the per-address budget, and a real answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ap_types::Role;
use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

/// Answers the SQL call with `sql` and the summary call with a fixed sentence.
async fn fake_model(sql: &'static str) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/v1/messages",
            post(
                move |State(calls): State<Arc<AtomicUsize>>, Json(body): Json<Value>| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let system = body["system"].as_str().unwrap_or_default();
                    let text = if system.contains("You translate questions") {
                        sql
                    } else {
                        "Two vendors have invoices."
                    };
                    Json(json!({
                        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
                        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                        "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}
                    }))
                },
            ),
        )
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind fake model");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake model");
    });
    (url, calls, task)
}

async fn ask(app: &TestApp, token: Option<&str>, question: &str) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/api/v1/ask-ai"))
        .json(&json!({ "question": question }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("request")
}

#[tokio::test(flavor = "multi_thread")]
async fn asking_needs_a_token_and_an_analyst_admin_or_auditor_role() {
    let app = TestApp::spawn().await;
    assert_error(
        ask(&app, None, "How many invoices?").await,
        401,
        "Not authenticated.",
    )
    .await;
    for role in [Role::ApClerk, Role::Approver] {
        let (_, token) = app.user_with_token(role).await;
        assert_error(
            ask(&app, Some(&token), "How many invoices?").await,
            403,
            "You do not have permission to perform this action.",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_and_data_changing_questions_are_400_and_no_model_means_503() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    assert_error(
        ask(&app, Some(&token), "  ").await,
        400,
        "Question must not be empty.",
    )
    .await;
    for word in [
        "drop", "DELETE", "Insert", "update", "alter", "truncate", "grant", "revoke", "create",
        "merge",
    ] {
        assert_error(
            ask(&app, Some(&token), &format!("{word} the invoices please")).await,
            400,
            "Ask AI only reads data; questions asking to change data are refused.",
        )
        .await;
    }
    assert_error(
        ask(&app, Some(&token), "How many invoices are overdue?").await,
        503,
        "Ask AI is not configured.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_is_answered_with_rows_from_the_reporting_views() {
    let (model_url, calls, _model) = fake_model(
        "SELECT vendor_name, count(*) AS invoices FROM reporting.vendors v \
         JOIN reporting.invoices i USING (vendor_id, vendor_name) GROUP BY vendor_name ORDER BY vendor_name",
    )
    .await;
    let app = TestApp::spawn_with(
        &[
            ("ANTHROPIC_API_KEY", "sk-ant-test"),
            ("ANTHROPIC_BASE_URL", &model_url),
            ("EXTRACTION_WORKERS", "0"),
        ],
        None,
    )
    .await;
    app.db
        .client()
        .await
        .batch_execute(
            "INSERT INTO invoice.vendors (id, name, currency) VALUES
               ('00000000-0000-7000-8000-000000000001', 'Acme', 'USD'),
               ('00000000-0000-7000-8000-000000000002', 'Globex', 'EUR');
             INSERT INTO invoice.invoices (id, status, invoice_number, vendor_id, vendor_name, currency, total_amount, source)
             VALUES (gen_random_uuid(), 'approved', 'A-1', '00000000-0000-7000-8000-000000000001', 'Acme', 'USD', 10.50, 'api'),
                    (gen_random_uuid(), 'approved', 'A-2', '00000000-0000-7000-8000-000000000001', 'Acme', 'USD', 20, 'api'),
                    (gen_random_uuid(), 'paid', 'G-1', '00000000-0000-7000-8000-000000000002', 'Globex', 'EUR', 5, 'api');",
        )
        .await
        .expect("seed");
    let (_, token) = app.user_with_token(Role::Auditor).await;
    let resp = ask(&app, Some(&token), "How many invoices per vendor?").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["question"], "How many invoices per vendor?");
    assert_eq!(body["answer"], "Two vendors have invoices.");
    assert_eq!(body["columns"], json!(["vendor_name", "invoices"]));
    assert_eq!(body["rows"], json!([["Acme", 2], ["Globex", 1]]));
    assert_eq!(body["row_count"], 2);
    assert_eq!(body["truncated"], false);
    assert!(
        body["sql"]
            .as_str()
            .is_some_and(|s| s.contains("reporting.invoices"))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2, "SQL call and summary call");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_twenty_first_question_in_a_minute_is_rate_limited() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_ASKAI_PER_MIN", "20")], None).await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    for _ in 0..20 {
        let status = ask(&app, Some(&token), "").await.status();
        assert_eq!(status, 400);
    }
    let resp = ask(&app, Some(&token), "").await;
    assert!(resp.headers().get("retry-after").is_some());
    assert_eq!(resp.status(), 429);
}
