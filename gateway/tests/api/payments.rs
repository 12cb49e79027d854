//! Payments end to end: recording a payment exactly once (roles, statuses, concurrency,
//! idempotent replay), payment runs (preview, exclusions, four eyes, execution, cancel) and
//! their bank files checked by our parser, the official pain.001 XSD and an independent
//! NACHA implementation.
//!
//! Invoices reach `approved` by direct SQL on the test database: the matching and approval
//! flows that move them there in production are not what these tests exercise. Vendors and
//! their bank details go through the real REST API (including the four-eyes verification).

use std::path::{Path, PathBuf};
use std::process::Command;

use ap_types::Role;
use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::count;
use crate::helpers::TestApp;

pub(crate) struct Staff {
    pub(crate) admin: String,
    pub(crate) admin2: String,
    pub(crate) analyst: String,
}

pub(crate) async fn staff(app: &TestApp) -> Staff {
    Staff {
        admin: app.user_with_token(Role::Admin).await.1,
        admin2: app.user_with_token(Role::Admin).await.1,
        analyst: app.user_with_token(Role::ApAnalyst).await.1,
    }
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, token, Some(body)).await
}

pub(crate) async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    send(app, reqwest::Method::GET, path, token, None).await
}

pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub(crate) fn days(n: i64) -> NaiveDate {
    if n >= 0 {
        today() + Days::new(n.unsigned_abs())
    } else {
        today() - Days::new(n.unsigned_abs())
    }
}

