//! One form for the same kind of value across every response (docs/architecture.md, "API
//! conventions"): instants, dates, goods-receipt dates, the invoice an exception row is about,
//! and what paid an invoice.

use std::time::Duration;

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, call, ok_json};
use crate::payments::{approve_and_execute, days, get, invoice, post, staff, today, us_vendor};

/// `2026-12-07T20:53:02.123456Z`: UTC, `Z`, six fractional digits.
fn is_instant(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 27
        && s.ends_with('Z')
        && chrono::NaiveDateTime::parse_from_str(&s[..26], "%Y-%m-%dT%H:%M:%S%.6f").is_ok()
        && b[19] == b'.'
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Every string under a key ending in `_at` must be an instant, under `_on`/`_date` a date.
/// `allowed_date_at` names deprecated `_at` keys that hold dates. Returns how many values
/// were checked; failures are collected as "path: value".
fn walk(v: &Value, path: &str, allowed_date_at: &[&str], bad: &mut Vec<String>) -> usize {
    let mut checked = 0;
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                if let Value::String(s) = x {
                    if k.ends_with("_at") {
                        checked += 1;
                        let ok =
                            is_instant(s) || (allowed_date_at.contains(&k.as_str()) && is_date(s));
                        if !ok {
                            bad.push(format!("{p}: {s}"));
                        }
                    } else if k.ends_with("_on") || k.ends_with("_date") {
                        checked += 1;
                        if !is_date(s) {
                            bad.push(format!("{p}: {s}"));
                        }
                    }
                }
                checked += walk(x, &p, allowed_date_at, bad);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                checked += walk(x, &format!("{path}[{i}]"), allowed_date_at, bad);
            }
        }
        _ => {}
    }
    checked
}

#[test]
fn the_walker_refuses_other_forms() {
    let mut bad = Vec::new();
    let v = json!({"a": {"created_at": "2026-12-07T20:53:02+00:00", "due_date": "2026-12-07",
                         "items": [{"updated_at": "2026-12-07T20:53:02.123Z", "paid_on": "07/12/2026"},
                                   {"x_at": "2026-12-07T20:53:02.123456Z"}]}});
    assert_eq!(walk(&v, "$", &[], &mut bad), 5);
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(is_instant("2026-12-07T20:53:02.000000Z"));
    assert!(!is_instant("2026-12-07T20:53:02Z"));
}

/// A vendor that needs POs and an invoice of it without one: matching raises an exception.
async fn invoice_with_exception(
    app: &TestApp,
    analyst: &str,
    vendor_name: &str,
) -> (String, String, String) {
    let v = ok_json(
        call(
            app,
            reqwest::Method::POST,
            "/api/v1/vendors",
            analyst,
            Some(json!({"name": vendor_name, "currency": "JPY"})),
        )
        .await,
        201,
    )
    .await;
    let vendor = v["id"].as_str().expect("id").to_owned();
    let id = uuid::Uuid::now_v7().to_string();
    let number = format!("INV-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, currency, subtotal, total_amount, amount_due, fields) \
             VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'OLD NAME', $3, $3, \
               current_date, 'JPY', 15420, 15420, 15420, '{}')",
            &[&id, &vendor, &number],
        )
        .await
        .expect("invoice");
    let inv = ok_json(
        call(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/invoices/{id}/match"),
            analyst,
            None,
        )
        .await,
        202,
    )
    .await;
    assert_eq!(inv["status"], "exception", "{inv}");
    (id, vendor, number)
}

