//! Request ids across hops, health, metrics and the OpenAPI document.

use ap_types::Role;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn one_request_id_is_on_the_response_and_on_gateway_and_auth_log_lines() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let rid = format!("it-{}", uuid::Uuid::new_v4().simple());
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-request-id", &rid)
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some(rid.as_str())
    );

    let lines = app.logs.lines_with(&rid);
    assert!(
        lines.iter().any(|l| l.contains("ap_gateway")),
        "gateway line: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("ap_auth")),
        "auth service line: {lines:#?}"
    );
    // The audit row of the login carries it too.
    let stored: String = app
        .db
        .client()
        .await
        .query_one(
            "SELECT request_id FROM auth.audit_log WHERE action = 'user_login'",
            &[],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(stored, rid);
    // Secrets never reach the log.
    assert!(!app.logs.contents().contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_insane_request_id_is_replaced_and_a_missing_one_generated() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/health/live"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .expect("request");
    let id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("id")
        .to_owned();
    assert_ne!(id, "bad id with spaces");
    assert!(ap_kit::request_id::is_sane_request_id(&id));
    let long = "a".repeat(129);
    let r = app
        .http
        .get(app.url("/health/live"))
        .header("x-request-id", &long)
        .send()
        .await
        .expect("request");
    assert_ne!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some(long.as_str())
    );
    let r = app
        .http
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("request");
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_each_service_and_live_always_answers() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "services": {"auth": "ok", "invoice": "ok", "payment": "ok", "approval": "ok", "askai": "ok"}})
    );
    let r = app
        .http
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("live");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_label_requests_by_route_template_not_raw_path() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let id = uuid::Uuid::new_v4();
    let r = app
        .get_authed(&format!("/api/v1/admin/users/{id}"), &admin)
        .await;
    assert_eq!(r.status(), 404);
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains(r#"route="/api/v1/admin/users/{id}""#),
        "metrics: {text:?} logs: {:?}",
        app.logs.lines_with("request served")
    );
    assert!(!text.contains(&id.to_string()));
    assert!(text.contains("http_request_duration_seconds"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_and_docs_page_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/token",
        "/api/v1/admin/users/{id}",
        "/health",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    let page = app
        .http
        .get(app.url("/api/docs/"))
        .send()
        .await
        .expect("docs");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("swagger"));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_docs_can_be_switched_off() {
    let app = TestApp::spawn_with(&[("API_DOCS_ENABLED", "false")], None).await;
    assert_eq!(
        app.http
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .expect("r")
            .status(),
        404
    );
}
