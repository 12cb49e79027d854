//! Lists and paging: every list walks page by page with `limit` and `cursor` to exactly the
//! rows it holds, in its documented order; `limit` outside 1..200 and tampered or foreign
//! cursors are 400s naming the parameter; `sort` on invoices and multi-value `status`
//! filters. Rows are seeded with SQL so ties (equal timestamps, due dates, amounts) are exact.

use std::collections::HashSet;

use ap_types::Role;
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, call, ok_json};

/// The instant of seeded row `i`: rows come in pairs sharing an instant, so ids break ties.
fn stamp(i: usize) -> String {
    format!("2026-03-01T00:00:{:02}Z", i / 2)
}

fn ids(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::new_v4()).collect()
}

/// `(stamp, id)` pairs of seeded rows, newest first with ties by id, descending.
fn newest_first(rows: &[(String, Uuid)]) -> Vec<String> {
    let mut v = rows.to_vec();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    v.into_iter().map(|(_, id)| id.to_string()).collect()
}

/// `(stamp, id)` pairs, oldest first with ties by id, ascending.
fn oldest_first(rows: &[(String, Uuid)]) -> Vec<String> {
    let mut v = rows.to_vec();
    v.sort();
    v.into_iter().map(|(_, id)| id.to_string()).collect()
}

/// Walks a list page by page with `limit`, asserting page sizes, that a page with a next
/// cursor is never empty, and that no row comes twice. Returns every item in order.
async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut cursor: Option<String> = None;
    let mut out: Vec<Value> = Vec::new();
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let body = ok_json(app.get_authed(&url, token).await, 200).await;
        let items = body["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit, "{url}: {body}");
        match body["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(items.len(), limit, "{url}: a page before the last is full");
                cursor = Some(c.to_owned());
                out.extend(items);
            }
            None => {
                assert!(body["next_cursor"].is_null(), "{url}: {body}");
                out.extend(items);
                let unique: HashSet<String> = out.iter().map(|i| i["id"].to_string()).collect();
                assert_eq!(unique.len(), out.len(), "{path}: a row came twice");
                return out;
            }
        }
    }
    panic!("{path}: paging does not end");
}

