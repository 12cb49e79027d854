//! One approved amount, end to end: the amount approval, auto-approval, the matrix, the email
//! token and the approver's screen use is the amount that is paid (`amount_due`, else the
//! total); EN 16931 payable arithmetic is checked strictly; what was approved is recorded with
//! the approval and re-read inside the paying transaction; a change of the payable amount
//! sends the invoice back through matching and approval.

use std::time::Duration;

use ap_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{
    approval_task, corpus_bytes, count, decide, extracted_invoice, invoice_detail, match_invoice,
    matrix_rule, pending_task, portal_token, upload_to, wait_invoice_status,
};
use crate::helpers::{TestApp, assert_error, call, ok_json};

/// A text file of the shared corpus.
fn corpus(rel: &str) -> String {
    String::from_utf8(corpus_bytes(rel)).expect("utf-8")
}

/// `sql` takes the id as `$1` (text); one text column, NULL as None.
async fn text(app: &TestApp, sql: &str, id: &str) -> Option<String> {
    app.db
        .client()
        .await
        .query_one(sql, &[&id])
        .await
        .expect("query")
        .get(0)
}

/// Waits until the invoice leaves the automatic statuses; returns its detail.
async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..400 {
        let d = invoice_detail(app, token, id).await;
        let status = d["status"].as_str().unwrap_or_default().to_owned();
        if !["received", "extracting", "extracted", "matching"].contains(&status.as_str()) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("invoice {id} never left extraction and matching");
}

/// One APPROVER for anything up to 10,000.
async fn matrix(app: &TestApp, admin: &str) {
    matrix_rule(app, admin, json!({"name": "Up to 10,000", "amount_up_to": "10000.00", "levels": [{"role": "APPROVER"}]})).await;
}

async fn approve(app: &TestApp, token: &str, task: &Value) -> reqwest::Response {
    decide(app, token, task, "approve", json!({})).await
}

/// Matches the invoice into approval, has the approver approve it and waits for `approved`.
async fn through_approval(app: &TestApp, admin: &str, approver: &str, id: &str, amount: &str) {
    let inv = match_invoice(app, admin, id).await;
    assert_eq!(inv["status"], "pending_approval", "{inv}");
    let t = pending_task(app, approver, id, Some(amount)).await;
    ok_json(approve(app, approver, &t).await, 200).await;
    wait_invoice_status(app, admin, id, "approved").await;
}

async fn pay(app: &TestApp, admin: &str, id: &str) -> reqwest::Response {
    call(
        app,
        Method::POST,
        &format!("/api/v1/invoices/{id}/payment"),
        admin,
        Some(json!({"payment_method": "WIRE"})),
    )
    .await
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    call(
        app,
        Method::PATCH,
        &format!("/api/v1/invoices/{id}"),
        token,
        Some(body),
    )
    .await
}

const APPROVED_AMOUNT: &str =
    "SELECT approved_amount::text FROM invoice.invoices WHERE id = $1::text::uuid";
const PAID_AMOUNTS: &str = "SELECT string_agg(amount::text, ',') FROM payment.payments \
     WHERE invoice_id = $1::text::uuid AND status = 'completed'";
const PAYMENTS: &str = "SELECT count(*) FROM payment.payments WHERE invoice_id = $1::text::uuid \
     AND status IN ('completed', 'pending')";

