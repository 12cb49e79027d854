//! CSV imports of vendors, purchase orders and goods receipts: per-row errors with row number
//! and field, valid rows kept, idempotent re-imports, whole-file refusals.

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn import(app: &TestApp, token: &str, kind: &str, csv: &str) -> (u16, Value) {
    // Large files take a while in a debug build: a client without the harness's short timeout.
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .expect("client");
    let r = client
        .post(app.url(&format!("/api/v1/import/{kind}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// Imports and expects a 200 report.
async fn report(app: &TestApp, token: &str, kind: &str, csv: &str) -> Value {
    let (status, body) = import(app, token, kind, csv).await;
    assert_eq!(status, 200, "{body}");
    let n = |k: &str| body[k].as_u64().expect("count");
    assert_eq!(
        n("rows"),
        n("created") + n("updated") + n("unchanged") + n("failed"),
        "counts do not add up: {body}"
    );
    body
}

/// `(row, field)` of each reported error, in order.
fn row_errors(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect()
}

fn counts(report: &Value) -> [u64; 5] {
    ["rows", "created", "updated", "unchanged", "failed"].map(|k| report[k].as_u64().expect(k))
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

async fn vendor_rows(app: &TestApp) -> Vec<String> {
    app.db
        .client()
        .await
        .query(
            "SELECT name || '|' || coalesce(tax_id, '') || '|' || coalesce(email, '') || '|' || currency \
             FROM invoice.vendors ORDER BY name",
            &[],
        )
        .await
        .expect("vendors")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

const VENDORS_CSV: &str = "\
name,tax_id,email,country,currency,payment_terms,aliases
Acme Steel,DE111111111,AP@Acme.example,DE,EUR,net 30,ACME STEEL INC;Acme Stahl
Bolt Works,,bolts@example.com,US,usd,,
,DE222222222,,DE,EUR,,
Crane Co,,not-an-email,GB,GBP,,
Delta Ltd,DE333333333,,Germany,EURO,,
Echo GmbH,DE 444.444.444,,DE,EUR,2/10 net 30,
";

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_csv_keeps_good_rows_reports_bad_ones_and_reimports_idempotently() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;

    let first = report(&app, &token, "vendors", VENDORS_CSV).await;
    assert_eq!(first["kind"], "vendors");
    assert_eq!(counts(&first), [6, 3, 0, 0, 3], "{first}");
    assert_eq!(
        row_errors(&first),
        [
            (3, "name".to_owned()),
            (4, "email".to_owned()),
            (5, "country".to_owned()),
            (5, "currency".to_owned())
        ],
        "{first}"
    );
    let created = vendor_rows(&app).await;
    assert_eq!(
        created,
        [
            "Acme Steel|DE111111111|ap@acme.example|EUR",
            "Bolt Works||bolts@example.com|USD",
            "Echo GmbH|DE 444.444.444||EUR"
        ]
    );
    // Aliases and derived terms came along.
    let acme: Value = app
        .get_authed("/api/v1/vendors?q=Acme", &token)
        .await
        .json()
        .await
        .expect("json");
    let acme = &acme["items"][0];
    assert_eq!(acme["payment_terms_days"], 30, "{acme}");
    let mut aliases: Vec<&str> = acme["aliases"]
        .as_array()
        .expect("aliases")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    aliases.sort_unstable();
    assert_eq!(aliases, ["ACME STEEL INC", "Acme Stahl"]);

    // The same file again changes nothing.
    let again = report(&app, &token, "vendors", VENDORS_CSV).await;
    assert_eq!(counts(&again), [6, 0, 0, 3, 3], "{again}");
    assert_eq!(row_errors(&again), row_errors(&first));
    assert_eq!(vendor_rows(&app).await, created);

    // One changed value updates exactly that vendor.
    let changed = VENDORS_CSV.replace("bolts@example.com", "payables@bolt.example");
    let third = report(&app, &token, "vendors", &changed).await;
    assert_eq!(counts(&third), [6, 0, 1, 2, 3], "{third}");
    assert_eq!(
        vendor_rows(&app).await,
        [
            "Acme Steel|DE111111111|ap@acme.example|EUR",
            "Bolt Works||payables@bolt.example|USD",
            "Echo GmbH|DE 444.444.444||EUR"
        ]
    );

    let audits: Vec<String> = app
        .db
        .client()
        .await
        .query(
            "SELECT after_data::text FROM invoice.audit_log WHERE action = 'csv_imported' ORDER BY seq",
            &[],
        )
        .await
        .expect("audit")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audits.len(), 3);
    let last: Value = serde_json::from_str(&audits[2]).expect("json");
    assert_eq!(
        last,
        json!({"kind": "vendors", "rows": 6, "created": 0, "updated": 1, "unchanged": 2, "failed": 3})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purchase_order_and_receipt_csvs_create_lines_and_report_unknown_references() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    for body in [
        json!({"name": "Acme Steel", "currency": "EUR", "tax_id": "DE111111111"}),
        json!({"name": "Bolt Works", "currency": "USD"}),
    ] {
        let r = app
            .http
            .post(app.url("/api/v1/vendors"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("vendor");
        assert_eq!(r.status(), 201);
    }

    let pos = "\
po_number,vendor,currency,order_date,line_number,description,quantity,unit_price,unit
PO-100,de 111 111 111,EUR,2026-01-10,1,Plate,10,5.25,EA
PO-100,de 111 111 111,EUR,2026-01-10,2,Bolts,100,0.10,EA
PO-200,Bolt Works,USD,,1,Nuts,3,1.50,
PO-300,Nobody Inc,USD,,1,Ghost,1,1.00,
PO-400,Bolt Works,USD,10/01/2026,0,Bad,-1,1.00,
";
    let r = report(&app, &token, "purchase-orders", pos).await;
    assert_eq!(r["kind"], "purchase_orders");
    assert_eq!(r["rows"], 5);
    assert_eq!(r["failed"], 2, "{r}");
    assert_eq!(
        r["created"].as_u64().expect("created") + r["updated"].as_u64().expect("updated"),
        3,
        "{r}"
    );
    assert_eq!(
        row_errors(&r),
        [
            (4, "vendor".to_owned()),
            (5, "order_date".to_owned()),
            (5, "line_number".to_owned()),
            (5, "quantity".to_owned())
        ]
    );

    let list: Value = app
        .get_authed("/api/v1/purchase-orders", &token)
        .await
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{list}");
    let po = |n: &str| {
        items
            .iter()
            .find(|p| p["po_number"] == n)
            .unwrap_or_else(|| panic!("{n} missing"))
            .clone()
    };
    let po100 = po("PO-100");
    assert_eq!(po100["currency"], "EUR");
    assert_eq!(po100["order_date"], "2026-01-10");
    assert_eq!(po100["lines"].as_array().expect("lines").len(), 2);
    assert_eq!(po100["total_amount"], "62.50");
    let po200 = po("PO-200");
    assert_eq!(po200["total_amount"], "4.50");
    assert_eq!(po200["lines"][0]["description"], "Nuts");

    // Re-import: nothing new.
    let again = report(&app, &token, "purchase-orders", pos).await;
    assert_eq!(counts(&again), [5, 0, 0, 3, 2], "{again}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.po_lines").await,
        3
    );

    let receipts = "\
receipt_number,po_number,received_at,po_line_number,quantity
GR-100,PO-100,2026-02-01,1,4
GR-100,PO-100,2026-02-01,2,100
GR-200,PO-200,2026-02-02,1,3
GR-300,PO-999,2026-02-02,1,1
GR-301,PO-100,2026-02-02,7,1
";
    let r = report(&app, &token, "goods-receipts", receipts).await;
    assert_eq!(r["kind"], "goods_receipts");
    assert_eq!(r["rows"], 5);
    assert_eq!(r["failed"], 2, "{r}");
    assert_eq!(
        row_errors(&r),
        [
            (4, "po_number".to_owned()),
            (5, "po_line_number".to_owned())
        ]
    );
    let got: Value = app
        .get_authed(
            &format!(
                "/api/v1/purchase-orders/{}",
                po100["id"].as_str().expect("id")
            ),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(got["lines"][0]["received_quantity"], "4", "{got}");
    assert_eq!(got["lines"][1]["received_quantity"], "100", "{got}");
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.goods_receipts").await,
        2
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.receipt_lines").await,
        3
    );
    let again = report(&app, &token, "goods-receipts", receipts).await;
    assert_eq!(counts(&again), [5, 0, 0, 3, 2], "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_with_a_bad_header_is_refused_whole() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let cases = [
        ("vendors", "name,tax_id\nAcme,DE111111111\n"),
        (
            "vendors",
            "name,currency,iban\nAcme,EUR,DE89370400440532013000\n",
        ),
        ("vendors", "name,currency,name\nAcme,EUR,Acme\n"),
        (
            "purchase-orders",
            "po_number,vendor,currency,line_number,description,quantity\nPO-1,Acme,EUR,1,x,1\n",
        ),
        (
            "goods-receipts",
            "receipt_number,po_number,received_at,po_line_number,quantity,price\nGR-1,PO-1,2026-01-01,1,1,2\n",
        ),
    ];
    for (kind, csv) in cases {
        let (status, body) = import(&app, &token, kind, csv).await;
        assert_eq!(status, 400, "{kind}: {body}");
        assert_eq!(body["code"], "invalid_request", "{body}");
        assert_eq!(body["errors"][0]["field"], "file", "{body}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM invoice.vendors").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.audit_log WHERE action = 'csv_imported'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_more_than_ten_thousand_rows_is_refused_and_keeps_nothing() {
    // Every row is processed before the 10,001st is seen; in a debug build on a small machine
    // that can take longer than the default 30 s gateway→service deadline.
    let app = TestApp::spawn_with(&[("GRPC_REQUEST_TIMEOUT_SECS", "300")], None).await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    // 100 valid rows (which must not survive), then rows that fail validation cheaply: the
    // limit counts data rows, whatever their outcome.
    let mut csv = String::from("name,currency\n");
    for i in 1..=10_001 {
        let currency = if i <= 100 { "EUR" } else { "" };
        csv.push_str(&format!("Vendor {i},{currency}\n"));
    }
    let (status, body) = import(&app, &token, "vendors", &csv).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
    assert!(
        body["detail"].as_str().unwrap_or("").contains("10000"),
        "{body}"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM invoice.vendors").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invoice.audit_log WHERE action = 'csv_imported'"
        )
        .await,
        0
    );

    // Exactly the limit is accepted.
    let limit: String = csv.lines().take(10_001).collect::<Vec<_>>().join("\n");
    let r = report(&app, &token, "vendors", &limit).await;
    assert_eq!(counts(&r), [10_000, 100, 0, 0, 9_900], "{}", r["rows"]);
    assert_eq!(
        count(&app, "SELECT count(*) FROM invoice.vendors").await,
        100
    );
}
