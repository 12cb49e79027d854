//! Retry policy against scripted failures: which statuses are retried, how often, how long.
use std::time::{Duration, Instant};

use ap_llm::{Client, LlmConfig, LlmError};

use crate::fake_server::{FakeServer, Reply, text_message};

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_honoured_before_succeeding() {
    let server = FakeServer::start(vec![
        Reply::error(429, "rate_limit_error", "slow down").with_header("retry-after", "1"),
        Reply::ok(text_message("ok")),
    ])
    .await;

    let started = Instant::now();
    let completion = server
        .client()
        .complete_text("s", "q")
        .await
        .expect("valid test input");

    assert_eq!(completion.text, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn two_service_unavailable_answers_are_retried_until_success() {
    let server = FakeServer::start(vec![
        Reply::error(503, "api_error", "unavailable"),
        Reply::error(503, "api_error", "unavailable"),
        Reply::ok(text_message("ok")),
    ])
    .await;

    let completion = server
        .client()
        .complete_text("s", "q")
        .await
        .expect("valid test input");

    assert_eq!(completion.text, "ok");
    assert_eq!(server.calls(), 3);
}

#[tokio::test]
async fn persistent_overload_gives_up_as_unavailable_after_all_attempts() {
    let server = FakeServer::start(vec![Reply::error(529, "overloaded_error", "Overloaded")]).await;
    let client = Client::new(LlmConfig {
        max_retries: 2,
        ..server.config()
    })
    .expect("valid test input");

    let error = client.complete_text("s", "q").await.unwrap_err();

    assert!(
        matches!(error, LlmError::Unavailable { status: 529 }),
        "{error:?}"
    );
    assert_eq!(server.calls(), 3);
}

#[tokio::test]
async fn a_persistent_rate_limit_is_reported_with_its_retry_after() {
    let server = FakeServer::start(vec![
        Reply::error(429, "rate_limit_error", "slow down").with_header("retry-after", "0"),
    ])
    .await;
    let client = Client::new(LlmConfig {
        max_retries: 1,
        ..server.config()
    })
    .expect("valid test input");

    let error = client.complete_text("s", "q").await.unwrap_err();

    assert!(
        matches!(error, LlmError::RateLimited { retry_after: Some(d) } if d.is_zero()),
        "{error:?}"
    );
    assert_eq!(server.calls(), 2);
}

#[tokio::test]
async fn an_unauthorized_answer_is_not_retried() {
    let server = FakeServer::start(vec![Reply::error(
        401,
        "authentication_error",
        "invalid x-api-key",
    )])
    .await;

    let error = server.client().complete_text("s", "q").await.unwrap_err();

    assert!(matches!(error, LlmError::Unauthorized), "{error:?}");
    assert_eq!(server.calls(), 1);
}

#[tokio::test]
async fn a_bad_request_keeps_the_api_error_message_and_is_not_retried() {
    let server = FakeServer::start(vec![Reply::error(
        400,
        "invalid_request_error",
        "max_tokens: must be at most 64000",
    )])
    .await;

    let error = server.client().complete_text("s", "q").await.unwrap_err();

    let LlmError::BadRequest { message } = &error else {
        panic!("expected BadRequest, got {error:?}")
    };
    assert!(
        message.contains("max_tokens: must be at most 64000"),
        "{message}"
    );
    assert_eq!(server.calls(), 1);
    for (status, check) in [(403, "forbidden"), (404, "not found")] {
        let server = FakeServer::start(vec![Reply::error(status, "x", "y")]).await;
        let error = server.client().complete_text("s", "q").await.unwrap_err();
        let ok = match check {
            "forbidden" => matches!(error, LlmError::Forbidden),
            _ => matches!(error, LlmError::NotFound),
        };
        assert!(ok, "{status}: {error:?}");
        assert_eq!(server.calls(), 1);
    }
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_yields_timeout_after_retrying() {
    let server = FakeServer::start(vec![
        Reply::ok(text_message("too late")).delayed(Duration::from_secs(3)),
    ])
    .await;
    let config = LlmConfig {
        timeout: Duration::from_millis(200),
        max_retries: 1,
        ..server.config()
    };

    let started = Instant::now();
    let error = Client::new(config)
        .expect("valid test input")
        .complete_text("s", "q")
        .await
        .unwrap_err();

    assert!(matches!(error, LlmError::Timeout), "{error:?}");
    assert_eq!(server.calls(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retrying() {
    // Binding and dropping a listener yields a local port that refuses connections.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("valid test input");
        listener.local_addr().expect("valid test input").port()
    };
    let server = FakeServer::start(vec![Reply::ok(text_message("unused"))]).await;
    let config = LlmConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        max_retries: 1,
        ..server.config()
    };

    let error = Client::new(config)
        .expect("valid test input")
        .complete_text("s", "q")
        .await
        .unwrap_err();

    assert!(matches!(error, LlmError::Transport(_)), "{error:?}");
    assert!(error.is_transient());
}
