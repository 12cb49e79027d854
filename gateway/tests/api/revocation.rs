//! Revocation is fast: a deleted or deactivated user, or a logged-out session, is refused by
//! every service within a minute, although its access token still verifies for 15 minutes.
//! The verifiers poll the auth service every `REVOCATION_POLL_MS` (at most 15 s in
//! production; 200 ms here so the tests take seconds).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ap_kit::audit::RequestContext;
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use ap_types::Role;
use secrecy::{ExposeSecret, SecretString};

use crate::fixtures::set_user_active;
use crate::helpers::{PASSWORD, TestApp, assert_error, test_config, test_db};

/// What the tests wait for at most: the production bound is one poll (≤ 15 s) plus one call
/// (5 s deadline); with a 200 ms poll this is generous.
const WITHIN: Duration = Duration::from_secs(10);

async fn spawn() -> TestApp {
    TestApp::spawn_with(&[("REVOCATION_POLL_MS", "200")], None).await
}

fn access(tokens: &serde_json::Value) -> String {
    tokens["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// `path` works with `token` now (the same token that is about to be revoked).
async fn works(app: &TestApp, path: &str, token: &str) {
    let r = app.get_authed(path, token).await;
    assert_eq!(r.status(), 200, "{path} before revocation");
}

/// Polls `path` until it is refused with 401 and returns how long that took; fails after
/// [`WITHIN`].
async fn refused_within(app: &TestApp, path: &str, token: &str) -> Duration {
    let start = Instant::now();
    loop {
        let r = app.get_authed(path, token).await;
        if r.status() == 401 {
            assert_error(r, 401, "Not authenticated.").await;
            return start.elapsed();
        }
        assert_eq!(r.status(), 200, "{path} answered neither 200 nor 401");
        assert!(
            start.elapsed() < WITHIN,
            "{path} still accepted a revoked session after {WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The services a revoked token must no longer reach: the invoice, payment and approval
/// services, each through the gateway.
const PATHS: &[&str] = &["/api/v1/invoices", "/api/v1/payments", "/api/v1/approvals"];

async fn assert_revoked_everywhere(app: &TestApp, token: &str) {
    for path in PATHS {
        let took = refused_within(app, path, token).await;
        assert!(took < WITHIN, "{path}: {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_user_is_refused_within_a_minute() {
    let app = spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    // An administrator reaches every one of the services below.
    let email = app.seed_user(Role::Admin).await;
    let token = access(&app.tokens(&email).await);
    for path in PATHS {
        works(&app, path, &token).await;
    }

    let id = app.user_id(&email).await;
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert!(r.status().is_success(), "{}", r.status());

    assert_revoked_everywhere(&app, &token).await;
    // The administrator's own session is untouched.
    works(&app, "/api/v1/invoices", &admin).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deactivated_user_is_refused_within_a_minute() {
    let app = spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let email = app.seed_user(Role::ApClerk).await;
    let token = access(&app.tokens(&email).await);
    works(&app, "/api/v1/invoices", &token).await;

    let id = app.user_id(&email).await;
    set_user_active(&app, &admin, &id, false).await;

    let took = refused_within(&app, "/api/v1/invoices", &token).await;
    assert!(took < WITHIN, "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_logged_out_session_is_refused_within_a_minute() {
    let app = spawn().await;
    let email = app.seed_user(Role::Admin).await;
    let session = access(&app.tokens(&email).await);
    let other_session = access(&app.tokens(&email).await);
    for path in PATHS {
        works(&app, path, &session).await;
    }

    let r = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&session)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);

    assert_revoked_everywhere(&app, &session).await;
    // Only that session ended: the same user's other login still works.
    works(&app, "/api/v1/invoices", &other_session).await;
}

/// Not only the gateway: a service reached directly (here the invoice service over gRPC, no
/// gateway in front) refuses the revoked session by itself, from its own cache.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_refuses_a_revoked_session_on_its_own() {
    let db = test_db().await;
    let (mut config, _) = test_config(&db, &[("REVOCATION_POLL_MS", "200")]);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let auth = ap_auth::Application::build(&config.for_service("auth"), loopback)
        .await
        .expect("auth");
    config.services.auth_url = format!("http://{}", auth.local_addr());
    tokio::spawn(auth.run_until(stop(stop_rx.clone())));
    let invoice = ap_invoice::Application::build(&config.for_service("invoice"), loopback)
        .await
        .expect("invoice");
    let invoice_url = format!("http://{}", invoice.local_addr());
    tokio::spawn(invoice.run_until(stop(stop_rx)));

    let pool = ap_kit::db::connect_pool(db.url(), ap_auth::SCHEMA, 2).expect("pool");
    let auth = ap_auth::build_app(&config, pool).expect("auth app");
    let email = format!("analyst-{}@example.com", uuid::Uuid::new_v4().simple());
    auth.create_user_unchecked(
        ap_auth::app::NewUser {
            email: email.clone(),
            name: "Analyst".into(),
            password: SecretString::from(PASSWORD.to_owned()),
            role: Role::ApAnalyst.as_str().to_owned(),
        },
        &RequestContext::default(),
    )
    .await
    .expect("user");
    let ctx = RequestContext::default();
    let tokens = auth
        .login(&email, SecretString::from(PASSWORD.to_owned()), &ctx)
        .await
        .expect("login");
    let token = tokens.access_token.expose_secret().to_owned();

    let channel = ap_kit::grpc::channel(&invoice_url, Duration::from_secs(5)).expect("channel");
    let mut client = InvoiceServiceClient::new(channel);
    let list = |token: &str| {
        let mut req = tonic::Request::new(pb::ListInvoicesRequest::default());
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("meta"),
        );
        req
    };
    client
        .list_invoices(list(&token))
        .await
        .expect("works before the logout");

    let principal = auth.verifier().verify(&token).expect("principal");
    auth.logout(&ap_auth::app::Caller { principal, ctx }, None)
        .await
        .expect("logout");

    let start = Instant::now();
    loop {
        match client.list_invoices(list(&token)).await {
            Err(status) if status.code() == tonic::Code::Unauthenticated => break,
            Ok(_) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
        assert!(
            start.elapsed() < WITHIN,
            "the invoice service still accepts the session"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
}
