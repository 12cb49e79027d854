//! Login: success with form and JSON, identical failures, lockout, auditing.

use ap_types::Role;

use crate::helpers::{PASSWORD, TestApp, assert_error};

#[tokio::test(flavor = "multi_thread")]
async fn login_with_json_or_oauth2_form_returns_a_bearer_token_pair() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;

    let json = app.tokens(&email).await;
    assert_eq!(json["token_type"], "bearer");
    assert_eq!(json["expires_in"], 900);
    assert!(
        json["refresh_token"]
            .as_str()
            .expect("refresh")
            .starts_with("rt_")
    );

    for path in ["/api/v1/auth/token", "/api/v1/auth/login"] {
        let r = app
            .http
            .post(app.url(path))
            .form(&[
                ("username", email.as_str()),
                ("password", PASSWORD),
                ("grant_type", "password"),
            ])
            .send()
            .await
            .expect("form login");
        assert_eq!(r.status(), 200, "{path}");
        let body: serde_json::Value = r.json().await.expect("json");
        let me = app
            .get_authed(
                "/api/v1/users/me",
                body["access_token"].as_str().expect("token"),
            )
            .await;
        assert_eq!(me.status(), 200);
    }
    assert!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "user_login")
            .count()
            >= 3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_email_and_wrong_password_get_the_same_401_and_are_audited() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApAnalyst).await;

    let wrong = assert_error(
        app.login(&email, "not-the-password").await,
        401,
        "Incorrect email or password.",
    )
    .await;
    let unknown = assert_error(
        app.login("nobody@example.com", "not-the-password").await,
        401,
        "Incorrect email or password.",
    )
    .await;
    assert_eq!(wrong["code"], unknown["code"]);

    let rows = app
        .db
        .client()
        .await
        .query(
            "SELECT actor, after_data->>'reason' FROM auth.audit_log WHERE action = 'login_failed' ORDER BY seq",
            &[],
        )
        .await
        .expect("audit");
    let reasons: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        reasons,
        vec![
            (email.clone(), "wrong_password".to_owned()),
            (
                "anonymous:nobody@example.com".to_owned(),
                "unknown_email".to_owned()
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_lock_the_account_even_against_the_right_password() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    for _ in 0..5 {
        assert_eq!(app.login(&email, "wrong-password-1").await.status(), 401);
    }
    let locked = app.login(&email, PASSWORD).await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));

    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 5);
    assert_eq!(actions.iter().filter(|a| *a == "account_locked").count(), 1);
    assert!(!actions.contains(&"user_login".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_email_locks_exactly_like_a_real_one() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        assert_eq!(
            app.login("ghost@example.com", "whatever-password")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.login("ghost@example.com", "whatever-password")
            .await
            .status(),
        429
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deactivated_user_cannot_log_in() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let email = app.seed_user(Role::Approver).await;
    let id = app.user_id(&email).await;
    let r = app
        .http
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"is_active": false}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 200);
    assert_error(
        app.login(&email, PASSWORD).await,
        401,
        "Incorrect email or password.",
    )
    .await;
}

/// A login as `email` from client address `ip` (the gateway trusts loopback as its proxy).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
}

#[tokio::test(flavor = "multi_thread")]
async fn lockout_cannot_keep_the_real_user_out() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")], None).await;
    let email = app.seed_user(Role::Approver).await;
    // A stranger guesses from one address, then from other hosts of the same IPv6 /64.
    for _ in 0..5 {
        let r = login_from(&app, "2001:db8:bad:1::1", &email, "guess-password").await;
        assert_eq!(r.status(), 401);
    }
    for host in ["2001:db8:bad:1::1", "2001:db8:bad:1::2"] {
        let r = login_from(&app, host, &email, PASSWORD).await;
        assert_eq!(r.status(), 429, "the guesser's /64 is locked out");
    }

    // The real user, elsewhere, logs in at once, and keeps doing so while the guessing goes on.
    let r = login_from(&app, "203.0.113.20", &email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    for _ in 0..5 {
        login_from(&app, "2001:db8:bad:1::3", &email, "guess-password").await;
    }
    let r = login_from(&app, "203.0.113.20", &email, PASSWORD).await;
    assert_eq!(r.status(), 200);

    // The lock is audited with the block it applies to.
    let blocks: Vec<String> = app
        .db
        .client()
        .await
        .query(
            "SELECT after_data->>'client_block' FROM auth.audit_log \
             WHERE action = 'account_locked'",
            &[],
        )
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(blocks, vec!["2001:db8:bad:1::".to_owned()]);
}
