//! `Idempotency-Key` on every creating route, duplicate vendors and `Location`: a repeated key
//! replays the first answer (status, body, `Location`) and creates nothing more; the same key
//! with another body is a 409; keys belong to one user (one vendor on the portal); parallel
//! requests with one key create once; a tax id already on file is a 409 naming the vendor; a
//! near-identical name is created with a warning.

use std::time::Duration;

use ap_types::Role;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::fixtures::portal_token;
use crate::helpers::{TestApp, assert_error, call, ok_json};

const DIFFERENT: &str = "This Idempotency-Key was already used for a different request.";

/// One answer: status, `Location` and JSON body.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    location: Option<String>,
    body: Value,
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        location,
        body,
    }
}

async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = app.http.post(app.url(path)).bearer_auth(token);
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    answer(req.send().await.expect("request")).await
}

async fn rows(app: &TestApp, sql: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(sql, &[])
        .await
        .expect("count")
        .get(0)
}

/// Sends `body` twice with one key (one more row, the identical answer, a GET-able
/// `Location`) and then `other` with the same key (409, nothing more created).
async fn assert_replayed(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Option<Value>,
    other: Option<Value>,
    count: &str,
) -> Answer {
    let key = format!("key-{}", uuid::Uuid::new_v4().simple());
    let before = rows(app, count).await;
    let first = post(app, token, path, Some(&key), body.clone()).await;
    assert_eq!(first.status, 201, "{path}: {}", first.body);
    let location = first
        .location
        .clone()
        .unwrap_or_else(|| panic!("{path}: no Location"));
    let again = post(app, token, path, Some(&key), body).await;
    assert_eq!(again, first, "{path}: the replay differs");
    assert_eq!(rows(app, count).await, before + 1, "{path}: created twice");
    let got = app.get_authed(&location, token).await;
    assert_eq!(got.status(), 200, "{path}: GET {location}");
    if let Some(other) = other {
        let refused = app
            .http
            .post(app.url(path))
            .bearer_auth(token)
            .header("idempotency-key", &key)
            .json(&other)
            .send()
            .await
            .expect("request");
        let body = assert_error(refused, 409, DIFFERENT).await;
        assert_eq!(body["code"], "conflict", "{body}");
        assert_eq!(
            rows(app, count).await,
            before + 1,
            "{path}: other body created"
        );
    }
    first
}

async fn vendor(app: &TestApp, token: &str, name: &str, po_required: bool) -> String {
    let v = post(
        app,
        token,
        "/api/v1/vendors",
        None,
        Some(json!({"name": name, "currency": "USD", "po_required": po_required})),
    )
    .await;
    assert_eq!(v.status, 201, "{}", v.body);
    v.body["id"].as_str().expect("id").to_owned()
}

/// An invoice of `vendor` as extraction leaves it, in `status`, straight into the table.
async fn invoice(app: &TestApp, vendor: &str, status: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let number = format!("INV-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, currency, subtotal, total_amount, amount_due, fields) \
             VALUES ($1::text::uuid, $4, 'upload', $2::text::uuid, 'Vendor', $3, $3, \
               current_date, 'USD', 100, 100, 100, '{}')",
            &[&id, &vendor, &number, &status],
        )
        .await
        .expect("invoice");
    id
}

