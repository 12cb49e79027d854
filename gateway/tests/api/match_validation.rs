//! Validation that protects the match: goods receipts within the order, manual corrections
//! held to the same arithmetic and date checks as extraction, invoices without lines matched
//! at header level, and the list showing the touchless flag the detail shows.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{count, extracted_invoice, invoice_detail, match_invoice};
use crate::helpers::{TestApp, call, ok_json};
use ap_types::Role;

/// A vendor that needs POs and an open PO of one line (`quantity` at `unit_price`, USD).
/// Returns (vendor id, PO id, PO number).
async fn order(
    app: &TestApp,
    token: &str,
    match_type: &str,
    quantity: &str,
    unit_price: &str,
) -> (String, String, String) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let v = ok_json(
        call(
            app,
            Method::POST,
            "/api/v1/vendors",
            token,
            Some(
                json!({"name": format!("Supplier {tag}"), "currency": "USD", "po_required": true}),
            ),
        )
        .await,
        201,
    )
    .await;
    let vendor = v["id"].as_str().expect("vendor id").to_owned();
    let number = format!("PO-{}", &tag[..10]);
    let po = ok_json(
        call(app, Method::POST, "/api/v1/purchase-orders", token,
             Some(json!({"po_number": number, "vendor_id": vendor, "currency": "USD", "match_type": match_type,
                         "lines": [{"line_number": 1, "description": "Steel plate 10mm", "quantity": quantity, "unit_price": unit_price}]}))).await,
        201,
    )
    .await;
    (vendor, po["id"].as_str().expect("po id").to_owned(), number)
}

async fn receive(
    app: &TestApp,
    token: &str,
    po: &str,
    quantity: &str,
    date: &str,
) -> reqwest::Response {
    call(
        app,
        Method::POST,
        "/api/v1/goods-receipts",
        token,
        Some(
            json!({"receipt_number": format!("GR-{}", uuid::Uuid::new_v4().simple()), "po_id": po,
                    "received_at": date, "lines": [{"po_line_number": 1, "quantity": quantity}]}),
        ),
    )
    .await
}

/// A 400 naming `field` among its errors.
async fn refused_naming(resp: reqwest::Response, field: &str) -> Value {
    let body = ok_json(resp, 400).await;
    assert!(
        body.to_string().contains(field),
        "{field} not named: {body}"
    );
    body
}

async fn received(app: &TestApp, token: &str, po: &str) -> String {
    let po = ok_json(
        call(
            app,
            Method::GET,
            &format!("/api/v1/purchase-orders/{po}"),
            token,
            None,
        )
        .await,
        200,
    )
    .await;
    po["lines"][0]["received_quantity"]
        .as_str()
        .expect("received")
        .to_owned()
}

const RECEIPTS: &str = "SELECT count(*) FROM invoice.goods_receipts WHERE po_id = $1::text::uuid";

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// An invoice as extraction leaves it, straight into the invoice service's tables: `lines` of
/// (quantity, unit price) on PO line 1.., the header amounts as given.
async fn seeded_invoice(
    app: &TestApp,
    vendor: &str,
    po_number: &str,
    (subtotal, tax, total): (&str, &str, &str),
    lines: &[(&str, &str)],
) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let number = format!("INV-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let client = app.db.client().await;
    client
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, due_date, currency, subtotal, tax_amount, total_amount, \
               amount_due, po_number, fields) \
             VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'Supplier', $3, $3, \
               current_date, current_date + 30, 'USD', $4::text::numeric, $5::text::numeric, \
               $6::text::numeric, $6::text::numeric, $7, '{}')",
            &[&id, &vendor, &number, &subtotal, &tax, &total, &po_number],
        )
        .await
        .expect("invoice");
    for (i, (q, p)) in lines.iter().enumerate() {
        let n = i32::try_from(i + 1).expect("line number");
        client
            .execute(
                "INSERT INTO invoice.invoice_lines (id, invoice_id, line_number, description, quantity, \
                   unit_price, line_total, po_line_number, source) \
                 VALUES (gen_random_uuid(), $1::text::uuid, $2, 'Steel plate 10mm', $3::text::numeric, \
                   $4::text::numeric, $3::text::numeric * $4::text::numeric, $2, 'text')",
                &[&id, &n, q, p],
            )
            .await
            .expect("line");
    }
    id
}

