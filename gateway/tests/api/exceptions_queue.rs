//! The exception queue over REST with the real auth, invoice and gateway servers: routing to
//! the least-loaded analyst, reassignment rules, filters and keyset pages, comments, waiving
//! with a reason and the re-evaluation it triggers, matching endpoints and rule sets.

use std::time::Duration;

use ap_types::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, call, ok_json};

/// A vendor that needs POs, and an invoice of it without one, as extraction leaves it.
async fn vendor(app: &TestApp, token: &str) -> String {
    let r = call(
        app,
        reqwest::Method::POST,
        "/api/v1/vendors",
        token,
        Some(json!({"name": "Acme Steel", "currency": "USD"})),
    )
    .await;
    ok_json(r, 201).await["id"].as_str().expect("id").to_owned()
}

async fn invoice_without_po(app: &TestApp, vendor: &str, number: &str, total: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, currency, subtotal, total_amount, amount_due, fields) \
             VALUES ($1::text::uuid, 'extracted', 'upload', $2::text::uuid, 'Acme Steel', $3, $3, \
               current_date, 'USD', $4::text::numeric, $4::text::numeric, $4::text::numeric, '{}')",
            &[&id, &vendor, &number, &total],
        )
        .await
        .expect("invoice");
    id
}

/// Matches the invoice and waits for its exception to be routed; returns the exception.
async fn matched_and_routed(app: &TestApp, id: &str, analyst_token: &str) -> Value {
    let r = call(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/invoices/{id}/match"),
        analyst_token,
        None,
    )
    .await;
    let inv = ok_json(r, 202).await;
    assert_eq!(inv["status"], "exception", "{inv}");
    for _ in 0..100 {
        let r = call(
            app,
            reqwest::Method::GET,
            &format!("/api/v1/exceptions?invoice_id={id}"),
            analyst_token,
            None,
        )
        .await;
        let page = ok_json(r, 200).await;
        let e = page["items"][0].clone();
        if e["assigned_to"].is_string() {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the exception of {id} was never routed");
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let me = ok_json(
        call(app, reqwest::Method::GET, "/api/v1/auth/me", token, None).await,
        200,
    )
    .await;
    me["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn exceptions_go_to_the_least_loaded_analyst_and_only_an_admin_reassigns() {
    let app = TestApp::spawn().await;
    let (_, a) = app.user_with_token(Role::ApAnalyst).await;
    let (_, b) = app.user_with_token(Role::ApAnalyst).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (a_id, b_id) = (user_id(&app, &a).await, user_id(&app, &b).await);
    let v = vendor(&app, &a).await;

    // The first goes to an analyst; the admin then gives it and a second one to A.
    let first = invoice_without_po(&app, &v, "INV-1", "100.00").await;
    let e1 = matched_and_routed(&app, &first, &a).await;
    assert_eq!(e1["code"], "MISSING_PO");
    assert_eq!(e1["severity"], "high");
    assert_eq!(e1["assigned_role"], "AP_ANALYST");
    assert!(e1["due_at"].is_string(), "{e1}");
    let second = invoice_without_po(&app, &v, "INV-2", "200.00").await;
    let e2 = matched_and_routed(&app, &second, &a).await;
    for e in [&e1, &e2] {
        let path = format!("/api/v1/exceptions/{}", e["id"].as_str().expect("id"));
        // An analyst may not take an exception someone else holds.
        let (other, other_id) = if e["assigned_to"] == a_id.as_str() {
            (&b, &b_id)
        } else {
            (&a, &a_id)
        };
        let refused = call(
            &app,
            reqwest::Method::PATCH,
            &path,
            other,
            Some(json!({"assigned_to": other_id})),
        )
        .await;
        assert_eq!(refused.status(), 403);
        let moved = call(
            &app,
            reqwest::Method::PATCH,
            &path,
            &admin,
            Some(json!({"assigned_to": a_id})),
        )
        .await;
        assert_eq!(ok_json(moved, 200).await["assigned_to"], a_id.as_str());
    }
    // A holds two, B none: the next one goes to B.
    let third = invoice_without_po(&app, &v, "INV-3", "300.00").await;
    let e3 = matched_and_routed(&app, &third, &a).await;
    assert_eq!(e3["assigned_to"], b_id.as_str(), "{e3}");

    // B's own queue, and the filters.
    let mine = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/exceptions?assigned_to=me&status=open",
            &b,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(mine["items"].as_array().expect("items").len(), 1);
    let page1 = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/exceptions?severity=high&code=MISSING_PO&limit=2",
            &a,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page1["items"].as_array().expect("items").len(), 2);
    let cursor = page1["next_cursor"].as_str().expect("a second page");
    let page2 = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/exceptions?severity=high&limit=2&cursor={cursor}"),
            &a,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page2["items"].as_array().expect("items").len(), 1);
    assert!(page2["next_cursor"].is_null());
    // Newest first across pages, no overlap.
    assert_eq!(page1["items"][0]["invoice_id"], third.as_str());
    assert_eq!(page2["items"][0]["invoice_id"], first.as_str());
    assert_error(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/exceptions?severity=urgent",
            &a,
            None,
        )
        .await,
        400,
        "Invalid input: severity: must be one of low, medium, high, critical.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn waiving_needs_a_reason_and_moves_the_invoice_on_with_comments_and_audit() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    let (_, auditor) = app.user_with_token(Role::Auditor).await;
    let v = vendor(&app, &analyst).await;
    let id = invoice_without_po(&app, &v, "INV-1", "120.00").await;
    let e = matched_and_routed(&app, &id, &analyst).await;
    let path = format!("/api/v1/exceptions/{}", e["id"].as_str().expect("id"));

    // Comments: clerks may add them, approvers may not; everyone on staff reads them.
    let c = call(
        &app,
        reqwest::Method::POST,
        &format!("{path}/comments"),
        &clerk,
        Some(json!({"body": "Vendor says the PO is PO-77."})),
    )
    .await;
    assert_eq!(
        ok_json(c, 201).await["body"],
        "Vendor says the PO is PO-77."
    );
    let refused = call(
        &app,
        reqwest::Method::POST,
        &format!("{path}/comments"),
        &approver,
        Some(json!({"body": "no"})),
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_error(
        call(
            &app,
            reqwest::Method::POST,
            &format!("{path}/comments"),
            &clerk,
            Some(json!({"body": "  "})),
        )
        .await,
        400,
        "Invalid input: body: must not be empty.",
    )
    .await;
    let list = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            &format!("{path}/comments"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);

    // Clerks cannot work exceptions; waiving without a reason changes nothing.
    assert_eq!(
        call(
            &app,
            reqwest::Method::PATCH,
            &path,
            &clerk,
            Some(json!({"status": "in_progress"}))
        )
        .await
        .status(),
        403
    );
    assert_error(
        call(
            &app,
            reqwest::Method::PATCH,
            &path,
            &analyst,
            Some(json!({"status": "waived"})),
        )
        .await,
        400,
        "Invalid input: resolution_note: a reason is required to waive an exception.",
    )
    .await;
    let still = ok_json(
        call(&app, reqwest::Method::GET, &path, &analyst, None).await,
        200,
    )
    .await;
    assert_eq!(still["status"], "open");
    assert_error(
        call(
            &app,
            reqwest::Method::PATCH,
            &path,
            &analyst,
            Some(json!({"status": "reopened"})),
        )
        .await,
        400,
        "Invalid input: status: must be one of open, in_progress, resolved, waived, escalated.",
    )
    .await;

    let started = call(
        &app,
        reqwest::Method::PATCH,
        &path,
        &analyst,
        Some(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!(ok_json(started, 200).await["status"], "in_progress");
    let waived = call(&app, reqwest::Method::PATCH, &path, &analyst,
        Some(json!({"status": "waived", "resolution_note": "Non-PO spend approved by the controller."}))).await;
    let waived = ok_json(waived, 200).await;
    assert_eq!(waived["status"], "waived");
    assert!(waived["resolved_by"].is_string());

    // The last blocking exception is gone: matching ran again and a person approves now.
    let detail = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/invoices/{id}"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(detail["status"], "pending_approval", "{detail}");
    assert_eq!(detail["touchless"], false);
    assert_eq!(detail["match"]["type"], "3way");
    assert_eq!(detail["match"]["runs"], 2);
    assert_eq!(detail["match"]["rule_version"], 1);
    assert_eq!(detail["exceptions"][0]["status"], "waived");
    let m = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/invoices/{id}/match"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(m["outcome"], "pending_approval");
    // Auditors read but never re-run.
    assert_eq!(
        call(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/invoices/{id}/match"),
            &auditor,
            None
        )
        .await
        .status(),
        403
    );
    let audit = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/invoices/{id}/audit"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "invoice_matched",
        "exception_assigned",
        "exception_commented",
        "exception_updated",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let stats = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/matching/stats",
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(stats["matched_invoices"], 1);
    assert_eq!(stats["touchless_rate"], "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn rule_sets_over_rest_are_admin_written_and_versioned() {
    let app = TestApp::spawn().await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let list = ok_json(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/matching/rule-sets",
            &analyst,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(list["items"][0]["version"], 1);
    assert_eq!(list["items"][0]["price_pct"], "0.02");
    assert_eq!(list["items"][0]["price_abs"], "50.00");
    assert_eq!(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/matching/rule-sets",
            &analyst,
            None
        )
        .await
        .status(),
        403
    );
    let draft = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/matching/rule-sets",
            &admin,
            None,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        (draft["version"].as_i64(), draft["status"].as_str()),
        (Some(2), Some("draft"))
    );
    let updated = call(
        &app,
        reqwest::Method::PUT,
        "/api/v1/matching/rule-sets/2",
        &admin,
        Some(json!({"price_pct": "0.03", "price_abs": 75, "qty_pct": "0.01", "note": "Looser"})),
    )
    .await;
    assert_eq!(ok_json(updated, 200).await["price_abs"], "75.00");
    let published = ok_json(
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/matching/rule-sets/2/publish",
            &admin,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(published["status"], "published");
    assert_eq!(
        call(
            &app,
            reqwest::Method::PUT,
            "/api/v1/matching/rule-sets/2",
            &admin,
            Some(json!({"price_pct": "0.5", "price_abs": "1", "qty_pct": "0"}))
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        call(
            &app,
            reqwest::Method::GET,
            "/api/v1/matching/rule-sets/nope",
            &admin,
            None
        )
        .await
        .status(),
        404
    );
}