async fn paid_with_discount(app: &TestApp) -> (crate::payments::Staff, String, String) {
    let s = staff(app).await;
    let acme = us_vendor(app, &s, "Acme Steel", true).await;
    // 2/10 net 30 dated 5 days ago: the run takes the 2 % discount.
    let inv = invoice(
        app,
        &acme,
        "A-102",
        "approved",
        "USD",
        "15420.00",
        days(-5),
        days(25),
    )
    .await;
    let (status, run) = post(
        app,
        "/api/v1/payment-runs",
        &s.admin,
        json!({"pay_by_date": today().to_string(), "currency": "USD", "method": "ACH"}),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_str().expect("run").to_owned();
    approve_and_execute(app, &s, &run_id).await;
    (s, inv, run_id)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_instant_and_date_in_many_responses_has_the_one_form() {
    let app = TestApp::spawn().await;
    let (s, paid, run) = paid_with_discount(&app).await;
    let (ex_invoice, _, _) = invoice_with_exception(&app, &s.analyst, "Instant Vendor").await;
    let (_, ex) = get(
        &app,
        &format!("/api/v1/exceptions?invoice_id={ex_invoice}"),
        &s.analyst,
    )
    .await;
    let exception = ex["items"][0]["id"].as_str().expect("exception").to_owned();
    let (status, c) = post(
        &app,
        &format!("/api/v1/exceptions/{exception}/comments"),
        &s.analyst,
        json!({"body": "looking"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    // Master data with a PO and a receipt.
    let (_, vendors) = get(&app, "/api/v1/vendors", &s.analyst).await;
    let vendor = vendors["items"]
        .as_array()
        .expect("vendors")
        .iter()
        .find(|v| v["currency"] == "USD")
        .and_then(|v| v["id"].as_str())
        .expect("vendor")
        .to_owned();
    let (status, po) = post(&app, "/api/v1/purchase-orders", &s.analyst,
        json!({"po_number": "PO-T-1", "vendor_id": vendor, "currency": "USD",
               "lines": [{"line_number": 1, "description": "Plate", "quantity": "10", "unit_price": "2.00"}]})).await;
    assert_eq!(status, 201, "{po}");
    let po_id = po["id"].as_str().expect("po").to_owned();
    let (status, gr) = post(
        &app,
        "/api/v1/goods-receipts",
        &s.analyst,
        json!({"receipt_number": "GR-T-1", "po_id": po_id, "received_on": today().to_string(),
               "lines": [{"po_line_number": 1, "quantity": "10"}]}),
    )
    .await;
    assert_eq!(status, 201, "{gr}");
    let gr_id = gr["id"].as_str().expect("gr").to_owned();
    let payment = {
        let (_, p) = get(&app, "/api/v1/payments", &s.admin).await;
        p["items"][0]["id"].as_str().expect("payment").to_owned()
    };

    let paths = [
        "/api/v1/users/me".to_owned(),
        "/api/v1/admin/users".to_owned(),
        "/api/v1/vendors".to_owned(),
        format!("/api/v1/vendors/{vendor}"),
        "/api/v1/purchase-orders".to_owned(),
        format!("/api/v1/purchase-orders/{po_id}"),
        "/api/v1/goods-receipts".to_owned(),
        format!("/api/v1/goods-receipts/{gr_id}"),
        "/api/v1/invoices".to_owned(),
        format!("/api/v1/invoices/{paid}"),
        format!("/api/v1/invoices/{paid}/audit"),
        format!("/api/v1/invoices/{ex_invoice}"),
        "/api/v1/exceptions".to_owned(),
        format!("/api/v1/exceptions/{exception}"),
        format!("/api/v1/exceptions/{exception}/comments"),
        "/api/v1/payments".to_owned(),
        format!("/api/v1/payments/{payment}"),
        "/api/v1/payment-runs".to_owned(),
        format!("/api/v1/payment-runs/{run}"),
        "/api/v1/matching/rule-sets".to_owned(),
    ];
    let mut bad = Vec::new();
    let mut checked = 0;
    for path in &paths {
        let (status, body) = get(&app, path, &s.admin).await;
        assert_eq!(status, 200, "{path}: {body}");
        let n = walk(&body, path, &["received_at"], &mut bad);
        assert!(n > 0, "{path} carries no instant or date: {body}");
        checked += n;
    }
    assert!(checked > 60, "only {checked} values checked");
    assert!(
        bad.is_empty(),
        "values not in the one form:\n{}",
        bad.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn goods_receipts_take_received_on_or_the_old_received_at_and_show_both() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let v = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/vendors",
            &token,
            Some(json!({"name": "Receiving", "currency": "USD"})),
        )
        .await,
        201,
    )
    .await;
    let po = ok_json(call(&app, reqwest::Method::POST, "/api/v1/purchase-orders", &token,
        Some(json!({"po_number": "PO-R-1", "vendor_id": v["id"], "currency": "USD",
                    "lines": [{"line_number": 1, "description": "Bolt", "quantity": "100", "unit_price": "1.00"}]}))).await, 201).await;
    let receipt = |number: &str, dates: Value| {
        let mut body = json!({"receipt_number": number, "po_id": po["id"],
                              "lines": [{"po_line_number": 1, "quantity": "1"}]});
        for (k, x) in dates.as_object().expect("dates") {
            body[k] = x.clone();
        }
        body
    };
    let yesterday = days(-1).to_string();
    let gr = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/goods-receipts",
            &token,
            Some(receipt("GR-1", json!({"received_on": yesterday}))),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(gr["received_on"], yesterday.as_str(), "{gr}");
    assert_eq!(
        gr["received_at"],
        yesterday.as_str(),
        "deprecated alias kept: {gr}"
    );
    // The old spelling with an instant: its UTC date.
    let instant = format!("{yesterday}T23:30:00-02:00");
    let gr = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/goods-receipts",
            &token,
            Some(receipt("GR-2", json!({"received_at": instant}))),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(gr["received_on"], today().to_string().as_str(), "{gr}");
    let gr = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/goods-receipts",
            &token,
            Some(receipt("GR-3", json!({"received_at": yesterday}))),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(gr["received_on"], yesterday.as_str(), "{gr}");
    // Both, naming different days; neither.
    let r = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/goods-receipts",
        &token,
        Some(receipt(
            "GR-4",
            json!({"received_on": yesterday, "received_at": days(-3).to_string()}),
        )),
    )
    .await;
    let body = ok_json(r, 400).await;
    assert_eq!(body["errors"][0]["field"], "received_on", "{body}");
    let r = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/goods-receipts",
        &token,
        Some(receipt("GR-5", json!({}))),
    )
    .await;
    let body = ok_json(r, 400).await;
    assert_eq!(body["errors"][0]["field"], "received_on", "{body}");
    // CSV: either header.
    for (header, number) in [("received_on", "GR-C1"), ("received_at", "GR-C2")] {
        let r = app.http.post(app.url("/api/v1/import/goods-receipts")).bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(format!("receipt_number,po_number,{header},po_line_number,quantity\n{number},PO-R-1,{yesterday},1,1\n"))
            .send().await.expect("import");
        let report = ok_json(r, 200).await;
        assert_eq!(report["created"], 1, "{header}: {report}");
    }
    let (_, page) = get(&app, "/api/v1/goods-receipts?limit=200", &token).await;
    let csv: Vec<&Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|g| {
            g["receipt_number"]
                .as_str()
                .is_some_and(|n| n.starts_with("GR-C"))
        })
        .collect();
    assert_eq!(csv.len(), 2, "{page}");
    assert!(
        csv.iter().all(|g| g["received_on"] == yesterday.as_str()),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exception_rows_carry_the_invoice_number_vendor_and_amount() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (id, vendor, number) = invoice_with_exception(&app, &analyst, "Kyoto Parts").await;
    // The vendor is renamed after the invoice was read: rows show the current name.
    let r = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/vendors/{vendor}"),
        &analyst,
        Some(json!({"name": "Kyoto Parts KK"})),
    )
    .await;
    ok_json(r, 200).await;
    let (_, page) = get(&app, "/api/v1/exceptions", &analyst).await;
    let row = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["invoice_id"] == id.as_str())
        .expect("row")
        .clone();
    assert_eq!(row["invoice_number"], number.as_str(), "{row}");
    assert_eq!(
        row["vendor"],
        json!({"id": vendor, "name": "Kyoto Parts KK"}),
        "{row}"
    );
    assert_eq!(row["amount"], "15420", "JPY has no minor unit: {row}");
    assert_eq!(row["currency"], "JPY", "{row}");
    let (_, one) = get(
        &app,
        &format!("/api/v1/exceptions/{}", row["id"].as_str().expect("id")),
        &analyst,
    )
    .await;
    for k in ["invoice_number", "vendor", "amount", "currency"] {
        assert_eq!(one[k], row[k], "{k}: {one}");
    }
    let (_, detail) = get(&app, &format!("/api/v1/invoices/{id}"), &analyst).await;
    assert_eq!(
        detail["exceptions"][0]["invoice_number"],
        number.as_str(),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paid_invoice_shows_the_amount_paid_and_the_discount_taken() {
    let app = TestApp::spawn().await;
    let (s, inv, _) = paid_with_discount(&app).await;
    let mut detail = Value::Null;
    for _ in 0..100 {
        detail = get(&app, &format!("/api/v1/invoices/{inv}"), &s.analyst)
            .await
            .1;
        if detail["status"] == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = &detail["payment"];
    assert_eq!(p["amount_paid"], "15111.60", "{detail}");
    assert_eq!(p["discount_taken"], "308.40", "{detail}");
    assert_eq!(p["currency"], "USD", "{detail}");
    assert_eq!(p["method"], "ACH", "{detail}");
    assert_eq!(p["paid_on"], detail["payment_date"], "{detail}");
    let (_, payment) = get(
        &app,
        &format!(
            "/api/v1/payments/{}",
            p["payment_id"].as_str().expect("payment id")
        ),
        &s.admin,
    )
    .await;
    assert_eq!(payment["invoice_id"], inv.as_str(), "{payment}");
    let (_, page) = get(&app, "/api/v1/invoices?status=paid", &s.analyst).await;
    let row = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == inv.as_str())
        .expect("row")
        .clone();
    assert_eq!(row["payment"], detail["payment"], "{row}");
    // A single recorded payment: no discount.
    let acme = us_vendor(&app, &s, "Single", true).await;
    let one = crate::payments::approved(&app, &acme, "S-1", "99.99").await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/invoices/{one}/payment"),
        &s.admin,
        json!({"payment_method": "WIRE", "payment_reference": "W-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, d) = get(&app, &format!("/api/v1/invoices/{one}"), &s.analyst).await;
    assert_eq!(d["payment"]["amount_paid"], "99.99", "{d}");
    assert_eq!(d["payment"]["discount_taken"], "0.00", "{d}");
    assert_eq!(d["payment"]["reference"], "W-1", "{d}");
    // An unpaid invoice: null.
    let open = crate::payments::approved(&app, &acme, "S-2", "1.00").await;
    let (_, d) = get(&app, &format!("/api/v1/invoices/{open}"), &s.analyst).await;
    assert!(d["payment"].is_null(), "{d}");
}

async fn email_of(app: &TestApp, token: &str) -> String {
    let (_, me) = get(app, "/api/v1/users/me", token).await;
    me["email"].as_str().expect("email").to_owned()
}

/// `{id, email, name}` of the seeded user `email` (seeded users are named "Test <ROLE>").
async fn person(app: &TestApp, email: &str, role: Role) -> Value {
    json!({"id": app.user_id(email).await, "email": email, "name": format!("Test {role}")})
}

#[tokio::test(flavor = "multi_thread")]
async fn people_and_vendors_are_referenced_as_objects_with_the_old_fields_kept() {
    let app = TestApp::spawn().await;
    let (analyst_email, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let me = person(&app, &analyst_email, Role::ApAnalyst).await;
    let (invoice_id, vendor, _) = invoice_with_exception(&app, &analyst, "People Vendor").await;
    let (_, page) = get(
        &app,
        &format!("/api/v1/exceptions?invoice_id={invoice_id}"),
        &analyst,
    )
    .await;
    let exception = page["items"][0]["id"]
        .as_str()
        .expect("exception")
        .to_owned();
    // Taken by the analyst, then resolved by them.
    let r = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/exceptions/{exception}"),
        &analyst,
        Some(json!({"assigned_to": me["id"], "status": "in_progress"})),
    )
    .await;
    let e = ok_json(r, 200).await;
    assert_eq!(e["assignee"], me, "{e}");
    assert_eq!(e["assigned_to"], me["id"], "deprecated id kept: {e}");
    let (_, listed) = get(
        &app,
        &format!("/api/v1/exceptions?invoice_id={invoice_id}"),
        &analyst,
    )
    .await;
    assert_eq!(listed["items"][0]["assignee"], me, "{listed}");
    let (status, c) = post(
        &app,
        &format!("/api/v1/exceptions/{exception}/comments"),
        &analyst,
        json!({"body": "Checked with purchasing."}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["author"], me, "{c}");
    assert_eq!(c["author_email"], analyst_email.as_str(), "{c}");
    let (_, comments) = get(
        &app,
        &format!("/api/v1/exceptions/{exception}/comments"),
        &analyst,
    )
    .await;
    assert_eq!(comments["items"][0]["author"], me, "{comments}");

    let r = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/exceptions/{exception}"),
        &analyst,
        Some(json!({"status": "waived", "resolution_note": "Known vendor, no PO needed."})),
    )
    .await;
    let e = ok_json(r, 200).await;
    assert_eq!(e["resolver"], me, "{e}");
    assert_eq!(e["resolved_by"], me["id"], "{e}");
    // A purchase order names its vendor.
    let (status, po) = post(&app, "/api/v1/purchase-orders", &analyst,
        json!({"po_number": "PO-P-1", "vendor_id": vendor, "currency": "JPY",
               "lines": [{"line_number": 1, "description": "Gear", "quantity": "1", "unit_price": "100"}]})).await;
    assert_eq!(status, 201, "{po}");
    assert_eq!(
        po["vendor"],
        json!({"id": vendor, "name": "People Vendor"}),
        "{po}"
    );
    assert_eq!(po["vendor_id"], vendor.as_str(), "{po}");
    let (_, pos) = get(&app, "/api/v1/purchase-orders", &analyst).await;
    assert_eq!(pos["items"][0]["vendor"]["name"], "People Vendor", "{pos}");

    // Payments and runs: vendor, who recorded, who created and approved.
    let (s, _, run) = paid_with_discount(&app).await;
    let creator = person(&app, &email_of(&app, &s.admin).await, Role::Admin).await;
    let approver = person(&app, &email_of(&app, &s.admin2).await, Role::Admin).await;
    let (_, r) = get(&app, &format!("/api/v1/payment-runs/{run}"), &s.admin).await;
    assert_eq!(r["creator"], creator, "{r}");
    assert_eq!(r["approver"], approver, "{r}");
    assert_eq!(r["created_by"], creator["email"], "{r}");
    let (_, payments) = get(&app, "/api/v1/payments", &s.admin).await;
    let p = &payments["items"][0];
    assert_eq!(p["vendor"]["name"], "Acme Steel", "{p}");
    assert_eq!(p["vendor"]["id"], p["vendor_id"], "{p}");
    assert_eq!(p["recorded_by"]["id"], p["created_by"], "{p}");
    assert!(p["recorded_by"]["email"].is_string(), "{p}");
    // Bank details: who entered them and who verified them.
    let (_, v) = get(
        &app,
        &format!(
            "/api/v1/vendors/{}",
            p["vendor_id"].as_str().expect("vendor")
        ),
        &s.admin,
    )
    .await;
    let bank = &v["bank_account"];
    assert_eq!(
        bank["verifier"], creator,
        "the first admin verified: {bank}"
    );
    assert_eq!(bank["entered_by"]["id"], bank["changed_by"], "{bank}");
    assert_eq!(bank["entered_by"]["name"], "Test AP_ANALYST", "{bank}");
}

#[tokio::test(flavor = "multi_thread")]
async fn percentages_are_written_in_percent_and_the_old_fractions_still_work() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, list) = get(&app, "/api/v1/matching/rule-sets", &admin).await;
    let v1 = &list["items"][0];
    assert_eq!(v1["price_tolerance_pct"], "2", "{v1}");
    assert_eq!(v1["price_pct"], "0.02", "deprecated fraction kept: {v1}");
    assert_eq!(v1["qty_tolerance_pct"], "0", "{v1}");
    let (status, draft) = post(&app, "/api/v1/matching/rule-sets", &admin, json!({})).await;
    assert_eq!(status, 201, "{draft}");
    let put = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = call(
                app,
                reqwest::Method::PUT,
                "/api/v1/matching/rule-sets/2",
                &admin,
                Some(body),
            )
            .await;
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.expect("json"))
        }
    };
    let (status, r) =
        put(json!({"price_tolerance_pct": "2.5", "qty_tolerance_pct": "1", "price_abs": "10"}))
            .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["price_tolerance_pct"].as_str(), r["price_pct"].as_str()),
        (Some("2.5"), Some("0.025")),
        "{r}"
    );
    assert_eq!(
        (r["qty_tolerance_pct"].as_str(), r["qty_pct"].as_str()),
        (Some("1"), Some("0.01")),
        "{r}"
    );
    let (status, r) = put(json!({"price_pct": "0.03", "qty_pct": "0", "price_abs": "10"})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["price_tolerance_pct"], "3", "{r}");
    let (status, r) =
        put(json!({"price_tolerance_pct": "150", "qty_tolerance_pct": "0", "price_abs": "10"}))
            .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["errors"][0]["field"], "price_tolerance_pct", "{r}");
    let (status, r) = put(json!({"qty_tolerance_pct": "0", "price_abs": "10"})).await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["errors"][0]["field"], "price_tolerance_pct", "{r}");
    // The touchless share: one matched invoice, not touchless.
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    invoice_with_exception(&app, &analyst, "Stats Vendor").await;
    let (_, stats) = get(&app, "/api/v1/matching/stats", &admin).await;
    assert_eq!(stats["touchless_pct"], "0", "{stats}");
    assert_eq!(stats["touchless_rate"], "0", "{stats}");
}
