//! Ask-AI service integration tests: a real PostgreSQL with every service's migrations, the
//! askai gRPC server on a loopback port, and a fake model server speaking the Anthropic
//! Messages API. Hostile SQL from the model is refused and proven not to have run; a corpus
//! of analytical queries passes the guard and runs against the real views.

mod corpus;
mod fake_model;
mod hostile;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ap_kit::token::TokenSigner;
use ap_proto::askai::v1 as pb;
use ap_proto::askai::v1::ask_ai_service_client::AskAiServiceClient;
use ap_test_support::TestDb;
use ap_types::{Role, SessionId, UserId};
use fake_model::FakeModel;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::watch;
use tonic::transport::Channel;

pub async fn test_db() -> TestDb {
    TestDb::new("askai", |url| async move {
        ap_auth::migrate(&url).await?;
        ap_invoice::migrate(&url).await?;
        ap_payment::migrate(&url).await?;
        ap_approval::migrate(&url).await?;
        ap_askai::migrate(&url).await
    })
    .await
}

/// A running askai service against its own database and (optionally) the fake model.
pub struct Running {
    pub db: TestDb,
    pub model: Option<FakeModel>,
    client: AskAiServiceClient<Channel>,
    signer: TokenSigner,
    _stop: watch::Sender<bool>,
}

pub struct Options {
    pub model: bool,
    pub summaries: bool,
    pub timeout_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            model: true,
            summaries: true,
            timeout_ms: 5_000,
        }
    }
}

pub async fn running(options: Options) -> Running {
    let db = test_db().await;
    seed(&db).await;
    let model = if options.model {
        Some(FakeModel::start().await)
    } else {
        None
    };
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let mut env: HashMap<&str, String> = HashMap::from([
        ("APP_ENV", "test".to_owned()),
        ("DATABASE_URL", db.url().to_owned()),
        ("JWT_PUBLIC_KEY", public),
        ("DATABASE_MAX_CONNECTIONS", "4".to_owned()),
        ("ASKAI_STATEMENT_TIMEOUT_MS", options.timeout_ms.to_string()),
        ("ASKAI_SUMMARIES", options.summaries.to_string()),
    ]);
    if let Some(model) = &model {
        env.insert("ANTHROPIC_API_KEY", "sk-ant-test-key".to_owned());
        env.insert("ANTHROPIC_BASE_URL", model.base_url.clone());
        env.insert("ANTHROPIC_MODEL", "claude-test".to_owned());
    }
    let config = ap_kit::Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let server = ap_askai::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("askai service");
    let url = format!("http://{}", server.local_addr());
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(server.run_until(async move {
        let _ = stopped.wait_for(|v| *v).await;
    }));
    let client = AskAiServiceClient::new(Channel::from_shared(url).expect("url").connect_lazy());
    Running {
        db,
        model,
        client,
        signer: TokenSigner::from_pem(
            &SecretString::from(private.expose_secret().to_owned()),
            Duration::from_secs(600),
        )
        .expect("signer"),
        _stop: stop,
    }
}

impl Running {
    pub fn model(&self) -> &FakeModel {
        self.model.as_ref().expect("a fake model")
    }

