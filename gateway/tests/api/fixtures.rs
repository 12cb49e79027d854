//! Arrange steps shared by the end-to-end tests: invoices seeded in a status and walked into
//! approval, approval tasks found and decided, users (de)activated, vendors invited to the
//! portal, documents uploaded and the shared corpus read. Each goes through the real REST API
//! (or, where a test says so, straight into a service's table) and asserts its own success.

use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, ok_json};

/// A file of the shared corpus: `AP_CORPUS_DIR`, else `../shared/corpus` beside the checkout.
pub(crate) fn corpus_bytes(rel: &str) -> Vec<u8> {
    let root = std::env::var("AP_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").to_owned());
    let path = std::path::Path::new(&root).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `sql` takes the id as `$1` (text) and returns one bigint.
pub(crate) async fn count(app: &TestApp, sql: &str, id: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(sql, &[&id])
        .await
        .expect("count")
        .get(0)
}

/// A new non-PO vendor (its invoices go to a person) and an invoice of it as extraction leaves
/// it, written straight into the invoice service's table: `total` with `due` to pay.
pub(crate) async fn extracted_invoice(
    app: &TestApp,
    admin: &str,
    total: &str,
    due: &str,
    uploaded_by: Option<&str>,
) -> String {
    let v = ok_json(
        call(app, Method::POST, "/api/v1/vendors", admin,
             Some(json!({"name": format!("Vendor {}", uuid::Uuid::new_v4().simple()), "currency": "USD", "po_required": false}))).await,
        201,
    )
    .await;
    let vendor = v["id"].as_str().expect("vendor id").to_owned();
    let id = uuid::Uuid::now_v7().to_string();
    let number = format!("INV-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let uploader = uploaded_by.map(str::to_owned);
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, currency, subtotal, total_amount, amount_due, fields, uploaded_by) \
             VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'Vendor', $3, $3, \
               current_date, 'USD', $4::text::numeric, $4::text::numeric, $5::text::numeric, '{}', $6::text::uuid)",
            &[&id, &vendor, &number, &total, &due, &uploader],
        )
        .await
        .expect("invoice");
    id
}

/// Adds one row to the approval matrix (201); returns it.
pub(crate) async fn matrix_rule(app: &TestApp, admin: &str, rule: Value) -> Value {
    ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/approval-matrix",
            admin,
            Some(rule),
        )
        .await,
        201,
    )
    .await
}

/// The invoice's detail as `token` sees it.
pub(crate) async fn invoice_detail(app: &TestApp, token: &str, id: &str) -> Value {
    ok_json(
        call(
            app,
            Method::GET,
            &format!("/api/v1/invoices/{id}"),
            token,
            None,
        )
        .await,
        200,
    )
    .await
}

/// Waits until the invoice is in `want`; returns its detail.
pub(crate) async fn wait_invoice_status(app: &TestApp, token: &str, id: &str, want: &str) -> Value {
    for _ in 0..200 {
        let d = invoice_detail(app, token, id).await;
        if d["status"] == want {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "invoice {id} never became {want}: {}",
        invoice_detail(app, token, id).await
    );
}

/// Asks for the invoice to be matched (202); returns the invoice as the answer shows it.
pub(crate) async fn match_invoice(app: &TestApp, token: &str, id: &str) -> Value {
    ok_json(
        call(
            app,
            Method::POST,
            &format!("/api/v1/invoices/{id}/match"),
            token,
            None,
        )
        .await,
        202,
    )
    .await
}

/// Waits until `token`'s inbox holds a pending task of invoice `id` (when given, for
/// `amount`); returns it.
pub(crate) async fn pending_task(
    app: &TestApp,
    token: &str,
    id: &str,
    amount: Option<&str>,
) -> Value {
    for _ in 0..200 {
        let page = ok_json(
            call(app, Method::GET, "/api/v1/approvals", token, None).await,
            200,
        )
        .await;
        if let Some(t) = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|t| t["invoice_id"] == id && amount.is_none_or(|a| t["amount"] == a))
        {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no task for invoice {id} (amount {amount:?}) reached this inbox");
}

/// The approval task as `token` reads it (GET /approvals/{id}).
pub(crate) async fn approval_task(app: &TestApp, token: &str, task: &Value) -> Value {
    ok_json(
        call(
            app,
            Method::GET,
            &format!("/api/v1/approvals/{}", task["id"].as_str().expect("id")),
            token,
            None,
        )
        .await,
        200,
    )
    .await
}

/// Decides the task: `action` is `approve`, `reject`, `reassign`...
pub(crate) async fn decide(
    app: &TestApp,
    token: &str,
    task: &Value,
    action: &str,
    body: Value,
) -> reqwest::Response {
    let path = format!(
        "/api/v1/approvals/{}/{action}",
        task["id"].as_str().expect("task id")
    );
    call(app, Method::POST, &path, token, Some(body)).await
}

/// The admin activates or deactivates the user `user_id`.
pub(crate) async fn set_user_active(app: &TestApp, admin: &str, user_id: &str, active: bool) {
    ok_json(
        call(
            app,
            Method::PATCH,
            &format!("/api/v1/admin/users/{user_id}"),
            admin,
            Some(json!({"is_active": active})),
        )
        .await,
        200,
    )
    .await;
}

/// Invites the vendor to the portal; returns the portal token.
pub(crate) async fn portal_token(app: &TestApp, admin: &str, vendor: &str) -> String {
    let invite = portal_invite(app, admin, vendor).await;
    invite["token"].as_str().expect("portal token").to_owned()
}

/// Invites the vendor to the portal (201); returns the invitation.
pub(crate) async fn portal_invite(app: &TestApp, admin: &str, vendor: &str) -> Value {
    ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/portal/auth/invite",
            admin,
            Some(json!({"vendor_id": vendor})),
        )
        .await,
        201,
    )
    .await
}

/// Uploads one file to `path` (staff or portal upload) as `token`; expects 201 and returns the
/// new invoice's id.
pub(crate) async fn upload_to(
    app: &TestApp,
    path: &str,
    token: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
) -> String {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime");
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .timeout(Duration::from_secs(120))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}