fn uid() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_replays_each_master_data_create_and_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;

    let v = assert_replayed(
        &app,
        &analyst,
        "/api/v1/vendors",
        Some(json!({"name": "Replay Works", "currency": "USD"})),
        Some(json!({"name": "Replay Works II", "currency": "USD"})),
        "SELECT count(*) FROM invoice.vendors",
    )
    .await;
    let vendor_id = v.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        v.location.as_deref(),
        Some(format!("/api/v1/vendors/{vendor_id}").as_str())
    );

    let po_number = format!("PO-{}", uid());
    let po = assert_replayed(
        &app,
        &analyst,
        "/api/v1/purchase-orders",
        Some(json!({"po_number": po_number, "vendor_id": vendor_id, "currency": "USD",
                    "lines": [{"line_number": 1, "description": "Bolts", "quantity": "10", "unit_price": "1.50"}]})),
        Some(json!({"po_number": format!("{po_number}-B"), "vendor_id": vendor_id, "currency": "USD",
                    "lines": [{"line_number": 1, "description": "Bolts", "quantity": "10", "unit_price": "1.50"}]})),
        "SELECT count(*) FROM invoice.purchase_orders",
    )
    .await;
    let po_id = po.body["id"].as_str().expect("po id").to_owned();

    assert_replayed(
        &app,
        &analyst,
        "/api/v1/goods-receipts",
        Some(json!({"receipt_number": format!("GR-{}", uid()), "po_id": po_id, "received_at": "2026-03-01",
                    "lines": [{"po_line_number": 1, "quantity": "4"}]})),
        Some(json!({"receipt_number": format!("GR-{}", uid()), "po_id": po_id, "received_at": "2026-03-01",
                    "lines": [{"po_line_number": 1, "quantity": "5"}]})),
        "SELECT count(*) FROM invoice.goods_receipts",
    )
    .await;

    assert_replayed(
        &app,
        &admin,
        "/api/v1/approval-matrix",
        Some(json!({"name": "Up to 500", "amount_up_to": "500.00", "levels": [{"role": "APPROVER"}]})),
        Some(json!({"name": "Up to 600", "amount_up_to": "600.00", "levels": [{"role": "APPROVER"}]})),
        "SELECT count(*) FROM approval.matrix_rules",
    )
    .await;

    let email = format!("new-{}@example.com", uid());
    let user = assert_replayed(
        &app,
        &admin,
        "/api/v1/admin/users",
        Some(json!({"email": email, "name": "New Clerk", "password": "a-long-enough-password", "role": "AP_CLERK"})),
        Some(json!({"email": email, "name": "New Clerk", "password": "a-long-enough-password", "role": "APPROVER"})),
        "SELECT count(*) FROM auth.users",
    )
    .await;
    assert!(user.body.get("password").is_none(), "{}", user.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_replays_messages_comments_and_a_rule_set_draft() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &analyst, "Messages Ltd", true).await;
    let inv = invoice(&app, &v, "extracted").await;

    assert_replayed(
        &app,
        &analyst,
        &format!("/api/v1/invoices/{inv}/messages"),
        Some(json!({"body": "Please check the unit price.", "internal": true})),
        Some(json!({"body": "Another note.", "internal": true})),
        "SELECT count(*) FROM invoice.invoice_messages",
    )
    .await;

    // An invoice without a PO for a vendor that needs one: an exception to comment on.
    let matched = call(
        &app,
        Method::POST,
        &format!("/api/v1/invoices/{inv}/match"),
        &analyst,
        None,
    )
    .await;
    assert_eq!(ok_json(matched, 202).await["status"], "exception");
    let mut exception = Value::Null;
    for _ in 0..100 {
        let page = ok_json(
            app.get_authed(&format!("/api/v1/exceptions?invoice_id={inv}"), &analyst)
                .await,
            200,
        )
        .await;
        exception = page["items"][0]["id"].clone();
        if exception.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exception = exception.as_str().expect("an exception").to_owned();
    assert_replayed(
        &app,
        &analyst,
        &format!("/api/v1/exceptions/{exception}/comments"),
        Some(json!({"body": "Asked the vendor."})),
        Some(json!({"body": "Asked the vendor again."})),
        "SELECT count(*) FROM invoice.exception_comments",
    )
    .await;

    // One draft at a time: without a key a second draft is refused, with the first key the
    // draft is answered again.
    let key = "draft-1";
    let first = post(&app, &admin, "/api/v1/matching/rule-sets", Some(key), None).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        post(&app, &admin, "/api/v1/matching/rule-sets", Some(key), None).await,
        first
    );
    assert_eq!(
        post(&app, &admin, "/api/v1/matching/rule-sets", None, None)
            .await
            .status,
        409
    );
    let location = first.location.expect("Location");
    assert_eq!(app.get_authed(&location, &admin).await.status(), 200);
}

