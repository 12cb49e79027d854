//! The vendor portal end to end: invitations, the portal token as a credential for
//! `/portal/*` only (revocation, expiry, re-invite), vendor isolation, disputes blocking
//! payment, vendor uploads, and conversations (internal notes, unread counts, vendor mail).

use std::time::Duration;

use ap_types::Role;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::fixtures::portal_invite;
use crate::helpers::{TestApp, assert_error, call, ok_json, smtp_sink};

/// A vendor (no PO needed), optionally with an email address; its id.
async fn vendor(app: &TestApp, admin: &str, email: Option<&str>) -> String {
    let mut body = json!({"name": format!("Vendor {}", uuid::Uuid::new_v4().simple()),
                          "currency": "USD", "po_required": false});
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    let v = ok_json(
        call(app, Method::POST, "/api/v1/vendors", admin, Some(body)).await,
        201,
    )
    .await;
    v["id"].as_str().expect("vendor id").to_owned()
}

/// An invoice of `vendor` in `status`, written straight into the invoice schema.
async fn invoice(app: &TestApp, vendor: &str, status: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let number = format!("INV-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.db
        .client()
        .await
        .execute(
            "INSERT INTO invoice.invoices (id, status, source, vendor_id, vendor_name, invoice_number, \
               invoice_number_normalized, invoice_date, due_date, currency, subtotal, total_amount, amount_due, fields, \
               vendor_name_raw) \
             VALUES ($1::text::uuid, $2, 'upload', $3::text::uuid, 'Vendor', $4, $4, current_date, \
               current_date + 30, 'USD', 100, 100, 100, '{}', 'RAW NAME INTERNAL')",
            &[&id, &status, &vendor, &number],
        )
        .await
        .expect("invoice");
    id
}

async fn invite(app: &TestApp, admin: &str, vendor: &str) -> String {
    let i = portal_invite(app, admin, vendor).await;
    assert_eq!(i["vendor_id"], vendor);
    let token = i["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("apv_"), "{token}");
    assert!(
        i["invite_url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/portal#token={token}"))
    );
    assert!(i["expires_at"].is_string());
    token
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    call(app, Method::GET, path, token, None).await
}

/// The cache bound set to zero: every portal request is verified by the auth service.
async fn spawn_uncached() -> TestApp {
    TestApp::spawn_with(&[("PORTAL_VERIFY_CACHE_SECS", "0")], None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_sees_only_its_own_invoices_and_another_vendors_invoice_is_not_found() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (a, b) = (
        vendor(&app, &admin, None).await,
        vendor(&app, &admin, None).await,
    );
    let a1 = invoice(&app, &a, "pending_approval").await;
    let a2 = invoice(&app, &a, "scheduled").await;
    let b1 = invoice(&app, &b, "approved").await;
    let token = invite(&app, &admin, &a).await;

    let page = ok_json(get(&app, &token, "/api/v1/portal/invoices").await, 200).await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, vec![a2.as_str(), a1.as_str()], "{page}");
    assert_eq!(page["items"][0]["status"], "scheduled for payment");
    assert_eq!(page["items"][1]["status"], "in review");

    let missing = assert_error(
        get(
            &app,
            &token,
            &format!("/api/v1/portal/invoices/{}", uuid::Uuid::now_v7()),
        )
        .await,
        404,
        "Invoice not found.",
    )
    .await;
    let other = assert_error(
        get(&app, &token, &format!("/api/v1/portal/invoices/{b1}")).await,
        404,
        "Invoice not found.",
    )
    .await;
    assert_eq!(missing["code"], other["code"]);
    for path in ["messages"] {
        assert_error(
            get(
                &app,
                &token,
                &format!("/api/v1/portal/invoices/{b1}/{path}"),
            )
            .await,
            404,
            "Invoice not found.",
        )
        .await;
    }

    // The detail shows vendor words and payment facts, and nothing internal.
    let detail = ok_json(
        get(&app, &token, &format!("/api/v1/portal/invoices/{a1}")).await,
        200,
    )
    .await;
    assert_eq!(detail["status"], "in review");
    assert_eq!(detail["total_amount"], "100.00");
    assert_eq!(detail["expected_payment_date"], detail["due_date"]);
    for internal in [
        "exceptions",
        "fields",
        "vendor_name_raw",
        "uploaded_by",
        "source",
        "match",
        "approval_tasks",
        "bank_account",
        "failure_reason",
        "touchless",
        "vendor",
    ] {
        assert!(
            detail.get(internal).is_none(),
            "{internal} leaked: {detail}"
        );
    }
    assert!(!detail.to_string().contains("RAW NAME INTERNAL"));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_an_admin_may_invite_or_revoke_and_only_existing_vendors_are_invited() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let v = vendor(&app, &admin, None).await;
    let body = Some(json!({"vendor_id": v}));
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v1/portal/auth/invite",
            &analyst,
            body.clone()
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v1/portal/auth/invite/{v}"),
            &analyst,
            None
        )
        .await
        .status(),
        403
    );
    assert_error(
        call(
            &app,
            Method::POST,
            "/api/v1/portal/auth/invite",
            &admin,
            Some(json!({"vendor_id": uuid::Uuid::now_v7().to_string()})),
        )
        .await,
        404,
        "Vendor not found.",
    )
    .await;
    invite(&app, &admin, &v).await;
    // Audited in the auth schema; the token itself is stored only as a hash.
    assert!(
        app.audit_actions()
            .await
            .contains(&"portal_invite_created".to_owned())
    );
    let stored: i64 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM auth.portal_invites WHERE vendor_id = $1::text::uuid \
             AND length(token_hash) = 64 AND token_hash !~ '^apv_'",
            &[&v],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(stored, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_tokens_are_refused_on_staff_routes_and_staff_tokens_on_portal_routes() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &admin, None).await;
    let token = invite(&app, &admin, &v).await;
    for path in [
        "/api/v1/invoices",
        "/api/v1/vendors",
        "/api/v1/auth/me",
        "/api/v1/exceptions",
    ] {
        assert_error(get(&app, &token, path).await, 401, "Not authenticated.").await;
    }
    for path in ["/api/v1/portal/invoices", "/api/v1/portal/auth/invite/x"] {
        let r = get(&app, &admin, path).await;
        assert!(
            r.status() == 401 || r.status() == 405,
            "{path}: {}",
            r.status()
        );
    }
    assert_error(
        get(&app, &admin, "/api/v1/portal/invoices").await,
        401,
        "Not authenticated.",
    )
    .await;
    // A portal token cannot invite either (staff route).
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v1/portal/auth/invite",
            &token,
            Some(json!({"vendor_id": v}))
        )
        .await
        .status(),
        401
    );
    let anonymous = app
        .http
        .get(app.url("/api/v1/portal/invoices"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
    assert_error(
        get(&app, "apv_not-a-real-token", "/api/v1/portal/invoices").await,
        401,
        "Not authenticated.",
    )
    .await;
    // Tokens never reach the logs.
    assert!(!app.logs.contents().contains(&token));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_token_is_refused_once_the_verification_cache_bound_has_passed() {
    let app = TestApp::spawn_with(&[("PORTAL_VERIFY_CACHE_SECS", "1")], None).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &admin, None).await;
    let token = invite(&app, &admin, &v).await;
    ok_json(get(&app, &token, "/api/v1/portal/invoices").await, 200).await;
    let r = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/portal/auth/invite/{v}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_error(
        get(&app, &token, "/api/v1/portal/invoices").await,
        401,
        "Not authenticated.",
    )
    .await;
    assert!(
        app.audit_actions()
            .await
            .contains(&"portal_invite_revoked".to_owned())
    );
    // Revoking again changes nothing and still answers 204.
    let r = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/portal/auth/invite/{v}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refused() {
    let app = spawn_uncached().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &admin, None).await;
    let token = invite(&app, &admin, &v).await;
    ok_json(get(&app, &token, "/api/v1/portal/invoices").await, 200).await;
    app.db
        .client()
        .await
        .execute(
            "UPDATE auth.portal_invites SET expires_at = now() - interval '1 minute'",
            &[],
        )
        .await
        .expect("expire");
    assert_error(
        get(&app, &token, "/api/v1/portal/invoices").await,
        401,
        "Not authenticated.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn re_inviting_a_vendor_invalidates_its_old_token() {
    let app = spawn_uncached().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &admin, None).await;
    let old = invite(&app, &admin, &v).await;
    ok_json(get(&app, &old, "/api/v1/portal/invoices").await, 200).await;
    let new = invite(&app, &admin, &v).await;
    assert_ne!(old, new);
    assert_error(
        get(&app, &old, "/api/v1/portal/invoices").await,
        401,
        "Not authenticated.",
    )
    .await;
    ok_json(get(&app, &new, "/api/v1/portal/invoices").await, 200).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn internal_notes_never_reach_the_vendor_and_vendor_messages_are_unread_until_opened() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let v = vendor(&app, &admin, None).await;
    let id = invoice(&app, &v, "pending_approval").await;
    let token = invite(&app, &admin, &v).await;
    let staff_path = format!("/api/v1/invoices/{id}/messages");
    let portal_path = format!("/api/v1/portal/invoices/{id}/messages");

    let note = "INTERNAL: vendor is on the watch list";
    ok_json(
        call(
            &app,
            Method::POST,
            &staff_path,
            &analyst,
            Some(json!({"body": note, "internal": true})),
        )
        .await,
        201,
    )
    .await;
    let facing = ok_json(
        call(
            &app,
            Method::POST,
            &staff_path,
            &analyst,
            Some(json!({"body": "Please send the PO number."})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(facing["internal"], false);
    assert_eq!(facing["direction"], "outbound");
    // Clerks read but do not message vendors.
    assert_eq!(
        call(
            &app,
            Method::POST,
            &staff_path,
            &clerk,
            Some(json!({"body": "hi"}))
        )
        .await
        .status(),
        403
    );

    let seen = ok_json(get(&app, &token, &portal_path).await, 200).await;
    let items = seen["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{seen}");
    assert_eq!(items[0]["body"], "Please send the PO number.");
    assert!(!seen.to_string().contains("INTERNAL"));
    assert!(
        !seen.to_string().contains("@example.com"),
        "staff address shown: {seen}"
    );

    let reply = ok_json(
        call(
            &app,
            Method::POST,
            &portal_path,
            &token,
            Some(json!({"body": "PO-2026-0042"})),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(reply["direction"], "inbound");

    let unread = |page: &Value| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id.as_str())
            .map(|i| i["unread_messages"].clone())
    };
    let list = ok_json(get(&app, &clerk, "/api/v1/invoices").await, 200).await;
    assert_eq!(unread(&list), Some(json!(1)), "{list}");
    let all = ok_json(get(&app, &clerk, &staff_path).await, 200).await;
    assert_eq!(all["items"].as_array().expect("items").len(), 3);
    let list = ok_json(get(&app, &clerk, "/api/v1/invoices").await, 200).await;
    assert_eq!(unread(&list), Some(json!(0)), "{list}");
    // Message bodies never reach the logs.
    assert!(!app.logs.contents().contains("watch list"));
    assert!(!app.logs.contents().contains("PO-2026-0042"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dispute_raises_a_vendor_dispute_exception_and_blocks_payment() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let v = vendor(&app, &admin, None).await;
    let id = invoice(&app, &v, "approved").await;
    let token = invite(&app, &admin, &v).await;
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/portal/invoices/{id}/dispute"),
            &token,
            Some(json!({"reason": " "}))
        )
        .await
        .status(),
        400
    );
    let d = ok_json(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/portal/invoices/{id}/dispute"),
            &token,
            Some(
                json!({"reason": "Wrong unit price", "description": "We agreed 74.00 per plate."}),
            ),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(d["status"], "open");
    assert_eq!(d["invoice_id"], id.as_str());

    let ex = ok_json(
        get(&app, &admin, &format!("/api/v1/exceptions?invoice_id={id}")).await,
        200,
    )
    .await;
    assert!(
        ex["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["code"] == "VENDOR_DISPUTE"),
        "{ex}"
    );
    let detail = ok_json(
        get(&app, &token, &format!("/api/v1/portal/invoices/{id}")).await,
        200,
    )
    .await;
    assert_eq!(detail["disputed"], true);
    let paid = call(
        &app,
        Method::POST,
        &format!("/api/v1/invoices/{id}/payment"),
        &admin,
        Some(json!({"payment_method": "ACH"})),
    )
    .await;
    let body = ok_json(paid, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("blocking exception"),
        "{body}"
    );
    let audited: i64 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM invoice.audit_log WHERE action = 'invoice_disputed' AND entity_id = $1",
            &[&id],
        )
        .await
        .expect("audit")
        .get(0);
    assert_eq!(audited, 1);
}

fn pdf_bytes(tag: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_upload_lands_on_the_tokens_vendor_even_with_a_spoofed_vendor_id() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let (a, b) = (
        vendor(&app, &admin, None).await,
        vendor(&app, &admin, None).await,
    );
    let token = invite(&app, &admin, &a).await;
    let form = Form::new()
        .text("vendor_id", b.clone())
        .part(
            "file",
            Part::bytes(pdf_bytes("portal upload"))
                .file_name("inv.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        )
        .text("vendor_id", b.clone());
    let r = app
        .http
        .post(app.url("/api/v1/portal/invoices/upload"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let created = ok_json(r, 201).await;
    assert_eq!(created["status"], "received");
    let id = created["id"].as_str().expect("id").to_owned();
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT vendor_id::text, source, uploaded_by IS NULL FROM invoice.invoices WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, String>(0), a);
    assert_eq!(row.get::<_, String>(1), "portal");
    assert!(row.get::<_, bool>(2));
    let mine = ok_json(get(&app, &token, "/api/v1/portal/invoices").await, 200).await;
    assert_eq!(mine["items"][0]["id"], id.as_str());
    // The same type checks as staff uploads.
    let bad = Form::new().part(
        "file",
        Part::bytes(b"just text".to_vec())
            .file_name("x.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let r = app
        .http
        .post(app.url("/api/v1/portal/invoices/upload"))
        .bearer_auth(&token)
        .multipart(bad)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 415);
    // A staff token cannot use the portal upload.
    let r = app
        .http
        .post(app.url("/api/v1/portal/invoices/upload"))
        .bearer_auth(&admin)
        .multipart(Form::new().part("file", Part::bytes(pdf_bytes("x")).file_name("x.pdf")))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_facing_message_is_mailed_to_the_vendor_and_an_internal_note_is_not() {
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
    let (_, analyst) = app.user_with_token(Role::ApAnalyst).await;
    let email = format!("billing-{}@vendor.example", uuid::Uuid::new_v4().simple());
    let v = vendor(&app, &admin, Some(&email)).await;
    let id = invoice(&app, &v, "pending_approval").await;
    let path = format!("/api/v1/invoices/{id}/messages");
    ok_json(
        call(
            &app,
            Method::POST,
            &path,
            &analyst,
            Some(json!({"body": "note-for-staff-only", "internal": true})),
        )
        .await,
        201,
    )
    .await;
    ok_json(
        call(
            &app,
            Method::POST,
            &path,
            &analyst,
            Some(json!({"body": "Your credit note arrived."})),
        )
        .await,
        201,
    )
    .await;
    let mut message = None;
    for _ in 0..200 {
        if let Some(m) = inbox
            .lock()
            .await
            .iter()
            .find(|m| m.contains(&email))
            .cloned()
        {
            message = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = message.expect("a mail to the vendor reached the SMTP sink");
    assert!(message.contains("Your credit note arrived."), "{message}");
    // Quoted-printable: soft line breaks are `=` at the end of a line.
    let unwrapped = message.replace("=\n", "");
    assert!(unwrapped.contains("/portal"), "{message}");
    assert!(!unwrapped.contains("apv_"), "{message}");
    // Give a second (wrong) mail the time to arrive, then check there was only one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = inbox.lock().await.clone();
    assert!(all.iter().all(|m| !m.contains("note-for-staff-only")));
    let to_vendor: i64 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM approval.mail_outbox WHERE to_address = $1",
            &[&email],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(to_vendor, 1);
    assert!(!app.logs.contents().contains("Your credit note arrived."));
}
