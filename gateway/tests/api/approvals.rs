//! Approvals end to end: the real auth, invoice, payment and approval services and the
//! gateway. Invoices reach approval through the invoice service's outbox; decisions return
//! through the approval service's outbox and move the invoice exactly once.

use std::time::Duration;

use ap_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{
    approval_task, count, decide, extracted_invoice, invoice_detail, match_invoice, matrix_rule,
    pending_task, wait_invoice_status,
};
use crate::helpers::{TestApp, assert_error, call, ok_json, smtp_sink};

const LOW: &str = "Up to 10,000";

pub(crate) async fn me(app: &TestApp, token: &str) -> String {
    let v = ok_json(
        call(app, Method::GET, "/api/v1/auth/me", token, None).await,
        200,
    )
    .await;
    v["id"].as_str().expect("id").to_owned()
}

/// The demo matrix: up to 10,000 one APPROVER; above, APPROVER then ADMIN.
pub(crate) async fn demo_matrix(app: &TestApp, admin: &str) {
    let low = json!({"name": LOW, "amount_up_to": "10000.00", "levels": [{"role": "APPROVER"}]});
    let high = json!({"name": "Over 10,000", "amount_over": "10000.00",
                      "levels": [{"role": "APPROVER"}, {"role": "ADMIN"}]});
    for rule in [low, high] {
        matrix_rule(app, admin, rule).await;
    }
}

/// A non-PO vendor (its invoices go to a person) and an extracted invoice of it.
pub(crate) async fn invoice(
    app: &TestApp,
    admin: &str,
    total: &str,
    uploaded_by: Option<&str>,
) -> String {
    extracted_invoice(app, admin, total, total, uploaded_by).await
}

/// Matches the invoice; it goes to approval.
pub(crate) async fn to_approval(app: &TestApp, admin: &str, id: &str) {
    let inv = match_invoice(app, admin, id).await;
    assert_eq!(inv["status"], "pending_approval", "{inv}");
}

/// Waits until `token`'s inbox holds a pending task of invoice `id`; returns it.
pub(crate) async fn task_of(app: &TestApp, token: &str, id: &str) -> Value {
    pending_task(app, token, id, None).await
}

pub(crate) async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    let d = invoice_detail(app, token, id).await;
    d["status"].as_str().expect("status").to_owned()
}

