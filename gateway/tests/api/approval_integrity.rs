//! Separation of duties and email-link integrity (issue 14, items 3 and 4), end to end through
//! the gateway against the real auth, invoice, payment and approval services: held mail is for
//! its recipient, an email decision holds only for an active assignee, nobody who uploaded or
//! corrected an invoice approves it, one person approves one level, a reassignment needs a
//! reason and never hands a task to a barred person, an open blocking exception makes approval
//! impossible, and approval tokens never reach the logs or audit rows.

use std::time::Duration;

use ap_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::approvals::{
    confirm, demo_matrix, invoice, links, me, open, path_of, status_of, task_of, to_approval,
    wait_status,
};
use crate::fixtures::{approval_task, count, decide, matrix_rule, set_user_active};
use crate::helpers::{TestApp, assert_error, call, ok_json};

const OUTBOX: &str = "/api/v1/admin/mail-outbox";

async fn outbox(app: &TestApp, token: &str) -> Value {
    ok_json(call(app, Method::GET, OUTBOX, token, None).await, 200).await
}

/// The token of a link (what follows `/approvals/email/`).
fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("token").to_owned()
}

/// A matrix of one row, `levels` as given.
async fn matrix(app: &TestApp, admin: &str, levels: Value) {
    matrix_rule(app, admin, json!({"name": "all", "levels": levels})).await;
}

async fn reassign(app: &TestApp, admin: &str, task: &Value, body: Value) -> reqwest::Response {
    decide(app, admin, task, "reassign", body).await
}

async fn correct(app: &TestApp, token: &str, id: &str, body: Value) {
    ok_json(
        call(
            app,
            Method::PATCH,
            &format!("/api/v1/invoices/{id}"),
            token,
            Some(body),
        )
        .await,
        200,
    )
    .await;
}

/// The task's row as the approval service holds it: (assignee id, status).
async fn task_row(app: &TestApp, task: &Value) -> (Option<String>, String) {
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT assignee_id::text, status FROM approval.approval_tasks WHERE id = $1::text::uuid",
            &[&task["id"].as_str().expect("id")],
        )
        .await
        .expect("task row");
    (row.get(0), row.get(1))
}

/// Forces a task onto `user` behind the service's back (as a legacy row, or a bug elsewhere,
/// could): the decision-time checks must hold on their own.
async fn force_assignee(app: &TestApp, task: &Value, user: &str) {
    app.db
        .client()
        .await
        .execute(
            "UPDATE approval.approval_tasks SET assignee_id = $2::text::uuid, \
               assignee_email = (SELECT email FROM auth.users WHERE id = $2::text::uuid) \
             WHERE id = $1::text::uuid",
            &[&task["id"].as_str().expect("id"), &user],
        )
        .await
        .expect("force assignee");
}

