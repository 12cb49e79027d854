//! Payment runs re-validate at execution: an invoice cancelled, disputed or whose vendor's
//! bank details changed after the run was approved is not in the bank file; it leaves the run
//! with its reason, and the file's entry count and control totals are those of what it pays.
//!
//! Fixtures as in `payments.rs`: invoices reach `approved` by direct SQL, vendors, bank
//! details, runs, cancellation and disputes go through the real REST API.

use serde_json::{Value, json};

use crate::fixtures::count;
use crate::helpers::TestApp;
use crate::payments::{
    Staff, approved, change_and_verify_bank_account, file_of, get, independent_ach, post,
    run_action, staff, today, us_vendor,
};

/// A USD ACH run of every due invoice, created by `admin` and approved by `admin2`.
async fn approved_run(app: &TestApp, s: &Staff, expected_items: usize) -> String {
    let (status, run) = post(
        app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        run["items"].as_array().expect("items").len(),
        expected_items,
        "{run}"
    );
    let id = run["id"].as_str().expect("id").to_owned();
    let (status, body) = run_action(app, &s.admin2, &id, "approve", json!({})).await;
    assert_eq!(status, 200, "{body}");
    id
}

async fn execute(app: &TestApp, s: &Staff, run: &str) -> (u16, Value) {
    run_action(app, &s.admin, run, "execute", json!({})).await
}

/// The run's exclusion of `invoice`, which must exist.
fn exclusion<'a>(run: &'a Value, invoice: &str) -> &'a Value {
    run["exclusions"]
        .as_array()
        .expect("exclusions")
        .iter()
        .find(|e| e["invoice_id"] == invoice)
        .unwrap_or_else(|| panic!("{invoice} is not among the exclusions: {run}"))
}

fn item_ids(run: &Value) -> Vec<String> {
    run["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["invoice_id"].as_str().expect("id").to_owned())
        .collect()
}

async fn payments_of(app: &TestApp, invoice: &str) -> i64 {
    count(
        app,
        "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid",
        invoice,
    )
    .await
}

/// The NACHA file of the run holds exactly `cents` in `entries` credits (control totals and
/// entry hash checked by the strict parser and, when installed, an independent one) and no
/// entry of `absent_number`.
async fn assert_file_pays(
    app: &TestApp,
    s: &Staff,
    run: &str,
    entries: usize,
    cents: u64,
    absent_number: &str,
) {
    let (ct, text) = file_of(app, &s.admin, run).await;
    assert!(ct.starts_with("text/plain"), "{ct}");
    let parsed = ap_bankfile::parse_ach_with(&text, ap_bankfile::ParseMode::Strict)
        .expect("the file's control totals match its entries");
    assert_eq!(parsed.entry_count(), entries, "{text}");
    assert_eq!(parsed.total_credit_cents(), cents, "{text}");
    assert!(
        !text.contains(absent_number),
        "the released invoice {absent_number} has an entry: {text}"
    );
    if let Some(report) = independent_ach(&text) {
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["entry_count"], entries, "{report}");
        assert_eq!(report["total_credit_cents"], cents, "{report}");
    }
}

