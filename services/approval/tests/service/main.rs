//! Approval service outages: its database or a dependency gone → `Unavailable` (a 503 at the
//! gateway), never a panic or a hang; and an event from anyone but the invoice service is
//! refused.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ap_proto::approval::v1 as pb;
use ap_proto::approval::v1::approval_service_client::ApprovalServiceClient;
use ap_proto::common::v1::Event;
use ap_proto::common::v1::event_sink_client::EventSinkClient;
use ap_types::{Role, SessionId, UserId};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tonic::transport::Channel;

struct Running {
    channel: Channel,
    token: String,
    _stop: watch::Sender<bool>,
}

/// The service against `database_url`, with auth and invoice pointing at closed ports.
async fn running(database_url: &str) -> Running {
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let env: HashMap<&str, String> = HashMap::from([
        ("APP_ENV", "test".to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("JWT_PUBLIC_KEY", public),
        ("AUTH_URL", "http://127.0.0.1:9".to_owned()),
        ("INVOICE_URL", "http://127.0.0.1:9".to_owned()),
        ("GRPC_REQUEST_TIMEOUT_SECS", "5".to_owned()),
    ]);
    let config = ap_kit::Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let app = ap_approval::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("approval service");
    let url = format!("http://{}", app.local_addr());
    let (tx, mut rx) = watch::channel(false);
    tokio::spawn(app.run_until(async move {
        let _ = rx.wait_for(|v| *v).await;
    }));
    let signer = ap_kit::token::TokenSigner::from_pem(
        &secrecy::SecretString::from(private.expose_secret().to_owned()),
        Duration::from_secs(300),
    )
    .expect("signer");
    let token = signer
        .issue(
            UserId::new(),
            Role::Approver,
            "a@example.com",
            SessionId::new(),
        )
        .expect("token");
    Running {
        channel: Channel::from_shared(url).expect("url").connect_lazy(),
        token,
        _stop: tx,
    }
}

fn authed<T>(r: &Running, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", r.token).parse().expect("header"),
    );
    req
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_is_gone_makes_requests_unavailable_not_hang() {
    let r = running("postgres://postgres@127.0.0.1:9/nowhere").await;
    let started = std::time::Instant::now();
    let err = ApprovalServiceClient::new(r.channel.clone())
        .list_tasks(authed(&r, pb::ListTasksRequest::default()))
        .await
        .expect_err("no database");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_without_the_invoice_service_token_is_refused() {
    let db =
        ap_test_support::TestDb::new(
            "approval",
            |url| async move { ap_approval::migrate(&url).await },
        )
        .await;
    let r = running(db.url()).await;
    let event = Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        event_type: "invoice.approval_requested".into(),
        payload_json: "{}".into(),
        source: "invoice".into(),
        occurred_at: String::new(),
    };
    let mut sink = EventSinkClient::new(r.channel.clone());
    let err = sink
        .deliver(tonic::Request::new(event.clone()))
        .await
        .expect_err("no token");
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    // A user's access token is not a service token either.
    let err = sink
        .deliver(authed(&r, event))
        .await
        .expect_err("user token");
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let processed: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM approval.processed_events", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(processed, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_invoice_service_makes_a_decision_unavailable() {
    let db =
        ap_test_support::TestDb::new(
            "approval",
            |url| async move { ap_approval::migrate(&url).await },
        )
        .await;
    let r = running(db.url()).await;
    let client = db.client().await;
    client
        .batch_execute(
            "INSERT INTO approval.approval_requests (id, invoice_id, event_id, match_run, amount, levels, current_level, status) \
             VALUES ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-0000000000b1', \
                     '00000000-0000-7000-8000-0000000000c1', 1, 100, '[{\"level\":1,\"role\":\"APPROVER\",\"approvers_required\":1}]', 1, 'open');
             INSERT INTO approval.approval_tasks (id, request_id, invoice_id, level, slot, status, due_at) \
             VALUES ('00000000-0000-7000-8000-0000000000d1', '00000000-0000-7000-8000-0000000000a1', \
                     '00000000-0000-7000-8000-0000000000b1', 1, 1, 'pending', now() + interval '1 day');",
        )
        .await
        .expect("seed");
    let err = ApprovalServiceClient::new(r.channel.clone())
        .approve(authed(
            &r,
            pb::DecisionRequest {
                task_id: "00000000-0000-7000-8000-0000000000d1".into(),
                text: String::new(),
            },
        ))
        .await
        .expect_err("invoice service down");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err:?}");
    let status: String = client
        .query_one(
            "SELECT status FROM approval.approval_tasks WHERE id = '00000000-0000-7000-8000-0000000000d1'",
            &[],
        )
        .await
        .expect("task")
        .get(0);
    assert_eq!(status, "pending");
}
