//! `PATCH /invoices/{id}` (typed corrections, recorded field by field, no lost updates under
//! concurrency) and `POST /invoices/{id}/cancel`.

use std::collections::HashMap;

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// An invoice straight in the database, ready to be corrected.
async fn seed_invoice(app: &TestApp) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source) VALUES ($1::text::uuid, 'extracted', 'upload')",
            &[&id],
        )
        .await
        .expect("seed invoice");
    id
}

async fn patch(app: &TestApp, id: &str, token: &str, body: Value) -> reqwest::Response {
    app.http
        .patch(app.url(&format!("/api/v1/invoices/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("patch")
}

async fn cancel(app: &TestApp, id: &str, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/v1/invoices/{id}/cancel")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("cancel")
}

/// The whole invoice row as text, to prove a refused request changed nothing.
async fn invoice_row(app: &TestApp, id: &str) -> String {
    app.db
        .client()
        .await
        .query_one(
            "SELECT t::text FROM invoice.invoices t WHERE id::text = $1",
            &[&id],
        )
        .await
        .expect("invoice")
        .get(0)
}

async fn version(app: &TestApp, id: &str) -> i32 {
    app.db
        .client()
        .await
        .query_one(
            "SELECT version FROM invoice.invoices WHERE id::text = $1",
            &[&id],
        )
        .await
        .expect("version")
        .get(0)
}

/// `(field, old_value, new_value, corrected_by)` as JSON text, in insertion order.
async fn corrections(app: &TestApp, id: &str) -> Vec<(String, String, String, String)> {
    app.db
        .client()
        .await
        .query(
            "SELECT field, coalesce(old_value::text, 'null'), coalesce(new_value::text, 'null'), corrected_by::text \
             FROM invoice.invoice_corrections WHERE invoice_id::text = $1 ORDER BY id",
            &[&id],
        )
        .await
        .expect("corrections")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

/// A recorded decimal without quotes and trailing zeros: `"100.0100"` → `100.01`.
fn plain(recorded: &str) -> String {
    let s = recorded.trim_matches('"');
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM invoice.audit_log WHERE action = $1",
            &[&action],
        )
        .await
        .expect("audit")
        .get(0)
}

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

/// A vendor and a purchase order `PO-1` to point corrections at.
async fn seed_master_data(app: &TestApp, token: &str) -> Value {
    let vendor = create(
        app,
        token,
        "/api/v1/vendors",
        json!({"name": "Acme Steel", "currency": "EUR"}),
    )
    .await;
    create(
        app,
        token,
        "/api/v1/purchase-orders",
        json!({"po_number": "PO-1", "vendor_id": vendor["id"], "currency": "EUR",
               "lines": [{"line_number": 1, "description": "x", "quantity": "1", "unit_price": "1"}]}),
    )
    .await;
    vendor
}

#[tokio::test(flavor = "multi_thread")]
async fn a_badly_typed_correction_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    seed_master_data(&app, &token).await;
    let id = seed_invoice(&app).await;
    let before = invoice_row(&app, &id).await;

    let cases = [
        (json!({"invoice_date": "2026-13-01"}), "invoice_date"),
        (json!({"due_date": "01/04/2026"}), "due_date"),
        (json!({"total_amount": "1,234.00"}), "total_amount"),
        (json!({"subtotal": "1e3"}), "subtotal"),
        (json!({"tax_amount": "12.34567"}), "tax_amount"),
        (json!({"amount_due": "$10"}), "amount_due"),
        (json!({"currency": "EURO"}), "currency"),
        (json!({"currency": "ABC"}), "currency"),
        (json!({"vendor_id": "not-a-uuid"}), "vendor_id"),
        (
            json!({"vendor_id": uuid::Uuid::new_v4().to_string()}),
            "vendor_id",
        ),
        (json!({"po_number": "PO-NOPE"}), "po_number"),
        // One bad field refuses the whole patch, good fields included.
        (
            json!({"invoice_number": "INV-1", "total_amount": "1e3"}),
            "total_amount",
        ),
    ];
    for (body, field) in cases {
        let r = patch(&app, &id, &token, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let err: Value = r.json().await.expect("json");
        assert_eq!(err["code"], "invalid_request", "{err}");
        let fields: Vec<&str> = err["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, [field], "{body}: {err}");
    }
    // Unknown fields are refused before reaching the service.
    let r = patch(&app, &id, &token, json!({"status": "approved"})).await;
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.expect("json");
    assert!(
        err["detail"].as_str().unwrap_or("").contains("status"),
        "{err}"
    );

    assert_eq!(invoice_row(&app, &id).await, before);
    assert!(corrections(&app, &id).await.is_empty());
    assert_eq!(audit_count(&app, "invoice_corrected").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_is_recorded_per_field_marked_manual_and_bumps_the_version() {
    let app = TestApp::spawn().await;
    let (email, token) = app.user_with_token(Role::ApAnalyst).await;
    let me = app.user_id(&email).await;
    let vendor = seed_master_data(&app, &token).await;
    let id = seed_invoice(&app).await;
    let v0 = version(&app, &id).await;

    let r = patch(
        &app,
        &id,
        &token,
        json!({"invoice_number": "INV-1042", "invoice_date": "2026-03-02", "currency": "eur",
               "total_amount": "1234.50", "vendor_id": vendor["id"], "po_number": "PO-1"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let inv: Value = r.json().await.expect("json");
    assert_eq!(inv["version"], v0 + 1, "{inv}");
    assert_eq!(inv["invoice_number"], "INV-1042");
    assert_eq!(inv["invoice_date"], "2026-03-02");
    assert_eq!(inv["currency"], "EUR");
    assert_eq!(inv["total_amount"], "1234.50");
    assert_eq!(inv["po_number"], "PO-1");
    assert_eq!(inv["vendor"]["id"], vendor["id"]);
    assert_eq!(inv["vendor"]["name"], "Acme Steel");
    for f in [
        "invoice_number",
        "invoice_date",
        "currency",
        "total_amount",
        "vendor_id",
        "po_number",
    ] {
        assert_eq!(inv["fields"][f]["source"], "manual", "{f}: {inv}");
        assert_eq!(inv["fields"][f]["confidence"], 1.0, "{f}: {inv}");
    }

    let recorded: HashMap<String, (String, String, String)> = corrections(&app, &id)
        .await
        .into_iter()
        .map(|(f, o, n, by)| (f, (o, n, by)))
        .collect();
    let vendor_json = format!("\"{}\"", vendor["id"].as_str().expect("id"));
    let expected = [
        ("invoice_number", "\"INV-1042\""),
        ("invoice_date", "\"2026-03-02\""),
        ("currency", "\"EUR\""),
        // Amounts are recorded at the stored scale, old and new alike.
        ("total_amount", "\"1234.5000\""),
        ("vendor_id", vendor_json.as_str()),
        ("po_number", "\"PO-1\""),
    ];
    assert_eq!(recorded.len(), expected.len(), "{recorded:?}");
    for (field, new) in expected {
        let (old, got, by) = &recorded[field];
        assert_eq!(old, "null", "{field}");
        assert_eq!(got, new, "{field}");
        assert_eq!(by, &me, "{field}");
    }
    assert_eq!(audit_count(&app, "invoice_corrected").await, 1);

    // Setting the same values again (an equal amount written differently too) changes nothing.
    let r = patch(
        &app,
        &id,
        &token,
        json!({"invoice_number": "INV-1042", "total_amount": "1234.5"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(version(&app, &id).await, v0 + 1);
    assert_eq!(corrections(&app, &id).await.len(), 6);
    assert_eq!(audit_count(&app, "invoice_corrected").await, 1);

    // A second change records the previous value as old.
    let r = patch(
        &app,
        &id,
        &token,
        json!({"total_amount": "99.99", "version": v0 + 1}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let all = corrections(&app, &id).await;
    let last = all.last().expect("last");
    assert_eq!(
        (last.0.as_str(), last.1.as_str(), last.2.as_str()),
        ("total_amount", "\"1234.5000\"", "\"99.9900\"")
    );
    assert_eq!(version(&app, &id).await, v0 + 2);
    assert_eq!(audit_count(&app, "invoice_corrected").await, 2);

    // Other staff roles cannot correct.
    let before = invoice_row(&app, &id).await;
    for role in [Role::ApClerk, Role::Approver, Role::Auditor] {
        let (_, t) = app.user_with_token(role).await;
        let r = patch(&app, &id, &t, json!({"total_amount": "1.00"})).await;
        assert_error(r, 403, FORBIDDEN).await;
    }
    assert_eq!(invoice_row(&app, &id).await, before);
    assert_eq!(corrections(&app, &id).await.len(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_corrections_lose_no_update_and_a_stale_version_is_409() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, token2) = app.user_with_token(Role::Admin).await;
    let id = seed_invoice(&app).await;
    let v0 = version(&app, &id).await;

    let values: Vec<String> = (1..=10).map(|i| format!("100.{i:02}")).collect();
    let mut tasks = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let http = app.http.clone();
        let url = app.url(&format!("/api/v1/invoices/{id}"));
        let t = if i % 2 == 0 {
            token.clone()
        } else {
            token2.clone()
        };
        let value = value.clone();
        tasks.push(tokio::spawn(async move {
            http.patch(url)
                .bearer_auth(t)
                .json(&json!({"total_amount": value}))
                .send()
                .await
                .expect("patch")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }

    // Every correction is there, and they form one chain from the original (null) value:
    // each old value is the new value of the correction applied just before it.
    let recorded = corrections(&app, &id).await;
    assert_eq!(recorded.len(), 10, "{recorded:?}");
    let by_old: HashMap<&str, &str> = recorded
        .iter()
        .map(|(_, o, n, _)| (o.as_str(), n.as_str()))
        .collect();
    assert_eq!(
        by_old.len(),
        10,
        "two corrections saw the same old value: {recorded:?}"
    );
    let mut current = "null";
    let mut chain = Vec::new();
    while let Some(next) = by_old.get(current) {
        chain.push(*next);
        current = next;
    }
    assert_eq!(chain.len(), 10, "broken chain: {recorded:?}");
    // Insertion order is the commit order, and it matches the chain.
    let in_order: Vec<&str> = recorded.iter().map(|(_, _, n, _)| n.as_str()).collect();
    assert_eq!(in_order, chain);
    let mut seen: Vec<String> = chain.iter().map(|s| plain(s)).collect();
    seen.sort();
    let mut sent: Vec<String> = values.iter().map(|v| plain(v)).collect();
    sent.sort();
    assert_eq!(seen, sent);

    let final_total: Value = app
        .get_authed(&format!("/api/v1/invoices/{id}"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        plain(final_total["total_amount"].as_str().expect("total")),
        plain(chain.last().expect("last"))
    );
    assert_eq!(final_total["version"], v0 + 10);
    assert_eq!(version(&app, &id).await, v0 + 10);
    assert_eq!(audit_count(&app, "invoice_corrected").await, 10);

    // A correction based on an old version is refused and changes nothing.
    let before = invoice_row(&app, &id).await;
    let r = patch(
        &app,
        &id,
        &token,
        json!({"total_amount": "1.00", "version": v0 + 3}),
    )
    .await;
    assert_error(
        r,
        409,
        "The invoice was changed by someone else; reload and retry.",
    )
    .await;
    assert_eq!(invoice_row(&app, &id).await, before);
    // The current version is accepted.
    let r = patch(
        &app,
        &id,
        &token,
        json!({"total_amount": "1.00", "version": v0 + 10}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(version(&app, &id).await, v0 + 11);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_corrections_of_different_fields_all_apply() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    seed_master_data(&app, &token).await;
    let id = seed_invoice(&app).await;
    let v0 = version(&app, &id).await;
    let patches = [
        json!({"invoice_number": "INV-9"}),
        json!({"invoice_date": "2026-01-02"}),
        json!({"due_date": "2026-02-01"}),
        json!({"currency": "USD"}),
        json!({"subtotal": "10.00"}),
        json!({"tax_amount": "1.90"}),
        json!({"total_amount": "11.90"}),
        json!({"amount_due": "11.90"}),
        json!({"po_number": "PO-1"}),
        json!({"payment_terms": "net 30"}),
    ];
    let mut tasks = Vec::new();
    for body in patches {
        let http = app.http.clone();
        let url = app.url(&format!("/api/v1/invoices/{id}"));
        let t = token.clone();
        tasks.push(tokio::spawn(async move {
            http.patch(url)
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .expect("patch")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
    let inv: Value = app
        .get_authed(&format!("/api/v1/invoices/{id}"), &token)
        .await
        .json()
        .await
        .expect("json");
    for (field, value) in [
        ("invoice_number", "INV-9"),
        ("invoice_date", "2026-01-02"),
        ("due_date", "2026-02-01"),
        ("currency", "USD"),
        ("subtotal", "10.00"),
        ("tax_amount", "1.90"),
        ("total_amount", "11.90"),
        ("amount_due", "11.90"),
        ("po_number", "PO-1"),
        ("payment_terms", "net 30"),
    ] {
        assert_eq!(inv[field], value, "{field} lost: {inv}");
        assert_eq!(inv["fields"][field]["source"], "manual", "{field}");
    }
    assert_eq!(inv["version"], v0 + 10);
    assert_eq!(corrections(&app, &id).await.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_cancels_with_a_reason_and_a_cancelled_invoice_is_final() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let id = seed_invoice(&app).await;
    let before = invoice_row(&app, &id).await;

    for role in [
        Role::ApAnalyst,
        Role::ApClerk,
        Role::Approver,
        Role::Auditor,
    ] {
        let (_, t) = app.user_with_token(role).await;
        let r = cancel(&app, &id, &t, json!({"reason": "duplicate"})).await;
        assert_error(r, 403, FORBIDDEN).await;
    }
    // A reason is required.
    let r = cancel(&app, &id, &admin, json!({})).await;
    assert_eq!(r.status(), 400);
    let r = cancel(&app, &id, &admin, json!({"reason": "   "})).await;
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.expect("json");
    assert_eq!(err["errors"][0]["field"], "reason", "{err}");
    assert_eq!(invoice_row(&app, &id).await, before);
    assert_eq!(audit_count(&app, "invoice_status_changed").await, 0);

    let r = cancel(
        &app,
        &id,
        &admin,
        json!({"reason": "Sent twice by the vendor"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let inv: Value = r.json().await.expect("json");
    assert_eq!(inv["status"], "cancelled");
    let audit: Vec<String> = app
        .db
        .client()
        .await
        .query(
            "SELECT after_data::text FROM invoice.audit_log \
             WHERE action = 'invoice_status_changed' AND entity_id = $1",
            &[&id],
        )
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audit.len(), 1);
    let after: Value = serde_json::from_str(&audit[0]).expect("json");
    assert_eq!(after["status"], "cancelled");
    assert_eq!(after["reason"], "Sent twice by the vendor");

    // Twice is an illegal transition; corrections are refused.
    let r = cancel(&app, &id, &admin, json!({"reason": "again"})).await;
    assert_eq!(r.status(), 400);
    let r = patch(&app, &id, &admin, json!({"total_amount": "5.00"})).await;
    assert_error(
        r,
        400,
        "An invoice that is cancelled can no longer be corrected.",
    )
    .await;
    assert_eq!(audit_count(&app, "invoice_status_changed").await, 1);
    assert!(corrections(&app, &id).await.is_empty());
}
