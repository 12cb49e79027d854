//! Exact money end to end: every amount is checked against its currency's minor unit (JPY 0,
//! USD 2, BHD 3) and the amount columns' range on the way in, and written with the currency's
//! scale on the way out, so what a client sends is what it reads back.

use ap_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, ok_json};

async fn vendor(app: &TestApp, token: &str, currency: &str) -> String {
    let v = ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/vendors",
            token,
            Some(
                json!({"name": format!("Money {currency}"), "currency": currency, "country": "DE"}),
            ),
        )
        .await,
        201,
    )
    .await;
    v["id"].as_str().expect("vendor id").to_owned()
}

fn po(number: &str, vendor_id: &str, currency: &str, lines: Value) -> Value {
    json!({"po_number": number, "vendor_id": vendor_id, "currency": currency, "lines": lines})
}

fn line(quantity: &str, unit_price: &str) -> Value {
    json!({"line_number": 1, "description": "Item", "quantity": quantity, "unit_price": unit_price})
}

async fn create_po(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    call(
        app,
        Method::POST,
        "/api/v1/purchase-orders",
        token,
        Some(body),
    )
    .await
}

/// The `(field, message)` pairs of a 400 error body.
async fn refused(resp: reqwest::Response) -> Vec<(String, String)> {
    let body = ok_json(resp, 400).await;
    assert_eq!(body["code"], "invalid_request", "{body}");
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn po_count(app: &TestApp) -> i64 {
    app.db
        .client()
        .await
        .query_one("SELECT count(*) FROM invoice.purchase_orders", &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_total_beyond_the_amount_columns_is_a_400_naming_the_line_not_a_rounded_number() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let v = vendor(&app, &token, "USD").await;

    let r = create_po(
        &app,
        &token,
        po(
            "PO-HUGE",
            &v,
            "USD",
            json!([line("99999999999999", "9999999999999.99")]),
        ),
    )
    .await;
    let errors = refused(r).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "lines[0]");
    assert!(errors[0].1.contains("too large"), "{errors:?}");

    // A product finer than the columns' four decimals is named for what it is.
    let fine = po("PO-FINE", &v, "USD", json!([line("0.0001", "0.01")]));
    let errors = refused(create_po(&app, &token, fine).await).await;
    assert_eq!(errors[0].0, "lines[0]", "{errors:?}");
    assert!(
        errors[0].1.contains("0.000001") && errors[0].1.contains("decimal places"),
        "{errors:?}"
    );

    // Each line fits, the order total does not.
    let two = json!([
        {"line_number": 1, "description": "A", "quantity": "1", "unit_price": "99999999999999"},
        {"line_number": 2, "description": "B", "quantity": "1", "unit_price": "99999999999999"}
    ]);
    let errors = refused(create_po(&app, &token, po("PO-SUM", &v, "USD", two)).await).await;
    assert_eq!(errors[0].0, "lines", "{errors:?}");

    // A JSON number with more digits than an f64 keeps is refused, not rounded; as a string
    // the same amount is exact.
    let number = json!([{"line_number": 1, "description": "N", "quantity": "1",
                         "unit_price": 12_345_678_901.234_567_f64}]);
    let r = create_po(&app, &token, po("PO-NUM", &v, "USD", number)).await;
    assert_eq!(r.status(), 400);
    assert_eq!(po_count(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_amount_finer_than_the_currency_minor_unit_is_refused_naming_the_field_and_currency() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let jpy = vendor(&app, &token, "JPY").await;

    // A unit price may be finer than the currency (half a yen per screw); the line total is
    // then reported exactly, never rounded and never refused.
    let created = ok_json(
        create_po(
            &app,
            &token,
            po("PO-JPY-1", &jpy, "JPY", json!([line("1", "100.55")])),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["lines"][0]["line_total"], "100.55", "{created}");
    assert_eq!(po_count(&app).await, 1);

    // Invoice corrections: the amount is checked against the invoice's (new) currency.
    let id = uuid::Uuid::now_v7().to_string();
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, currency) \
             VALUES ($1::text::uuid, 'extracted', 'upload', 'JPY')",
            &[&id],
        )
        .await
        .expect("seed invoice");
    let path = format!("/api/v1/invoices/{id}");
    let r = call(
        &app,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"total_amount": "100.55"})),
    )
    .await;
    assert_eq!(
        refused(r).await,
        [(
            "total_amount".to_owned(),
            "must have at most 0 decimal places for JPY".to_owned()
        )]
    );
    let r = call(
        &app,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"currency": "BHD", "total_amount": "1.2345"})),
    )
    .await;
    assert_eq!(refused(r).await[0].0, "total_amount");
    let r = call(
        &app,
        Method::PATCH,
        &path,
        &token,
        Some(json!({"total_amount": "1000000"})),
    )
    .await;
    let inv = ok_json(r, 200).await;
    assert_eq!(inv["total_amount"], "1000000", "{inv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn amounts_are_read_back_unchanged_with_the_currency_scale() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let v = vendor(&app, &token, "USD").await;

    // (currency, quantity, unit price) → (unit price, line total) as read back.
    let cases = [
        ("JPY", "1", "100", "100", "100"),
        ("BHD", "1", "1.234", "1.234", "1.234"),
        ("KWD", "2", "1", "1.000", "2.000"),
        ("USD", "2", "370", "370.00", "740.00"),
        ("USD", "100", "0.0125", "0.0125", "1.25"),
        (
            "USD",
            "1",
            "99999999999999.99",
            "99999999999999.99",
            "99999999999999.99",
        ),
        (
            "JPY",
            "1",
            "99999999999999",
            "99999999999999",
            "99999999999999",
        ),
    ];
    for (i, (cur, q, price, want_price, want_total)) in cases.into_iter().enumerate() {
        let created = ok_json(
            create_po(
                &app,
                &token,
                po(&format!("PO-{i}"), &v, cur, json!([line(q, price)])),
            )
            .await,
            201,
        )
        .await;
        let id = created["id"].as_str().expect("po id");
        let read = ok_json(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/purchase-orders/{id}"),
                &token,
                None,
            )
            .await,
            200,
        )
        .await;
        for body in [&created, &read] {
            assert_eq!(body["currency"], cur, "{body}");
            assert_eq!(
                body["lines"][0]["unit_price"], want_price,
                "{cur} {price}: {body}"
            );
            assert_eq!(
                body["lines"][0]["line_total"], want_total,
                "{cur} {q}×{price}: {body}"
            );
            assert_eq!(body["total_amount"], want_total, "{body}");
        }
    }
}