fn pdf(tag: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

async fn upload(app: &TestApp, path: &str, token: &str, key: &str, bytes: Vec<u8>) -> Answer {
    let part = Part::bytes(bytes)
        .file_name("invoice.pdf")
        .mime_str("application/pdf")
        .expect("mime");
    let resp = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .timeout(Duration::from_secs(120))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    answer(resp).await
}

/// The fields of an invoice that extraction and matching do not change in the background.
fn stable(a: &Answer) -> (u16, Option<String>, Value, Value) {
    (
        a.status,
        a.location.clone(),
        a.body["id"].clone(),
        a.body["document"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_replays_an_upload_and_a_csv_import() {
    let app = TestApp::spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let count = "SELECT count(*) FROM invoice.invoices";

    // The same file with the same key: the first invoice again (not the duplicate-document
    // 409 a second upload without a key gets).
    let first = upload(&app, "/api/v1/invoices/upload", &clerk, "up-1", pdf("one")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = upload(&app, "/api/v1/invoices/upload", &clerk, "up-1", pdf("one")).await;
    assert_eq!(stable(&again), stable(&first));
    assert_eq!(again.body, first.body);
    assert_eq!(rows(&app, count).await, 1);
    let location = first.location.clone().expect("Location");
    assert_eq!(
        location,
        format!(
            "/api/v1/invoices/{}",
            first.body["id"].as_str().expect("id")
        )
    );
    assert_eq!(app.get_authed(&location, &clerk).await.status(), 200);
    // Another file under the same key is refused and stores nothing.
    let other = upload(&app, "/api/v1/invoices/upload", &clerk, "up-1", pdf("two")).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.body["detail"], DIFFERENT);
    assert_eq!(rows(&app, count).await, 1);

    let csv = |name: &str| format!("name,currency,tax_id\n{name},USD,\n");
    let import = async |key: &str, body: String| {
        let resp = app
            .http
            .post(app.url("/api/v1/import/vendors"))
            .bearer_auth(&analyst)
            .header("content-type", "text/csv")
            .header("idempotency-key", key)
            .body(body)
            .send()
            .await
            .expect("import");
        answer(resp).await
    };
    let vendors = "SELECT count(*) FROM invoice.vendors";
    let first = import("csv-1", csv("Imported Once")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(import("csv-1", csv("Imported Once")).await, first);
    assert_eq!(rows(&app, vendors).await, 1);
    assert_eq!(import("csv-1", csv("Imported Twice")).await.status, 409);
    assert_eq!(rows(&app, vendors).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_keys_belong_to_the_vendor_and_replay_disputes_messages_and_uploads() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let a = vendor(&app, &admin, "Portal A", false).await;
    let b = vendor(&app, &admin, "Portal B", false).await;
    let (token_a, token_b) = (
        portal_token(&app, &admin, &a).await,
        portal_token(&app, &admin, &b).await,
    );
    let inv_a = invoice(&app, &a, "approved").await;
    let inv_b = invoice(&app, &b, "approved").await;

    assert_replayed(
        &app,
        &token_a,
        &format!("/api/v1/portal/invoices/{inv_a}/messages"),
        Some(json!({"body": "When will this be paid?"})),
        Some(json!({"body": "Any news?"})),
        "SELECT count(*) FROM invoice.invoice_messages",
    )
    .await;
    assert_replayed(
        &app,
        &token_a,
        &format!("/api/v1/portal/invoices/{inv_a}/dispute"),
        Some(json!({"reason": "Wrong unit price", "description": "We agreed 74.00."})),
        Some(json!({"reason": "Wrong quantity", "description": "We sent 10."})),
        "SELECT count(*) FROM invoice.exceptions WHERE code = 'VENDOR_DISPUTE'",
    )
    .await;

    // The same key from another vendor is that vendor's own.
    let path_b = format!("/api/v1/portal/invoices/{inv_b}/messages");
    let mine = post(
        &app,
        &token_b,
        &path_b,
        Some("shared-key"),
        Some(json!({"body": "B"})),
    )
    .await;
    let path_a = format!("/api/v1/portal/invoices/{inv_a}/messages");
    let theirs = post(
        &app,
        &token_a,
        &path_a,
        Some("shared-key"),
        Some(json!({"body": "A"})),
    )
    .await;
    assert_eq!((mine.status, theirs.status), (201, 201));
    assert_ne!(mine.body["id"], theirs.body["id"]);

    let first = upload(
        &app,
        "/api/v1/portal/invoices/upload",
        &token_a,
        "portal-up",
        pdf("portal"),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = upload(
        &app,
        "/api/v1/portal/invoices/upload",
        &token_a,
        "portal-up",
        pdf("portal"),
    )
    .await;
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.location, first.location);
    let location = first.location.expect("Location");
    assert_eq!(app.get_authed(&location, &token_a).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_belong_to_one_user_and_without_a_key_each_request_creates() {
    let app = TestApp::spawn().await;
    let (_, one) = app.user_with_token(Role::ApAnalyst).await;
    let (_, two) = app.user_with_token(Role::ApAnalyst).await;
    let count = "SELECT count(*) FROM invoice.vendors";
    let body = || Some(json!({"name": format!("Vendor {}", uid()), "currency": "USD"}));
    let first = post(&app, &one, "/api/v1/vendors", Some("same"), body()).await;
    let second = post(&app, &two, "/api/v1/vendors", Some("same"), body()).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_ne!(first.body["id"], second.body["id"]);
    // No key: nothing is replayed, so two requests are two vendors.
    let body = json!({"name": "Keyless", "currency": "USD"});
    assert_eq!(
        post(&app, &one, "/api/v1/vendors", None, Some(body.clone()))
            .await
            .status,
        201
    );
    assert_eq!(
        post(&app, &one, "/api/v1/vendors", None, Some(body))
            .await
            .status,
        201
    );
    assert_eq!(rows(&app, count).await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_with_one_key_create_once() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let body = json!({"name": "Raced Vendor", "currency": "USD"});
    let answers = futures::future::join_all((0..10).map(|_| {
        post(
            &app,
            &analyst,
            "/api/v1/vendors",
            Some("race"),
            Some(body.clone()),
        )
    }))
    .await;
    assert_eq!(rows(&app, "SELECT count(*) FROM invoice.vendors").await, 1);
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert!(
        created.iter().all(|a| a.body == created[0].body),
        "{answers:?}"
    );
    // The rest arrived while the first ran: a 409 saying so, never a second vendor.
    for a in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(a.status, 409, "{a:?}");
        assert_eq!(
            a.body["detail"],
            "A request with this Idempotency-Key is still in progress."
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tax_id_already_on_file_in_another_format_is_a_409_naming_the_vendor() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let first = post(
        &app,
        &analyst,
        "/api/v1/vendors",
        None,
        Some(json!({"name": "Taxed Corp", "currency": "USD", "tax_id": "de 123.456-789"})),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let refused = app
        .http
        .post(app.url("/api/v1/vendors"))
        .bearer_auth(&analyst)
        .json(&json!({"name": "Another Name", "currency": "USD", "tax_id": " DE123456789 "}))
        .send()
        .await
        .expect("request");
    let id = first.body["id"].as_str().expect("id");
    let body = assert_error(refused, 409, "A vendor with this tax id already exists.").await;
    assert_eq!(body["code"], "duplicate_vendor");
    assert_eq!(body["existing_id"], id);
    assert_eq!(rows(&app, "SELECT count(*) FROM invoice.vendors").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_creates_with_one_tax_id_make_one_vendor() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let answers = futures::future::join_all((0..6).map(|i| {
        post(
            &app,
            &analyst,
            "/api/v1/vendors",
            None,
            Some(json!({"name": format!("Parallel {i}"), "currency": "USD", "tax_id": "US-99-0000001"})),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409], "{answers:?}");
    let winner = answers
        .iter()
        .find(|a| a.status == 201)
        .expect("one created");
    for a in answers.iter().filter(|a| a.status == 409) {
        assert_eq!(a.body["existing_id"], winner.body["id"], "{a:?}");
    }
    assert_eq!(rows(&app, "SELECT count(*) FROM invoice.vendors").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_near_identical_name_is_created_with_a_warning_naming_the_other_vendor() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let first = vendor(&app, &analyst, "Acme Steel Inc.", true).await;
    let second = post(
        &app,
        &analyst,
        "/api/v1/vendors",
        None,
        Some(json!({"name": "ACME STEEL, INC", "currency": "USD"})),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.body);
    let warnings = second.body["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{}", second.body);
    assert_eq!(warnings[0]["code"], "similar_vendor_name");
    assert_eq!(warnings[0]["existing_id"], first.as_str());
    // A different name carries no warnings at all.
    let third = post(
        &app,
        &analyst,
        "/api/v1/vendors",
        None,
        Some(json!({"name": "Acme Steelworks", "currency": "USD"})),
    )
    .await;
    assert_eq!(third.status, 201);
    assert!(third.body.get("warnings").is_none(), "{}", third.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_key_is_a_400_naming_the_header_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let resp = app
        .http
        .post(app.url("/api/v1/vendors"))
        .bearer_auth(&analyst)
        .header("idempotency-key", "k".repeat(256))
        .json(&json!({"name": "Never", "currency": "USD"}))
        .send()
        .await
        .expect("request");
    let body = assert_error(
        resp,
        400,
        "Idempotency-Key: must be 1 to 255 visible ASCII characters",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(rows(&app, "SELECT count(*) FROM invoice.vendors").await, 0);
}
