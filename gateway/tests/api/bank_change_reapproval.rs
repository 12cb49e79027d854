//! A change of the vendor's bank account after a decision sends the invoice back to approval:
//! once a second person verifies the new account, an `approved` invoice whose approval saw
//! the old one is matched again in that transaction (approval record cleared, audited, a new
//! round after the bank-change finding is cleared), and a `scheduled` one goes the same way
//! when its payment run releases it at execution. The re-approved invoice pays the new
//! account.
//!
//! Vendors, bank details, matching, approval, runs and payments go through the real REST API;
//! only the invoice as extraction leaves it is written straight into the invoice table.

use std::time::Duration;

use ap_types::Role;
use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{
    count, decide, invoice_detail, match_invoice, pending_task, wait_invoice_status,
};
use crate::helpers::{TestApp, call, ok_json};

struct People {
    admin: String,
    admin2: String,
    analyst: String,
    approver: String,
}

async fn people(app: &TestApp) -> People {
    let people = People {
        admin: app.user_with_token(Role::Admin).await.1,
        admin2: app.user_with_token(Role::Admin).await.1,
        analyst: app.user_with_token(Role::ApAnalyst).await.1,
        approver: app.user_with_token(Role::Approver).await.1,
    };
    // One APPROVER for anything up to 10,000.
    ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/approval-matrix",
            &people.admin,
            Some(json!({"name": "Up to 10,000", "amount_up_to": "10000.00", "levels": [{"role": "APPROVER"}]})),
        )
        .await,
        201,
    )
    .await;
    people
}

/// A non-PO USD vendor (its invoices go to a person) whose first bank account the analyst
/// enters and an admin verifies.
async fn vendor(app: &TestApp, p: &People, name: &str, account_number: &str) -> String {
    let v = ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/vendors",
            &p.analyst,
            Some(json!({
                "name": name, "currency": "USD", "po_required": false,
                "bank_account": {"routing_number": "026009593", "account_number": account_number},
            })),
        )
        .await,
        201,
    )
    .await;
    let id = v["id"].as_str().expect("vendor id").to_owned();
    verify(app, &p.admin, &id).await;
    id
}

async fn verify(app: &TestApp, token: &str, vendor: &str) {
    ok_json(
        call(
            app,
            Method::POST,
            &format!("/api/v1/vendors/{vendor}/bank-account/verify"),
            token,
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
}

/// The analyst replaces the vendor's account (unverified until someone else verifies it).
async fn replace_account(app: &TestApp, p: &People, vendor: &str, account_number: &str) {
    ok_json(
        call(
            app,
            Method::PUT,
            &format!("/api/v1/vendors/{vendor}/bank-account"),
            &p.analyst,
            Some(json!({"routing_number": "021000021", "account_number": account_number})),
        )
        .await,
        200,
    )
    .await;
}

/// An invoice of `vendor` for `amount`, due ten days ago, as extraction leaves it.
async fn extracted(app: &TestApp, vendor: &str, number: &str, amount: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let due = (Utc::now().date_naive() - Days::new(10)).to_string();
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, due_date, currency, subtotal, total_amount, \
               amount_due, fields) \
             SELECT $1::text::uuid, 'extracted', 'upload', v.id, v.name, $3, $3, \
               current_date - 40, $5::text::date, 'USD', $4::text::numeric, $4::text::numeric, \
               $4::text::numeric, '{}' FROM invoice.vendors v WHERE v.id = $2::text::uuid",
            &[&id, &vendor, &number, &amount, &due],
        )
        .await
        .expect("invoice");
    id
}

/// Matches the invoice into approval and has the approver approve its task at `amount`.
async fn approve_by_decision(app: &TestApp, p: &People, id: &str, amount: &str) {
    let inv = match_invoice(app, &p.admin, id).await;
    assert_eq!(inv["status"], "pending_approval", "{inv}");
    let task = pending_task(app, &p.approver, id, Some(amount)).await;
    ok_json(
        decide(app, &p.approver, &task, "approve", json!({})).await,
        200,
    )
    .await;
    wait_invoice_status(app, &p.admin, id, "approved").await;
}

/// One nullable text column of the invoice row.
async fn column(app: &TestApp, expr: &str, id: &str) -> Option<String> {
    app.db
        .client()
        .await
        .query_one(
            &format!("SELECT ({expr})::text FROM invoice.invoices WHERE id = $1::text::uuid"),
            &[&id],
        )
        .await
        .expect("invoice row")
        .get(0)
}

