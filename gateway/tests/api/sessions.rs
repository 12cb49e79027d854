//! Sessions: refresh rotation, reuse detection, logout, deactivation and role changes.

use ap_types::Role;
use serde_json::json;

use crate::fixtures::set_user_active;
use crate::helpers::{TestApp, assert_error};

fn s(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().expect(k).to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_and_reusing_an_old_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let first = app.tokens(&email).await;

    let r = app.refresh(&s(&first, "refresh_token")).await;
    assert_eq!(r.status(), 200);
    let second: serde_json::Value = r.json().await.expect("json");
    assert_ne!(s(&first, "refresh_token"), s(&second, "refresh_token"));

    // The first token was rotated: presenting it again looks like theft.
    assert_error(
        app.refresh(&s(&first, "refresh_token")).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
    // ...and the legitimate newer token dies with the family.
    assert_error(
        app.refresh(&s(&second, "refresh_token")).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;

    let actions = app.audit_actions().await;
    assert!(actions.contains(&"token_refreshed".to_owned()));
    assert!(actions.contains(&"refresh_token_reuse".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_refreshes_of_one_token_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let token = s(&app.tokens(&email).await, "refresh_token");
    let results = futures::future::join_all((0..10).map(|_| app.refresh(&token))).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results
            .iter()
            .map(reqwest::Response::status)
            .collect::<Vec<_>>()
    );
    assert!(
        results
            .iter()
            .all(|r| r.status() == 200 || r.status() == 401)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::Auditor).await;
    let tokens = app.tokens(&email).await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(s(&tokens, "access_token"))
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    assert_error(
        app.refresh(&s(&tokens, "refresh_token")).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
    assert!(
        app.audit_actions()
            .await
            .contains(&"user_logout".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_without_a_token_is_401() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .expect("logout");
    assert_error(r, 401, "Not authenticated.").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_ends_refresh_and_access_immediately_at_the_service() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let email = app.seed_user(Role::ApAnalyst).await;
    let tokens = app.tokens(&email).await;
    let id = app.user_id(&email).await;

    set_user_active(&app, &admin, &id, false).await;

    assert_error(
        app.refresh(&s(&tokens, "refresh_token")).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
    // The access token still verifies cryptographically until it expires (15 minutes at
    // most), but the service checks the account on every call that reads it.
    assert_error(
        app.get_authed("/api/v1/users/me", &s(&tokens, "access_token"))
            .await,
        401,
        "Not authenticated.",
    )
    .await;
    assert!(tokens["expires_in"].as_u64().expect("ttl") <= 900);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"user_deactivated".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_change_ends_the_users_sessions() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let email = app.seed_user(Role::ApClerk).await;
    let tokens = app.tokens(&email).await;
    let id = app.user_id(&email).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"role": "AP_ANALYST"}))
        .send()
        .await
        .expect("role change");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["role"], "AP_ANALYST");
    assert_error(
        app.refresh(&s(&tokens, "refresh_token")).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
    assert!(
        app.audit_actions()
            .await
            .contains(&"role_changed".to_owned())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn me_shows_the_account_and_never_a_password_hash() {
    let app = TestApp::spawn().await;
    let (email, token) = app.user_with_token(Role::Approver).await;
    for path in ["/api/v1/users/me", "/api/v1/auth/me"] {
        let r = app.get_authed(path, &token).await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.expect("body");
        assert!(
            !text.contains("argon2") && !text.contains("password"),
            "{text}"
        );
        let body: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body["email"], email.as_str());
        assert_eq!(body["role"], "APPROVER");
        assert_eq!(body["is_active"], true);
        let mut keys: Vec<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "email",
                "id",
                "is_active",
                "name",
                "role",
                "updated_at"
            ]
        );
    }
}