/// The invoice's recorded approved amount is `amount`, and paying it pays exactly that.
async fn approved_then_paid(app: &TestApp, admin: &str, id: &str, amount: &str) {
    assert_eq!(
        text(app, APPROVED_AMOUNT, id).await.as_deref(),
        Some(amount)
    );
    ok_json(pay(app, admin, id).await, 200).await;
    assert_eq!(text(app, PAID_AMOUNTS, id).await.as_deref(), Some(amount));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_cannot_inflate_the_payable_amount_past_approval() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    // A vendor that needs POs, a PO and a receipt the invoice matches exactly: the honest
    // document would be approved touchless (new vendor, today's date, 177.87 under the limit).
    let v = ok_json(
        call(
            &app,
            Method::POST,
            "/api/v1/vendors",
            &analyst,
            Some(json!({"name": "Bluem BV", "currency": "EUR", "tax_id": "NL809163160B01"})),
        )
        .await,
        201,
    )
    .await;
    let vendor = v["id"].as_str().expect("vendor id").to_owned();
    let po = ok_json(
        call(&app, Method::POST, "/api/v1/purchase-orders", &analyst,
             Some(json!({"po_number": "PO-BLUEM-1", "vendor_id": vendor, "currency": "EUR",
                         "lines": [{"line_number": 1, "description": "IExpress licentiekosten", "quantity": "3", "unit_price": "49.00"}]}))).await,
        201,
    )
    .await;
    ok_json(
        call(&app, Method::POST, "/api/v1/goods-receipts", &analyst,
             Some(json!({"receipt_number": "GR-BLUEM-1", "po_id": po["id"], "received_at": "2026-01-01",
                         "lines": [{"po_line_number": 1, "quantity": "3"}]}))).await,
        201,
    )
    .await;
    let portal = portal_token(&app, &admin, &vendor).await;

    // The hostile document: lines and VAT add up to 177.87, but a rounding amount of
    // 99,822.13 makes the payable 100,000.00 (BR-CO-16 holds, so only a strict check sees it).
    let today = chrono::Utc::now().date_naive();
    let xml = corpus("einvoice/ubl/ubl-tc434-example9.xml")
        .replace("<cbc:ID>20150483</cbc:ID>", "<cbc:ID>INFLATE-1</cbc:ID>")
        .replace("<cbc:IssueDate>2015-04-01</cbc:IssueDate>", &format!("<cbc:IssueDate>{today}</cbc:IssueDate>"))
        .replace("<cbc:DueDate>2015-04-14</cbc:DueDate>", &format!("<cbc:DueDate>{}</cbc:DueDate>", today + chrono::Days::new(14)))
        .replace(
            "<cac:ContractDocumentReference>",
            "<cac:OrderReference><cbc:ID>PO-BLUEM-1</cbc:ID></cac:OrderReference><cac:ContractDocumentReference>",
        )
        .replace(
            "<cbc:PayableAmount currencyID=\"EUR\">177.87</cbc:PayableAmount>",
            "<cbc:PayableRoundingAmount currencyID=\"EUR\">99822.13</cbc:PayableRoundingAmount>\
             <cbc:PayableAmount currencyID=\"EUR\">100000.00</cbc:PayableAmount>",
        );
    assert!(xml.contains("100000.00") && xml.contains("PO-BLUEM-1") && xml.contains("INFLATE-1"));
    let id = upload_to(
        &app,
        "/api/v1/portal/invoices/upload",
        &portal,
        "invoice.xml",
        "application/xml",
        xml.into_bytes(),
    )
    .await;

    // Not approved, touchless or otherwise: a high ARITHMETIC_ERROR waits for a person, and the
    // inflated payable is not stored (the invoice can pay at most its total).
    let d = settled(&app, &analyst, &id).await;
    assert_eq!(d["status"], "exception", "{d}");
    assert_eq!(d["total_amount"], "177.87", "{d}");
    assert_ne!(d["amount_due"], "100000.00", "{d}");
    let exceptions = d["exceptions"].as_array().expect("exceptions");
    let arithmetic = exceptions
        .iter()
        .find(|e| e["code"] == "ARITHMETIC_ERROR")
        .unwrap_or_else(|| panic!("no ARITHMETIC_ERROR: {d}"));
    assert_eq!(arithmetic["severity"], "high", "{arithmetic}");
    assert_eq!(arithmetic["status"], "open", "{arithmetic}");
    let message = arithmetic["message"].as_str().expect("message");
    assert!(message.contains("rounding"), "{message}");
    assert_eq!(text(&app, APPROVED_AMOUNT, &id).await, None);

    // Paying it is refused and pays nothing.
    let r = pay(&app, &admin, &id).await;
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap_or_default());
    assert_eq!(count(&app, PAYMENTS, &id).await, 0);

    // Even after a person waives the finding, what is approved and paid is the total the
    // document justifies, never the inflated payable.
    let waived = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/exceptions/{}", arithmetic["id"].as_str().expect("id")),
        &analyst,
        Some(json!({"status": "waived", "resolution_note": "Confirmed with the vendor: the rounding line is an error."})),
    )
    .await;
    ok_json(waived, 200).await;
    let d = wait_invoice_status(&app, &analyst, &id, "approved").await;
    assert_eq!(d["touchless"], true, "{d}");
    approved_then_paid(&app, &admin, &id, "177.8700").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_approver_sees_and_approves_the_amount_that_is_paid() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    matrix(&app, &admin).await;
    // A total of 5,500.00 of which 2,500.00 was prepaid: 3,000.00 is what will be paid.
    let id = extracted_invoice(&app, &admin, "5500.00", "3000.00", None).await;
    match_invoice(&app, &admin, &id).await;

    // The task, its email token and its mail all carry the payable amount.
    let t = pending_task(&app, &approver, &id, None).await;
    assert_eq!(t["amount"], "3000.00", "{t}");
    let shown = approval_task(&app, &approver, &t).await;
    assert_eq!(shown["amount"], "3000.00", "{shown}");
    for _ in 0..100 {
        if count(
            &app,
            "SELECT count(*) FROM approval.email_tokens k JOIN approval.approval_tasks t \
                ON t.id = k.task_id JOIN approval.approval_requests r ON r.id = t.request_id \
                WHERE r.invoice_id = $1::text::uuid",
            &id,
        )
        .await
            >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token_amounts = text(
        &app,
        "SELECT string_agg(DISTINCT k.amount::text, ',') FROM approval.email_tokens k \
         JOIN approval.approval_tasks t ON t.id = k.task_id \
         JOIN approval.approval_requests r ON r.id = t.request_id WHERE r.invoice_id = $1::text::uuid",
        &id,
    )
    .await;
    assert_eq!(token_amounts.as_deref(), Some("3000.0000"));
    let mail = text(
        &app,
        "SELECT string_agg(body_text, '\n') FROM approval.mail_outbox WHERE to_address = $1",
        &approver_email,
    )
    .await
    .unwrap_or_default();
    assert!(mail.contains("for 3000.00 USD"), "{mail}");
    assert!(!mail.contains("5500"), "{mail}");

    // Approving records 3,000.00 as approved; the payment pays exactly that.
    ok_json(approve(&app, &approver, &t).await, 200).await;
    wait_invoice_status(&app, &admin, &id, "approved").await;
    approved_then_paid(&app, &admin, &id, "3000.0000").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_payable_amount_after_approval_request_sends_it_back_to_matching() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    matrix(&app, &admin).await;
    let id = extracted_invoice(&app, &admin, "5500.00", "5500.00", None).await;
    match_invoice(&app, &admin, &id).await;
    let first = pending_task(&app, &approver, &id, Some("5500.00")).await;

    // The analyst lowers what is to be paid while the approver has the task: the invoice is
    // matched again, the round the approver saw is withdrawn and a new one shows the new amount.
    let d = ok_json(
        patch(&app, &analyst, &id, json!({"amount_due": "4000.00"})).await,
        200,
    )
    .await;
    assert_eq!(d["status"], "pending_approval", "{d}");
    let second = pending_task(&app, &approver, &id, Some("4000.00")).await;
    assert_ne!(first["id"], second["id"]);
    let r = approve(&app, &approver, &first).await;
    assert!(
        r.status().is_client_error(),
        "the withdrawn task was decided: {}",
        r.status()
    );
    assert_eq!(
        invoice_detail(&app, &admin, &id).await["status"],
        "pending_approval"
    );
    ok_json(approve(&app, &approver, &second).await, 200).await;
    wait_invoice_status(&app, &admin, &id, "approved").await;
    assert_eq!(
        text(&app, APPROVED_AMOUNT, &id).await.as_deref(),
        Some("4000.0000")
    );

    // Once approved, the payable amount cannot change: not by a correction (refused, nothing
    // changes) and not by a direct write (the database refuses it).
    let before = text(
        &app,
        "SELECT t::text FROM invoice.invoices t WHERE id = $1::text::uuid",
        &id,
    )
    .await;
    let r = patch(&app, &analyst, &id, json!({"amount_due": "3000.00"})).await;
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap_or_default());
    let err = app
        .db
        .client()
        .await
        .execute(
            "UPDATE invoice.invoices SET amount_due = 4500 WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect_err("the database refuses to change an approved amount");
    assert_eq!(
        err.as_db_error()
            .map(|e| e.constraint().unwrap_or_default().to_owned()),
        Some("invoices_approved_frozen".to_owned())
    );
    let after = text(
        &app,
        "SELECT t::text FROM invoice.invoices t WHERE id = $1::text::uuid",
        &id,
    )
    .await;
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_refuses_an_amount_other_than_the_approved_one() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    matrix(&app, &admin).await;
    let id = extracted_invoice(&app, &admin, "2500.00", "2500.00", None).await;
    through_approval(&app, &admin, &approver, &id, "2500.00").await;

    // A writer that bypasses the application and the trigger (here: replication role) raises
    // the amount due after approval.
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "SET session_replication_role = replica; \
             UPDATE invoice.invoices SET amount_due = 2499.00 WHERE id = '{id}'; \
             SET session_replication_role = origin;"
        ))
        .await
        .expect("tamper");

    let body = assert_error(
        pay(&app, &admin, &id).await,
        409,
        "The invoice's payable amount changed since it was approved; nothing was paid. It must go back through matching and approval.",
    )
    .await;
    assert_eq!(body["code"], "conflict", "{body}");
    assert_eq!(count(&app, PAYMENTS, &id).await, 0);
    assert_eq!(
        invoice_detail(&app, &admin, &id).await["status"],
        "approved"
    );

    // Inside the paying transaction too: with the amount restored but the approval record
    // naming another bank account than the vendor's current one, the invoice service withholds
    // the payment under its lock; the payment fails and the invoice stays approved.
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "SET session_replication_role = replica; \
             UPDATE invoice.invoices SET amount_due = 2500.00, approved_bank_account_id = gen_random_uuid() \
             WHERE id = '{id}'; \
             SET session_replication_role = origin;"
        ))
        .await
        .expect("tamper the account");
    let r = pay(&app, &admin, &id).await;
    let body = ok_json(r, 409).await;
    let message = body["detail"].as_str().expect("detail");
    assert!(message.contains("bank account changed"), "{message}");
    assert!(message.contains("Nothing was paid."), "{message}");
    assert_eq!(count(&app, PAYMENTS, &id).await, 0);
    assert_eq!(
        invoice_detail(&app, &admin, &id).await["status"],
        "approved"
    );
    let withheld = count(
        &app,
        "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'invoice_payment_withheld'",
        &id,
    )
    .await;
    assert_eq!(withheld, 1);

    // As approved, it is paid: exactly the approved amount.
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "SET session_replication_role = replica; \
             UPDATE invoice.invoices SET approved_bank_account_id = NULL WHERE id = '{id}'; \
             SET session_replication_role = origin;"
        ))
        .await
        .expect("restore");
    ok_json(pay(&app, &admin, &id).await, 200).await;
    assert_eq!(
        text(&app, PAID_AMOUNTS, &id).await.as_deref(),
        Some("2500.0000")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_correction_cannot_make_amount_due_exceed_the_total() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let id = extracted_invoice(&app, &admin, "100.00", "100.00", None).await;
    let row = "SELECT t::text FROM invoice.invoices t WHERE id = $1::text::uuid";
    let before = text(&app, row, &id).await;

    assert_error(
        patch(&app, &analyst, &id, json!({"amount_due": "100.01"})).await,
        400,
        "Invalid input: amount_due: must be between 0 and the total amount 100.",
    )
    .await;
    let r = patch(&app, &analyst, &id, json!({"amount_due": "-5.00"})).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("amount_due"),
        "{body}"
    );
    let r = patch(&app, &analyst, &id, json!({"total_amount": "50.00"})).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("total_amount"),
        "{body}"
    );
    // Nothing changed, nothing was recorded as corrected.
    assert_eq!(text(&app, row, &id).await, before);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.invoice_corrections WHERE invoice_id = $1::text::uuid",
            &id
        )
        .await,
        0
    );
    // The database holds the same rule for any other writer.
    let err = app
        .db
        .client()
        .await
        .execute(
            "UPDATE invoice.invoices SET amount_due = 250 WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect_err("check constraint");
    assert_eq!(
        err.as_db_error().and_then(|e| e.constraint()),
        Some("invoices_amount_due_within_total")
    );

    // Within the total is a correction like any other.
    let d = ok_json(
        patch(&app, &analyst, &id, json!({"amount_due": "60.00"})).await,
        200,
    )
    .await;
    assert_eq!(d["amount_due"], "60.00", "{d}");
}
