//! Payment service integration tests: the use-case layer against a real PostgreSQL and a real
//! invoice service on a loopback port. Partial failures and outages: a payment left pending by
//! a crash is settled later, exactly once; an unreachable dependency is `Unavailable`.

use std::collections::HashMap;
use std::net::SocketAddr;

use ap_kit::audit::RequestContext;
use ap_kit::token::Principal;
use ap_payment::app::{AppError, Caller};
use ap_proto::payment::v1 as pb;
use ap_test_support::TestDb;
use ap_types::{Role, SessionId, UserId};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use uuid::Uuid;

async fn test_db() -> TestDb {
    TestDb::new("payment", |url| async move {
        ap_invoice::migrate(&url).await?;
        ap_payment::migrate(&url).await
    })
    .await
}

fn config(db_url: &str, invoice_url: &str) -> ap_kit::Config {
    let (_, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let env: HashMap<&str, String> = HashMap::from([
        ("APP_ENV", "test".to_owned()),
        ("DATABASE_URL", db_url.to_owned()),
        ("JWT_PUBLIC_KEY", public),
        (
            "DATA_ENCRYPTION_KEY",
            ap_invoice::crypto::DataCipher::generate_key()
                .expose_secret()
                .to_owned(),
        ),
        ("EXTRACTION_WORKERS", "0".to_owned()),
        ("INVOICE_URL", invoice_url.to_owned()),
        ("GRPC_REQUEST_TIMEOUT_SECS", "5".to_owned()),
    ]);
    ap_kit::Config::from_lookup(|k| env.get(k).cloned()).expect("config")
}

fn admin() -> Caller {
    Caller {
        principal: Principal {
            user_id: UserId::new(),
            role: Role::Admin,
            email: "admin@example.com".into(),
            session_id: SessionId::new(),
            token_id: "t".into(),
        },
        ctx: RequestContext::default(),
        idempotency_key: None,
    }
}

/// An approved USD invoice of a new vendor; returns its id.
async fn approved_invoice(db: &TestDb) -> String {
    let client = db.client().await;
    let vendor = Uuid::now_v7().to_string();
    let invoice = Uuid::now_v7().to_string();
    client
        .execute(
            "INSERT INTO invoice.vendors (id, name, currency) VALUES ($1::text::uuid, 'Acme', 'USD')",
            &[&vendor],
        )
        .await
        .expect("vendor");
    client
        .execute(
            "INSERT INTO invoice.invoices (id, status, invoice_number, vendor_id, vendor_name, currency, \
             total_amount, amount_due, due_date, source, approved_amount, approved_currency, \
             approved_vendor_id, approved_at) VALUES ($1::text::uuid, 'approved', 'INV-1', \
             $2::text::uuid, 'Acme', 'USD', 10, 10, current_date, 'api', 10, 'USD', $2::text::uuid, now())",
            &[&invoice, &vendor],
        )
        .await
        .expect("invoice");
    invoice
}

struct Running {
    db: TestDb,
    app: ap_payment::PaymentApp,
    _stop: watch::Sender<bool>,
}

async fn running() -> Running {
    let db = test_db().await;
    let mut cfg = config(db.url(), "http://127.0.0.1:1");
    let server = ap_invoice::Application::build(&cfg, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("invoice service");
    cfg.services.invoice_url = format!("http://{}", server.local_addr());
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(server.run_until(async move {
        let _ = stopped.wait_for(|v| *v).await;
    }));
    let pool = ap_kit::db::connect_pool(db.url(), ap_payment::SCHEMA, 4).expect("pool");
    let app = ap_payment::build_app(&cfg, pool).expect("app");
    Running {
        db,
        app,
        _stop: stop,
    }
}

async fn scalar(db: &TestDb, sql: &str, id: &str) -> i64 {
    db.client()
        .await
        .query_one(sql, &[&id])
        .await
        .expect("query")
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_left_pending_by_a_crash_is_settled_later_and_only_once() {
    let r = running().await;
    let invoice = approved_invoice(&r.db).await;
    // The process died after committing the payment row, before asking the invoice service.
    r.db.client()
        .await
        .execute(
            "INSERT INTO payment.payments (id, invoice_id, status, method, payment_date, amount, currency, \
             created_by) VALUES (gen_random_uuid(), $1::text::uuid, 'pending', 'ACH', current_date, 10, 'USD', \
             gen_random_uuid())",
            &[&invoice],
        )
        .await
        .expect("pending payment");
    assert_eq!(r.app.settle_due(10).await.expect("settle"), 1);
    let paid = "SELECT count(*) FROM invoice.invoices WHERE id = $1::text::uuid AND status = 'paid' \
                AND payment_id IS NOT NULL";
    assert_eq!(scalar(&r.db, paid, &invoice).await, 1);
    let completed = "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid AND status = 'completed'";
    assert_eq!(scalar(&r.db, completed, &invoice).await, 1);

    // The confirmation is lost and the settler delivers again: `already`, nothing changes.
    r.db.client()
        .await
        .execute(
            "UPDATE payment.payments SET status = 'pending', completed_at = NULL, next_attempt_at = now() \
             WHERE invoice_id = $1::text::uuid",
            &[&invoice],
        )
        .await
        .expect("reset");
    assert_eq!(r.app.settle_due(10).await.expect("settle again"), 1);
    assert_eq!(scalar(&r.db, completed, &invoice).await, 1);
    let transitions = "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 \
                       AND action = 'invoice_status_changed'";
    assert_eq!(scalar(&r.db, transitions, &invoice).await, 1, "paid once");

    // A second payment of the paid invoice is a conflict, not a second payment.
    let err = r
        .app
        .record_payment(
            &admin(),
            &pb::RecordPaymentRequest {
                invoice_id: invoice.clone(),
                payment_method: "ACH".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("already paid");
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_invoice_service_is_unavailable_and_writes_nothing() {
    let db = test_db().await;
    let invoice = approved_invoice(&db).await;
    let cfg = config(db.url(), "http://127.0.0.1:9");
    let pool = ap_kit::db::connect_pool(db.url(), ap_payment::SCHEMA, 2).expect("pool");
    let app = ap_payment::build_app(&cfg, pool).expect("app");
    let err = app
        .record_payment(
            &admin(),
            &pb::RecordPaymentRequest {
                invoice_id: invoice.clone(),
                payment_method: "ACH".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("unavailable");
    assert!(matches!(err, AppError::Unavailable(_)), "{err:?}");
    let none = "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid";
    assert_eq!(scalar(&db, none, &invoice).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_is_unavailable_not_a_panic() {
    let cfg = config("postgres://postgres@127.0.0.1:9/none", "http://127.0.0.1:9");
    let pool = ap_kit::db::connect_pool(
        "postgres://postgres@127.0.0.1:9/none",
        ap_payment::SCHEMA,
        2,
    )
    .expect("pool");
    let app = ap_payment::build_app(&cfg, pool).expect("app");
    let err = app
        .get_payment(&admin(), Uuid::now_v7())
        .await
        .expect_err("no database");
    assert!(matches!(err, AppError::Unavailable(_)), "{err:?}");
    let status: tonic::Status = err.into();
    assert_eq!(status.code(), tonic::Code::Unavailable);
}
