//! Edge behaviour: token checks, rate limits, trusted proxies, safe errors, panics, outages,
//! security headers, body limits.

use std::time::Duration;

use ap_types::Role;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_error};

fn forge(app: &TestApp, claims: serde_json::Value, key: Option<&str>) -> String {
    let pem = key.map_or_else(|| app.private_key.expose_secret().to_owned(), str::to_owned);
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("key");
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).expect("encode")
}

fn claims(exp_offset: i64) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": uuid::Uuid::new_v4().to_string(), "role": "ADMIN", "email": "x@example.com",
        "jti": "j", "sid": uuid::Uuid::new_v4().to_string(), "iat": now,
        "exp": now + exp_offset, "iss": "ap-auth", "aud": "ap-api",
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_expired_and_foreign_tokens_are_401_without_detail() {
    let app = TestApp::spawn().await;
    let (_, good) = app.user_with_token(Role::ApClerk).await;
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        claims(600).to_string(),
    );
    parts[1] = &forged_payload;
    let tampered = parts.join(".");
    let expired = forge(&app, claims(-3600), None);
    let (other_key, _) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let foreign = forge(&app, claims(600), Some(other_key.expose_secret()));
    let none_alg = format!(
        "{}.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            r#"{"alg":"none","typ":"JWT"}"#
        ),
        forged_payload
    );
    for token in [tampered, expired, foreign, none_alg, "garbage".to_owned()] {
        let r = app.get_authed("/api/v1/users/me", &token).await;
        let body = assert_error(r, 401, "Not authenticated.").await;
        let text = body.to_string().to_lowercase();
        for leak in ["signature", "expired", "invalid", "base64", "json"] {
            assert!(!text.contains(leak), "{leak} leaked: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_eleventh_login_in_a_minute_from_one_address_is_429_with_retry_after() {
    let app = TestApp::spawn().await;
    for i in 0..10 {
        // Distinct unknown emails, so account lockout never kicks in.
        let r = app
            .login(&format!("nobody{i}@example.com"), "whatever-password")
            .await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = app
        .login("nobody-else@example.com", "whatever-password")
        .await;
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("retry-after seconds");
    assert!((1..=60).contains(&retry));
    let body = assert_error(r, 429, "Too many requests. Try again later.").await;
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let trusted = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")], None).await;
    for i in 0..12 {
        let r = trusted
            .http
            .post(trusted.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"email": format!("n{i}@example.com"), "password": "whatever-password"}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 401, "each forwarded client has its own budget");
    }

    let untrusted = TestApp::spawn().await;
    let mut statuses = Vec::new();
    for i in 0..11 {
        let r = untrusted
            .http
            .post(untrusted.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"email": format!("n{i}@example.com"), "password": "whatever-password"}))
            .send()
            .await
            .expect("login");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "a spoofed header does not escape the limit: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_rpc_that_fails_internally_is_a_generic_500_and_logged_with_detail() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    app.db
        .client()
        .await
        .execute(
            "UPDATE auth.users SET password_hash = 'not-a-phc-string' WHERE email = $1",
            &[&email],
        )
        .await
        .expect("corrupt");
    let r = app.login(&email, PASSWORD).await;
    let body = assert_error(r, 500, "Internal server error.").await;
    assert_eq!(body["code"], "internal");
    assert!(!body.to_string().contains("malformed"));
    let rid = body["request_id"].as_str().expect("rid");
    let logged = app.logs.lines_with(rid);
    assert!(
        logged.iter().any(|l| l.contains("malformed")),
        "the detail is in the log with the request id: {logged:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_is_a_clean_500() {
    let boom = axum::Router::new().route(
        "/api/v1/boom",
        get(|| async {
            if uuid::Uuid::new_v4().is_nil() {
                return "unreachable";
            }
            panic!("secret internal detail 0xdeadbeef")
        }),
    );
    let app = TestApp::spawn_with(&[], Some(boom)).await;
    let r = app
        .http
        .get(app.url("/api/v1/boom"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    let body = assert_error(r, 500, "Internal server error.").await;
    assert!(!body.to_string().contains("deadbeef"));
    // The server survives.
    assert_eq!(
        app.http
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("live")
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_database_gone_health_and_api_answer_503_quickly() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    app.db.drop_now().await;

    // Each service notices the loss on its own health check; wait until both have.
    let started = std::time::Instant::now();
    let mut health = 0;
    let mut body = serde_json::Value::Null;
    while started.elapsed() < Duration::from_secs(10) {
        let r = app
            .http
            .get(app.url("/health"))
            .send()
            .await
            .expect("health");
        health = r.status().as_u16();
        body = r.json().await.expect("json");
        if health == 503
            && body["services"]["auth"] == "not_serving"
            && body["services"]["invoice"] == "not_serving"
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(health, 503);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["auth"], "not_serving");
    assert_eq!(body["services"]["invoice"], "not_serving");

    let started = std::time::Instant::now();
    let r = app.login(&email, PASSWORD).await;
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    assert_error(r, 503, "Service temporarily unavailable.").await;
    assert_eq!(
        app.http
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("live")
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_security_headers_and_errors_the_house_body() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/api/v1/no-such-route"))
        .send()
        .await
        .expect("request");
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(
            r.headers().get(h).and_then(|x| x.to_str().ok()),
            Some(v),
            "{h}"
        );
    }
    assert_error(r, 404, "Not found.").await;

    let r = app
        .http
        .delete(app.url("/health"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["code"],
        "method_not_allowed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_413_and_reaches_no_service() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"a@b.c","password":"{big}"}}"#))
        .send()
        .await
        .expect("request");
    assert_error(r, 413, "Request body too large.").await;
    assert!(app.audit_actions().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(&[("CORS_ORIGINS", "https://ap.example.com")], None).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = preflight("https://ap.example.com")
        .await
        .expect("preflight");
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://ap.example.com")
    );
    let other = preflight("https://evil.example").await.expect("preflight");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