    /// Asks as a user of `role`.
    pub async fn ask_as(
        &self,
        role: Role,
        question: &str,
    ) -> Result<pb::AskResponse, tonic::Status> {
        let token = self
            .signer
            .issue(UserId::new(), role, "analyst@example.com", SessionId::new())
            .expect("token");
        let mut req = tonic::Request::new(pb::AskRequest {
            question: question.to_owned(),
        });
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        self.client
            .clone()
            .ask(req)
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn ask(&self, question: &str) -> Result<pb::AskResponse, tonic::Status> {
        self.ask_as(Role::ApAnalyst, question).await
    }

    /// Has the fake model answer with `sql`, then asks a harmless question.
    pub async fn ask_sql(&self, sql: &str) -> Result<pb::AskResponse, tonic::Status> {
        self.model().answer_with(sql);
        self.ask("What does the data say?").await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        self.db
            .client()
            .await
            .query_one(sql, &[])
            .await
            .expect("query")
            .get(0)
    }
}

/// Two vendors, three invoices with lines, a purchase order with a receipt, an exception,
/// a payment and a payment run; and a canary table nobody may touch.
pub async fn seed(db: &TestDb) {
    let client = db.client().await;
    client
        .batch_execute(
            "
            INSERT INTO invoice.vendors (id, name, currency, country, payment_terms, payment_terms_days, category, tax_id)
            VALUES ('00000000-0000-7000-8000-000000000001', 'Acme Steel', 'USD', 'US', 'net 30', 30, 'metals', 'SECRET-TAX-1'),
                   ('00000000-0000-7000-8000-000000000002', 'Globex Office', 'EUR', 'DE', 'net 14', 14, 'office', NULL);
            INSERT INTO invoice.invoices (id, status, invoice_number, vendor_id, vendor_name, invoice_date, due_date,
                currency, subtotal, tax_amount, total_amount, amount_due, source, po_number, payee_iban)
            VALUES ('00000000-0000-7000-8000-000000000011', 'approved', 'INV-1', '00000000-0000-7000-8000-000000000001',
                    'Acme Steel', '2026-01-05', '2026-02-04', 'USD', 1000.00, 100.00, 1100.00, 1100.00, 'upload', 'PO-1',
                    'DE89370400440532013000'),
                   ('00000000-0000-7000-8000-000000000012', 'paid', 'INV-2', '00000000-0000-7000-8000-000000000001',
                    'Acme Steel', '2026-01-10', '2026-02-09', 'USD', 2000.10, 200.01, 2200.11, 0, 'api', NULL, NULL),
                   ('00000000-0000-7000-8000-000000000013', 'exception', 'G-77', '00000000-0000-7000-8000-000000000002',
                    'Globex Office', '2026-02-01', '2026-02-15', 'EUR', 50.00, 9.50, 59.50, 59.50, 'portal', NULL, NULL);
            INSERT INTO invoice.invoice_lines (id, invoice_id, line_number, description, quantity, unit_price, line_total)
            VALUES (gen_random_uuid(), '00000000-0000-7000-8000-000000000011', 1, 'Steel beams', 10, 100.00, 1000.00),
                   (gen_random_uuid(), '00000000-0000-7000-8000-000000000012', 1, 'Steel plates', 20, 100.005, 2000.10),
                   (gen_random_uuid(), '00000000-0000-7000-8000-000000000013', 1, 'Paper', 5, 10.00, 50.00);
            INSERT INTO invoice.purchase_orders (id, po_number, vendor_id, currency, order_date)
            VALUES ('00000000-0000-7000-8000-000000000021', 'PO-1', '00000000-0000-7000-8000-000000000001', 'USD', '2026-01-01');
            INSERT INTO invoice.po_lines (id, po_id, line_number, description, quantity, unit_price)
            VALUES ('00000000-0000-7000-8000-000000000022', '00000000-0000-7000-8000-000000000021', 1, 'Steel beams', 10, 100.00);
            INSERT INTO invoice.goods_receipts (id, receipt_number, po_id, received_at)
            VALUES ('00000000-0000-7000-8000-000000000023', 'GR-1', '00000000-0000-7000-8000-000000000021', '2026-01-04');
            INSERT INTO invoice.receipt_lines (id, receipt_id, po_line_id, quantity)
            VALUES (gen_random_uuid(), '00000000-0000-7000-8000-000000000023', '00000000-0000-7000-8000-000000000022', 10);
            INSERT INTO invoice.exceptions (id, invoice_id, code, severity, message, source, finding_key)
            VALUES (gen_random_uuid(), '00000000-0000-7000-8000-000000000013', 'PO_NOT_FOUND', 'high',
                    'No purchase order', 'matching', 'po');
            INSERT INTO payment.payment_runs (id, reference, status, currency, method, file_format, pay_by_date,
                payment_date, next_run_date, created_by, created_by_email, approved_by, approved_at, executed_at)
            VALUES ('00000000-0000-7000-8000-000000000031', 'RUN-1', 'executed', 'USD', 'ACH', 'nacha', '2026-02-10',
                    '2026-02-05', '2026-02-12', gen_random_uuid(), 'admin@example.com', gen_random_uuid(), now(), now());
            INSERT INTO payment.payment_run_items (id, run_id, seq, invoice_id, vendor_id, vendor_name, gross_amount,
                discount_amount, net_amount, reason)
            VALUES (gen_random_uuid(), '00000000-0000-7000-8000-000000000031', 1, '00000000-0000-7000-8000-000000000012',
                    '00000000-0000-7000-8000-000000000001', 'Acme Steel', 2200.11, 0, 2200.11, 'due');
            INSERT INTO payment.payments (id, invoice_id, invoice_number, vendor_id, vendor_name, run_id, status, method,
                payment_date, amount, currency, created_by, completed_at)
            VALUES (gen_random_uuid(), '00000000-0000-7000-8000-000000000012', 'INV-2',
                    '00000000-0000-7000-8000-000000000001', 'Acme Steel', '00000000-0000-7000-8000-000000000031',
                    'completed', 'ACH', '2026-02-05', 2200.11, 'USD', gen_random_uuid(), now());
            INSERT INTO auth.users (id, email, name, password_hash, role)
            VALUES (gen_random_uuid(), 'victim@example.com', 'Victim', 'argon2-hash-canary', 'ADMIN');
            CREATE TABLE public.canary (n INTEGER NOT NULL);
            INSERT INTO public.canary VALUES (1);
            ",
        )
        .await
        .expect("seed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legitimate_question_returns_the_right_rows_with_exact_amounts() {
    let r = running(Options::default()).await;
    r.model().answer_with(
        "SELECT vendor_name, sum(total_amount) AS total FROM reporting.invoices \
         GROUP BY vendor_name ORDER BY total DESC",
    );
    let answer = r
        .ask("Which vendor has the highest invoice total?")
        .await
        .expect("answered");
    assert_eq!(answer.columns, ["vendor_name", "total"]);
    let rows: serde_json::Value = serde_json::from_str(&answer.rows_json).expect("rows json");
    assert_eq!(
        rows,
        serde_json::json!([["Acme Steel", "3300.1100"], ["Globex Office", "59.5000"]])
    );
    assert_eq!(answer.row_count, 2);
    assert!(!answer.truncated);
    assert_eq!(answer.answer, fake_model::SUMMARY);
    assert!(
        answer.sql.starts_with("SELECT vendor_name"),
        "{}",
        answer.sql
    );
    let logged = r
        .scalar(
            "SELECT count(*) FROM askai.questions WHERE outcome = 'answered' AND row_count = 2 \
             AND sql IS NOT NULL AND user_email = 'analyst@example.com'",
        )
        .await;
    assert_eq!(logged, 1);
    let audited = r
        .scalar("SELECT count(*) FROM askai.audit_log WHERE action = 'askai_question_asked'")
        .await;
    assert_eq!(audited, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_summaries_the_answer_is_a_count_sentence_and_dates_are_iso() {
    let r = running(Options {
        summaries: false,
        ..Options::default()
    })
    .await;
    r.model().answer_with(
        "SELECT invoice_number, due_date, touchless FROM invoices ORDER BY invoice_number",
    );
    let answer = r.ask("When are invoices due?").await.expect("answered");
    assert_eq!(answer.answer, "The query returned 3 rows.");
    let rows: serde_json::Value = serde_json::from_str(&answer.rows_json).expect("rows json");
    assert_eq!(rows[0], serde_json::json!(["G-77", "2026-02-15", false]));
    assert_eq!(r.model().summary_calls(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn results_over_a_thousand_rows_are_cut_and_flagged() {
    let r = running(Options {
        summaries: false,
        ..Options::default()
    })
    .await;
    let answer = r
        .ask_sql("SELECT g AS n FROM generate_series(1, 5000) AS g")
        .await
        .expect("answered");
    assert_eq!(answer.row_count, 1000);
    assert!(answer.truncated);
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_asking_to_change_data_are_refused_before_any_model_call() {
    let r = running(Options::default()).await;
    for q in [
        "Drop the vendors table",
        "please DELETE all invoices",
        "insert a vendor called Evil",
        "Update every invoice to paid",
        "ALTER the payments view",
        "truncate exceptions",
        "grant me admin",
    ] {
        let err = r.ask(q).await.expect_err("refused");
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{q}");
    }
    let err = r.ask("   ").await.expect_err("empty");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.message(), "Question must not be empty.");
    assert_eq!(r.model().sql_calls(), 0);
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome = 'refused_question'")
            .await,
        7
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_model_the_service_is_unavailable_with_its_own_message() {
    let r = running(Options {
        model: false,
        ..Options::default()
    })
    .await;
    let err = r.ask("How many invoices?").await.expect_err("no model");
    assert_eq!(err.code(), tonic::Code::Unavailable);
    assert_eq!(err.message(), "Ask AI is not configured.");
    assert!(err.metadata().get(ap_askai::grpc::NOT_CONFIGURED).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_other_than_analyst_admin_and_auditor_are_forbidden() {
    let r = running(Options::default()).await;
    for role in [Role::ApClerk, Role::Approver] {
        let err = r
            .ask_as(role, "How many invoices?")
            .await
            .expect_err("forbidden");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
    }
    r.model()
        .answer_with("SELECT count(*) FROM reporting.invoices");
    for role in [Role::ApAnalyst, Role::Admin, Role::Auditor] {
        r.ask_as(role, "How many invoices?").await.expect("allowed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_but_valid_query_is_cut_by_the_statement_timeout() {
    let r = running(Options {
        timeout_ms: 100,
        ..Options::default()
    })
    .await;
    let started = Instant::now();
    // Within every guard bound (one series of 100,000 rows), but crossed with the views it
    // is tens of millions of rows: the statement timeout is what stops it.
    let err = r
        .ask_sql(
            "SELECT count(*) FROM generate_series(1, 100000) AS g, reporting.invoices a, \
             reporting.invoices b, reporting.invoices c, reporting.invoices d, \
             reporting.vendors v, reporting.vendors w",
        )
        .await
        .expect_err("timed out");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.message(), "Query took too long.");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome = 'timeout'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn database_errors_are_reported_without_their_text() {
    let r = running(Options::default()).await;
    let err = r
        .ask_sql("SELECT no_such_column FROM reporting.invoices")
        .await
        .expect_err("fails");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "Query execution failed. Try rephrasing your question."
    );
    let err = r.ask_sql("SELECT 1/0").await.expect_err("fails");
    assert!(!err.message().contains("division"), "{}", err.message());
}

/// Even with the guard bypassed, `ap_readonly` reads the views and nothing else. (`SET ROLE`
/// back is checked against the session user, which is why SET/RESET are refused by the guard
/// and why production connects as a role that is not a superuser.)
#[tokio::test(flavor = "multi_thread")]
async fn the_read_only_role_reads_the_views_and_nothing_else() {
    let db = test_db().await;
    seed(&db).await;
    let client = db.client().await;
    let as_readonly = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .batch_execute("BEGIN; SET LOCAL ROLE ap_readonly")
                .await
                .expect("role");
            let result = client.query(sql, &[]).await;
            client.batch_execute("ROLLBACK").await.expect("rollback");
            result
        }
    };
    for view in [
        "invoices",
        "invoice_lines",
        "vendors",
        "purchase_orders",
        "purchase_order_lines",
        "goods_receipts",
        "goods_receipt_lines",
        "exceptions",
        "payments",
        "payment_runs",
        "payment_run_items",
        "approval_tasks",
    ] {
        let sql: &'static str =
            Box::leak(format!("SELECT * FROM reporting.{view}").into_boxed_str());
        as_readonly(sql)
            .await
            .unwrap_or_else(|e| panic!("{view}: {e}"));
    }
    for forbidden in [
        "SELECT * FROM auth.users",
        "SELECT * FROM invoice.invoices",
        "SELECT * FROM invoice.vendor_bank_accounts",
        "SELECT * FROM payment.payments",
        "SELECT * FROM askai.questions",
        "SELECT * FROM public.canary",
        "DELETE FROM reporting.vendors",
        "UPDATE reporting.invoices SET status = 'paid'",
    ] {
        let err = as_readonly(forbidden).await.expect_err(forbidden);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{forbidden}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_reporting_column_exposes_credentials_tokens_bank_or_tax_details() {
    let db = test_db().await;
    let names: Vec<String> = db
        .client()
        .await
        .query(
            "SELECT table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = 'reporting'",
            &[],
        )
        .await
        .expect("columns")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(names.len() > 50, "{names:?}");
    for name in &names {
        for word in [
            "password",
            "token",
            "secret",
            "iban",
            "bank",
            "routing",
            "cipher",
            "tax_id",
            "email",
            "idempotency",
        ] {
            assert!(!name.contains(word), "{name} looks sensitive");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_prompt_describes_the_views_from_their_comments() {
    let db = test_db().await;
    let pool = ap_kit::db::connect_pool(db.url(), ap_askai::SCHEMA, 1).expect("pool");
    let mut conn = ap_kit::db::conn(&pool).await.expect("conn");
    let catalog = ap_askai::store::catalog::load_view_catalog(&mut conn)
        .await
        .expect("catalog");
    let prompt = ap_askai::app::model::sql_system_prompt(&catalog);
    assert!(
        prompt.contains("reporting.invoices -- Supplier invoices"),
        "{prompt}"
    );
    assert!(
        prompt.contains("  total_amount numeric(18,4) -- Gross invoice total"),
        "{prompt}"
    );
    assert_eq!(catalog.views().len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_queries_run_with_bounded_memory() {
    let r = running(Options::default()).await;
    let pool = ap_kit::db::connect_pool(r.db.url(), ap_askai::SCHEMA, 2).expect("pool");
    let mut conn = ap_kit::db::conn(&pool).await.expect("conn");
    let rows = ap_askai::store::query::run_read_only(
        &mut conn,
        "SELECT current_setting('work_mem') AS w, \
         current_setting('hash_mem_multiplier') AS h, \
         current_setting('max_parallel_workers_per_gather') AS p, \
         current_setting('statement_timeout') AS t, current_user AS u",
        ap_askai::store::query::Limits {
            timeout: Duration::from_millis(1_500),
            work_mem_kb: 4_096,
        },
    )
    .await
    .expect("runs");
    let cells: Vec<Option<String>> = rows.rows[0].iter().map(|c| c.text.clone()).collect();
    assert_eq!(
        cells,
        vec![
            Some("4MB".to_owned()),
            Some("1".to_owned()),
            Some("0".to_owned()),
            Some("1500ms".to_owned()),
            Some("ap_readonly".to_owned()),
        ]
    );

    // And the guard refuses what would generate without bound before anything runs.
    for sql in [
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t",
        "SELECT count(*) FROM generate_series(1, 1000000000) AS g",
    ] {
        let err = r.ask_sql(sql).await.expect_err(sql);
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{sql}");
    }
    assert_eq!(
        r.scalar("SELECT count(*) FROM askai.questions WHERE outcome = 'refused_sql'")
            .await,
        2
    );
}

/// The login role production gives the Ask-AI service (`ap_askai`, docs/deployment.md): the
/// reporting views through `ap_readonly`, its own schema, and nothing else; it can create
/// nothing, so `apctl serve askai` leaves migrations to `apctl migrate`.
#[tokio::test(flavor = "multi_thread")]
async fn the_askai_login_role_reads_the_views_and_its_own_schema_only() {
    let db = test_db().await;
    seed(&db).await;
    let admin = db.client().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let role = format!("ap_askai_t_{}_{nanos}", std::process::id());
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'askai-test-pw' IN ROLE ap_askai"
        ))
        .await
        .expect("login role");
    let mut config: tokio_postgres::Config = db.url().parse().expect("url");
    config.user(&role).password("askai-test-pw");
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect as the askai role");
    let driver = tokio::spawn(connection);

    let may_create: bool = client
        .query_one(
            "SELECT has_database_privilege(current_database(), 'CREATE')",
            &[],
        )
        .await
        .expect("privilege")
        .get(0);
    assert!(!may_create, "the askai role must not create schemas");
    client
        .query("SELECT count(*) FROM askai.questions", &[])
        .await
        .expect("its own question log");
    client
        .batch_execute("BEGIN; SET LOCAL ROLE ap_readonly")
        .await
        .expect("member of ap_readonly");
    client
        .query("SELECT * FROM reporting.invoices", &[])
        .await
        .expect("the reporting views");
    client.batch_execute("ROLLBACK").await.expect("rollback");
    for forbidden in [
        "SELECT * FROM invoice.invoices",
        "SELECT * FROM auth.users",
        "SELECT * FROM payment.payments",
        "DELETE FROM askai.audit_log",
        "CREATE TABLE askai.scratch (i int)",
    ] {
        let err = client.query(forbidden, &[]).await.expect_err(forbidden);
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{forbidden}: {err}"
        );
    }
    drop(client);
    let _ = driver.await;
    admin
        .batch_execute(&format!("DROP ROLE {role}"))
        .await
        .expect("drop the login role");
}