async fn current_account(app: &TestApp, vendor: &str) -> String {
    app.db
        .client()
        .await
        .query_one(
            "SELECT id::text FROM invoice.vendor_bank_accounts \
             WHERE vendor_id = $1::text::uuid AND is_current",
            &[&vendor],
        )
        .await
        .expect("current account")
        .get(0)
}

/// A USD ACH run of every due invoice (`items` of them), created by the admin and approved by
/// the second admin; its id.
async fn approved_run(app: &TestApp, p: &People, items: usize) -> String {
    let run = ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/payment-runs",
            &p.admin,
            Some(json!({"pay_by_date": Utc::now().date_naive().to_string(), "currency": "USD", "method": "ACH"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        run["items"].as_array().expect("items").len(),
        items,
        "{run}"
    );
    let id = run["id"].as_str().expect("run id").to_owned();
    ok_json(
        call(
            app,
            Method::POST,
            &format!("/api/v1/payment-runs/{id}/approve"),
            &p.admin2,
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
    id
}

const SENT_BACK: &str = "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 \
     AND action = 'invoice_sent_back_to_approval' \
     AND after_data->>'reason' = 'the vendor''s bank account changed'";
const ROUNDS: &str =
    "SELECT count(*) FROM approval.approval_requests WHERE invoice_id = $1::text::uuid";

/// The invoice is back in front of people because of the bank change: the critical
/// `BANK_DETAILS_CHANGED` finding is open. An admin waives it after calling the vendor; the
/// invoice then goes to approval again, in a new round, at the same amount; the approver
/// approves it and the approval records the new account.
async fn through_the_bank_check_and_approval_again(
    app: &TestApp,
    p: &People,
    id: &str,
    amount: &str,
    new_account: &str,
) {
    let d = wait_invoice_status(app, &p.admin, id, "exception").await;
    let exceptions = d["exceptions"].as_array().expect("exceptions");
    let bank = exceptions
        .iter()
        .find(|e| e["code"] == "BANK_DETAILS_CHANGED")
        .unwrap_or_else(|| panic!("no bank-change finding: {d}"));
    assert_eq!(bank["severity"], "critical", "{bank}");
    assert_eq!(bank["status"], "open", "{bank}");
    ok_json(
        call(
            app,
            Method::PATCH,
            &format!("/api/v1/exceptions/{}", bank["id"].as_str().expect("id")),
            &p.admin,
            Some(json!({"status": "waived", "resolution_note": "Confirmed the new account with the vendor by phone."})),
        )
        .await,
        200,
    )
    .await;
    let d = wait_invoice_status(app, &p.admin, id, "pending_approval").await;
    assert_eq!(d["touchless"], false, "{d}");
    let task = pending_task(app, &p.approver, id, Some(amount)).await;
    for _ in 0..100 {
        if count(app, ROUNDS, id).await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(count(app, ROUNDS, id).await, 2, "a new approval round");
    assert_eq!(column(app, "approved_at", id).await, None);
    ok_json(
        decide(app, &p.approver, &task, "approve", json!({})).await,
        200,
    )
    .await;
    wait_invoice_status(app, &p.admin, id, "approved").await;
    assert_eq!(
        column(app, "approved_bank_account_id", id).await.as_deref(),
        Some(new_account)
    );
    assert_eq!(
        column(app, "approved_amount", id).await.as_deref(),
        Some(format!("{amount}00").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_account_change_after_approval_sends_the_invoice_back_to_approval() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let v = vendor(&app, &p, "Initech", "000123456789").await;
    let old_account = current_account(&app, &v).await;
    let id = extracted(&app, &v, "B-100", "2500.00").await;
    approve_by_decision(&app, &p, &id, "2500.00").await;
    assert_eq!(
        column(&app, "approved_bank_account_id", &id)
            .await
            .as_deref(),
        Some(old_account.as_str())
    );

    // Entered but not verified: nothing is paid to it yet and the approval stands (a payment
    // would be withheld).
    replace_account(&app, &p, &v, "55443322").await;
    assert_eq!(
        invoice_detail(&app, &p.admin, &id).await["status"],
        "approved"
    );
    assert_eq!(count(&app, SENT_BACK, &id).await, 0);

    // Verified by a second person: the approval no longer describes where the money goes.
    verify(&app, &p.admin2, &v).await;
    let new_account = current_account(&app, &v).await;
    assert_ne!(new_account, old_account);
    let d = invoice_detail(&app, &p.admin, &id).await;
    assert_ne!(d["status"], "approved", "{d}");
    assert_eq!(column(&app, "approved_at", &id).await, None);
    assert_eq!(column(&app, "approved_amount", &id).await, None);
    assert_eq!(column(&app, "approved_bank_account_id", &id).await, None);
    assert_eq!(count(&app, SENT_BACK, &id).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 \
             AND action = 'invoice_status_changed' AND after_data->>'event' = 'reapprove'",
            &id,
        )
        .await,
        1
    );
    // Paying it now is refused and pays nothing.
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/invoices/{id}/payment"),
        &p.admin,
        Some(json!({"payment_method": "WIRE"})),
    )
    .await;
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap_or_default());

    through_the_bank_check_and_approval_again(&app, &p, &id, "2500.00", &new_account).await;

    // A payment run pays exactly the approved amount, to the new account.
    let run = approved_run(&app, &p, 1).await;
    ok_json(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/payment-runs/{run}/execute"),
            &p.admin,
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
    let paid: Vec<(String, Option<String>)> = app
        .db
        .client()
        .await
        .query(
            "SELECT amount::text, bank_account_id::text FROM payment.payments \
             WHERE invoice_id = $1::text::uuid AND status = 'completed'",
            &[&id],
        )
        .await
        .expect("payments")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(paid, vec![("2500.0000".to_owned(), Some(new_account))]);
    let r = app
        .http
        .get(app.url(&format!("/api/v1/payment-runs/{run}/file")))
        .bearer_auth(&p.admin)
        .send()
        .await
        .expect("file");
    assert_eq!(r.status(), 200);
    let file = r.text().await.expect("file text");
    // The one NACHA entry detail record (type 6) credits the new account, never the old one.
    let entries: Vec<&str> = file.lines().filter(|l| l.starts_with('6')).collect();
    assert_eq!(entries.len(), 1, "{file}");
    assert_eq!(entries[0].get(3..12), Some("021000021"), "{file}");
    assert_eq!(
        entries[0].get(12..29).map(str::trim),
        Some("55443322"),
        "{file}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_account_change_sends_a_scheduled_invoice_back_to_approval_at_run_execution() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let acme = vendor(&app, &p, "Acme Steel", "000123456789").await;
    let globex = vendor(&app, &p, "Globex", "000987654321").await;
    let kept = extracted(&app, &acme, "A-100", "100.00").await;
    let moved = extracted(&app, &globex, "G-700", "700.00").await;
    approve_by_decision(&app, &p, &kept, "100.00").await;
    approve_by_decision(&app, &p, &moved, "700.00").await;

    let run_id = approved_run(&app, &p, 2).await;

    // The change is verified while the invoice sits in the approved run: it stays scheduled
    // (the run owns it) until the run is executed.
    replace_account(&app, &p, &globex, "99887766").await;
    verify(&app, &p.admin2, &globex).await;
    let new_account = current_account(&app, &globex).await;
    assert_eq!(
        invoice_detail(&app, &p.admin, &moved).await["status"],
        "scheduled"
    );
    assert_eq!(count(&app, SENT_BACK, &moved).await, 0);

    let executed = ok_json(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/payment-runs/{run_id}/execute"),
            &p.admin,
            Some(json!({})),
        )
        .await,
        200,
    )
    .await;
    let excluded: Vec<&Value> = executed["exclusions"]
        .as_array()
        .expect("exclusions")
        .iter()
        .filter(|e| e["invoice_id"] == moved.as_str())
        .collect();
    assert_eq!(excluded.len(), 1, "{executed}");
    let reason = excluded[0]["reason"].as_str().expect("reason");
    assert!(reason.contains("bank details changed"), "{reason}");
    assert_eq!(
        invoice_detail(&app, &p.admin, &kept).await["status"],
        "paid"
    );

    // Released from the run, it did not stop at approved: back to approval, record cleared,
    // audited, nothing paid.
    let d = invoice_detail(&app, &p.admin, &moved).await;
    assert!(
        !["approved", "scheduled", "paid"].contains(&d["status"].as_str().unwrap_or_default()),
        "{d}"
    );
    assert_eq!(column(&app, "approved_at", &moved).await, None);
    assert_eq!(count(&app, SENT_BACK, &moved).await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid \
             AND status = 'completed'",
            &moved,
        )
        .await,
        0
    );

    through_the_bank_check_and_approval_again(&app, &p, &moved, "700.00", &new_account).await;
}