pub(crate) async fn wait_status(app: &TestApp, token: &str, id: &str, want: &str) {
    wait_invoice_status(app, token, id, want).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_over_the_limit_walks_both_matrix_levels_to_approved() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    let (_, auditor) = app.user_with_token(Role::Auditor).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "15420.37", None).await;
    to_approval(&app, &admin, &id).await;

    let t1 = task_of(&app, &approver, &id).await;
    assert_eq!(
        (t1["level"].as_i64(), t1["levels"].as_i64()),
        (Some(1), Some(2)),
        "{t1}"
    );
    assert_eq!(t1["amount"], "15420.37");
    assert_eq!(t1["assignee"]["email"], approver_email.as_str());
    assert!(
        t1["due_at"].is_string() && t1["invoice_number"].is_string(),
        "{t1}"
    );
    let detail = ok_json(
        call(
            &app,
            Method::GET,
            &format!("/api/v1/invoices/{id}"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(detail["approval_tasks"][0]["level"], 1, "{detail}");
    assert_eq!(
        detail["approval_tasks"][0]["assignee"]["email"],
        approver_email.as_str()
    );
    // The approver was told, in the app and by (held) mail.
    let notes = ok_json(
        call(&app, Method::GET, "/api/v1/notifications", &approver, None).await,
        200,
    )
    .await;
    assert_eq!(notes["unread"], 1, "{notes}");
    let note = notes["items"][0]["id"].as_str().expect("id").to_owned();
    let read = ok_json(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/notifications/{note}/read"),
            &approver,
            None,
        )
        .await,
        200,
    )
    .await;
    assert!(read["read_at"].is_string());
    // Another user's notification is not theirs to read.
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/notifications/{note}/read"),
            &auditor,
            None
        )
        .await
        .status(),
        404
    );

    let done = ok_json(
        decide(&app, &approver, &t1, "approve", json!({"notes": "ok"})).await,
        200,
    )
    .await;
    assert_eq!(done["status"], "approved");
    assert_eq!(done["channel"], "web");
    assert_eq!(status_of(&app, &auditor, &id).await, "pending_approval");
    let t2 = task_of(&app, &admin, &id).await;
    assert_eq!(t2["level"], 2, "{t2}");
    ok_json(decide(&app, &admin, &t2, "approve", json!({})).await, 200).await;
    wait_status(&app, &auditor, &id, "approved").await;

    let history = ok_json(
        call(
            &app,
            Method::GET,
            "/api/v1/approvals?status=decided",
            &approver,
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(history["items"][0]["id"], t1["id"]);
    let audit = ok_json(
        call(
            &app,
            Method::GET,
            &format!("/api/v1/invoices/{id}/audit"),
            &auditor,
            None,
        )
        .await,
        200,
    )
    .await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["service"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for want in [
        "approval_requested",
        "approval_task_assigned",
        "approval_approved",
        "approval_completed",
    ] {
        assert!(
            actions.contains(&("approval", want)),
            "{want} missing from {actions:?}"
        );
    }
    let moved = count(&app, "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'invoice_status_changed' \
                              AND after_data->>'status' = 'approved'", &id).await;
    assert_eq!(moved, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_needs_a_reason_and_rejects_the_invoice() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "7400.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    assert_eq!(t["levels"], 1);

    assert_error(
        decide(&app, &approver, &t, "reject", json!({})).await,
        400,
        "Invalid rejection request.",
    )
    .await;
    assert_error(
        decide(&app, &approver, &t, "reject", json!({"reason": "   "})).await,
        400,
        "Invalid rejection request.",
    )
    .await;
    let r = ok_json(
        decide(
            &app,
            &approver,
            &t,
            "reject",
            json!({"reason": "Duplicate of INV-9"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["notes"], "Duplicate of INV-9");
    wait_status(&app, &admin, &id, "rejected").await;
    // A decided task cannot be decided again.
    assert_error(
        decide(&app, &approver, &t, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_assignee_decides_and_never_the_uploader() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, uploader) = app.user_with_token(Role::Approver).await;
    let (_, assignee) = app.user_with_token(Role::Approver).await;
    let (_, bystander) = app.user_with_token(Role::Approver).await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let uploader_id = me(&app, &uploader).await;
    let assignee_id = me(&app, &assignee).await;
    let bystander_id = me(&app, &bystander).await;
    // A single APPROVER level with the bystander busy elsewhere: the assignee gets it.
    matrix_rule(
        &app,
        &admin,
        json!({"name": "all", "levels": [{"user_id": assignee_id}]}),
    )
    .await;
    let id = invoice(&app, &admin, "8000.00", Some(&uploader_id)).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &assignee, &id).await;

    // Someone else's task: 403 for another approver and for an ADMIN; clerks are not deciders.
    assert_eq!(
        decide(&app, &bystander, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        decide(&app, &admin, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        decide(&app, &clerk, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    // The uploader, even as the assignee's delegate, may not approve it.
    ok_json(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{assignee_id}/delegation"),
            &assignee,
            Some(json!({"delegate_id": uploader_id, "ends_at": "2999-01-01"})),
        )
        .await,
        400,
    )
    .await;
    let until = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .to_string();
    ok_json(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{assignee_id}/delegation"),
            &assignee,
            Some(json!({"delegate_id": uploader_id, "ends_at": until})),
        )
        .await,
        200,
    )
    .await;
    assert_error(
        decide(&app, &uploader, &t, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    // Someone may not set another user's delegation.
    assert_eq!(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{assignee_id}/delegation"),
            &bystander,
            Some(json!({"delegate_id": bystander_id, "ends_at": until}))
        )
        .await
        .status(),
        403
    );
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
    ok_json(decide(&app, &assignee, &t, "approve", json!({})).await, 200).await;
    wait_status(&app, &admin, &id, "approved").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_approver_level_refuses_the_same_person_twice() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, a) = app.user_with_token(Role::Approver).await;
    let (_, b) = app.user_with_token(Role::Approver).await;
    let a_id = me(&app, &a).await;
    let b_id = me(&app, &b).await;
    matrix_rule(
        &app,
        &admin,
        json!({"name": "two", "levels": [{"role": "APPROVER", "approvers_required": 2}]}),
    )
    .await;
    let id = invoice(&app, &admin, "9100.00", None).await;
    to_approval(&app, &admin, &id).await;
    let ta = task_of(&app, &a, &id).await;
    let tb = task_of(&app, &b, &id).await;
    assert_ne!(ta["id"], tb["id"]);

    // B lets A act for them; A approves their own slot and then tries B's.
    let until = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    ok_json(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{b_id}/delegation"),
            &b,
            Some(json!({"delegate_id": a_id, "ends_at": until})),
        )
        .await,
        200,
    )
    .await;
    ok_json(decide(&app, &a, &ta, "approve", json!({})).await, 200).await;
    let inbox = ok_json(
        call(&app, Method::GET, "/api/v1/approvals", &a, None).await,
        200,
    )
    .await;
    let delegated = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["id"] == tb["id"])
        .cloned()
        .expect("delegated task visible");
    assert_eq!(delegated["delegated"], true);
    assert_error(
        decide(&app, &a, &tb, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
    ok_json(decide(&app, &b, &tb, "approve", json!({})).await, 200).await;
    wait_status(&app, &admin, &id, "approved").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delegate_acts_while_the_delegation_lasts_and_not_after() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, owner) = app.user_with_token(Role::Approver).await;
    let (_, deputy) = app.user_with_token(Role::Admin).await;
    let owner_id = me(&app, &owner).await;
    let deputy_id = me(&app, &deputy).await;
    matrix_rule(
        &app,
        &admin,
        json!({"name": "all", "levels": [{"user_id": owner_id}]}),
    )
    .await;
    let first = invoice(&app, &admin, "6100.00", None).await;
    let second = invoice(&app, &admin, "6200.00", None).await;
    to_approval(&app, &admin, &first).await;
    let t1 = task_of(&app, &owner, &first).await;

    // Set by an ADMIN for the owner; applies to the task that already exists.
    let until = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let d = ok_json(
        call(
            &app,
            Method::PUT,
            &format!("/api/v1/users/{owner_id}/delegation"),
            &admin,
            Some(json!({"delegate_id": deputy_id, "ends_at": until, "reason": "holiday"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(d["active"], true);
    let got = ok_json(decide(&app, &deputy, &t1, "approve", json!({})).await, 200).await;
    assert_eq!(got["decided_by"]["id"], deputy_id.as_str());
    wait_status(&app, &admin, &first, "approved").await;
    let on_behalf = count(&app, "SELECT count(*) FROM approval.approval_tasks WHERE id = $1::text::uuid AND on_behalf_of IS NOT NULL",
                          t1["id"].as_str().expect("id")).await;
    assert_eq!(on_behalf, 1);

    // Ended: a new task is the owner's alone.
    ok_json(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v1/users/{owner_id}/delegation"),
            &owner,
            None,
        )
        .await,
        200,
    )
    .await;
    to_approval(&app, &admin, &second).await;
    let t2 = task_of(&app, &owner, &second).await;
    assert_eq!(
        decide(&app, &deputy, &t2, "approve", json!({}))
            .await
            .status(),
        403
    );
    let audit = count(&app, "SELECT count(*) FROM approval.audit_log WHERE entity_id = $1 AND action LIKE 'delegation_%'", &owner_id).await;
    assert_eq!(audit, 2);
}

/// The approve and reject links of the newest held mail to `to`, read by its recipient (held
/// mail shows its body, and so its links, to the recipient only).
pub(crate) async fn links(app: &TestApp, recipient: &str, to: &str) -> (String, String) {
    for _ in 0..100 {
        let held = ok_json(
            call(
                app,
                Method::GET,
                "/api/v1/admin/mail-outbox",
                recipient,
                None,
            )
            .await,
            200,
        )
        .await;
        if let Some(m) = held["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["to"] == to)
        {
            let body = m["body_text"].as_str().expect("body");
            let find = |label: &str| {
                body.lines()
                    .find_map(|l| l.strip_prefix(label))
                    .map(|u| u.trim().to_owned())
                    .expect("link")
            };
            return (find("Approve:"), find("Reject:"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no held mail to {to}");
}

/// The gateway path of a link (the mail carries PUBLIC_URL).
pub(crate) fn path_of(link: &str) -> String {
    link[link.find("/api/v1/").expect("api path")..].to_owned()
}

pub(crate) async fn open(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.http.get(app.url(path)).send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("html"))
}

pub(crate) async fn confirm(app: &TestApp, path: &str, text: &str) -> (u16, String) {
    let r = app
        .http
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", "mail-client-test")
        .body(format!("text={text}"))
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("html"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_link_shows_a_page_and_only_its_post_decides_once() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "4321.09", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let (approve, _) = links(&app, &approver, &approver_email).await;
    let approve = path_of(&approve);

    // A link scanner fetches the page twice: nothing changes.
    for _ in 0..2 {
        let (status, html) = open(&app, &approve).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Confirm approval") && html.contains("4321.09"),
            "{html}"
        );
    }
    let task = approval_task(&app, &approver, &t).await;
    assert_eq!(task["status"], "pending");

    let (status, html) = confirm(&app, &approve, "fine").await;
    assert_eq!(status, 200);
    assert!(html.contains("Decision recorded"), "{html}");
    wait_status(&app, &admin, &id, "approved").await;
    let (_, again) = confirm(&app, &approve, "fine").await;
    assert!(again.contains("already been used"), "{again}");
    let (_, page) = open(&app, &approve).await;
    assert!(
        page.contains("already been used") && !page.contains("Confirm approval"),
        "{page}"
    );
    let row = app
        .db
        .client()
        .await
        .query_one("SELECT channel, user_agent, client_ip IS NOT NULL FROM approval.approval_tasks WHERE id = $1::text::uuid",
                   &[&t["id"].as_str().expect("id")])
        .await
        .expect("task row");
    assert_eq!(row.get::<_, String>(0), "email");
    assert_eq!(row.get::<_, String>(1), "mail-client-test");
    assert!(row.get::<_, bool>(2));
    let moved = count(&app, "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'invoice_status_changed' \
                              AND after_data->>'status' = 'approved'", &id).await;
    assert_eq!(moved, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_expired_and_stale_email_links_decide_nothing() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "5500.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let (approve, reject) = links(&app, &approver, &approver_email).await;
    let (approve, reject) = (path_of(&approve), path_of(&reject));

    // Tampered: one character of the signature changed.
    let mut tampered = approve.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (_, html) = confirm(&app, &tampered, "").await;
    assert!(html.contains("This link is not valid."), "{html}");
    let (_, html) = confirm(&app, "/api/v1/approvals/email/not-a-token", "").await;
    assert!(html.contains("This link is not valid."), "{html}");
    // A rejection without a reason is not recorded.
    let (_, html) = confirm(&app, &reject, "").await;
    assert!(html.contains("needs a reason"), "{html}");

    // The invoice's payable amount changed after the mail went out.
    let client = app.db.client().await;
    client
        .execute(
            "UPDATE invoice.invoices SET amount_due = 5400 WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("amount");
    let (_, html) = open(&app, &approve).await;
    assert!(html.contains("amount has changed"), "{html}");
    let (_, html) = confirm(&app, &approve, "").await;
    assert!(html.contains("amount has changed"), "{html}");
    client
        .execute(
            "UPDATE invoice.invoices SET amount_due = 5500 WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("amount");

    // Expired.
    client
        .execute(
            "UPDATE approval.email_tokens SET expires_at = now() - interval '1 minute'",
            &[],
        )
        .await
        .expect("expire");
    let (_, html) = confirm(&app, &approve, "").await;
    assert!(html.contains("expired"), "{html}");

    let task = approval_task(&app, &approver, &t).await;
    assert_eq!(task["status"], "pending");
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
    let used = count(&app, "SELECT count(*) FROM approval.email_tokens WHERE used_at IS NOT NULL AND task_id::text = $1", t["id"].as_str().expect("id")).await;
    assert_eq!(used, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_approvals_record_one_decision_and_move_the_invoice_once() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "2500.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;

    let calls = (0..20).map(|_| decide(&app, &approver, &t, "approve", json!({})));
    let statuses: Vec<u16> = futures::future::join_all(calls)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        19,
        "{statuses:?}"
    );
    wait_status(&app, &admin, &id, "approved").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let decisions = count(&app, "SELECT count(*) FROM approval.approval_tasks WHERE invoice_id::text = $1 AND status = 'approved'", &id).await;
    assert_eq!(decisions, 1);
    let moved = count(&app, "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'invoice_status_changed' \
                              AND after_data->>'status' = 'approved'", &id).await;
    assert_eq!(moved, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_matrix_is_admin_only_validated_and_free_of_overlaps() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v1/approval-matrix",
            &approver,
            None
        )
        .await
        .status(),
        403
    );
    let overlap = json!({"name": "x", "amount_over": "5000", "amount_up_to": "20000", "levels": [{"role": "APPROVER"}]});
    let body = ok_json(
        call(
            &app,
            Method::POST,
            "/api/v1/approval-matrix",
            &admin,
            Some(overlap),
        )
        .await,
        400,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("overlaps"),
        "{body}"
    );
    // The same band for one vendor category is a separate, more specific row.
    let it = json!({"name": "IT", "amount_over": "5000", "amount_up_to": "20000", "vendor_category": "IT",
                    "levels": [{"role": "ADMIN"}]});
    let row = matrix_rule(&app, &admin, it).await;
    for bad in [
        json!({"name": "x", "levels": []}),
        json!({"name": "x", "levels": [{"role": "AUDITOR"}]}),
        json!({"name": "x", "vendor_category": "Z", "levels": [{"role": "APPROVER", "approvers_required": 9}]}),
        json!({"name": "x", "vendor_category": "Z", "amount_over": "10", "amount_up_to": "5", "levels": [{"role": "APPROVER"}]}),
        json!({"name": "x", "vendor_category": "Z", "amount_over": "abc", "levels": [{"role": "APPROVER"}]}),
    ] {
        let r = call(
            &app,
            Method::POST,
            "/api/v1/approval-matrix",
            &admin,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    let list = ok_json(
        call(&app, Method::GET, "/api/v1/approval-matrix", &admin, None).await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 3);
    let path = format!(
        "/api/v1/approval-matrix/{}",
        row["id"].as_str().expect("id")
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, &admin, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        call(&app, Method::GET, &path, &admin, None).await.status(),
        404
    );
    let audited = count(
        &app,
        "SELECT count(*) FROM approval.audit_log WHERE entity_type = $1",
        "approval_matrix",
    )
    .await;
    assert_eq!(audited, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overdue_task_is_reminded_then_escalated_to_an_admin() {
    let app = TestApp::spawn_with(&[("APPROVAL_SLA_INTERVAL_SECS", "1")], None).await;
    let (admin_email, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "3000.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let task_id = t["id"].as_str().expect("id").to_owned();
    let client = app.db.client().await;

    // 80 % of its time has passed: a reminder, once.
    client
        .execute("UPDATE approval.approval_tasks SET assigned_at = now() - interval '40 hours', due_at = now() + interval '8 hours' \
                  WHERE id = $1::text::uuid", &[&task_id])
        .await
        .expect("age");
    let mut reminded = false;
    for _ in 0..100 {
        let n = ok_json(
            call(&app, Method::GET, "/api/v1/notifications", &approver, None).await,
            200,
        )
        .await;
        if n["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["kind"] == "approval_task_reminder")
        {
            reminded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reminded, "no reminder");

    // Past due: escalated to the ADMIN, with a fresh due time.
    client
        .execute("UPDATE approval.approval_tasks SET due_at = now() - interval '1 minute' WHERE id = $1::text::uuid", &[&task_id])
        .await
        .expect("overdue");
    let moved = task_of(&app, &admin, &id).await;
    assert_eq!(moved["id"], task_id.as_str());
    assert_eq!(moved["assignee"]["email"], admin_email.as_str());
    assert!(moved["escalated_at"].is_string(), "{moved}");
    assert_eq!(
        decide(&app, &approver, &moved, "approve", json!({}))
            .await
            .status(),
        403
    );
    let audit = count(
        &app,
        "SELECT count(*) FROM approval.audit_log WHERE entity_id = $1 AND action IN \
                             ('approval_reminder_sent', 'approval_task_escalated')",
        &id,
    )
    .await;
    assert_eq!(audit, 2);
    ok_json(
        decide(&app, &admin, &moved, "approve", json!({})).await,
        200,
    )
    .await;
    wait_status(&app, &admin, &id, "approved").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_mail_enabled_the_assignee_gets_the_links_over_smtp_and_nothing_is_held() {
    let (url, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(
        &[
            ("MAIL_ENABLED", "true"),
            ("SMTP_URL", &url),
            ("MAIL_FROM", "AP <ap@example.com>"),
            ("MAIL_POLL_MS", "50"),
        ],
        None,
    )
    .await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "1234.00", None).await;
    to_approval(&app, &admin, &id).await;
    task_of(&app, &approver, &id).await;
    let mut message = None;
    for _ in 0..200 {
        if let Some(m) = inbox
            .lock()
            .await
            .iter()
            .find(|m| m.contains(&approver_email))
            .cloned()
        {
            message = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = message.expect("a mail reached the SMTP sink");
    assert!(message.contains("From: AP <ap@example.com>"), "{message}");
    assert!(message.contains("/api/v1/approvals/email/"), "{message}");
    let held = ok_json(
        call(&app, Method::GET, "/api/v1/admin/mail-outbox", &admin, None).await,
        200,
    )
    .await;
    assert_eq!(held["items"].as_array().expect("items").len(), 0);
    let sent = count(
        &app,
        "SELECT count(*) FROM approval.mail_outbox WHERE status = $1",
        "sent",
    )
    .await;
    assert_eq!(sent, 1);
    // Mail bodies (with their links) never reach the logs.
    assert!(!app.logs.contents().contains("/api/v1/approvals/email/"));
}

#[tokio::test(flavor = "multi_thread")]
async fn re_matching_an_invoice_withdraws_its_open_tasks() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "2222.00", None).await;
    to_approval(&app, &admin, &id).await;
    let first = task_of(&app, &approver, &id).await;
    to_approval(&app, &admin, &id).await;
    let mut second = None;
    for _ in 0..200 {
        let t = task_of(&app, &approver, &id).await;
        if t["id"] != first["id"] {
            second = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = second.expect("a new round after re-matching");
    let old = approval_task(&app, &approver, &first).await;
    assert_eq!(old["status"], "cancelled", "{old}");
    assert_error(
        decide(&app, &approver, &first, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    ok_json(
        decide(&app, &approver, &second, "approve", json!({})).await,
        200,
    )
    .await;
    wait_status(&app, &admin, &id, "approved").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_reassigns_a_task_but_never_decides_it() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, first) = app.user_with_token(Role::Approver).await;
    let (second_email, second) = app.user_with_token(Role::Approver).await;
    let (_, uploader) = app.user_with_token(Role::Approver).await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let first_id = me(&app, &first).await;
    let second_id = me(&app, &second).await;
    let uploader_id = me(&app, &uploader).await;
    let clerk_id = me(&app, &clerk).await;
    matrix_rule(
        &app,
        &admin,
        json!({"name": "all", "levels": [{"user_id": first_id}]}),
    )
    .await;
    let id = invoice(&app, &admin, "4000.00", Some(&uploader_id)).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &first, &id).await;
    let path = format!(
        "/api/v1/approvals/{}/reassign",
        t["id"].as_str().expect("id")
    );

    // Only an ADMIN reassigns; never to the uploader, a clerk or an unknown user.
    assert_eq!(
        call(
            &app,
            Method::POST,
            &path,
            &first,
            Some(json!({"assignee_id": second_id, "reason": "first is away"}))
        )
        .await
        .status(),
        403
    );
    for bad in [
        uploader_id.clone(),
        clerk_id,
        uuid::Uuid::now_v7().to_string(),
    ] {
        let r = call(
            &app,
            Method::POST,
            &path,
            &admin,
            Some(json!({"assignee_id": bad, "reason": "first is away"})),
        )
        .await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    let moved = ok_json(
        call(
            &app,
            Method::POST,
            &path,
            &admin,
            Some(json!({"assignee_id": second_id, "reason": "first is away"})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["assignee"]["email"], second_email.as_str());
    // The ADMIN who moved it still cannot decide it; the previous assignee no longer can.
    assert_eq!(
        decide(&app, &admin, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        decide(&app, &first, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    let all = ok_json(
        call(
            &app,
            Method::GET,
            "/api/v1/approvals?status=all_open",
            &admin,
            None,
        )
        .await,
        200,
    )
    .await;
    assert!(
        all["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["id"] == t["id"])
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            "/api/v1/approvals?status=all_open",
            &second,
            None
        )
        .await
        .status(),
        403
    );
    ok_json(decide(&app, &second, &t, "approve", json!({})).await, 200).await;
    wait_status(&app, &admin, &id, "approved").await;
    let audited = count(&app, "SELECT count(*) FROM approval.audit_log WHERE entity_id = $1 AND action = 'approval_task_reassigned'", &id).await;
    assert_eq!(audited, 1);
}