/// An invoice corrected by each of `correctors` in turn (before it is read, so no round starts
/// in between), then matched into approval.
async fn corrected_invoice(app: &TestApp, admin: &str, total: &str, correctors: &[&str]) -> String {
    let id = invoice(app, admin, total, None).await;
    let client = app.db.client().await;
    client
        .execute(
            "UPDATE invoice.invoices SET status = 'received' WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("received");
    for (i, who) in correctors.iter().enumerate() {
        correct(
            app,
            who,
            &id,
            json!({"payment_terms": format!("Net {}", 30 + i)}),
        )
        .await;
    }
    client
        .execute(
            "UPDATE invoice.invoices SET status = 'extracted' WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("extracted");
    to_approval(app, admin, &id).await;
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_cannot_decide_through_someone_elses_email_link() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    let admin_id = me(&app, &admin).await;
    demo_matrix(&app, &admin).await;
    // The ADMIN uploaded the invoice: separation of duties bars them from approving it.
    let id = invoice(&app, &admin, "4200.00", Some(&admin_id)).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let (approve, reject) = links(&app, &approver, &approver_email).await;

    // The held mail outbox shows the ADMIN that a mail went to the approver — and nothing of
    // its body: no link, no token.
    let seen = outbox(&app, &admin).await;
    let items = seen["items"].as_array().expect("items");
    let theirs = items
        .iter()
        .find(|m| m["to"] == approver_email.as_str())
        .expect("the approver's mail is listed as metadata");
    assert_eq!(theirs["own"], false, "{theirs}");
    assert_eq!(theirs["status"], "held", "{theirs}");
    assert!(theirs["subject"].is_string() && theirs["created_at"].is_string());
    assert!(theirs.get("body_text").is_none(), "{theirs}");
    let text = seen.to_string();
    assert!(!text.contains("/approvals/email/"), "{text}");
    assert!(!text.contains(&token_of(&approve)) && !text.contains(&token_of(&reject)));

    // Nor can the ADMIN take the task: reassigning it to themself is refused, changing nothing.
    let r = reassign(
        &app,
        &admin,
        &t,
        json!({"assignee_id": admin_id, "reason": "I will do it"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        task_row(&app, &t).await,
        (Some(me(&app, &approver).await), "pending".to_owned())
    );
    assert_eq!(
        decide(&app, &admin, &t, "approve", json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");

    // The link works for the person it was sent to, recorded as their decision.
    let (_, html) = confirm(&app, &path_of(&approve), "ok").await;
    assert!(html.contains("Decision recorded"), "{html}");
    wait_status(&app, &admin, &id, "approved").await;
    let task = approval_task(&app, &approver, &t).await;
    assert_eq!(task["decided_by"]["email"], approver_email.as_str());
    assert_eq!(task["channel"], "email");
}

#[tokio::test(flavor = "multi_thread")]
async fn held_mail_shows_each_user_only_their_own_links() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (a_email, a) = app.user_with_token(Role::Approver).await;
    let (b_email, b) = app.user_with_token(Role::Approver).await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    matrix(
        &app,
        &admin,
        json!([{"role": "APPROVER", "approvers_required": 2}]),
    )
    .await;
    let id = invoice(&app, &admin, "3100.00", None).await;
    to_approval(&app, &admin, &id).await;
    task_of(&app, &a, &id).await;
    task_of(&app, &b, &id).await;
    let (a_link, _) = links(&app, &a, &a_email).await;
    let (b_link, _) = links(&app, &b, &b_email).await;

    // Each approver sees their own mail, in full, and nothing of the other's.
    for (token, email, own_link, other_link) in [
        (&a, &a_email, &a_link, &b_link),
        (&b, &b_email, &b_link, &a_link),
    ] {
        let seen = outbox(&app, token).await;
        let items = seen["items"].as_array().expect("items");
        assert!(!items.is_empty());
        for m in items {
            assert_eq!(m["to"], email.as_str(), "{m}");
            assert_eq!(m["own"], true, "{m}");
        }
        let text = seen.to_string();
        assert!(text.contains(&token_of(own_link)));
        assert!(!text.contains(&token_of(other_link)), "{text}");
        assert!(
            !text.contains(other_email(email, &a_email, &b_email)),
            "{text}"
        );
    }
    // Someone who got no mail sees none (and may look: every staff user reads their own).
    let seen = outbox(&app, &clerk).await;
    assert_eq!(seen["items"].as_array().expect("items").len(), 0, "{seen}");
    // The ADMIN sees both as metadata, never a body.
    let seen = outbox(&app, &admin).await;
    let items = seen["items"].as_array().expect("items");
    for email in [&a_email, &b_email] {
        let m = items
            .iter()
            .find(|m| m["to"] == email.as_str())
            .expect("listed");
        assert_eq!(m["own"], false);
        assert!(m.get("body_text").is_none(), "{m}");
    }
    assert!(!seen.to_string().contains("/approvals/email/"));
    // Without a token: 401.
    let r = app.http.get(app.url(OUTBOX)).send().await.expect("get");
    assert_eq!(r.status(), 401);
}

fn other_email<'a>(me: &str, a: &'a str, b: &'a str) -> &'a str {
    if me == a { b } else { a }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_decision_by_a_deactivated_assignee_is_refused() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    let approver_id = me(&app, &approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "2750.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let (approve, _) = links(&app, &approver, &approver_email).await;
    let approve = path_of(&approve);

    // The assignee leaves: deactivated after the mail went out.
    set_user_active(&app, &admin, &approver_id, false).await;
    let (status, html) = confirm(&app, &approve, "ok").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("can no longer decide") && html.contains("Nothing was decided"),
        "{html}"
    );
    assert_eq!(task_row(&app, &t).await.1, "pending");
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
    let used = count(
        &app,
        "SELECT count(*) FROM approval.email_tokens WHERE used_at IS NOT NULL AND task_id::text = $1",
        t["id"].as_str().expect("id"),
    )
    .await;
    assert_eq!(used, 0);
    // Reactivated, the same link decides (it was refused, not spent).
    set_user_active(&app, &admin, &approver_id, true).await;
    let (_, html) = confirm(&app, &approve, "ok").await;
    assert!(html.contains("Decision recorded"), "{html}");
    wait_status(&app, &admin, &id, "approved").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn any_corrector_not_only_the_last_cannot_approve() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, first_corrector) = app.user_with_token(Role::Admin).await;
    let (_, last_corrector) = app.user_with_token(Role::ApAnalyst).await;
    let admin_id = me(&app, &admin).await;
    let first_id = me(&app, &first_corrector).await;
    // The matrix names the first corrector as the approver.
    matrix(&app, &admin, json!([{"user_id": first_id}])).await;
    let id = corrected_invoice(
        &app,
        &admin,
        "5100.00",
        &[&first_corrector, &last_corrector],
    )
    .await;

    // Not assigned to them (only the last corrector is on the event): the escalation role's
    // other ADMIN gets it.
    let t = task_of(&app, &admin, &id).await;
    assert_eq!(t["assignee"]["id"], admin_id.as_str(), "{t}");
    let barred: bool = app
        .db
        .client()
        .await
        .query_one(
            "SELECT $2::text::uuid = ANY(barred_users) FROM approval.approval_requests \
             WHERE invoice_id::text = $1 AND status = 'open'",
            &[&id, &first_id],
        )
        .await
        .expect("round")
        .get(0);
    assert!(barred, "every corrector is barred on the round");
    // Not reassignable to them.
    let r = reassign(
        &app,
        &admin,
        &t,
        json!({"assignee_id": first_id, "reason": "they know the vendor"}),
    )
    .await;
    let body = ok_json(r, 400).await.to_string();
    assert!(body.contains("separation of duties"), "{body}");
    // And were the task theirs anyway, their approval is refused at decision time.
    force_assignee(&app, &t, &first_id).await;
    assert_error(
        decide(&app, &first_corrector, &t, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    assert_eq!(task_row(&app, &t).await.1, "pending");
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_person_cannot_approve_two_levels_of_one_invoice() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    let approver_id = me(&app, &approver).await;
    let admin_id = me(&app, &admin).await;
    // Two levels of the same role, and one APPROVER in the company.
    matrix(
        &app,
        &admin,
        json!([{"role": "APPROVER"}, {"role": "APPROVER"}]),
    )
    .await;
    let id = invoice(&app, &admin, "7300.00", None).await;
    to_approval(&app, &admin, &id).await;
    let first = task_of(&app, &approver, &id).await;
    assert_eq!(first["level"], 1);
    ok_json(
        decide(&app, &approver, &first, "approve", json!({})).await,
        200,
    )
    .await;

    // Level 2 does not go back to the level-1 approver: the escalation role takes it.
    let second = task_of(&app, &admin, &id).await;
    assert_eq!(second["level"], 2, "{second}");
    assert_eq!(second["assignee"]["id"], admin_id.as_str());
    let r = reassign(
        &app,
        &admin,
        &second,
        json!({"assignee_id": approver_id, "reason": "back to the approver"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    // Forced onto them anyway, the second approval is refused.
    force_assignee(&app, &second, &approver_id).await;
    assert_error(
        decide(&app, &approver, &second, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");
    force_assignee(&app, &second, &admin_id).await;
    ok_json(
        decide(&app, &admin, &second, "approve", json!({})).await,
        200,
    )
    .await;
    wait_status(&app, &admin, &id, "approved").await;
    let deciders = count(
        &app,
        "SELECT count(DISTINCT decided_by) FROM approval.approval_tasks WHERE invoice_id::text = $1 AND status = 'approved'",
        &id,
    )
    .await;
    assert_eq!(deciders, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn reassigning_needs_a_reason_and_cannot_hand_a_task_to_a_barred_person() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, approver) = app.user_with_token(Role::Approver).await;
    let (other_email, other) = app.user_with_token(Role::Approver).await;
    let admin_id = me(&app, &admin).await;
    let approver_id = me(&app, &approver).await;
    let other_id = me(&app, &other).await;
    matrix(&app, &admin, json!([{"user_id": approver_id}])).await;
    // As reported: the ADMIN corrected the invoice.
    let id = corrected_invoice(&app, &admin, "6400.00", &[&admin]).await;
    let t = task_of(&app, &approver, &id).await;
    let reassigned = "SELECT count(*) FROM approval.audit_log WHERE entity_id = $1 AND action = 'approval_task_reassigned'";

    // No reason (missing, empty or blank): 400, nothing changes.
    for body in [
        json!({"assignee_id": other_id}),
        json!({"assignee_id": other_id, "reason": ""}),
        json!({"assignee_id": other_id, "reason": "   "}),
    ] {
        let r = reassign(&app, &admin, &t, body.clone()).await;
        let err = ok_json(r, 400).await.to_string();
        assert!(err.contains("reason"), "{body}: {err}");
    }
    // To themself, the corrector: 400 with a clear message, even with a reason.
    let r = reassign(
        &app,
        &admin,
        &t,
        json!({"assignee_id": admin_id, "reason": "I will take it"}),
    )
    .await;
    let err = ok_json(r, 400).await.to_string();
    assert!(
        err.contains("corrected this invoice") && err.contains("separation of duties"),
        "{err}"
    );
    assert_eq!(
        task_row(&app, &t).await,
        (Some(approver_id.clone()), "pending".to_owned())
    );
    assert_eq!(count(&app, reassigned, &id).await, 0);
    assert_eq!(
        decide(&app, &admin, &t, "approve", json!({}))
            .await
            .status(),
        403
    );

    // With a reason, to someone who may decide: moved, and the reason audited.
    let moved = ok_json(
        reassign(
            &app,
            &admin,
            &t,
            json!({"assignee_id": other_id, "reason": "  approver is on leave  "}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["assignee"]["email"], other_email.as_str());
    let reason: String = app
        .db
        .client()
        .await
        .query_one(
            "SELECT after_data->>'reason' FROM approval.audit_log WHERE entity_id = $1 AND action = 'approval_task_reassigned'",
            &[&id],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(reason, "approver is on leave");
    ok_json(decide(&app, &other, &t, "approve", json!({})).await, 200).await;
    wait_status(&app, &admin, &id, "approved").await;
}

/// An open blocking exception on the invoice (a vendor dispute, as the portal raises one).
async fn dispute(app: &TestApp, id: &str) {
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.exceptions (id, invoice_id, code, severity, status, message, source, finding_key) \
             VALUES (gen_random_uuid(), $1::text::uuid, 'VENDOR_DISPUTE', 'medium', 'open', 'The vendor disputes this invoice', \
                     'portal', 'VENDOR_DISPUTE')",
            &[&id],
        )
        .await
        .expect("exception");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_with_an_open_blocking_exception_cannot_be_approved() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "1900.00", None).await;
    to_approval(&app, &admin, &id).await;
    let t = task_of(&app, &approver, &id).await;
    let (approve, _) = links(&app, &approver, &approver_email).await;
    let approve = path_of(&approve);
    dispute(&app, &id).await;

    // In the app, and by email (page and POST): refused, nothing decided.
    assert_error(
        decide(&app, &approver, &t, "approve", json!({})).await,
        400,
        "Invalid approval request.",
    )
    .await;
    let (_, page) = open(&app, &approve).await;
    assert!(page.contains("blocks approval"), "{page}");
    let (_, html) = confirm(&app, &approve, "ok").await;
    assert!(html.contains("blocks approval"), "{html}");
    assert_eq!(task_row(&app, &t).await.1, "pending");
    assert_eq!(status_of(&app, &admin, &id).await, "pending_approval");

    // A decision that reached the invoice service anyway (taken before the exception opened,
    // delivered after) is not applied: re-checked in the transaction that would apply it.
    let run: i32 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT match_run FROM approval.approval_requests WHERE invoice_id::text = $1 AND status = 'open'",
            &[&id],
        )
        .await
        .expect("round")
        .get(0);
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO approval.outbox (id, destination, event_type, payload) VALUES (gen_random_uuid(), 'invoice', \
               'approval.decided', jsonb_build_object('invoice_id', $1::text, 'match_run', $2::int, 'decision', 'approved', \
               'reason', '', 'decided_by', jsonb_build_object('email', 'someone@example.com')))",
            &[&id, &run],
        )
        .await
        .expect("event");
    wait_status(&app, &admin, &id, "exception").await;
    let ignored = count(
        &app,
        "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'approval_decision_ignored' \
           AND after_data->>'reason' = 'an open blocking exception'",
        &id,
    )
    .await;
    assert_eq!(ignored, 1);
    let approved = count(
        &app,
        "SELECT count(*) FROM invoice.audit_log WHERE entity_id = $1 AND action = 'invoice_status_changed' \
           AND after_data->>'status' = 'approved'",
        &id,
    )
    .await;
    assert_eq!(approved, 0);
    // The round in flight is withdrawn: its task can no longer be decided.
    for _ in 0..100 {
        if task_row(&app, &t).await.1 == "cancelled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(task_row(&app, &t).await.1, "cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_tokens_never_reach_the_logs() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (approver_email, approver) = app.user_with_token(Role::Approver).await;
    demo_matrix(&app, &admin).await;
    let id = invoice(&app, &admin, "880.00", None).await;
    to_approval(&app, &admin, &id).await;
    task_of(&app, &approver, &id).await;
    let (approve, reject) = links(&app, &approver, &approver_email).await;
    let (approve_token, reject_token) = (token_of(&approve), token_of(&reject));

    // Every path a token takes: the page, a refused POST (reject without a reason), a tampered
    // copy, a query string, the deciding POST and a reuse.
    let (approve, reject) = (path_of(&approve), path_of(&reject));
    open(&app, &approve).await;
    confirm(&app, &reject, "").await;
    confirm(&app, &format!("{approve}x"), "").await;
    open(&app, &format!("{reject}?utm={reject_token}")).await;
    let (_, html) = confirm(&app, &approve, "fine").await;
    assert!(html.contains("Decision recorded"), "{html}");
    confirm(&app, &approve, "again").await;
    wait_status(&app, &admin, &id, "approved").await;

    let logs = app.logs.contents();
    assert!(
        logs.contains("request served"),
        "the access log was captured"
    );
    for token in [&approve_token, &reject_token] {
        assert!(!logs.contains(token.as_str()), "a token reached the logs");
        // Nor any audit row, in any service.
        for table in ["approval.audit_log", "invoice.audit_log"] {
            let n = count(
                &app,
                &format!(
                    "SELECT count(*) FROM {table} WHERE coalesce(before_data::text, '') || coalesce(after_data::text, '') \
                       LIKE '%' || $1 || '%'"
                ),
                token,
            )
            .await;
            assert_eq!(n, 0, "a token reached {table}");
        }
    }
    assert!(!logs.contains("/approvals/email/ey"), "no link in the logs");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_link_token_is_taken_out_of_the_uri_before_sentry_sees_it() {
    // A probe under the standard layers reports the URI the layers inside the redaction (Sentry's
    // request URL and transaction, the handler) see, and the path parameter routing captured.
    let probe = axum::Router::new().route(
        "/api/v1/approvals/email/{token}/probe",
        axum::routing::get(
            |axum::extract::Path(token): axum::extract::Path<String>, uri: axum::http::Uri| async move {
                axum::Json(json!({"token": token, "uri": uri.to_string()}))
            },
        ),
    );
    let app = TestApp::spawn_with(&[], Some(probe)).await;
    let token = "eyJ0b2tlbl9pZCI6InNlY3JldCJ9.c2lnbmF0dXJl";
    let seen: Value = app
        .http
        .get(app.url(&format!("/api/v1/approvals/email/{token}/probe?x=1")))
        .send()
        .await
        .expect("probe")
        .json()
        .await
        .expect("json");
    assert_eq!(seen["token"], token, "the handler still gets the token");
    assert_eq!(
        seen["uri"], "/api/v1/approvals/email/REDACTED/probe?x=1",
        "{seen}"
    );
}