/// An extracted invoice of a non-PO vendor in `currency`; returns its id.
async fn invoice_in(app: &TestApp, admin: &str, currency: &str, total: &str) -> String {
    let v = ok_json(
        call(app, Method::POST, "/api/v1/vendors", admin,
             Some(json!({"name": format!("Approval {currency}"), "currency": currency, "po_required": false}))).await,
        201,
    )
    .await;
    let vendor = v["id"].as_str().expect("vendor id").to_owned();
    let id = uuid::Uuid::now_v7().to_string();
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, currency, subtotal, total_amount, amount_due, fields) \
             VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'Vendor', $3, $3, \
               current_date, $4, $5::text::numeric, $5::text::numeric, $5::text::numeric, '{}')",
            &[&id, &vendor, &format!("INV-{currency}"), &currency, &total],
        )
        .await
        .expect("invoice");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_task_shows_the_amount_at_its_currency_scale() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    crate::approvals::demo_matrix(&app, &admin).await;
    for (currency, total, shown) in [("JPY", "1000", "1000"), ("BHD", "1.5", "1.500")] {
        let id = invoice_in(&app, &admin, currency, total).await;
        crate::approvals::to_approval(&app, &admin, &id).await;
        let task = crate::fixtures::pending_task(&app, &approver, &id, None).await;
        assert_eq!(task["currency"], currency, "{task}");
        assert_eq!(task["amount"], shown, "{currency}: {task}");
    }
}
