//! `/admin/users`: ADMIN only, validated, audited, soft delete.

use ap_types::Role;
use serde_json::json;

use crate::helpers::{TestApp, assert_error};

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_route_refuses_every_other_role_with_403() {
    let app = TestApp::spawn().await;
    let target = uuid::Uuid::new_v4();
    for role in [
        Role::ApClerk,
        Role::ApAnalyst,
        Role::Approver,
        Role::Auditor,
    ] {
        let (_, token) = app.user_with_token(role).await;
        let user_path = format!("/api/v1/admin/users/{target}");
        let requests = [
            app.http.get(app.url("/api/v1/admin/users")),
            app.http.post(app.url("/api/v1/admin/users")).json(&json!({
                "email": "x@example.com", "name": "X", "password": "long-enough-password", "role": "ADMIN"})),
            app.http.get(app.url(&user_path)),
            app.http.patch(app.url(&user_path)).json(&json!({"role": "ADMIN"})),
            app.http.delete(app.url(&user_path)),
        ];
        for req in requests {
            let r = req.bearer_auth(&token).send().await.expect("request");
            assert_error(r, 403, "You do not have permission to perform this action.").await;
        }
    }
    // Nothing was created by the refused POSTs.
    let n: i64 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM auth.users WHERE email = 'x@example.com'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_routes_without_a_token_are_401() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/api/v1/admin/users"))
        .send()
        .await
        .expect("request");
    assert_error(r, 401, "Not authenticated.").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_creates_lists_updates_and_deletes_users() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;

    let created = app
        .http
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": " New.Clerk@Example.com ", "name": "New Clerk", "password": "a-fine-password", "role": "AP_CLERK"}))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let user: serde_json::Value = created.json().await.expect("json");
    assert_eq!(user["email"], "new.clerk@example.com");
    let id = user["id"].as_str().expect("id").to_owned();

    // Same email again (any case) is a conflict.
    let dup = app
        .http
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": "new.clerk@example.com", "name": "Dup", "password": "a-fine-password", "role": "AP_CLERK"}))
        .send()
        .await
        .expect("dup");
    assert_error(dup, 409, "A user with this email already exists.").await;

    // Paging returns everyone exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = app.url("/api/v1/admin/users?limit=1");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = app
            .http
            .get(url)
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        for item in page["items"].as_array().expect("items") {
            seen.push(item["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2);
    assert!(seen.contains(&id));

    let patched = app
        .http
        .patch(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 200);
    assert_eq!(
        patched.json::<serde_json::Value>().await.expect("json")["name"],
        "Renamed"
    );

    let deleted = app
        .http
        .delete(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert_error(
        app.get_authed(&format!("/api/v1/admin/users/{id}"), &admin)
            .await,
        404,
        "User not found.",
    )
    .await;
    // Soft delete: the row stays for the record, marked deleted.
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT deleted_at IS NOT NULL FROM auth.users WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("row");
    assert!(row.get::<_, bool>(0));

    let actions = app.audit_actions().await;
    for action in ["user_created", "user_updated", "user_deleted"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_user_input_is_a_clear_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let cases = [
        (
            json!({"email": "a@example.com", "name": "A", "password": "short", "role": "AP_CLERK"}),
            "Password must be at least 10 characters.",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "password": "password123", "role": "AP_CLERK"}),
            "Password is too common; choose another.",
        ),
        (
            json!({"email": "not-an-email", "name": "A", "password": "a-fine-password", "role": "AP_CLERK"}),
            "Email address is not valid.",
        ),
        (
            json!({"email": "a@example.com", "name": " ", "password": "a-fine-password", "role": "AP_CLERK"}),
            "Name must not be empty.",
        ),
    ];
    for (body, detail) in cases {
        let r = app
            .http
            .post(app.url("/api/v1/admin/users"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_error(r, 400, detail).await;
    }
    let r = app
        .http
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&json!({"email": "a@example.com", "name": "A", "password": "a-fine-password", "role": "ROOT"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    let r = app
        .http
        .post(app.url("/api/v1/admin/users"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["code"],
        "invalid_request"
    );
    let n: i64 = app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM auth.users WHERE email = 'a@example.com'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_cannot_lock_themselves_out() {
    let app = TestApp::spawn().await;
    let (email, admin) = app.user_with_token(Role::Admin).await;
    let id = app.user_id(&email).await;
    for body in [json!({"is_active": false}), json!({"role": "AUDITOR"})] {
        let r = app
            .http
            .patch(app.url(&format!("/api/v1/admin/users/{id}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("patch");
        assert_eq!(r.status(), 400);
    }
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/admin/users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("del");
    assert_eq!(r.status(), 400);
}
