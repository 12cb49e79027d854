//! Structured extraction through a forced tool call.
use ap_llm::LlmError;
use serde::Deserialize;
use serde_json::json;

use crate::fake_server::{FakeServer, Reply, text_message, tool_message};

#[derive(Debug, Deserialize, PartialEq)]
struct InvoiceFields {
    invoice_number: String,
    total: f64,
    currency: String,
}

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "invoice_number": {"type": "string"},
            "total": {"type": "number"},
            "currency": {"type": "string"}
        },
        "required": ["invoice_number", "total", "currency"]
    })
}

async fn extract(server: &FakeServer) -> Result<ap_llm::Structured<InvoiceFields>, LlmError> {
    server
        .client()
        .extract_structured::<InvoiceFields>(
            "Extract invoice fields.",
            "<document>\nInvoice RE-1 total 119.00 EUR\n</document>",
            "record_invoice",
            "Records the extracted invoice fields.",
            schema(),
        )
        .await
}

#[tokio::test]
async fn structured_extraction_returns_the_typed_value_from_the_forced_tool_call() {
    let input = json!({"invoice_number": "RE-1", "total": 119.0, "currency": "EUR"});
    let server = FakeServer::start(vec![Reply::ok(tool_message("record_invoice", input))]).await;

    let structured = extract(&server).await.expect("valid test input");

    assert_eq!(
        structured.value,
        InvoiceFields {
            invoice_number: "RE-1".into(),
            total: 119.0,
            currency: "EUR".into()
        }
    );
    assert_eq!(structured.tool_use_id, "toolu_01");
    let body = &server.requests()[0].body;
    assert_eq!(body["model"], "claude-test");
    assert_eq!(body["max_tokens"], 1024);
    assert_eq!(body["system"], "Extract invoice fields.");
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(
        body["tools"],
        json!([{
            "name": "record_invoice",
            "description": "Records the extracted invoice fields.",
            "input_schema": schema()
        }])
    );
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "record_invoice"})
    );
}

#[tokio::test]
async fn a_response_with_only_text_is_a_bad_response() {
    let server = FakeServer::start(vec![Reply::ok(text_message(
        "I refuse: secret-model-output",
    ))])
    .await;

    let error = extract(&server).await.unwrap_err();

    let LlmError::BadResponse(detail) = &error else {
        panic!("expected BadResponse, got {error:?}")
    };
    assert!(!error.to_string().contains("secret-model-output"));
    assert_eq!(detail.raw(), Some("I refuse: secret-model-output"));
}

#[tokio::test]
async fn tool_input_that_does_not_match_the_type_is_a_bad_response() {
    let input = json!({"invoice_number": "RE-1", "total": "one hundred", "currency": "EUR"});
    let server = FakeServer::start(vec![Reply::ok(tool_message("record_invoice", input))]).await;

    let error = extract(&server).await.unwrap_err();

    assert!(matches!(error, LlmError::BadResponse(_)), "{error:?}");
    let display = error.to_string();
    assert_eq!(
        display,
        "llm returned an unusable response: tool input did not match the expected shape"
    );
    assert!(
        format!("{error:?}").contains("one hundred"),
        "debug keeps the raw detail"
    );
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn a_call_of_a_different_tool_is_a_bad_response() {
    let server = FakeServer::start(vec![Reply::ok(tool_message("other_tool", json!({})))]).await;
    let error = extract(&server).await.unwrap_err();
    assert!(matches!(error, LlmError::BadResponse(_)), "{error:?}");
}