fn id_list(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn sql(app: &TestApp, text: &str) {
    app.db
        .client()
        .await
        .batch_execute(text)
        .await
        .unwrap_or_else(|e| panic!("seed: {e}\n{text}"));
}

async fn seed_invoice(app: &TestApp, id: Uuid, extra: &str) {
    let (cols, vals) = extra.split_once('|').unwrap_or(("", ""));
    sql(
        app,
        &format!(
            "INSERT INTO invoice.invoices (id, status, source, currency{cols}) \
             VALUES ('{id}', 'received', 'upload', 'USD'{vals})"
        ),
    )
    .await;
}

/// Asserts a 400 in the house error shape whose `errors` name `field`; returns the body.
async fn refused(resp: reqwest::Response, field: &str) -> Value {
    let status = resp.status().as_u16();
    let rid = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].is_string() && body["code"].is_string(),
        "{body}"
    );
    assert_eq!(body["request_id"].as_str(), rid.as_deref(), "{body}");
    let named = body["errors"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["field"] == field));
    assert!(named, "errors name {field}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn master_data_exception_and_conversation_lists_walk_every_row_once_in_order() {
    // Arrange: five rows of each list, in pairs sharing an instant.
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApAnalyst).await;
    let vendors = ids(5);
    let pos = ids(5);
    let receipts = ids(5);
    let invoice = Uuid::new_v4();
    let exceptions = ids(5);
    let comments = ids(5);
    let messages = ids(5);
    seed_invoice(&app, invoice, "").await;
    for i in 0..5 {
        let at = stamp(i);
        sql(
            &app,
            &format!(
                "INSERT INTO invoice.vendors (id, name, currency, created_at) \
                   VALUES ('{v}', 'Vendor {i}', 'USD', '{at}'); \
                 INSERT INTO invoice.purchase_orders (id, po_number, vendor_id, currency, created_at) \
                   VALUES ('{p}', 'PO-{i}', '{v}', 'USD', '{at}'); \
                 INSERT INTO invoice.goods_receipts (id, receipt_number, po_id, received_at, created_at) \
                   VALUES ('{r}', 'GR-{i}', '{p}', '2026-03-01', '{at}'); \
                 INSERT INTO invoice.exceptions (id, invoice_id, code, severity, status, message, source, finding_key, created_at) \
                   VALUES ('{x}', '{invoice}', 'PRICE_VARIANCE', 'low', 'open', 'm', 'matching', 'k{i}', '{at}'); \
                 INSERT INTO invoice.exception_comments (id, exception_id, body, created_at) \
                   VALUES ('{c}', '{x0}', 'comment {i}', '{at}'); \
                 INSERT INTO invoice.invoice_messages (id, invoice_id, direction, body, created_at) \
                   VALUES ('{m}', '{invoice}', 'inbound', 'message {i}', '{at}');",
                v = vendors[i],
                p = pos[i],
                r = receipts[i],
                x = exceptions[i],
                x0 = exceptions[0],
                c = comments[i],
                m = messages[i],
            ),
        )
        .await;
    }
    let pairs = |v: &[Uuid]| -> Vec<(String, Uuid)> {
        v.iter()
            .enumerate()
            .map(|(i, id)| (stamp(i), *id))
            .collect()
    };

    // Act + Assert: newest first for the lists, oldest first for the threads.
    for (path, expected) in [
        ("/api/v1/vendors".to_owned(), newest_first(&pairs(&vendors))),
        (
            "/api/v1/purchase-orders".to_owned(),
            newest_first(&pairs(&pos)),
        ),
        (
            "/api/v1/goods-receipts".to_owned(),
            newest_first(&pairs(&receipts)),
        ),
        (
            "/api/v1/exceptions".to_owned(),
            newest_first(&pairs(&exceptions)),
        ),
        (
            format!("/api/v1/exceptions/{}/comments", exceptions[0]),
            oldest_first(&pairs(&comments)),
        ),
        (
            format!("/api/v1/invoices/{invoice}/messages"),
            oldest_first(&pairs(&messages)),
        ),
    ] {
        let got = id_list(&walk(&app, &token, &path, 2).await);
        assert_eq!(got, expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_timeline_merges_every_service_page_by_page_oldest_first() {
    // Arrange: rows from the invoice, approval and payment services at interleaved instants.
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Auditor).await;
    let invoice = Uuid::new_v4();
    seed_invoice(&app, invoice, "").await;
    let mut rows = Vec::new();
    for (k, schema) in ["invoice", "approval", "payment"].iter().enumerate() {
        for j in 0..3 {
            let i = j * 3 + k; // 0..9, so pairs of instants cross services
            let id = Uuid::new_v4();
            let at = stamp(i);
            sql(
                &app,
                &format!(
                    "INSERT INTO {schema}.audit_log (seq, id, occurred_at, actor, action, entity_type, \
                       entity_id, prev_hash, hash) \
                     VALUES ({seq}, '{id}', '{at}', 'test', 'test.{schema}', 'invoice', '{invoice}', '', '')",
                    seq = 100_000 + i,
                ),
            )
            .await;
            rows.push((at, id));
        }
    }

    // Act
    let path = format!("/api/v1/invoices/{invoice}/audit");
    let paged = id_list(&walk(&app, &token, &path, 2).await);
    let whole = ok_json(app.get_authed(&path, &token).await, 200).await;

    // Assert
    assert_eq!(paged, oldest_first(&rows));
    assert_eq!(id_list(whole["items"].as_array().expect("items")), paged);
    assert!(whole["next_cursor"].is_null(), "{whole}");
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_notification_and_held_mail_lists_walk_every_row_once_in_order() {
    // Arrange
    let app = TestApp::spawn().await;
    let (email, token) = app.user_with_token(Role::Admin).await;
    let me = app.user_id(&email).await;
    let request = Uuid::new_v4();
    sql(
        &app,
        &format!(
            "INSERT INTO approval.approval_requests (id, invoice_id, event_id, match_run, amount, \
               levels, current_level, status) \
             VALUES ('{request}', '{inv}', '{ev}', 1, 10, '[]', 1, 'open')",
            inv = Uuid::new_v4(),
            ev = Uuid::new_v4(),
        ),
    )
    .await;
    let tasks = ids(5);
    let notes = ids(5);
    let mails = ids(5);
    for i in 0..5 {
        let at = stamp(i);
        sql(
            &app,
            &format!(
                "INSERT INTO approval.approval_tasks (id, request_id, invoice_id, level, slot, \
                   assignee_id, status, due_at) \
                 VALUES ('{t}', '{request}', '{inv}', 1, {slot}, '{me}', 'pending', '{at}'); \
                 INSERT INTO approval.notifications (id, user_id, kind, title, body, created_at) \
                   VALUES ('{n}', '{me}', 'test', 't', 'b', '{at}'); \
                 INSERT INTO approval.mail_outbox (id, to_address, subject, body_text, status, \
                   created_at, to_user_id) \
                 VALUES ('{m}', '{email}', 's', 'b', 'held', '{at}', '{me}');",
                t = tasks[i],
                inv = Uuid::new_v4(),
                slot = i + 1,
                n = notes[i],
                m = mails[i],
            ),
        )
        .await;
    }
    let pairs = |v: &[Uuid]| -> Vec<(String, Uuid)> {
        v.iter()
            .enumerate()
            .map(|(i, id)| (stamp(i), *id))
            .collect()
    };

    // Act + Assert: the inbox soonest due first; notifications and mail newest first.
    for (path, expected) in [
        ("/api/v1/approvals", oldest_first(&pairs(&tasks))),
        (
            "/api/v1/approvals?status=all_open",
            oldest_first(&pairs(&tasks)),
        ),
        ("/api/v1/notifications", newest_first(&pairs(&notes))),
        ("/api/v1/admin/mail-outbox", newest_first(&pairs(&mails))),
    ] {
        let got = id_list(&walk(&app, &token, path, 2).await);
        assert_eq!(got, expected, "{path}");
    }
    // A cursor of the inbox is not one of the decided view.
    let first = ok_json(
        app.get_authed("/api/v1/approvals?limit=2", &token).await,
        200,
    )
    .await;
    let c = first["next_cursor"].as_str().expect("cursor");
    refused(
        app.get_authed(
            &format!("/api/v1/approvals?status=decided&cursor={c}"),
            &token,
        )
        .await,
        "cursor",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_run_and_user_lists_walk_every_row_once_newest_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let (email, token) = app.user_with_token(Role::Admin).await;
    let me = app.user_id(&email).await;
    let payments = ids(5);
    let runs = ids(5);
    let users = ids(5);
    for i in 0..5 {
        let at = stamp(i);
        sql(
            &app,
            &format!(
                "INSERT INTO payment.payments (id, invoice_id, status, method, payment_date, amount, \
                   currency, created_by, created_at) \
                 VALUES ('{p}', '{inv}', 'pending', 'ACH', '2026-03-01', 10, 'USD', '{me}', '{at}'); \
                 INSERT INTO payment.payment_runs (id, reference, status, currency, method, \
                   file_format, pay_by_date, payment_date, next_run_date, created_by, \
                   created_by_email, created_at) \
                 VALUES ('{r}', 'RUN-{i}', 'draft', 'USD', 'ACH', 'nacha', '2026-03-01', \
                   '2026-03-01', '2026-03-08', '{me}', '{email}', '{at}'); \
                 INSERT INTO auth.users (id, email, name, role, password_hash, created_at) \
                 VALUES ('{u}', 'paging-{i}@example.com', 'U {i}', 'AP_CLERK', 'x', '{at}');",
                p = payments[i],
                inv = Uuid::new_v4(),
                r = runs[i],
                u = users[i],
            ),
        )
        .await;
    }
    let pairs = |v: &[Uuid]| -> Vec<(String, Uuid)> {
        v.iter()
            .enumerate()
            .map(|(i, id)| (stamp(i), *id))
            .collect()
    };

    // Act + Assert
    for (path, expected) in [
        ("/api/v1/payments", newest_first(&pairs(&payments))),
        ("/api/v1/payment-runs", newest_first(&pairs(&runs))),
    ] {
        let got = id_list(&walk(&app, &token, path, 2).await);
        assert_eq!(got, expected, "{path}");
    }
    // Users created now (the caller among them) come first, then the seeded ones newest first.
    let got = id_list(&walk(&app, &token, "/api/v1/admin/users", 2).await);
    let seeded = newest_first(&pairs(&users));
    assert!(got.ends_with(&seeded), "{got:?}");
    assert!(got.contains(&me), "{got:?}");
    let live: HashSet<String> = app
        .db
        .client()
        .await
        .query(
            "SELECT id::text FROM auth.users WHERE deleted_at IS NULL",
            &[],
        )
        .await
        .expect("users")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(got.iter().cloned().collect::<HashSet<_>>(), live);
}

/// Invoices with due dates and payable amounts that tie and are missing.
async fn seed_sortable(app: &TestApp) -> Vec<(Uuid, Option<&'static str>, Option<&'static str>)> {
    // (due_date, payable amount: amount_due when given, else total)
    let spec: [(Option<&str>, Option<&str>, Option<&str>); 7] = [
        (Some("2026-04-01"), Some("100.00"), None),
        (Some("2026-04-01"), Some("250.00"), Some("50.00")),
        (Some("2026-03-15"), Some("50.00"), None),
        (None, Some("100.00"), None),
        (Some("2026-05-01"), None, None),
        (None, None, None),
        (Some("2026-03-15"), Some("999.00"), Some("100.00")),
    ];
    let mut out = Vec::new();
    for (due, total, amount_due) in spec {
        let id = Uuid::new_v4();
        let q = |v: Option<&str>| v.map_or("NULL".to_owned(), |v| format!("'{v}'"));
        seed_invoice(
            app,
            id,
            &format!(
                ", due_date, total_amount, amount_due|, {}, {}, {}",
                q(due),
                q(total),
                q(amount_due)
            ),
        )
        .await;
        out.push((id, due, amount_due.or(total)));
    }
    out
}

/// Expected order of `rows` by a key that may be missing (missing last either way), ties by id
/// in the direction of the sort.
fn by_key<K: Ord + Clone>(rows: &[(Uuid, Option<K>)], descending: bool) -> Vec<String> {
    let mut v = rows.to_vec();
    v.sort_by(|a, b| {
        let key = match (&a.1, &b.1) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) if descending => y.cmp(x),
            (Some(x), Some(y)) => x.cmp(y),
        };
        let id = if descending {
            b.0.cmp(&a.0)
        } else {
            a.0.cmp(&b.0)
        };
        key.then(id)
    });
    v.into_iter().map(|(id, _)| id.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_sort_by_due_date_and_amount_across_pages_with_ties_and_missing_values_last() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::ApClerk).await;
    let rows = seed_sortable(&app).await;
    let due: Vec<(Uuid, Option<chrono::NaiveDate>)> = rows
        .iter()
        .map(|(id, d, _)| (*id, d.map(|d| d.parse().expect("date"))))
        .collect();
    let amount: Vec<(Uuid, Option<rust_decimal::Decimal>)> = rows
        .iter()
        .map(|(id, _, a)| (*id, a.map(|a| a.parse().expect("amount"))))
        .collect();

    // Act + Assert
    for (sort, expected) in [
        ("due_date", by_key(&due, false)),
        ("-due_date", by_key(&due, true)),
        ("amount", by_key(&amount, false)),
        ("-amount", by_key(&amount, true)),
    ] {
        for limit in [1, 2, 3] {
            let got = id_list(
                &walk(
                    &app,
                    &token,
                    &format!("/api/v1/invoices?sort={sort}"),
                    limit,
                )
                .await,
            );
            assert_eq!(got, expected, "sort={sort} limit={limit}");
        }
    }
    let oldest = id_list(&walk(&app, &token, "/api/v1/invoices?sort=created_at", 2).await);
    let mut newest = id_list(&walk(&app, &token, "/api/v1/invoices", 2).await);
    newest.reverse();
    assert_eq!(oldest, newest, "created_at is the default order reversed");
    refused(
        app.get_authed("/api/v1/invoices?sort=vendor", &token).await,
        "sort",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_or_foreign_cursor_is_a_400_naming_cursor() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    seed_sortable(&app).await;
    let page = ok_json(
        app.get_authed("/api/v1/invoices?sort=due_date&limit=2", &token)
            .await,
        200,
    )
    .await;
    let due_cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let mut tampered = due_cursor.clone();
    tampered.insert(3, 'x');

    // Act + Assert: another order's cursor, on its own list and on others.
    let body = refused(
        app.get_authed(
            &format!("/api/v1/invoices?sort=amount&cursor={due_cursor}"),
            &token,
        )
        .await,
        "cursor",
    )
    .await;
    assert!(
        body.to_string().contains("due_date"),
        "names the order: {body}"
    );
    for path in [
        "/api/v1/invoices",
        "/api/v1/vendors",
        "/api/v1/exceptions",
        "/api/v1/payments",
        "/api/v1/payment-runs",
        "/api/v1/admin/users",
        "/api/v1/approvals",
        "/api/v1/notifications",
        "/api/v1/admin/mail-outbox",
    ] {
        for cursor in [
            due_cursor.as_str(),
            tampered.as_str(),
            "not-a-cursor",
            // The bare id a list once used as its cursor.
            "0190f3a6-0000-7000-8000-000000000000",
        ] {
            refused(
                app.get_authed(&format!("{path}?cursor={cursor}"), &token)
                    .await,
                "cursor",
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_outside_1_to_200_is_a_400_on_every_list() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let invoice = Uuid::new_v4();
    seed_invoice(&app, invoice, "").await;
    let paths = [
        "/api/v1/invoices".to_owned(),
        "/api/v1/vendors".to_owned(),
        "/api/v1/purchase-orders".to_owned(),
        "/api/v1/goods-receipts".to_owned(),
        "/api/v1/exceptions".to_owned(),
        "/api/v1/payments".to_owned(),
        "/api/v1/payment-runs".to_owned(),
        "/api/v1/admin/users".to_owned(),
        "/api/v1/approvals".to_owned(),
        "/api/v1/notifications".to_owned(),
        "/api/v1/admin/mail-outbox".to_owned(),
        format!("/api/v1/invoices/{invoice}/audit"),
        format!("/api/v1/invoices/{invoice}/messages"),
    ];
    for path in &paths {
        for limit in ["0", "201", "-1"] {
            refused(
                app.get_authed(&format!("{path}?limit={limit}"), &token)
                    .await,
                "limit",
            )
            .await;
        }
        for limit in ["1", "200"] {
            ok_json(
                app.get_authed(&format!("{path}?limit={limit}"), &token)
                    .await,
                200,
            )
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn status_filters_take_several_values_repeated_or_comma_separated() {
    // Arrange
    let app = TestApp::spawn().await;
    let (email, token) = app.user_with_token(Role::Admin).await;
    let me = app.user_id(&email).await;
    let mut by_status: Vec<(&str, Uuid)> = Vec::new();
    for status in ["approved", "paid", "received", "approved", "rejected"] {
        let id = Uuid::new_v4();
        sql(
            &app,
            &format!(
                "INSERT INTO invoice.invoices (id, status, source, currency) \
                 VALUES ('{id}', '{status}', 'upload', 'USD')"
            ),
        )
        .await;
        by_status.push((status, id));
    }
    let anchor = by_status[0].1;
    for (i, status) in ["open", "resolved", "waived", "escalated"]
        .iter()
        .enumerate()
    {
        sql(
            &app,
            &format!(
                "INSERT INTO invoice.exceptions (id, invoice_id, code, severity, status, message, \
                   source, finding_key) \
                 VALUES ('{}', '{anchor}', 'PRICE_VARIANCE', 'low', '{status}', 'm', 'matching', 'f{i}')",
                Uuid::new_v4()
            ),
        )
        .await;
    }
    for status in ["pending", "failed", "failed"] {
        sql(
            &app,
            &format!(
                "INSERT INTO payment.payments (id, invoice_id, status, method, payment_date, amount, \
                   currency, created_by) \
                 VALUES ('{}', '{}', '{status}', 'ACH', '2026-03-01', 10, 'USD', '{me}')",
                Uuid::new_v4(),
                Uuid::new_v4()
            ),
        )
        .await;
    }
    let statuses = |items: Vec<Value>| -> Vec<String> {
        let mut s: Vec<String> = items
            .iter()
            .map(|i| i["status"].as_str().expect("status").to_owned())
            .collect();
        s.sort();
        s
    };

    // Act + Assert: repeated and comma-separated give the same rows.
    for q in [
        "status=approved&status=paid",
        "status=approved,paid",
        "status=paid,approved&status=approved",
    ] {
        let got = statuses(walk(&app, &token, &format!("/api/v1/invoices?{q}"), 2).await);
        assert_eq!(got, ["approved", "approved", "paid"], "{q}");
    }
    let got = statuses(
        walk(
            &app,
            &token,
            "/api/v1/exceptions?status=open&status=waived",
            1,
        )
        .await,
    );
    assert_eq!(got, ["open", "waived"]);
    let got = statuses(walk(&app, &token, "/api/v1/payments?status=failed,pending", 2).await);
    assert_eq!(got, ["failed", "failed", "pending"]);
    for (path, valid) in [
        ("/api/v1/invoices", "paid"),
        ("/api/v1/exceptions", "open"),
        ("/api/v1/payments", "failed"),
        ("/api/v1/payment-runs", "draft"),
        ("/api/v1/purchase-orders", "open"),
    ] {
        let body = refused(
            app.get_authed(&format!("{path}?status={valid}&status=bogus"), &token)
                .await,
            "status",
        )
        .await;
        assert!(
            body.to_string().contains("bogus"),
            "names the value: {body}"
        );
    }
    // Other parameters still refuse repeats and unknown names.
    refused(
        app.get_authed("/api/v1/invoices?nope=1", &token).await,
        "nope",
    )
    .await;
    let r = call(
        &app,
        Method::GET,
        "/api/v1/invoices?limit=1&limit=2",
        &token,
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
}