async fn match_of(app: &TestApp, token: &str, id: &str) -> Value {
    ok_json(
        call(
            app,
            Method::GET,
            &format!("/api/v1/invoices/{id}/match"),
            token,
            None,
        )
        .await,
        200,
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

/// The invoice's active exceptions with `code`.
fn active(detail: &Value, code: &str) -> Vec<Value> {
    detail["exceptions"]
        .as_array()
        .expect("exceptions")
        .iter()
        .filter(|e| {
            e["code"] == code
                && ["open", "in_progress", "escalated"]
                    .contains(&e["status"].as_str().unwrap_or_default())
        })
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goods_receipt_beyond_the_ordered_quantity_is_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, po, _) = order(&app, &token, "3way", "2.5", "10.00").await;
    let day = today().to_string();

    // The reproduction: 50 received against a line ordered at 2.5.
    refused_naming(
        receive(&app, &token, &po, "50", &day).await,
        "lines[0].quantity",
    )
    .await;
    assert_eq!(
        count(&app, RECEIPTS, &po).await,
        0,
        "a refused receipt changed nothing"
    );
    assert_eq!(received(&app, &token, &po).await, "0");

    // Partial receipts up to the order are fine; one more thousandth is not.
    ok_json(receive(&app, &token, &po, "2", &day).await, 201).await;
    ok_json(receive(&app, &token, &po, "0.5", &day).await, 201).await;
    let body = refused_naming(
        receive(&app, &token, &po, "0.001", &day).await,
        "lines[0].quantity",
    )
    .await;
    assert!(body.to_string().contains("2.5 ordered"), "{body}");
    assert_eq!(count(&app, RECEIPTS, &po).await, 2);
    assert_eq!(received(&app, &token, &po).await, "2.5");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_goods_receipt_of_zero_or_in_the_future_is_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, po, _) = order(&app, &token, "3way", "10", "10.00").await;
    let day = today();

    refused_naming(
        receive(&app, &token, &po, "0", &day.to_string()).await,
        "lines[0].quantity",
    )
    .await;
    refused_naming(
        receive(&app, &token, &po, "-1", &day.to_string()).await,
        "lines[0].quantity",
    )
    .await;
    let tomorrow = (day + chrono::Days::new(1)).to_string();
    refused_naming(
        receive(&app, &token, &po, "1", &tomorrow).await,
        "received_at",
    )
    .await;
    refused_naming(
        receive(&app, &token, &po, "1", "2030-01-01").await,
        "received_at",
    )
    .await;
    assert_eq!(
        count(&app, RECEIPTS, &po).await,
        0,
        "refused receipts changed nothing"
    );

    // Today (UTC) is the latest date accepted.
    ok_json(receive(&app, &token, &po, "1", &day.to_string()).await, 201).await;
    assert_eq!(received(&app, &token, &po).await, "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_receipts_cannot_jointly_exceed_the_order() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, po, _) = order(&app, &token, "3way", "10", "10.00").await;
    let day = today().to_string();

    // Eight receipts of 3 at once against 10 ordered: each alone would fit, only three may.
    let attempts = (0..8).map(|_| {
        let (app, token, po, day) = (&app, &token, &po, &day);
        async move { receive(app, token, po, "3", day).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(received(&app, &token, &po).await, "9");
    assert_eq!(count(&app, RECEIPTS, &po).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_that_breaks_the_arithmetic_raises_a_finding() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let id = extracted_invoice(&app, &admin, "110.00", "110.00", None).await;
    ok_json(
        patch(
            &app,
            &analyst,
            &id,
            json!({"subtotal": "100.00", "tax_amount": "10.00"}),
        )
        .await,
        200,
    )
    .await;
    let d = invoice_detail(&app, &analyst, &id).await;
    assert!(active(&d, "ARITHMETIC_ERROR").is_empty(), "{d}");

    // A negative amount due is refused outright (400, nothing changes).
    refused_naming(
        patch(&app, &analyst, &id, json!({"amount_due": "-7.00"})).await,
        "amount_due",
    )
    .await;

    // The reproduction: 100 + 10 with a total of 5.00 is accepted as typed but never passes
    // silently: the re-match raises ARITHMETIC_ERROR and the invoice waits for a person.
    ok_json(
        patch(
            &app,
            &analyst,
            &id,
            json!({"total_amount": "5.00", "amount_due": "5.00"}),
        )
        .await,
        200,
    )
    .await;
    let d = invoice_detail(&app, &analyst, &id).await;
    let found = active(&d, "ARITHMETIC_ERROR");
    assert_eq!(found.len(), 1, "{d}");
    let message = found[0]["message"].as_str().expect("message");
    assert!(
        message.contains("100 + tax 10 = 110 differs from total 5"),
        "{message}"
    );
    assert_ne!(d["status"], "approved", "{d}");
    assert_eq!(d["touchless"], false, "{d}");

    // Putting the sum right clears the finding on the next run.
    ok_json(
        patch(
            &app,
            &analyst,
            &id,
            json!({"total_amount": "110.00", "amount_due": "110.00"}),
        )
        .await,
        200,
    )
    .await;
    let d = invoice_detail(&app, &analyst, &id).await;
    assert!(active(&d, "ARITHMETIC_ERROR").is_empty(), "{d}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_due_date_before_the_invoice_date_raises_a_finding() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let id = extracted_invoice(&app, &admin, "250.00", "250.00", None).await;
    let inv = match_invoice(&app, &analyst, &id).await;
    assert!(active(&inv, "ARITHMETIC_ERROR").is_empty(), "{inv}");

    let before = (today() - chrono::Days::new(3)).to_string();
    ok_json(
        patch(&app, &analyst, &id, json!({"due_date": before})).await,
        200,
    )
    .await;
    let d = invoice_detail(&app, &analyst, &id).await;
    let found = active(&d, "ARITHMETIC_ERROR");
    assert_eq!(found.len(), 1, "{d}");
    let message = found[0]["message"].as_str().expect("message");
    assert!(
        message.contains("due date") && message.contains(&before),
        "{message}"
    );
    assert_ne!(d["status"], "approved", "{d}");

    // The same day is fine: the finding is resolved by the next run.
    ok_json(
        patch(
            &app,
            &analyst,
            &id,
            json!({"due_date": today().to_string()}),
        )
        .await,
        200,
    )
    .await;
    let d = invoice_detail(&app, &analyst, &id).await;
    assert!(active(&d, "ARITHMETIC_ERROR").is_empty(), "{d}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_without_lines_is_matched_at_header_level() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    // 10 ordered at 100.00 and received: 1,000.00 billable.
    let (vendor, po, number) = order(&app, &analyst, "3way", "10", "100.00").await;
    ok_json(
        receive(&app, &analyst, &po, "10", &today().to_string()).await,
        201,
    )
    .await;

    // The reproduction: no lines, subtotal 100.00. It used to be "matched" with a variance of
    // 100.00 and no finding; it is a TOTAL_MISMATCH against what the PO still allows.
    let id = seeded_invoice(&app, &vendor, &number, ("100.00", "10.00", "110.00"), &[]).await;
    match_invoice(&app, &analyst, &id).await;
    let m = match_of(&app, &analyst, &id).await;
    assert_eq!(m["status"], "variance", "{m}");
    assert_eq!(m["header"]["expected_subtotal"], "1000.00", "{m}");
    assert_eq!(m["header"]["variance"], "-900.00", "{m}");
    let codes: Vec<&str> = m["header"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["TOTAL_MISMATCH"], "{m}");
    assert_eq!(m["touchless"], false, "{m}");
    assert_eq!(
        active(&invoice_detail(&app, &analyst, &id).await, "TOTAL_MISMATCH").len(),
        1
    );

    // One for what is billable matches, with no variance, and still goes to a person.
    let id = seeded_invoice(
        &app,
        &vendor,
        &number,
        ("1000.00", "100.00", "1100.00"),
        &[],
    )
    .await;
    let inv = match_invoice(&app, &analyst, &id).await;
    let m = match_of(&app, &analyst, &id).await;
    assert_eq!(m["status"], "matched", "{m}");
    assert_eq!(m["header"]["variance"], "0.00", "{m}");
    assert_eq!(m["touchless"], false, "{m}");
    assert_eq!(inv["status"], "pending_approval", "{inv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_shows_touchless_and_risk_like_the_detail() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (vendor, po, number) = order(&app, &analyst, "3way", "3", "49.29").await;
    ok_json(
        receive(&app, &analyst, &po, "3", &today().to_string()).await,
        201,
    )
    .await;
    // An exact match under the auto-approve limit: approved without a person.
    let clean = seeded_invoice(
        &app,
        &vendor,
        &number,
        ("147.87", "0.00", "147.87"),
        &[("3", "49.29")],
    )
    .await;
    let inv = match_invoice(&app, &analyst, &clean).await;
    assert_eq!(inv["status"], "approved", "{inv}");
    // A second invoice of the same goods is a duplicate claim: it goes to a person.
    let other = seeded_invoice(
        &app,
        &vendor,
        &number,
        ("147.87", "0.00", "147.87"),
        &[("3", "49.29")],
    )
    .await;
    match_invoice(&app, &analyst, &other).await;

    let list = ok_json(
        call(&app, Method::GET, "/api/v1/invoices", &analyst, None).await,
        200,
    )
    .await;
    for id in [&clean, &other] {
        let detail = invoice_detail(&app, &analyst, id).await;
        let row = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} not listed: {list}"))
            .clone();
        assert_eq!(row["touchless"], detail["touchless"], "{row} / {detail}");
        let matched = match_of(&app, &analyst, id).await;
        assert_eq!(detail["touchless"], matched["touchless"]);
        // The list carries the risk score of the match run, for the queue's badge.
        assert!(matched["risk_score"].is_i64(), "{matched}");
        assert_eq!(
            row["risk_score"], matched["risk_score"],
            "{row} / {matched}"
        );
    }
    assert_eq!(
        invoice_detail(&app, &analyst, &clean).await["touchless"],
        true
    );
    assert_eq!(
        invoice_detail(&app, &analyst, &other).await["touchless"],
        false
    );
    let stats = ok_json(
        call(&app, Method::GET, "/api/v1/matching/stats", &analyst, None).await,
        200,
    )
    .await;
    let touchless_rows = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["touchless"] == true)
        .count();
    assert_eq!(stats["touchless"], 1, "{stats}");
    assert_eq!(
        touchless_rows, 1,
        "the list agrees with /matching/stats: {list}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_goods_receipt_beyond_the_order_or_in_the_future_is_refused_per_row() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, po, number) = order(&app, &token, "3way", "10", "10.00").await;
    let day = today();
    let tomorrow = day + chrono::Days::new(1);
    // Row 1 fits; row 2 would take the line to 14 of 10; row 3 is dated tomorrow; row 4
    // re-imports receipt 1 with 9 (replacing its 6, so 9 of 10 in all: it fits).
    let csv = format!(
        "receipt_number,po_number,received_at,po_line_number,quantity\n\
         GR-A,{number},{day},1,6\n\
         GR-B,{number},{day},1,8\n\
         GR-C,{number},{tomorrow},1,1\n\
         GR-A,{number},{day},1,9\n"
    );
    let r = app
        .http
        .post(app.url("/api/v1/import/goods-receipts"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    let report = ok_json(r, 200).await;
    assert_eq!(report["failed"], 2, "{report}");
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(2, "quantity".to_owned()), (3, "received_at".to_owned())],
        "{report}"
    );
    assert_eq!(received(&app, &token, &po).await, "9");
    assert_eq!(count(&app, RECEIPTS, &po).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_over_receipt_tolerance_named_in_the_published_rule_set_allows_that_much_and_no_more() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, po, _) = order(&app, &token, "3way", "10", "10.00").await;
    let day = today().to_string();

    // A draft with 10 % over-receipt; out of range is refused naming the field.
    let draft = ok_json(
        call(
            &app,
            Method::POST,
            "/api/v1/matching/rule-sets",
            &admin,
            Some(json!({})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(draft["over_receipt_tolerance_pct"], "0", "{draft}");
    let v = draft["version"].as_i64().expect("version");
    let path = format!("/api/v1/matching/rule-sets/{v}");
    refused_naming(
        call(
            &app,
            Method::PUT,
            &path,
            &admin,
            Some(json!({"price_tolerance_pct": "2", "qty_tolerance_pct": "0", "price_abs": "50", "over_receipt_tolerance_pct": "101"})),
        )
        .await,
        "over_receipt_tolerance_pct",
    )
    .await;
    let updated = ok_json(
        call(
            &app,
            Method::PUT,
            &path,
            &admin,
            Some(json!({"price_tolerance_pct": "2", "qty_tolerance_pct": "0", "price_abs": "50", "over_receipt_tolerance_pct": "10"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["over_receipt_tolerance_pct"], "10", "{updated}");

    // A draft governs nothing: 11 of 10 is still refused.
    refused_naming(
        receive(&app, &token, &po, "11", &day).await,
        "lines[0].quantity",
    )
    .await;
    ok_json(
        call(&app, Method::POST, &format!("{path}/publish"), &admin, None).await,
        200,
    )
    .await;
    // Published: up to 110 % of the order, not a thousandth more.
    ok_json(receive(&app, &token, &po, "11", &day).await, 201).await;
    refused_naming(
        receive(&app, &token, &po, "0.001", &day).await,
        "lines[0].quantity",
    )
    .await;
    assert_eq!(received(&app, &token, &po).await, "11");
}