async fn status_of(app: &TestApp, s: &Staff, invoice: &str) -> Value {
    let (status, inv) = get(app, &format!("/api/v1/invoices/{invoice}"), &s.analyst).await;
    assert_eq!(status, 200, "{inv}");
    inv["status"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_never_pays_an_invoice_cancelled_after_its_approval() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let kept = approved(&app, &acme, "K-100", "100.00").await;
    let cancelled = approved(&app, &acme, "X-250", "250.00").await;
    let run = approved_run(&app, &s, 2).await;

    // Allowed before execution: the invoice leaves the run when it executes.
    let (status, body) = post(
        &app,
        &format!("/api/v1/invoices/{cancelled}/cancel"),
        &s.admin,
        json!({"reason": "duplicate of K-100"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (status, executed) = execute(&app, &s, &run).await;
    assert_eq!(status, 200, "{executed}");
    assert_eq!(executed["status"], "executed");
    assert_eq!(item_ids(&executed), vec![kept.clone()], "{executed}");
    assert_eq!(executed["totals"]["invoice_count"], 1, "{executed}");
    let released = exclusion(&executed, &cancelled);
    let reason = released["reason"].as_str().expect("reason");
    assert!(
        reason.contains("released at execution") && reason.contains("cancelled"),
        "{released}"
    );
    assert_file_pays(&app, &s, &run, 1, 10_000, "X-250").await;
    assert_eq!(payments_of(&app, &cancelled).await, 0, "no payment for it");
    assert_eq!(status_of(&app, &s, &cancelled).await, "cancelled");
    assert_eq!(status_of(&app, &s, &kept).await, "paid");
    let (_, view) = get(&app, &format!("/api/v1/payment-runs/{run}"), &s.admin).await;
    assert_eq!(exclusion(&view, &cancelled)["reason"], reason, "{view}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_never_pays_an_invoice_disputed_after_its_approval() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let kept = approved(&app, &acme, "K-100", "100.00").await;
    let disputed = approved(&app, &acme, "D-300", "300.00").await;
    let run = approved_run(&app, &s, 2).await;

    let (status, invite) = post(
        &app,
        "/api/v1/portal/auth/invite",
        &s.admin,
        json!({"vendor_id": acme}),
    )
    .await;
    assert_eq!(status, 201, "{invite}");
    let portal = invite["token"].as_str().expect("token");
    let (status, body) = post(
        &app,
        &format!("/api/v1/portal/invoices/{disputed}/dispute"),
        portal,
        json!({"reason": "We were never told about this order"}),
    )
    .await;
    assert_eq!(
        status, 201,
        "a dispute before execution is accepted: {body}"
    );

    let (status, executed) = execute(&app, &s, &run).await;
    assert_eq!(status, 200, "{executed}");
    assert_eq!(item_ids(&executed), vec![kept.clone()], "{executed}");
    let reason = exclusion(&executed, &disputed)["reason"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(reason.contains("disputes"), "{reason}");
    assert_file_pays(&app, &s, &run, 1, 10_000, "D-300").await;
    assert_eq!(payments_of(&app, &disputed).await, 0);
    assert_eq!(
        status_of(&app, &s, &disputed).await,
        "approved",
        "back to approved, for a later run once the dispute is settled"
    );
    assert_eq!(status_of(&app, &s, &kept).await, "paid");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_skips_an_invoice_whose_vendor_bank_details_changed() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let globex = us_vendor(&app, &s, "Globex", true).await;
    let kept = approved(&app, &acme, "A-100", "100.00").await;
    let moved = approved(&app, &globex, "G-700", "700.00").await;
    let run = approved_run(&app, &s, 2).await;

    // Changed and even verified by a second person: not what the run was approved with.
    change_and_verify_bank_account(&app, &s, &globex, "55443322").await;

    let (status, executed) = execute(&app, &s, &run).await;
    assert_eq!(status, 200, "{executed}");
    assert_eq!(item_ids(&executed), vec![kept.clone()], "{executed}");
    let reason = exclusion(&executed, &moved)["reason"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(reason.contains("bank details changed"), "{reason}");
    assert_file_pays(&app, &s, &run, 1, 10_000, "G-700").await;
    let (_, text) = file_of(&app, &s.admin, &run).await;
    assert!(!text.contains("55443322"), "never the new account");
    assert_eq!(payments_of(&app, &moved).await, 0);
    // Released with a stale approval: it goes back through matching and approval, where the
    // critical bank-change finding parks it for a person.
    assert_eq!(
        status_of(&app, &s, &moved).await,
        "exception",
        "released with a stale approval: sent back to approval"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_with_nothing_left_to_pay_is_refused_and_stays_approved() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let only = approved(&app, &acme, "X-1", "10.00").await;
    let run = approved_run(&app, &s, 1).await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/invoices/{only}/cancel"),
        &s.admin,
        json!({"reason": "sent twice"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = execute(&app, &s, &run).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("the invoice was cancelled"),
        "{body}"
    );
    let (_, view) = get(&app, &format!("/api/v1/payment-runs/{run}"), &s.admin).await;
    assert_eq!(view["status"], "approved", "{view}");
    let r = app
        .http
        .get(app.url(&format!("/api/v1/payment-runs/{run}/file")))
        .bearer_auth(&s.admin)
        .send()
        .await
        .expect("file");
    assert_eq!(r.status(), 400, "no file was written");
    let (status, body) = run_action(
        &app,
        &s.admin,
        &run,
        "cancel",
        json!({"reason": "nothing left"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_admins_executing_one_run_at_once_write_one_file_and_leave_no_claim() {
    let app = TestApp::spawn().await;
    let s = staff(&app).await;
    let acme = us_vendor(&app, &s, "Acme Steel", true).await;
    let a = approved(&app, &acme, "P-1", "10.00").await;
    let b = approved(&app, &acme, "P-2", "20.00").await;
    let run = approved_run(&app, &s, 2).await;

    let path = format!("/api/v1/payment-runs/{run}/execute");
    let (first, second) = tokio::join!(
        post(&app, &path, &s.admin, json!({})),
        post(&app, &path, &s.admin2, json!({})),
    );
    let mut codes = [first.0, second.0];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "{first:?} {second:?}");
    assert_file_pays(&app, &s, &run, 2, 3_000, "no-such-invoice").await;
    for id in [&a, &b] {
        assert_eq!(status_of(&app, &s, id).await, "paid");
        assert_eq!(payments_of(&app, id).await, 1);
        let unclaimed: bool = app
            .db
            .client()
            .await
            .query_one(
                "SELECT payment_claim_run_id IS NULL FROM invoice.invoices WHERE id = $1::text::uuid",
                &[id],
            )
            .await
            .expect("row")
            .get(0);
        assert!(unclaimed, "settlement clears the claim");
    }
}
