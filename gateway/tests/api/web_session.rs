//! The web app's session: with `X-Client: web` the refresh token lives only in the
//! `ap_refresh` cookie (HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth); refresh and
//! logout read it; without the header the cookie is ignored and the JSON form is unchanged.

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error};

const LOGIN: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";

/// The `Set-Cookie` header for `ap_refresh`, if the response has one.
fn set_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("ap_refresh="))
        .map(str::to_owned)
}

/// The cookie's value (`rt_…`), from a `Set-Cookie` header.
fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("ap_refresh="))
        .expect("ap_refresh=value")
        .to_owned()
}

fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .collect()
}

async fn web_login(app: &TestApp, email: &str) -> (Value, String) {
    let r = app
        .http
        .post(app.url(LOGIN))
        .header("x-client", "web")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    let cookie = set_cookie(&r).expect("login sets the refresh cookie");
    let body: Value = r.json().await.expect("json");
    (body, cookie_value(&cookie))
}

async fn web_refresh(
    app: &TestApp,
    cookie: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.http.post(app.url(REFRESH)).header("x-client", "web");
    if let Some(c) = cookie {
        req = req.header("cookie", format!("theme=dark; ap_refresh={c}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("refresh")
}

async fn me_status(app: &TestApp, access: &str) -> u16 {
    app.get_authed("/api/v1/auth/me", access)
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_sets_a_strict_http_only_cookie_and_keeps_the_token_out_of_the_body() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let r = app
        .http
        .post(app.url(LOGIN))
        .header("x-client", "web")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookie = set_cookie(&r).expect("Set-Cookie: ap_refresh");
    let mut attrs = attributes(&cookie);
    attrs.sort();
    assert_eq!(
        attrs,
        ["HttpOnly", "Path=/api/v1/auth", "SameSite=Strict", "Secure"],
        "{cookie}"
    );
    assert!(cookie_value(&cookie).starts_with("rt_"), "{cookie}");
    let body: Value = r.json().await.expect("json");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(body["token_type"], "bearer", "{body}");
    let access = body["access_token"].as_str().expect("access token");
    assert_eq!(me_status(&app, access).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_by_cookie_answers_an_access_token_and_rotates_the_cookie() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::Approver).await;
    let (_, first) = web_login(&app, &email).await;

    // Body `{}`.
    let r = web_refresh(&app, Some(&first), Some(json!({}))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let second = cookie_value(&set_cookie(&r).expect("rotated cookie"));
    assert_ne!(first, second);
    let body: Value = r.json().await.expect("json");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(
        me_status(&app, body["access_token"].as_str().expect("access")).await,
        200
    );

    // No body at all.
    let r = web_refresh(&app, Some(&second), None).await;
    assert_eq!(r.status(), 200);
    let third = cookie_value(&set_cookie(&r).expect("rotated cookie"));
    assert_ne!(second, third);

    // The first cookie was rotated away: replaying it is reuse, which ends the session and
    // tells the browser to drop the cookie.
    let r = web_refresh(&app, Some(&first), None).await;
    let cleared = set_cookie(&r).expect("refusal clears the cookie");
    assert!(cleared.starts_with("ap_refresh=;"), "{cleared}");
    assert!(
        attributes(&cleared).contains(&"Max-Age=0".to_owned()),
        "{cleared}"
    );
    assert_error(r, 401, "Invalid or expired refresh token.").await;
    assert_error(
        web_refresh(&app, Some(&third), None).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_refresh_without_a_cookie_is_refused_in_words() {
    let app = TestApp::spawn().await;
    let r = web_refresh(&app, None, Some(json!({}))).await;
    assert!(set_cookie(&r).is_some_and(|c| c.contains("Max-Age=0")));
    assert_error(r, 401, "Not authenticated.").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_cookie_session_too_and_clears_the_cookie() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApAnalyst).await;
    // Two sessions of one user: the bearer's (an API client) and the browser's cookie.
    let api = app.tokens(&email).await;
    let (_, cookie) = web_login(&app, &email).await;
    let api_access = api["access_token"].as_str().expect("access");

    let r = app
        .http
        .post(app.url(LOGOUT))
        .bearer_auth(api_access)
        .header("x-client", "web")
        .header("cookie", format!("ap_refresh={cookie}"))
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    let cleared = set_cookie(&r).expect("logout clears the cookie");
    let mut attrs = attributes(&cleared);
    attrs.sort();
    assert_eq!(
        attrs,
        [
            "HttpOnly",
            "Max-Age=0",
            "Path=/api/v1/auth",
            "SameSite=Strict",
            "Secure"
        ],
        "{cleared}"
    );
    assert!(cleared.starts_with("ap_refresh=;"), "{cleared}");

    // Both sessions are over: the cookie's refresh token and the API client's.
    assert_error(
        web_refresh(&app, Some(&cookie), None).await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
    assert_error(
        app.refresh(api["refresh_token"].as_str().expect("refresh"))
            .await,
        401,
        "Invalid or expired refresh token.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_logout_without_a_live_access_token_still_ends_the_cookie_session() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let (_, cookie) = web_login(&app, &email).await;
    // The access token was lost or has expired (a reloaded tab, a laptop that slept).
    let r = app
        .http
        .post(app.url(LOGOUT))
        .header("x-client", "web")
        .header("cookie", format!("ap_refresh={cookie}"))
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    assert!(set_cookie(&r).is_some_and(|c| c.contains("Max-Age=0")));
    assert_error(
        web_refresh(&app, Some(&cookie), None).await,
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
async fn the_cookie_is_ignored_without_the_web_header() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::ApClerk).await;
    let (_, cookie) = web_login(&app, &email).await;

    // Refresh: the JSON contract applies, the cookie is not read (and not consumed).
    let r = app
        .http
        .post(app.url(REFRESH))
        .header("cookie", format!("ap_refresh={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .expect("refresh");
    assert!(set_cookie(&r).is_none());
    assert_eq!(r.status(), 400);
    let r = app
        .http
        .post(app.url(REFRESH))
        .header("cookie", format!("ap_refresh={cookie}"))
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), 415);
    // Logout: a cookie alone authenticates nothing.
    let r = app
        .http
        .post(app.url(LOGOUT))
        .header("cookie", format!("ap_refresh={cookie}"))
        .send()
        .await
        .expect("logout");
    assert!(set_cookie(&r).is_none());
    assert_error(r, 401, "Not authenticated.").await;
    // A header of another value is not the web app either.
    let r = app
        .http
        .post(app.url(REFRESH))
        .header("x-client", "webby")
        .header("cookie", format!("ap_refresh={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .expect("refresh");
    assert_eq!(r.status(), 400);

    // The cookie still works for the web app: nothing above touched the session.
    assert_eq!(web_refresh(&app, Some(&cookie), None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_clients_get_the_refresh_token_in_the_body_and_no_cookie() {
    let app = TestApp::spawn().await;
    let email = app.seed_user(Role::Admin).await;
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
    let tokens: Value = r.json().await.expect("json");
    let refresh = tokens["refresh_token"].as_str().expect("refresh_token");
    assert!(refresh.starts_with("rt_"));

    let r = app.refresh(refresh).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
    let next: Value = r.json().await.expect("json");
    assert!(next["refresh_token"].as_str().is_some_and(|t| t != refresh));
    assert!(next["access_token"].is_string());
}
