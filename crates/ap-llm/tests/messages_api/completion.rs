//! Text completion: request headers, request body shape and response mapping.
use ap_llm::types::StopReason;
use serde_json::json;

use crate::fake_server::{FakeServer, Reply, TEST_KEY, text_message};

#[tokio::test]
async fn a_text_completion_round_trips_with_the_expected_headers_and_body() {
    let server = FakeServer::start(vec![Reply::ok(text_message("SELECT 1;"))]).await;

    let completion = server
        .client()
        .complete_text("You write SQL.", "How many invoices are open?")
        .await
        .expect("valid test input");

    assert_eq!(completion.text, "SELECT 1;");
    assert_eq!(completion.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(
        (
            completion.usage.input_tokens,
            completion.usage.output_tokens
        ),
        (12, 34)
    );
    assert_eq!(completion.model, "claude-test");
    assert_eq!(completion.message_id, "msg_01");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let seen = &requests[0];
    assert_eq!(seen.header("x-api-key"), Some(TEST_KEY));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.body,
        json!({
            "model": "claude-test",
            "max_tokens": 1024,
            "system": "You write SQL.",
            "messages": [{"role": "user", "content": "How many invoices are open?"}]
        })
    );
}

#[tokio::test]
async fn multiple_text_blocks_are_joined_and_a_textless_answer_is_a_bad_response() {
    let joined = json!({
        "id": "msg_02", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": "SELECT "}, {"type": "text", "text": "2;"}],
        "stop_reason": "max_tokens", "usage": {"input_tokens": 1, "output_tokens": 2}
    });
    let server = FakeServer::start(vec![Reply::ok(joined)]).await;
    let completion = server
        .client()
        .complete_text("", "q")
        .await
        .expect("valid test input");
    assert_eq!(completion.text, "SELECT 2;");
    assert_eq!(completion.stop_reason, Some(StopReason::MaxTokens));
    assert!(server.requests()[0].body.get("system").is_none());

    let empty = json!({
        "id": "msg_03", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [], "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 0}
    });
    let server = FakeServer::start(vec![Reply::ok(empty)]).await;
    let error = server.client().complete_text("s", "q").await.unwrap_err();
    assert!(
        matches!(error, ap_llm::LlmError::BadResponse(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_malformed_success_body_is_a_bad_response_without_retrying() {
    let server = FakeServer::start(vec![Reply::ok(json!({"unexpected": true}))]).await;
    let error = server.client().complete_text("s", "q").await.unwrap_err();
    assert!(
        matches!(error, ap_llm::LlmError::BadResponse(_)),
        "{error:?}"
    );
    assert_eq!(server.calls(), 1);
}