/// A vendor created by the analyst; its bank details verified by an admin when `verify`.
pub(crate) async fn vendor(
    app: &TestApp,
    s: &Staff,
    name: &str,
    currency: &str,
    terms: &str,
    bank: Value,
    verify: bool,
) -> String {
    let (status, v) = post(
        app,
        "/api/v1/vendors",
        &s.analyst,
        json!({"name": name, "currency": currency, "payment_terms": terms, "bank_account": bank}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    if verify {
        let (status, v) = post(
            app,
            &format!("/api/v1/vendors/{id}/bank-account/verify"),
            &s.admin,
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
    }
    id
}

pub(crate) async fn us_vendor(app: &TestApp, s: &Staff, name: &str, verify: bool) -> String {
    vendor(
        app,
        s,
        name,
        "USD",
        "2/10 net 30",
        json!({"routing_number": "026009593", "account_number": "000123456789"}),
        verify,
    )
    .await
}

/// Changes vendor `v`'s US bank account to `account_number` (the analyst) and has the admin
/// verify the change.
pub(crate) async fn change_and_verify_bank_account(
    app: &TestApp,
    s: &Staff,
    v: &str,
    account_number: &str,
) {
    let r = app
        .http
        .put(app.url(&format!("/api/v1/vendors/{v}/bank-account")))
        .bearer_auth(&s.analyst)
        .json(&json!({"routing_number": "021000021", "account_number": account_number}))
        .send()
        .await
        .expect("change");
    assert_eq!(r.status(), 200);
    let (status, body) = post(
        app,
        &format!("/api/v1/vendors/{v}/bank-account/verify"),
        &s.admin,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Posts `action` (approve, execute, cancel...) on payment run `run` as `token`.
pub(crate) async fn run_action(
    app: &TestApp,
    token: &str,
    run: &str,
    action: &str,
    body: Value,
) -> (u16, Value) {
    post(
        app,
        &format!("/api/v1/payment-runs/{run}/{action}"),
        token,
        body,
    )
    .await
}

/// The second admin approves the run and executes it; the execution must succeed.
pub(crate) async fn approve_and_execute(app: &TestApp, s: &Staff, run: &str) -> Value {
    run_action(app, &s.admin2, run, "approve", json!({})).await;
    let (status, body) = run_action(app, &s.admin2, run, "execute", json!({})).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// An invoice in `status`, written straight into the invoice service's table.
#[expect(
    clippy::too_many_arguments,
    reason = "a test fixture with every column that matters"
)]
pub(crate) async fn invoice(
    app: &TestApp,
    vendor_id: &str,
    number: &str,
    status: &str,
    currency: &str,
    amount: &str,
    invoice_date: NaiveDate,
    due_date: NaiveDate,
) -> String {
    let id = Uuid::now_v7().to_string();
    let (invoice_date, due_date) = (invoice_date.to_string(), due_date.to_string());
    // An approved (or later) invoice carries what its approval recorded: its amount,
    // currency, vendor and the vendor's bank account current at that moment.
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, invoice_number, invoice_number_normalized, vendor_id, \
             vendor_name, invoice_date, due_date, currency, subtotal, tax_amount, total_amount, amount_due, \
             source, approved_amount, approved_currency, approved_vendor_id, approved_bank_account_id, approved_at) \
             SELECT $1::text::uuid, $2, $3, upper($3), v.id, v.name, $5::text::date, $6::text::date, $7, \
             $8::text::numeric, 0, $8::text::numeric, $8::text::numeric, 'api', \
             a.amount, a.currency, a.vendor_id, a.account_id, a.at \
             FROM invoice.vendors v \
             LEFT JOIN LATERAL (SELECT $8::text::numeric AS amount, $7::text AS currency, v.id AS vendor_id, \
                 (SELECT b.id FROM invoice.vendor_bank_accounts b WHERE b.vendor_id = v.id AND b.is_current) AS account_id, \
                 now() AS at WHERE $2 IN ('approved', 'scheduled', 'paid')) a ON true \
             WHERE v.id = $4::text::uuid",
            &[&id, &status, &number, &vendor_id, &invoice_date, &due_date, &currency, &amount],
        )
        .await
        .expect("insert invoice");
    id.to_string()
}

pub(crate) async fn approved(app: &TestApp, vendor_id: &str, number: &str, amount: &str) -> String {
    invoice(
        app,
        vendor_id,
        number,
        "approved",
        "USD",
        amount,
        days(-40),
        days(-10),
    )
    .await
}

// ---------------------------------------------------------------- record a payment

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_may_record_a_payment() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-1", "100.00").await;
    for role in [
        Role::ApClerk,
        Role::ApAnalyst,
        Role::Approver,
        Role::Auditor,
    ] {
        let (_, token) = app.user_with_token(role).await;
        let (status, body) = post(
            &app,
            &format!("/api/v1/invoices/{id}/payment"),
            &token,
            json!({"payment_method": "ACH"}),
        )
        .await;
        assert_eq!(status, 403, "{role}: {body}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
            &id
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_that_is_not_approved_cannot_be_paid_and_the_detail_says_so() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = invoice(
        &app,
        &v,
        "INV-2",
        "pending_approval",
        "USD",
        "10.00",
        days(-5),
        days(25),
    )
    .await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/invoices/{id}/payment"),
        &s.admin,
        json!({"payment_method": "ACH"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("approved"), "{detail}");
    assert!(
        detail.contains("pending_approval"),
        "names the current status: {detail}"
    );
    let (status, _) = post(
        &app,
        &format!("/api/v1/invoices/{}/payment", Uuid::now_v7()),
        &s.admin,
        json!({"payment_method": "ACH"}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_invoice_is_paid_once_and_shows_its_payment_and_audit_trail() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-3", "15420.00").await;
    let path = format!("/api/v1/invoices/{id}/payment");
    let (status, body) = post(
        &app,
        &path,
        &s.admin,
        json!({"payment_method": "WIRE", "payment_reference": "FED-REF-778", "payment_date": "2026-03-10"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["payment_status"], "completed");
    assert_eq!(body["invoice_id"], id.as_str());
    assert_eq!(body["payment_date"], "2026-03-10");
    assert_eq!(body["payment_method"], "WIRE");
    assert_eq!(body["payment_reference"], "FED-REF-778");

    let (_, inv) = get(&app, &format!("/api/v1/invoices/{id}"), &s.analyst).await;
    assert_eq!(inv["status"], "paid");
    assert_eq!(inv["payment_status"], "completed");
    assert_eq!(inv["payment_date"], "2026-03-10");
    assert_eq!(inv["payment_method"], "WIRE");
    assert_eq!(inv["payment_reference"], "FED-REF-778");

    let (status, again) = post(&app, &path, &s.admin2, json!({"payment_method": "ACH"})).await;
    assert_eq!(status, 409, "{again}");

    let (_, audit) = get(&app, &format!("/api/v1/invoices/{id}/audit"), &s.analyst).await;
    let entries: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["service"].as_str().unwrap_or("").to_owned(),
                e["action"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for expected in [
        ("payment", "payment_initiated"),
        ("payment", "payment_completed"),
        ("invoice", "invoice_status_changed"),
        ("invoice", "invoice_payment_updated"),
    ] {
        assert!(
            entries
                .iter()
                .any(|(s, a)| s == expected.0 && a == expected.1),
            "{expected:?} missing from {entries:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_blocking_exception_refuses_payment() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-4", "10.00").await;
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.exceptions (id, invoice_id, code, severity, status, message, source, finding_key) \
             VALUES ($1::text::uuid, $2::text::uuid, 'BANK_DETAILS_CHANGED', 'critical', 'open', \
             'bank details changed', 'test', 'BANK_DETAILS_CHANGED')",
            &[&Uuid::now_v7().to_string(), &id],
        )
        .await
        .expect("exception");
    let (status, body) = post(
        &app,
        &format!("/api/v1/invoices/{id}/payment"),
        &s.admin,
        json!({"payment_method": "ACH"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("blocking exception"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_payments_of_one_invoice_make_exactly_one() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-5", "99.99").await;
    let path = format!("/api/v1/invoices/{id}/payment");
    let calls = (0..20).map(|i| {
        let req = app
            .http
            .post(app.url(&path))
            .bearer_auth(if i % 2 == 0 { &s.admin } else { &s.admin2 })
            .header("idempotency-key", format!("key-{i}"))
            .json(&json!({"payment_method": "ACH"}));
        async move { req.send().await.expect("request").status().as_u16() }
    });
    let statuses = futures::future::join_all(calls).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1::text AND action = 'invoice_status_changed' \
             AND after_data->>'status' = 'paid'",
            &id
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_requests_with_one_idempotency_key_pay_once_and_replay_or_refuse_the_rest()
 {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-6", "12.34").await;
    let path = format!("/api/v1/invoices/{id}/payment");
    let calls = (0..20).map(|_| {
        let req = app
            .http
            .post(app.url(&path))
            .bearer_auth(&s.admin)
            .header("idempotency-key", "same-key")
            .json(&json!({"payment_method": "ACH"}));
        async move {
            let r = req.send().await.expect("request");
            (r.status().as_u16(), r.text().await.expect("body"))
        }
    });
    let answers = futures::future::join_all(calls).await;
    let ok: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|b| *b == ok[0]), "replays are identical");
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 409),
        "{answers:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
            &id
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replay_with_the_same_idempotency_key_returns_the_identical_body() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &v, "INV-7", "50.00").await;
    let call = |body: Value| {
        app.http
            .post(app.url(&format!("/api/v1/invoices/{id}/payment")))
            .bearer_auth(&s.admin)
            .header("idempotency-key", "pay-INV-7")
            .json(&body)
            .send()
    };
    let first = call(json!({"payment_method": "CHECK", "payment_reference": "CHK 1001"}))
        .await
        .expect("first");
    assert_eq!(first.status(), 200);
    let first = first.text().await.expect("body");
    let second = call(json!({"payment_method": "CHECK", "payment_reference": "CHK 1001"}))
        .await
        .expect("second");
    assert_eq!(second.status(), 200);
    assert_eq!(second.text().await.expect("body"), first);
    let other = call(json!({"payment_method": "ACH"})).await.expect("third");
    assert_eq!(other.status(), 409, "same key, different request");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
            &id
        )
        .await,
        1
    );
}

// ---------------------------------------------------------------- payment runs

pub(crate) fn independent_ach(text: &str) -> Option<Value> {
    let available = Command::new("python3")
        .args(["-c", "import achkit"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert_eq!(
            std::env::var("AP_SKIP_INDEPENDENT_ACH").as_deref(),
            Ok("1"),
            "the independent NACHA parser is missing: bash crates/ap-bankfile/tests/independent/install.sh"
        );
        return None;
    }
    let path = std::env::temp_dir().join(format!("ap-run-{}.ach", Uuid::now_v7()));
    std::fs::write(&path, text).expect("write");
    let script = bankfile_dir().join("tests/independent/ach_totals.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

fn bankfile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/ap-bankfile")
}

fn xmllint(xml: &str) -> Option<(bool, String)> {
    if !Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert_eq!(
            std::env::var("AP_SKIP_XMLLINT").as_deref(),
            Ok("1"),
            "xmllint is missing: apt-get install -y libxml2-utils"
        );
        return None;
    }
    let path = std::env::temp_dir().join(format!("ap-run-{}.xml", Uuid::now_v7()));
    std::fs::write(&path, xml).expect("write");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(bankfile_dir().join("tests/xsd/pain.001.001.09.xsd"))
        .arg(&path)
        .output()
        .expect("xmllint");
    let _ = std::fs::remove_file(&path);
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

pub(crate) async fn file_of(app: &TestApp, token: &str, run: &str) -> (String, String) {
    let r = app
        .http
        .get(app.url(&format!("/api/v1/payment-runs/{run}/file")))
        .bearer_auth(token)
        .send()
        .await
        .expect("file");
    assert_eq!(r.status(), 200);
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .expect("ct")
        .to_owned();
    (ct, r.text().await.expect("text"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_usd_ach_run_previews_excludes_needs_a_second_admin_and_executes_into_a_valid_nacha_file()
{
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let globex = us_vendor(&app, &s, "Globex", false).await;
    let due = approved(&app, &acme, "A-100", "1000.00").await;
    let due2 = approved(&app, &acme, "A-101", "250.50").await;
    // 2/10 net 30 dated 5 days ago: discount until 5 days from now, before the next run (7).
    let discount = invoice(
        &app,
        &acme,
        "A-102",
        "approved",
        "USD",
        "15420.00",
        days(-5),
        days(25),
    )
    .await;
    let later = invoice(
        &app,
        &acme,
        "A-103",
        "approved",
        "USD",
        "10.00",
        days(-1),
        days(60),
    )
    .await;
    let _ = later;
    let unverified = approved(&app, &globex, "G-1", "77.00").await;
    let _ = invoice(
        &app,
        &acme,
        "E-1",
        "approved",
        "EUR",
        "5.00",
        days(-40),
        days(-10),
    )
    .await;

    let (status, run) = post(
        &app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["status"], "draft");
    assert_eq!(run["file_format"], "nacha");
    let items = run["items"].as_array().expect("items");
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["invoice_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 3, "{run}");
    for id in [&due, &due2, &discount] {
        assert!(ids.contains(&id.as_str()), "{id} missing");
    }
    let d = items
        .iter()
        .find(|i| i["invoice_id"] == discount.as_str())
        .expect("discounted");
    assert_eq!(d["reason"], "discount");
    assert_eq!(d["discount_amount"], "308.40");
    assert_eq!(d["net_amount"], "15111.60");
    assert_eq!(run["totals"]["invoice_count"], 3);
    assert_eq!(run["totals"]["net"], "16362.10");
    assert_eq!(run["totals"]["discount"], "308.40");
    assert_eq!(run["vendors"].as_array().expect("vendors").len(), 1);
    let excluded = &run["exclusions"].as_array().expect("exclusions")[0];
    assert_eq!(excluded["invoice_id"], unverified.as_str());
    assert!(
        excluded["reason"]
            .as_str()
            .expect("reason")
            .contains("not yet verified"),
        "{excluded}"
    );
    let (_, inv) = get(&app, &format!("/api/v1/invoices/{due}"), &s.analyst).await;
    assert_eq!(inv["status"], "scheduled");

    let run_id = run["id"].as_str().expect("id").to_owned();
    let (status, body) = run_action(&app, &s.admin, &run_id, "execute", json!({})).await;
    assert_eq!(status, 400, "a draft cannot be executed: {body}");
    let (status, body) = run_action(&app, &s.admin, &run_id, "approve", json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"].as_str().expect("detail").contains("created"),
        "{body}"
    );
    let (status, body) = run_action(&app, &s.admin2, &run_id, "approve", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    let (status, body) = run_action(&app, &s.admin, &run_id, "execute", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "executed");
    assert!(
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["payment_status"] == "completed"),
        "{body}"
    );

    for id in [&due, &due2, &discount] {
        let (_, inv) = get(&app, &format!("/api/v1/invoices/{id}"), &s.analyst).await;
        assert_eq!(inv["status"], "paid", "{inv}");
        assert_eq!(inv["payment_method"], "ACH");
    }
    let (_, inv) = get(&app, &format!("/api/v1/invoices/{unverified}"), &s.analyst).await;
    assert_eq!(inv["status"], "approved");

    let (ct, text) = file_of(&app, &s.admin, &run_id).await;
    assert!(ct.starts_with("text/plain"), "{ct}");
    let parsed = ap_bankfile::parse_ach_with(&text, ap_bankfile::ParseMode::Strict)
        .expect("our parser accepts it");
    assert_eq!(parsed.entry_count(), 3);
    assert_eq!(parsed.total_credit_cents(), 1_636_210);
    assert!(text.lines().all(|l| l.len() == 94));
    assert_eq!(text.lines().count() % 10, 0, "blocking factor 10");
    if let Some(report) = independent_ach(&text) {
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["entry_count"], 3, "{report}");
        assert_eq!(report["total_credit_cents"], 1_636_210, "{report}");
        assert_eq!(report["addenda_count"], 3, "{report}");
    }
    assert!(
        !text.contains("000123456789") || !format!("{body}").contains("000123456789"),
        "never in JSON"
    );
    let (status, _) = get(
        &app,
        &format!("/api/v1/payment-runs/{run_id}/file"),
        &s.analyst,
    )
    .await;
    assert_eq!(status, 403);
    let (status, list) = get(&app, "/api/v1/payments?limit=10", &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_execution_marks_every_invoice_paid_once_even_if_the_relay_retries() {
    let app = TestApp::spawn_with(&[("PAYMENT_SETTLE_INTERVAL_SECS", "1")], None).await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let ids = [
        approved(&app, &acme, "R-1", "10.00").await,
        approved(&app, &acme, "R-2", "20.00").await,
        approved(&app, &acme, "R-3", "30.00").await,
    ];
    let (_, run) = post(
        &app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"}),
    )
    .await;
    let run_id = run["id"].as_str().expect("id").to_owned();
    approve_and_execute(&app, &s, &run_id).await;

    // The confirmation is lost: the payments look pending again, so the settler delivers them
    // to the invoice service a second (and third) time.
    let client = app.db.client().await;
    let run_uuid = run_id.clone();
    for _ in 0..2 {
        client
            .execute(
                "UPDATE payment.payments SET status = 'pending', completed_at = NULL, next_attempt_at = now() \
                 WHERE run_id = $1::text::uuid",
                &[&run_uuid],
            )
            .await
            .expect("reset");
        let mut settled = false;
        for _ in 0..100 {
            let pending: i64 = client
                .query_one("SELECT count(*) FROM payment.payments WHERE run_id = $1::text::uuid AND status <> 'completed'", &[&run_uuid])
                .await
                .expect("count")
                .get(0);
            if pending == 0 {
                settled = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(settled, "the settler completed the retried payments");
    }
    for id in &ids {
        let (_, inv) = get(&app, &format!("/api/v1/invoices/{id}"), &s.analyst).await;
        assert_eq!(inv["status"], "paid");
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1::text AND action = 'invoice_status_changed' \
                 AND after_data->>'status' = 'paid'",
                id
            )
            .await,
            1,
            "paid once"
        );
        assert_eq!(
            count(
                &app,
                "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
                id
            )
            .await,
            1
        );
    }
    let (status, body) = run_action(&app, &s.admin2, &run_id, "execute", json!({})).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_run_releases_its_invoices_and_an_invoice_is_in_one_open_run_only() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let id = approved(&app, &acme, "C-1", "10.00").await;
    let body = json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"});
    let (status, run) = post(&app, "/api/v1/payment-runs", &s.admin, body.clone()).await;
    assert_eq!(status, 201);
    let (status, second) = post(&app, "/api/v1/payment-runs", &s.admin2, body.clone()).await;
    assert_eq!(
        status, 400,
        "the only invoice is in the first run: {second}"
    );
    let run_id = run["id"].as_str().expect("id");
    let (status, cancelled) = run_action(
        &app,
        &s.admin,
        run_id,
        "cancel",
        json!({"reason": "wrong date"}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (_, inv) = get(&app, &format!("/api/v1/invoices/{id}"), &s.analyst).await;
    assert_eq!(inv["status"], "approved");
    assert!(inv["payment_status"].is_null(), "{inv}");
    let (status, again) = post(&app, "/api/v1/payment-runs", &s.admin2, body).await;
    assert_eq!(status, 201, "released invoices can join a new run: {again}");
    let (status, _) = run_action(&app, &s.admin2, run_id, "approve", json!({})).await;
    assert_eq!(status, 400, "a cancelled run cannot be approved");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_eur_wire_run_writes_a_pain001_file_that_validates_against_the_official_xsd() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = vendor(
        &app,
        &s,
        "Müller & Söhne GmbH",
        "EUR",
        "net 30",
        json!({"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}),
        true,
    )
    .await;
    let a = invoice(
        &app,
        &v,
        "RE-2026-1",
        "approved",
        "EUR",
        "1234.56",
        days(-40),
        days(-10),
    )
    .await;
    let b = invoice(
        &app,
        &v,
        "RE-2026-2",
        "approved",
        "EUR",
        "0.99",
        days(-40),
        days(-5),
    )
    .await;
    let (status, run) = post(
        &app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "EUR", "method": "WIRE"}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["file_format"], "pain.001");
    let run_id = run["id"].as_str().expect("id");
    approve_and_execute(&app, &s, run_id).await;
    let (ct, xml) = file_of(&app, &s.admin, run_id).await;
    assert_eq!(ct, "application/xml");
    assert!(xml.contains("<CtrlSum>1235.55</CtrlSum>"), "{xml}");
    assert!(xml.contains("<NbOfTxs>2</NbOfTxs>"));
    if let Some((ok, out)) = xmllint(&xml) {
        assert!(ok, "xmllint rejected the run's file:\n{out}\n{xml}");
    }
    for id in [a, b] {
        let (_, inv) = get(&app, &format!("/api/v1/invoices/{id}"), &s.analyst).await;
        assert_eq!(inv["status"], "paid");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_payment_to_a_changed_account_is_flagged_in_the_run() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Initech", true).await;
    change_and_verify_bank_account(&app, &s, &v, "99887766").await;
    approved(&app, &v, "I-1", "500.00").await;
    let (status, run) = post(
        &app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        run["items"][0]["flags"],
        json!(["first_payment_to_changed_account"])
    );
    assert_eq!(run["totals"]["flagged_count"], 1);
    assert_eq!(
        run["vendors"][0]["flags"],
        json!(["first_payment_to_changed_account"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_run_writes_a_check_register_and_auditors_may_read_runs_but_not_create_them() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let v = us_vendor(&app, &s, "Acme, Steel", false).await;
    approved(&app, &v, "K-1", "42.00").await;
    let (_, auditor) = app.user_with_token(Role::Auditor).await;
    let body = json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "CHECK"});
    let (status, _) = post(&app, "/api/v1/payment-runs", &auditor, body.clone()).await;
    assert_eq!(status, 403);
    let (status, run) = post(&app, "/api/v1/payment-runs", &s.admin, body).await;
    assert_eq!(status, 201, "checks need no verified bank details: {run}");
    let run_id = run["id"].as_str().expect("id");
    let (status, listed) = get(&app, "/api/v1/payment-runs", &auditor).await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["totals"]["net"], "42.00");
    approve_and_execute(&app, &s, run_id).await;
    let (ct, csv) = file_of(&app, &s.admin, run_id).await;
    assert!(ct.starts_with("text/csv"));
    assert!(
        csv.lines()
            .nth(1)
            .expect("row")
            .starts_with("1,\"Acme, Steel\",42.00,USD,"),
        "{csv}"
    );
}
