//! `GET /invoices` and `GET /invoices/{id}`: keyset pagination under concurrent inserts,
//! filters, soft delete, roles and the detail shape. Invoices are seeded with SQL.

use std::collections::{HashMap, HashSet};

use ap_types::Role;
use serde_json::Value;

use crate::helpers::{TestApp, assert_error};

/// One invoice row to insert; `None` columns stay NULL (or their default).
#[derive(Clone, Default)]
struct Seed<'a> {
    id: Option<uuid::Uuid>,
    status: Option<&'a str>,
    invoice_number: Option<&'a str>,
    vendor_id: Option<uuid::Uuid>,
    vendor_name: Option<&'a str>,
    invoice_date: Option<&'a str>,
    due_date: Option<&'a str>,
    total_amount: Option<&'a str>,
    po_number: Option<&'a str>,
    payment_status: Option<&'a str>,
    /// RFC 3339; `now()` when absent.
    created_at: Option<&'a str>,
    deleted_at: Option<&'a str>,
}

async fn seed(db: &tokio_postgres::Client, s: Seed<'_>) -> uuid::Uuid {
    let id = s.id.unwrap_or_else(uuid::Uuid::new_v4);
    let id_text = id.to_string();
    let vendor_text = s.vendor_id.map(|v| v.to_string());
    db.execute(
        "INSERT INTO invoice.invoices (id, status, source, invoice_number, vendor_id, vendor_name,
             invoice_date, due_date, currency, total_amount, po_number, payment_status, created_at,
             updated_at, deleted_at)
         VALUES ($1::text::uuid, $2, 'upload', $3, $4::text::uuid, $5, $6::text::date,
             $7::text::date, 'USD', $8::text::numeric, $9, $10,
             coalesce($11::text::timestamptz, now()), coalesce($11::text::timestamptz, now()),
             $12::text::timestamptz)",
        &[
            &id_text,
            &s.status.unwrap_or("received"),
            &s.invoice_number,
            &vendor_text,
            &s.vendor_name,
            &s.invoice_date,
            &s.due_date,
            &s.total_amount,
            &s.po_number,
            &s.payment_status,
            &s.created_at,
            &s.deleted_at,
        ],
    )
    .await
    .expect("seed invoice");
    id
}

