//! Vendors, bank details, purchase orders and goods receipts: roles, validation, masking,
//! four-eyes verification, exact totals.

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error};

const FORBIDDEN: &str = "You do not have permission to perform this action.";
const IBAN: &str = "DE89370400440532013000";
const US_ACCOUNT: &str = "123456789";

/// Sends a JSON request and returns (status, body as text).
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, String) {
    let mut req = app.http.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn post_ok(app: &TestApp, path: &str, token: &str, body: Value, status: u16) -> Value {
    let (s, text) = call(app, reqwest::Method::POST, path, Some(token), Some(body)).await;
    assert_eq!(s, status, "POST {path}: {text}");
    json_of(&text)
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let (s, text) = call(app, reqwest::Method::GET, path, Some(token), None).await;
    assert_eq!(s, 200, "GET {path}: {text}");
    json_of(&text)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.db
        .client()
        .await
        .query_one(sql, &[])
        .await
        .expect("count")
        .get(0)
}

fn field_names(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn vendor_body(name: &str) -> Value {
    json!({"name": name, "currency": "EUR", "country": "DE"})
}

fn po_body(po_number: &str, vendor_id: &str) -> Value {
    json!({
        "po_number": po_number, "vendor_id": vendor_id, "currency": "EUR",
        "lines": [
            {"line_number": 1, "description": "Washers", "quantity": "3", "unit_price": "0.10"},
            {"line_number": 2, "description": "Steel plate", "quantity": "2.5", "unit_price": "493.68", "unit": "EA"}
        ]
    })
}

/// A snapshot of every master-data table, to prove refused writes changed nothing.
async fn master_data_snapshot(app: &TestApp) -> Vec<String> {
    let client = app.db.client().await;
    let mut out = Vec::new();
    for table in [
        "invoice.vendors",
        "invoice.vendor_aliases",
        "invoice.vendor_bank_accounts",
        "invoice.purchase_orders",
        "invoice.po_lines",
        "invoice.goods_receipts",
        "invoice.receipt_lines",
        "invoice.audit_log",
    ] {
        let rows = client
            .query(
                &format!("SELECT t::text FROM {table} t ORDER BY t::text"),
                &[],
            )
            .await
            .expect("snapshot");
        out.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn analysts_and_admins_write_master_data_and_other_staff_only_read_it() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;

    // Both writing roles can create, update and delete each kind of master data.
    let mut vendor_id = String::new();
    let mut po_id = String::new();
    for (i, token) in [&admin, &analyst].into_iter().enumerate() {
        let v = post_ok(
            &app,
            "/api/v1/vendors",
            token,
            vendor_body(&format!("Writer {i}")),
            201,
        )
        .await;
        let id = v["id"].as_str().expect("id").to_owned();
        let (s, text) = call(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/v1/vendors/{id}"),
            Some(token),
            Some(json!({"category": "steel"})),
        )
        .await;
        assert_eq!(s, 200, "{text}");
        assert_eq!(json_of(&text)["category"], "steel");
        let (s, text) = call(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/vendors/{id}/bank-account"),
            Some(token),
            Some(json!({"iban": IBAN})),
        )
        .await;
        assert_eq!(s, 200, "{text}");
        let po = post_ok(
            &app,
            "/api/v1/purchase-orders",
            token,
            po_body(&format!("PO-W-{i}"), &id),
            201,
        )
        .await;
        let this_po = po["id"].as_str().expect("po id").to_owned();
        post_ok(
            &app,
            "/api/v1/goods-receipts",
            token,
            json!({"receipt_number": format!("GR-W-{i}"), "po_id": this_po, "received_at": "2026-03-01",
                   "lines": [{"po_line_number": 1, "quantity": "1"}]}),
            201,
        )
        .await;
        let r = app
            .http
            .post(app.url("/api/v1/import/vendors"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(format!("name,currency\nImported {i},EUR\n"))
            .send()
            .await
            .expect("import");
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.expect("report");
        assert_eq!(report["created"], 1, "{report}");
        if i == 0 {
            // Admin's vendor is kept for the refused-write checks below; analyst deletes theirs.
            vendor_id = id;
            po_id = this_po;
        } else {
            let (s, text) = call(
                &app,
                reqwest::Method::DELETE,
                &format!("/api/v1/vendors/{id}"),
                Some(token),
                None,
            )
            .await;
            assert_eq!(s, 204, "{text}");
        }
    }
    // The analyst's verify of the admin's bank change is allowed (a different person).
    let (s, text) = call(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/vendors/{vendor_id}/bank-account/verify"),
        Some(&analyst),
        None,
    )
    .await;
    assert_eq!(s, 200, "{text}");
    // Put an unverified change back so a refused verify would have something to verify.
    let (s, _) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/vendors/{vendor_id}/bank-account"),
        Some(&admin),
        Some(json!({"routing_number": "021000021", "account_number": US_ACCOUNT})),
    )
    .await;
    assert_eq!(s, 200);
    let receipt_id = get_json(&app, "/api/v1/goods-receipts", &admin).await["items"][0]["id"]
        .as_str()
        .expect("receipt id")
        .to_owned();

    let before = master_data_snapshot(&app).await;
    for role in [Role::ApClerk, Role::Approver, Role::Auditor] {
        let (_, token) = app.user_with_token(role).await;
        let vendor_path = format!("/api/v1/vendors/{vendor_id}");
        let writes = [
            app.http
                .post(app.url("/api/v1/vendors"))
                .json(&vendor_body("Refused")),
            app.http
                .patch(app.url(&vendor_path))
                .json(&json!({"name": "Renamed"})),
            app.http.delete(app.url(&vendor_path)),
            app.http
                .put(app.url(&format!("{vendor_path}/bank-account")))
                .json(&json!({"iban": IBAN})),
            app.http
                .post(app.url(&format!("{vendor_path}/bank-account/verify"))),
            app.http
                .post(app.url("/api/v1/purchase-orders"))
                .json(&po_body("PO-REFUSED", &vendor_id)),
            app.http.post(app.url("/api/v1/goods-receipts")).json(&json!({
                "receipt_number": "GR-REFUSED", "po_id": po_id, "received_at": "2026-03-01",
                "lines": [{"po_line_number": 1, "quantity": "1"}]})),
            app.http
                .post(app.url("/api/v1/import/vendors"))
                .header("content-type", "text/csv")
                .body("name,currency\nRefused Import,EUR\n"),
            app.http
                .post(app.url("/api/v1/import/purchase-orders"))
                .header("content-type", "text/csv")
                .body("po_number,vendor,currency,line_number,description,quantity,unit_price\nPO-R,Writer 0,EUR,1,x,1,1\n"),
            app.http
                .post(app.url("/api/v1/import/goods-receipts"))
                .header("content-type", "text/csv")
                .body("receipt_number,po_number,received_at,po_line_number,quantity\nGR-R,PO-W-0,2026-03-01,1,1\n"),
        ];
        for req in writes {
            let r = req.bearer_auth(&token).send().await.expect("request");
            assert_error(r, 403, FORBIDDEN).await;
        }
        for path in [
            String::from("/api/v1/vendors"),
            vendor_path.clone(),
            "/api/v1/purchase-orders".to_owned(),
            format!("/api/v1/purchase-orders/{po_id}"),
            "/api/v1/goods-receipts".to_owned(),
            format!("/api/v1/goods-receipts/{receipt_id}"),
        ] {
            let (s, text) = call(&app, reqwest::Method::GET, &path, Some(&token), None).await;
            assert_eq!(s, 200, "{role} GET {path}: {text}");
        }
    }
    assert_eq!(
        master_data_snapshot(&app).await,
        before,
        "a refused write changed data"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn master_data_without_a_token_is_401() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();
    let requests = [
        app.http.get(app.url("/api/v1/vendors")),
        app.http
            .post(app.url("/api/v1/vendors"))
            .json(&vendor_body("X")),
        app.http.get(app.url(&format!("/api/v1/vendors/{id}"))),
        app.http
            .patch(app.url(&format!("/api/v1/vendors/{id}")))
            .json(&json!({"name": "Y"})),
        app.http.delete(app.url(&format!("/api/v1/vendors/{id}"))),
        app.http
            .put(app.url(&format!("/api/v1/vendors/{id}/bank-account")))
            .json(&json!({"iban": IBAN})),
        app.http
            .post(app.url(&format!("/api/v1/vendors/{id}/bank-account/verify"))),
        app.http.get(app.url("/api/v1/purchase-orders")),
        app.http
            .post(app.url("/api/v1/purchase-orders"))
            .json(&po_body("PO-1", &id.to_string())),
        app.http.get(app.url("/api/v1/goods-receipts")),
        app.http
            .post(app.url("/api/v1/import/vendors"))
            .header("content-type", "text/csv")
            .body("name,currency\nA,EUR\n"),
    ];
    for req in requests {
        let r = req.send().await.expect("request");
        assert_error(r, 401, "Not authenticated.").await;
    }
    assert_eq!(count(&app, "SELECT count(*) FROM invoice.vendors").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_vendors_are_refused_naming_the_field_and_tax_ids_are_unique() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;

    let cases = [
        (json!({"name": "A", "currency": "EURO"}), "currency"),
        (json!({"name": "A", "currency": "XYZ"}), "currency"),
        (
            json!({"name": "A", "currency": "EUR", "country": "Germany"}),
            "country",
        ),
        (
            json!({"name": "A", "currency": "EUR", "email": "not-an-email"}),
            "email",
        ),
        (json!({"name": "   ", "currency": "EUR"}), "name"),
    ];
    for (body, field) in cases {
        let (s, text) = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/vendors",
            Some(&token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, 400, "{body}: {text}");
        let err = json_of(&text);
        assert_eq!(err["code"], "invalid_request", "{text}");
        assert!(
            field_names(&err).contains(&field.to_owned()),
            "{body} should name {field}: {text}"
        );
    }
    // An unknown JSON field is refused, and the message names it.
    let (s, text) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/vendors",
        Some(&token),
        Some(json!({"name": "A", "currency": "EUR", "iban_number": "x"})),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    let err = json_of(&text);
    assert_eq!(err["code"], "invalid_request", "{text}");
    assert!(
        err["detail"].as_str().unwrap_or("").contains("iban_number")
            || field_names(&err).contains(&"iban_number".to_owned()),
        "{text}"
    );
    // A bad PATCH is refused the same way.
    let v = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        vendor_body("Patchable"),
        201,
    )
    .await;
    let (s, text) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/vendors/{}", v["id"].as_str().expect("id")),
        Some(&token),
        Some(json!({"currency": "EURO"})),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    assert_eq!(field_names(&json_of(&text)), ["currency"]);
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.vendors").await,
        1,
        "no invalid vendor was stored"
    );

    // The same tax id written differently is a duplicate.
    let first = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        json!({"name": "Tax One", "currency": "EUR", "tax_id": "DE 123.456.789"}),
        201,
    )
    .await;
    assert_eq!(first["tax_id"], "DE 123.456.789");
    let dup = app
        .http
        .post(app.url("/api/v1/vendors"))
        .bearer_auth(&token)
        .json(&json!({"name": "Tax Two", "currency": "EUR", "tax_id": "de123456789"}))
        .send()
        .await
        .expect("dup");
    assert_error(dup, 409, "A vendor with this tax id already exists.").await;
    // Also through PATCH of another vendor.
    let dup = app
        .http
        .patch(app.url(&format!(
            "/api/v1/vendors/{}",
            v["id"].as_str().expect("id")
        )))
        .bearer_auth(&token)
        .json(&json!({"tax_id": "de-123-456-789"}))
        .send()
        .await
        .expect("dup patch");
    assert_error(dup, 409, "A vendor with this tax id already exists.").await;
    assert_eq!(count(&app, "SELECT count(*) FROM invoice.vendors").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_soft_deleted_vendor_disappears_and_frees_its_tax_id() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let v = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        json!({"name": "Gone Soon", "currency": "USD", "tax_id": "US-99-1234567"}),
        201,
    )
    .await;
    let id = v["id"].as_str().expect("id").to_owned();
    let (s, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/vendors/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 204);

    let r = app
        .get_authed(&format!("/api/v1/vendors/{id}"), &token)
        .await;
    assert_error(r, 404, "Vendor not found.").await;
    let list = get_json(&app, "/api/v1/vendors", &token).await;
    assert!(
        list["items"].as_array().expect("items").is_empty(),
        "{list}"
    );
    // Deleting again, or patching, is a 404 too.
    let (s, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/vendors/{id}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/vendors/{id}"),
        Some(&token),
        Some(json!({"name": "Back"})),
    )
    .await;
    assert_eq!(s, 404);

    // The row is kept (soft delete) and its tax id is free for a new vendor.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.vendors WHERE deleted_at IS NOT NULL"
        )
        .await,
        1
    );
    let again = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        json!({"name": "New Owner", "currency": "USD", "tax_id": "us991234567"}),
        201,
    )
    .await;
    assert_ne!(again["id"], v["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bank_details_are_masked_encrypted_and_verified_by_a_second_person() {
    let app = TestApp::spawn().await;
    let (email_a, a) = app.user_with_token(Role::ApAnalyst).await;
    let (email_b, b) = app.user_with_token(Role::Admin).await;
    let id_a = app.user_id(&email_a).await;
    let id_b = app.user_id(&email_b).await;
    let mut bodies: Vec<String> = Vec::new();

    // Every response body of this test is kept and checked for the full numbers at the end.
    macro_rules! req {
        ($method:expr, $path:expr, $token:expr, $body:expr) => {{
            let (s, text) = call(&app, $method, &$path, Some($token), $body).await;
            bodies.push(text.clone());
            (s, text)
        }};
    }

    let (s, text) = req!(
        reqwest::Method::POST,
        String::from("/api/v1/vendors"),
        &a,
        Some(json!({"name": "Euro Bank GmbH", "currency": "EUR",
                    "bank_account": {"iban": "de89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}}))
    );
    assert_eq!(s, 201, "{text}");
    let iban_vendor = json_of(&text);
    let bank = &iban_vendor["bank_account"];
    assert_eq!(bank["kind"], "iban");
    assert_eq!(bank["account_last4"], "3000");
    assert_eq!(bank["status"], "unverified");
    assert_eq!(bank["changed_by"], id_a.as_str());
    assert!(bank["verified_by"].is_null());

    let (s, text) = req!(
        reqwest::Method::POST,
        String::from("/api/v1/vendors"),
        &a,
        Some(json!({"name": "US Supply Inc", "currency": "USD",
                    "bank_account": {"routing_number": "021000021", "account_number": US_ACCOUNT}}))
    );
    assert_eq!(s, 201, "{text}");
    let us_vendor = json_of(&text);
    let us_id = us_vendor["id"].as_str().expect("id").to_owned();
    assert_eq!(us_vendor["bank_account"]["kind"], "us");
    assert_eq!(us_vendor["bank_account"]["account_last4"], "6789");
    assert_eq!(us_vendor["bank_account"]["status"], "unverified");

    // At rest: ciphertext only.
    let client = app.db.client().await;
    for row in client
        .query(
            "SELECT ciphertext, last4 FROM invoice.vendor_bank_accounts",
            &[],
        )
        .await
        .expect("accounts")
    {
        let cipher: Vec<u8> = row.get(0);
        for plain in [IBAN, US_ACCOUNT, "021000021"] {
            assert!(
                !cipher.windows(plain.len()).any(|w| w == plain.as_bytes()),
                "plaintext {plain} stored in the clear"
            );
        }
    }

    let id = iban_vendor["id"].as_str().expect("id").to_owned();
    let verify = format!("/api/v1/vendors/{id}/bank-account/verify");
    // The person who entered the details cannot verify them.
    let (s, text) = req!(reqwest::Method::POST, verify.clone(), &a, None);
    assert_eq!(s, 403, "{text}");
    let (_, text) = req!(
        reqwest::Method::GET,
        format!("/api/v1/vendors/{id}"),
        &a,
        None
    );
    assert_eq!(json_of(&text)["bank_account"]["status"], "unverified");

    // Somebody else can.
    let (s, text) = req!(reqwest::Method::POST, verify.clone(), &b, None);
    assert_eq!(s, 200, "{text}");
    let v = json_of(&text);
    assert_eq!(v["bank_account"]["status"], "verified");
    assert_eq!(v["bank_account"]["verified_by"], id_b.as_str());
    assert!(v["bank_account"]["verified_at"].is_string());
    // Verifying again is refused.
    let (s, text) = req!(reqwest::Method::POST, verify.clone(), &a, None);
    assert_eq!(s, 400, "{text}");
    assert_eq!(
        json_of(&text)["detail"],
        "These bank details are already verified."
    );

    // A change by B is unverified again and supersedes the verified row.
    let (s, text) = req!(
        reqwest::Method::PUT,
        format!("/api/v1/vendors/{id}/bank-account"),
        &b,
        Some(json!({"iban": "GB82WEST12345698765432"}))
    );
    assert_eq!(s, 200, "{text}");
    let v = json_of(&text);
    assert_eq!(v["bank_account"]["status"], "unverified");
    assert_eq!(v["bank_account"]["account_last4"], "5432");
    assert_eq!(v["bank_account"]["changed_by"], id_b.as_str());
    let rows = client
        .query(
            "SELECT is_current, status, last4 FROM invoice.vendor_bank_accounts \
             WHERE vendor_id::text = $1 ORDER BY created_at, id",
            &[&id],
        )
        .await
        .expect("history");
    let history: Vec<(bool, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        history,
        [
            (false, "verified".to_owned(), "3000".to_owned()),
            (true, "unverified".to_owned(), "5432".to_owned())
        ]
    );
    // B made this change, so B cannot verify it; A now can.
    let (s, _) = req!(reqwest::Method::POST, verify.clone(), &b, None);
    assert_eq!(s, 403);

    // Lists and single reads are masked too.
    let (_, _) = req!(
        reqwest::Method::GET,
        String::from("/api/v1/vendors"),
        &a,
        None
    );
    let (_, _) = req!(
        reqwest::Method::GET,
        format!("/api/v1/vendors/{us_id}"),
        &a,
        None
    );

    // Audit: the change and the verification, masked.
    let audit = client
        .query(
            "SELECT action, coalesce(before_data::text, ''), coalesce(after_data::text, '') \
             FROM invoice.audit_log WHERE action LIKE 'vendor_bank_account_%' ORDER BY seq",
            &[],
        )
        .await
        .expect("audit");
    let actions: Vec<String> = audit.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        actions,
        [
            "vendor_bank_account_changed",
            "vendor_bank_account_changed",
            "vendor_bank_account_verified",
            "vendor_bank_account_changed"
        ]
    );
    for row in &audit {
        let after: String = row.get(2);
        let before: String = row.get(1);
        assert!(after.contains("account_last4"), "{after}");
        for plain in [
            IBAN,
            US_ACCOUNT,
            "GB82WEST12345698765432",
            "370400440532013000",
        ] {
            assert!(
                !after.contains(plain) && !before.contains(plain),
                "{plain} in audit"
            );
        }
    }

    for body in &bodies {
        for plain in [
            IBAN,
            US_ACCOUNT,
            "GB82WEST12345698765432",
            "DE89 3704",
            "de89 3704",
        ] {
            assert!(!body.contains(plain), "{plain} in a response: {body}");
        }
    }
    let logs = app.logs.contents();
    for plain in [
        IBAN,
        US_ACCOUNT,
        "GB82WEST12345698765432",
        "0532013000",
        "de89 3704",
    ] {
        assert!(!logs.contains(plain), "{plain} reached the logs");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_bank_details_are_refused() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let v = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        vendor_body("Bankless"),
        201,
    )
    .await;
    let path = format!(
        "/api/v1/vendors/{}/bank-account",
        v["id"].as_str().expect("id")
    );
    let cases = [
        (
            json!({"iban": "DE89370400440532013001"}),
            "bank_account.iban",
        ),
        (
            json!({"routing_number": "021000022", "account_number": US_ACCOUNT}),
            "bank_account.routing_number",
        ),
        (
            json!({"routing_number": "021000021", "account_number": "12"}),
            "bank_account.account_number",
        ),
        (
            json!({"iban": IBAN, "routing_number": "021000021", "account_number": US_ACCOUNT}),
            "bank_account",
        ),
    ];
    for (body, field) in cases {
        let (s, text) = call(
            &app,
            reqwest::Method::PUT,
            &path,
            Some(&token),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, 400, "{body}: {text}");
        assert_eq!(field_names(&json_of(&text)), [field], "{text}");
    }
    // At creation too; nothing stored.
    let (s, text) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/vendors",
        Some(&token),
        Some(json!({"name": "Bad Iban", "currency": "EUR", "bank_account": {"iban": "DE00370400440532013000"}})),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.vendor_bank_accounts").await,
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM invoice.vendors").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn purchase_orders_total_exactly_and_receipts_show_on_their_lines() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let v = post_ok(
        &app,
        "/api/v1/vendors",
        &token,
        vendor_body("Supplier"),
        201,
    )
    .await;
    let vendor_id = v["id"].as_str().expect("id").to_owned();

    let po = post_ok(
        &app,
        "/api/v1/purchase-orders",
        &token,
        po_body("PO-2026-0001", &vendor_id),
        201,
    )
    .await;
    // 3 × 0.10 + 2.5 × 493.68 = 0.30 + 1234.20, in exact decimals.
    assert_eq!(po["total_amount"], "1234.50", "{po}");
    assert_eq!(po["status"], "open");
    assert_eq!(po["lines"][0]["line_total"], "0.30");
    assert_eq!(po["lines"][1]["line_total"], "1234.20");
    assert_eq!(po["lines"][1]["quantity"], "2.5");
    assert_eq!(po["lines"][1]["unit_price"], "493.68");
    let po_id = po["id"].as_str().expect("id").to_owned();

    let receipt = post_ok(
        &app,
        "/api/v1/goods-receipts",
        &token,
        json!({"receipt_number": "GR-1", "po_id": po_id, "received_at": "2026-03-02",
               "lines": [{"po_line_number": 1, "quantity": "2"}]}),
        201,
    )
    .await;
    assert_eq!(receipt["po_number"], "PO-2026-0001");
    assert_eq!(receipt["lines"][0]["po_line_number"], 1);
    let got = get_json(&app, &format!("/api/v1/purchase-orders/{po_id}"), &token).await;
    assert_eq!(got["lines"][0]["received_quantity"], "2", "{got}");
    assert_eq!(got["lines"][1]["received_quantity"], "0", "{got}");
    let r = get_json(
        &app,
        &format!(
            "/api/v1/goods-receipts/{}",
            receipt["id"].as_str().expect("id")
        ),
        &token,
    )
    .await;
    assert_eq!(r["lines"][0]["quantity"], "2");

    // Duplicate PO number.
    let dup = app
        .http
        .post(app.url("/api/v1/purchase-orders"))
        .bearer_auth(&token)
        .json(&po_body("PO-2026-0001", &vendor_id))
        .send()
        .await
        .expect("dup");
    assert_error(
        dup,
        409,
        "A purchase order with this number already exists.",
    )
    .await;

    // Receipt against a line the PO does not have.
    let (s, text) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/goods-receipts",
        Some(&token),
        Some(
            json!({"receipt_number": "GR-2", "po_id": po_id, "received_at": "2026-03-02",
                    "lines": [{"po_line_number": 9, "quantity": "1"}]}),
        ),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    assert_eq!(
        field_names(&json_of(&text)),
        ["lines[0].po_line_number"],
        "{text}"
    );

    // Receipt against a cancelled PO.
    let mut cancelled = po_body("PO-2026-0002", &vendor_id);
    cancelled["status"] = json!("cancelled");
    let cancelled = post_ok(&app, "/api/v1/purchase-orders", &token, cancelled, 201).await;
    let r = app
        .http
        .post(app.url("/api/v1/goods-receipts"))
        .bearer_auth(&token)
        .json(
            &json!({"receipt_number": "GR-3", "po_id": cancelled["id"], "received_at": "2026-03-02",
                      "lines": [{"po_line_number": 1, "quantity": "1"}]}),
        )
        .send()
        .await
        .expect("receipt");
    assert_error(
        r,
        400,
        "Goods cannot be received against a cancelled purchase order.",
    )
    .await;

    // Bad amounts are refused naming the line field.
    let mut bad = po_body("PO-2026-0003", &vendor_id);
    bad["lines"][0]["unit_price"] = json!("1,234.00");
    bad["lines"][1]["quantity"] = json!("0");
    let (s, text) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/purchase-orders",
        Some(&token),
        Some(bad),
    )
    .await;
    assert_eq!(s, 400, "{text}");
    assert_eq!(
        field_names(&json_of(&text)),
        ["lines[0].unit_price", "lines[1].quantity"]
    );

    // Only GR-1 exists, with its one line.
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.goods_receipts").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.receipt_lines").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.purchase_orders").await,
        2
    );
}
