//! The invoice service over real gRPC and a real database: schema and indexes, the internal
//! RPCs other services use (service tokens, compare-and-set status changes, payment fields),
//! and extraction.

mod claims;
mod extraction;
mod internal_rpcs;
mod matching;
mod messages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::outbox::SERVICE_TOKEN;
use ap_kit::token::{ServiceTokens, TokenSigner};
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use ap_test_support::TestDb;
use ap_types::{Role, SessionId, UserId};
use secrecy::ExposeSecret;
use tonic::Code;
use tonic::transport::Channel;

pub struct Service {
    pub client: InvoiceServiceClient<Channel>,
    pub db: TestDb,
    pub signer: TokenSigner,
    /// The use-case layer on the same database and storage, to drive workers step by step.
    pub app: ap_invoice::InvoiceApp,
    pub storage_dir: std::path::PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.storage_dir);
    }
}

async fn spawn() -> Service {
    spawn_with(&[]).await
}

pub async fn spawn_with(extra: &[(&str, &str)]) -> Service {
    let db = TestDb::new(
        "invoice",
        |url| async move { ap_invoice::migrate(&url).await },
    )
    .await;
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let mut env: HashMap<String, String> = HashMap::from([
        ("APP_ENV".into(), "test".into()),
        ("DATABASE_URL".into(), db.url().to_owned()),
        ("JWT_PUBLIC_KEY".into(), public),
        (
            "DATA_ENCRYPTION_KEY".into(),
            ap_invoice::crypto::DataCipher::generate_key()
                .expose_secret()
                .to_owned(),
        ),
        (
            "STORAGE_URL".into(),
            format!(
                "file://{}",
                std::env::temp_dir()
                    .join(format!("ap-svc-{}", db.name()))
                    .display()
            ),
        ),
        // Tests drive extraction step by step through `app.extract_next`.
        ("EXTRACTION_WORKERS".into(), "0".into()),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let server = ap_invoice::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("build")
        .with_health_interval(Duration::from_millis(100));
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let channel =
        ap_kit::grpc::channel(&format!("http://{addr}"), Duration::from_secs(10)).expect("channel");
    let pool = ap_kit::db::connect_pool(db.url(), ap_invoice::SCHEMA, 4).expect("pool");
    let app = ap_invoice::build_app(&config, pool).expect("app");
    let storage_dir = std::path::PathBuf::from(config.storage_url.trim_start_matches("file://"));
    Service {
        client: InvoiceServiceClient::new(channel),
        app,
        storage_dir,
        db,
        signer: TokenSigner::from_pem(&private, Duration::from_secs(900)).expect("signer"),
        _stop: tx,
    }
}

impl Service {
    /// A request carrying service `name`'s token, signed with its (development) key.
    pub fn as_service<T>(&self, name: &str, msg: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        req.metadata_mut().insert(
            SERVICE_TOKEN,
            ServiceTokens::development(name)
                .expect("tokens")
                .issue(name)
                .expect("token")
                .parse()
                .expect("meta"),
        );
        req
    }

    pub fn as_user<T>(&self, role: Role, msg: T) -> tonic::Request<T> {
        let token = self
            .signer
            .issue(UserId::new(), role, "u@example.com", SessionId::new())
            .expect("token");
        let mut req = tonic::Request::new(msg);
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("meta"),
        );
        req
    }

    async fn invoice(&self, status: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        self.db
            .client()
            .await
            .execute(
                "INSERT INTO invoice.invoices (id, status, source, currency, total_amount) VALUES ($1::text::uuid, $2, 'upload', 'EUR', 100)",
                &[&id, &status],
            )
            .await
            .expect("insert");
        id
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migration_creates_every_index_the_queries_rely_on() {
    let svc = spawn().await;
    let rows = svc
        .db
        .client()
        .await
        .query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'invoice'",
            &[],
        )
        .await
        .expect("indexes");
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for index in [
        "invoices_status",
        "invoices_created_at",
        "invoices_due_date",
        "invoices_status_created",
        "invoices_payment_status",
        "invoices_vendor_number",
        "invoices_keyset",
        "invoices_number_trgm",
        "invoices_vendor_name_trgm",
        "purchase_orders_po_number",
        "vendors_tax_id_live",
        "documents_sha256",
        "extraction_jobs_due",
        "audit_log_entity_timeline",
        "outbox_pending",
        "exceptions_status_severity",
        "exceptions_assigned_status",
        "exceptions_invoice",
        "exceptions_keyset",
        "invoices_vendor_date",
        "match_lines_po_line",
        "match_rule_sets_one_draft",
    ] {
        assert!(
            names.iter().any(|n| n == index),
            "index {index} missing; have {names:?}"
        );
    }
    // The keyset order is served by an index scan, not a sort of the whole table.
    let client = svc.db.client().await;
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .expect("set");
    let plan: Vec<String> = client
        .query(
            "EXPLAIN SELECT * FROM invoice.invoices WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 51",
            &[],
        )
        .await
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.iter().any(|l| l.contains("invoices_keyset")),
        "{plan:#?}"
    );
    assert!(!plan.iter().any(|l| l.contains("Sort")), "{plan:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_rpcs_accept_allowed_services_and_refuse_strangers() {
    let svc = spawn().await;
    let id = svc.invoice("extracted").await;
    let mut client = svc.client.clone();
    let summary = client
        .get_invoice_summary(svc.as_service("payment", pb::IdRequest { id: id.clone() }))
        .await
        .expect("payment may read");
    assert_eq!(summary.get_ref().status, "extracted");
    assert_eq!(summary.get_ref().total_amount, "100.00");

    let err = client
        .get_invoice_summary(svc.as_service("mailer", pb::IdRequest { id: id.clone() }))
        .await
        .expect_err("unknown service");
    assert_eq!(err.code(), Code::Unauthenticated);
    // A token naming the payment service, signed with a key that is not the payment service's.
    let (other_key, _) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let forged = ServiceTokens::new("payment", &other_key, &[]).expect("t");
    let mut req = tonic::Request::new(pb::IdRequest { id: id.clone() });
    req.metadata_mut().insert(
        SERVICE_TOKEN,
        forged
            .issue("payment")
            .expect("token")
            .parse()
            .expect("meta"),
    );
    assert_eq!(
        client
            .get_invoice_summary(req)
            .await
            .expect_err("forged")
            .code(),
        Code::Unauthenticated
    );

    let transition = pb::TransitionStatusRequest {
        id: id.clone(),
        expected_status: "extracted".into(),
        event: "begin_matching".into(),
        reason: String::new(),
    };
    let err = client
        .transition_status(svc.as_user(Role::ApClerk, transition.clone()))
        .await
        .expect_err("clerk");
    assert_eq!(err.code(), Code::PermissionDenied);
    let moved = client
        .transition_status(svc.as_service("approval", transition))
        .await
        .expect("approval service");
    assert_eq!(moved.get_ref().status, "matching");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_compare_and_set_transitions_move_an_invoice_once() {
    let svc = spawn().await;
    let id = svc.invoice("pending_approval").await;
    let calls = (0..10).map(|_| {
        let mut client = svc.client.clone();
        let req = svc.as_service(
            "approval",
            pb::TransitionStatusRequest {
                id: id.clone(),
                expected_status: "pending_approval".into(),
                event: "approve".into(),
                reason: String::new(),
            },
        );
        async move { client.transition_status(req).await }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code() == Code::AlreadyExists)
    );
    let changes: i64 = svc
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM invoice.audit_log WHERE action = 'invoice_status_changed'",
            &[],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(changes, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_illegal_transition_is_refused_and_changes_nothing() {
    let svc = spawn().await;
    let id = svc.invoice("paid").await;
    let mut client = svc.client.clone();
    let err = client
        .transition_status(svc.as_service(
            "payment",
            pb::TransitionStatusRequest {
                id: id.clone(),
                expected_status: "paid".into(),
                event: "cancel".into(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("paid is final");
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(err.message(), "An invoice that is paid cannot cancel.");
    let summary = client
        .get_invoice_summary(svc.as_service("payment", pb::IdRequest { id }))
        .await
        .expect("read");
    assert_eq!(summary.get_ref().status, "paid");
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_fields_are_attached_validated_and_audited() {
    let svc = spawn().await;
    let id = svc.invoice("approved").await;
    let mut client = svc.client.clone();
    let bad = pb::AttachPaymentRequest {
        id: id.clone(),
        payment_status: "done".into(),
        ..Default::default()
    };
    assert_eq!(
        client
            .attach_payment(svc.as_service("payment", bad))
            .await
            .expect_err("bad")
            .code(),
        Code::InvalidArgument
    );
    let good = pb::AttachPaymentRequest {
        id: id.clone(),
        payment_status: "completed".into(),
        payment_date: "2026-11-30".into(),
        payment_method: "ACH".into(),
        payment_reference: "PAY-1".into(),
    };
    let s = client
        .attach_payment(svc.as_service("payment", good))
        .await
        .expect("attach");
    assert_eq!(s.get_ref().payment_status, "completed");
    let row = svc
        .db
        .client()
        .await
        .query_one("SELECT payment_method, payment_reference, payment_date::text FROM invoice.invoices WHERE id = $1::text::uuid", &[&id])
        .await
        .expect("row");
    assert_eq!(row.get::<_, String>(0), "ACH");
    assert_eq!(row.get::<_, String>(1), "PAY-1");
    assert_eq!(row.get::<_, String>(2), "2026-11-30");
}