async fn seed_vendor(db: &tokio_postgres::Client, name: &str) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    db.execute(
        "INSERT INTO invoice.vendors (id, name, currency) VALUES ($1::text::uuid, $2, 'USD')",
        &[&id.to_string(), &name],
    )
    .await
    .expect("seed vendor");
    id
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app
        .get_authed(&format!("/api/v1/invoices?{query}"), token)
        .await;
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn keyset_pages_return_every_row_once_while_new_invoices_arrive() {
    // Arrange: 120 rows, three per instant so the id breaks ties.
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApClerk).await;
    let db = app.db.client().await;
    let mut original = HashSet::new();
    for i in 0..120 {
        let at = "2026-01-01T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("ts")
            + chrono::Duration::seconds(i / 3);
        let created = at.to_rfc3339();
        let id = seed(
            &db,
            Seed {
                invoice_number: Some(&format!("INV-{i}")),
                created_at: Some(&created),
                ..Seed::default()
            },
        )
        .await;
        original.insert(id.to_string());
    }

    // Act: page through, inserting newer invoices between pages
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=25&cursor={}", encode(c)),
            None => "limit=25".to_owned(),
        };
        let page = list(&app, &token, &query).await;
        pages += 1;
        let got = ids(&page);
        assert!(got.len() <= 25);
        seen.extend(got);
        for _ in 0..2 {
            seed(&db, Seed::default()).await; // created now(): newer than everything seeded
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                break;
            }
        }
        assert!(pages < 10, "pagination does not end");
    }

    // Assert
    assert_eq!(pages, 5);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row appeared twice");
    let seen_set: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen_set, original, "every original row exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_is_newest_first_with_ties_broken_by_id() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let db = app.db.client().await;
    let mut expected = Vec::new();
    for (i, at) in [
        "2026-02-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        "2026-02-02T00:00:00Z",
        "2026-01-31T23:59:59.999999Z",
    ]
    .iter()
    .enumerate()
    {
        let id = seed(
            &db,
            Seed {
                invoice_number: Some(&format!("T-{i}")),
                created_at: Some(at),
                ..Seed::default()
            },
        )
        .await;
        expected.push(((*at).to_owned(), id));
    }
    expected.sort_by(|a, b| {
        let ta: chrono::DateTime<chrono::Utc> = a.0.parse().expect("ts");
        let tb: chrono::DateTime<chrono::Utc> = b.0.parse().expect("ts");
        tb.cmp(&ta).then(b.1.cmp(&a.1))
    });

    // Act: one page of all, and pages of one
    let all = ids(&list(&app, &token, "").await);
    let mut one_by_one = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list(&app, &token, &format!("limit=1&cursor={}", encode(&cursor))).await;
        one_by_one.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }

    // Assert
    let want: Vec<String> = expected.iter().map(|(_, id)| id.to_string()).collect();
    assert_eq!(all, want);
    assert_eq!(one_by_one, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_filter_narrows_the_list_and_q_matches_literally_and_case_insensitively() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApClerk).await;
    let db = app.db.client().await;
    let acme = seed_vendor(&db, "Acme Steel").await;
    let globex = seed_vendor(&db, "Globex Corp").await;
    let a = seed(
        &db,
        Seed {
            status: Some("received"),
            invoice_number: Some("INV-1001"),
            vendor_id: Some(acme),
            vendor_name: Some("Acme Steel"),
            invoice_date: Some("2026-01-10"),
            due_date: Some("2026-02-10"),
            po_number: Some("PO-1"),
            created_at: Some("2026-03-01T10:00:00Z"),
            ..Seed::default()
        },
    )
    .await;
    let b = seed(
        &db,
        Seed {
            status: Some("pending_approval"),
            invoice_number: Some("INV-1002"),
            vendor_id: Some(globex),
            vendor_name: Some("Globex Corp"),
            invoice_date: Some("2026-01-20"),
            due_date: Some("2026-02-20"),
            po_number: Some("PO-2"),
            payment_status: Some("pending"),
            created_at: Some("2026-03-02T10:00:00Z"),
            ..Seed::default()
        },
    )
    .await;
    let c = seed(
        &db,
        Seed {
            status: Some("approved"),
            invoice_number: Some("ABC_100%"),
            vendor_name: Some("Initech"),
            invoice_date: Some("2026-02-01"),
            due_date: Some("2026-03-01"),
            po_number: Some("PO-1"),
            payment_status: Some("scheduled"),
            created_at: Some("2026-03-03T10:00:00Z"),
            ..Seed::default()
        },
    )
    .await;
    let d = seed(
        &db,
        Seed {
            status: Some("paid"),
            invoice_number: Some("ABCX1001"),
            vendor_name: Some("ACME steel Europe"),
            invoice_date: Some("2026-02-15"),
            due_date: Some("2026-03-15"),
            payment_status: Some("completed"),
            created_at: Some("2026-03-04T10:00:00Z"),
            ..Seed::default()
        },
    )
    .await;
    let cases: Vec<(String, Vec<uuid::Uuid>)> = vec![
        ("".into(), vec![d, c, b, a]),
        ("status=received".into(), vec![a]),
        ("status=paid".into(), vec![d]),
        ("payment_status=pending".into(), vec![b]),
        ("payment_status=completed".into(), vec![d]),
        (format!("vendor_id={acme}"), vec![a]),
        (format!("vendor_id={globex}"), vec![b]),
        ("po_number=PO-1".into(), vec![c, a]),
        ("due_before=2026-02-20".into(), vec![b, a]),
        ("due_before=2026-02-19".into(), vec![a]),
        (
            "invoice_date_from=2026-01-15&invoice_date_to=2026-02-01".into(),
            vec![c, b],
        ),
        ("invoice_date_from=2026-02-01".into(), vec![d, c]),
        ("invoice_date_to=2026-01-10".into(), vec![a]),
        (
            "created_from=2026-03-02T00:00:00Z&created_to=2026-03-03T23:00:00Z".into(),
            vec![c, b],
        ),
        ("created_from=2026-03-03".into(), vec![d, c]),
        ("created_to=2026-03-02".into(), vec![a]),
        ("q=inv-100".into(), vec![b, a]),
        ("q=InV-1002".into(), vec![b]),
        ("q=acme".into(), vec![d, a]),
        ("q=STEEL%20eu".into(), vec![d]),
        ("q=1001".into(), vec![d, a]),
        ("q=GLOBEX".into(), vec![b]),
        // `%` and `_` are literal characters, not wildcards.
        ("q=%25".into(), vec![c]),
        ("q=c_1".into(), vec![c]),
        ("q=_".into(), vec![c]),
        ("q=nothing-like-this".into(), vec![]),
        ("status=received&po_number=PO-1".into(), vec![a]),
        ("status=received&po_number=PO-2".into(), vec![]),
    ];

    for (query, want) in cases {
        // Act
        let got = ids(&list(&app, &token, &query).await);

        // Assert: exactly these, newest first
        let want: Vec<String> = want.iter().map(ToString::to_string).collect();
        assert_eq!(got, want, "GET /invoices?{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_filter_values_are_400_with_the_house_error_body() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApClerk).await;
    let cases = [
        ("status=bogus", "status"),
        ("status=RECEIVED", "status"),
        ("payment_status=maybe", "payment_status"),
        ("vendor_id=not-a-uuid", "vendor_id"),
        ("due_before=2026-13-01", "due_before"),
        ("due_before=yesterday", "due_before"),
        ("invoice_date_from=01/02/2026", "invoice_date_from"),
        ("invoice_date_to=2026-02-30", "invoice_date_to"),
        ("created_from=soon", "created_from"),
        ("created_to=2026-03-01T25:00:00Z", "created_to"),
        ("cursor=!!!", "cursor"),
        ("cursor=YWJj", "cursor"), // base64 of "abc": not a cursor
        ("limit=0", "limit"),
        ("limit=201", "limit"),
    ];

    for (query, field) in cases {
        // Act
        let r = app
            .get_authed(&format!("/api/v1/invoices?{query}"), &token)
            .await;

        // Assert
        assert_eq!(r.status(), 400, "{query}");
        let rid = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("x-request-id");
        let body: Value = r.json().await.expect("json error body");
        assert_eq!(body["code"], "invalid_request", "{query}: {body}");
        assert_eq!(body["request_id"], rid.as_str(), "{query}: {body}");
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains(field), "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    // The limits themselves are fine.
    list(&app, &token, "limit=1").await;
    list(&app, &token, "limit=200").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn soft_deleted_invoices_never_appear_and_their_detail_is_404() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApClerk).await;
    let db = app.db.client().await;
    let live = seed(
        &db,
        Seed {
            invoice_number: Some("LIVE-1"),
            vendor_name: Some("Hooli"),
            po_number: Some("PO-9"),
            created_at: Some("2026-03-01T00:00:00Z"),
            ..Seed::default()
        },
    )
    .await;
    let mut deleted = Vec::new();
    for i in 0..3 {
        deleted.push(
            seed(
                &db,
                Seed {
                    invoice_number: Some(&format!("GONE-{i}")),
                    vendor_name: Some("Hooli"),
                    po_number: Some("PO-9"),
                    created_at: Some(&format!("2026-03-0{}T00:00:00Z", i + 2)),
                    deleted_at: Some("2026-03-10T00:00:00Z"),
                    ..Seed::default()
                },
            )
            .await,
        );
    }

    // Act + Assert: not in the list, whatever the filter or page size
    for query in [
        "",
        "q=gone",
        "q=hooli",
        "po_number=PO-9",
        "status=received",
        "limit=1",
    ] {
        let got = ids(&list(&app, &token, query).await);
        for d in &deleted {
            assert!(!got.contains(&d.to_string()), "{query}: {got:?}");
        }
        if query != "q=gone" {
            assert_eq!(got, vec![live.to_string()], "{query}");
        }
    }
    let page = list(&app, &token, "limit=1").await;
    assert!(page["next_cursor"].is_null(), "{page}");

    for d in &deleted {
        let r = app
            .get_authed(&format!("/api/v1/invoices/{d}"), &token)
            .await;
        assert_error(r, 404, "Invoice not found.").await;
        let r = app
            .get_authed(&format!("/api/v1/invoices/{d}/audit"), &token)
            .await;
        assert_error(r, 404, "Invoice not found.").await;
    }
    let r = app
        .get_authed(&format!("/api/v1/invoices/{live}"), &token)
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_staff_role_can_list_and_read_and_anonymous_callers_cannot() {
    // Arrange
    let app = TestApp::spawn().await;
    let db = app.db.client().await;
    let id = seed(
        &db,
        Seed {
            invoice_number: Some("R-1"),
            ..Seed::default()
        },
    )
    .await;

    for role in [
        Role::ApClerk,
        Role::ApAnalyst,
        Role::Approver,
        Role::Admin,
        Role::Auditor,
    ] {
        let (_, token) = app.user_with_token(role).await;

        // Act
        let page = list(&app, &token, "").await;
        let detail = app
            .get_authed(&format!("/api/v1/invoices/{id}"), &token)
            .await;

        // Assert
        assert_eq!(ids(&page), vec![id.to_string()], "{role}");
        assert_eq!(detail.status(), 200, "{role}");
        let detail: Value = detail.json().await.expect("json");
        assert_eq!(detail["id"], id.to_string().as_str(), "{role}");
    }

    for path in [
        "/api/v1/invoices".to_owned(),
        format!("/api/v1/invoices/{id}"),
        format!("/api/v1/invoices/{id}/audit"),
        format!("/api/v1/invoices/{id}/document"),
    ] {
        let r = app.http.get(app.url(&path)).send().await.expect("request");
        assert_error(r, 401, "Not authenticated.").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_detail_has_every_documented_key_with_money_as_decimal_strings() {
    // Arrange: an invoice as extraction would leave it, with its document
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let db = app.db.client().await;
    let vendor = seed_vendor(&db, "Acme Steel").await;
    let id = seed(
        &db,
        Seed {
            status: Some("pending_approval"),
            invoice_number: Some("INV-1042"),
            vendor_id: Some(vendor),
            vendor_name: Some("Acme Steel"),
            invoice_date: Some("2026-03-02"),
            due_date: Some("2026-04-01"),
            total_amount: Some("15420"),
            po_number: Some("PO-2026-0042"),
            ..Seed::default()
        },
    )
    .await;
    db.execute(
        "UPDATE invoice.invoices SET subtotal = 14800.0000, tax_amount = 620.5,
             amount_due = 15420.0000, payment_terms = '2/10 net 30',
             vendor_name_raw = 'ACME STEEL INC.',
             fields = '{\"invoice_number\": {\"source\": \"xml\", \"confidence\": 1.0}}'
         WHERE id = $1::text::uuid",
        &[&id.to_string()],
    )
    .await
    .expect("update");
    db.execute(
        "INSERT INTO invoice.invoice_lines (id, invoice_id, line_number, description, quantity,
             unit, unit_price, line_total)
         VALUES (gen_random_uuid(), $1::text::uuid, 1, 'Steel plate 10mm', 200.0000, 'EA',
             74.0000, 14800.0000)",
        &[&id.to_string()],
    )
    .await
    .expect("line");
    db.execute(
        "INSERT INTO invoice.documents (id, invoice_id, storage_key, filename, content_type,
             size_bytes, sha256)
         VALUES (gen_random_uuid(), $1::text::uuid, 'documents/x.pdf', 'inv.pdf',
             'application/pdf', 48213, repeat('a', 64))",
        &[&id.to_string()],
    )
    .await
    .expect("document");

    // Act
    let r = app
        .get_authed(&format!("/api/v1/invoices/{id}"), &token)
        .await;

    // Assert
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    let obj = body.as_object().expect("object");
    for key in [
        "id",
        "status",
        "invoice_number",
        "invoice_date",
        "due_date",
        "currency",
        "subtotal",
        "tax_amount",
        "total_amount",
        "amount_due",
        "po_number",
        "payment_terms",
        "vendor",
        "vendor_name_raw",
        "fields",
        "lines",
        "match",
        "exceptions",
        "approval_tasks",
        "payment_status",
        "payment_date",
        "payment_method",
        "payment_reference",
        "source",
        "document",
        "created_at",
        "updated_at",
    ] {
        assert!(obj.contains_key(key), "missing {key:?} in {body}");
    }
    let expect: HashMap<&str, Value> = HashMap::from([
        ("id", Value::from(id.to_string())),
        ("status", "pending_approval".into()),
        ("invoice_number", "INV-1042".into()),
        ("invoice_date", "2026-03-02".into()),
        ("due_date", "2026-04-01".into()),
        ("currency", "USD".into()),
        ("subtotal", "14800.00".into()),
        ("tax_amount", "620.50".into()),
        ("total_amount", "15420.00".into()),
        ("amount_due", "15420.00".into()),
        ("po_number", "PO-2026-0042".into()),
        ("payment_terms", "2/10 net 30".into()),
        ("vendor_name_raw", "ACME STEEL INC.".into()),
        ("match", Value::Null),
        ("payment_status", Value::Null),
        ("payment_date", Value::Null),
        ("payment_method", Value::Null),
        ("payment_reference", Value::Null),
        ("source", "upload".into()),
    ]);
    for (key, want) in expect {
        assert_eq!(body[key], want, "{key} in {body}");
    }
    assert_eq!(body["vendor"]["id"], vendor.to_string().as_str());
    assert_eq!(body["vendor"]["name"], "Acme Steel");
    assert_eq!(body["fields"]["invoice_number"]["source"], "xml");
    assert_eq!(body["fields"]["invoice_number"]["confidence"], 1.0);
    assert_eq!(body["lines"][0]["line_number"], 1);
    assert_eq!(body["lines"][0]["quantity"], "200");
    assert_eq!(body["lines"][0]["unit_price"], "74.00");
    assert_eq!(body["lines"][0]["line_total"], "14800.00");
    assert_eq!(body["exceptions"], serde_json::json!([]));
    assert_eq!(body["approval_tasks"], serde_json::json!([]));
    assert_eq!(body["document"]["content_type"], "application/pdf");
    assert_eq!(body["document"]["size_bytes"], 48213);
    for key in ["created_at", "updated_at"] {
        let t = body[key].as_str().expect(key);
        chrono::DateTime::parse_from_rfc3339(t).expect("rfc3339");
    }

    // List items carry the same scalar fields with the same values.
    let page = list(&app, &token, "").await;
    let item = &page["items"][0];
    for key in [
        "id",
        "status",
        "invoice_number",
        "invoice_date",
        "due_date",
        "currency",
        "subtotal",
        "tax_amount",
        "total_amount",
        "amount_due",
        "po_number",
        "payment_terms",
        "vendor_name_raw",
        "payment_status",
        "source",
        "created_at",
        "updated_at",
    ] {
        assert_eq!(item[key], body[key], "list item {key}: {item}");
    }
}
