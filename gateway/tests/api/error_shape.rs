//! One error shape: every kind of bad input, on every route group, is refused with
//! `{detail, code, request_id, errors: [{field, message}]}` in plain words.

use ap_types::Role;
use serde_json::Value;

use crate::helpers::TestApp;

/// Wording of serde, Rust or the framework that must never reach a client.
const INTERNAL_WORDING: [&str; 14] = [
    "invalid type",
    "expected",
    "at line",
    "digit",
    "Failed to deserialize",
    "serde",
    "ParseIntError",
    "u32",
    "i32",
    "`",
    "EOF",
    "struct ",
    "Cannot parse",
    "content-type header",
];

/// What is sent: a JSON value, raw text with a content type, or nothing.
enum Body {
    None,
    Json(&'static str),
    Raw(&'static str, &'static str),
}

struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    body: Body,
    status: u16,
    /// Every one of these fields must be named in `errors`.
    fields: &'static [&'static str],
}

fn case(
    what: &'static str,
    method: &'static str,
    path: impl Into<String>,
    body: Body,
    status: u16,
    fields: &'static [&'static str],
) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        body,
        status,
        fields,
    }
}

#[tokio::test]
async fn every_kind_of_bad_input_on_every_route_group_gets_one_plain_error_shape() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let id = uuid::Uuid::new_v4();
    let cases = vec![
        case(
            "wrong type",
            "POST",
            "/vendors",
            Body::Json(r#"{"name":123}"#),
            400,
            &["name"],
        ),
        case(
            "malformed JSON",
            "POST",
            "/vendors",
            Body::Raw("application/json", r#"{"name": "Acme","#),
            400,
            &["body"],
        ),
        case(
            "empty body",
            "POST",
            "/vendors",
            Body::Raw("application/json", ""),
            400,
            &["body"],
        ),
        case(
            "wrong content type",
            "POST",
            "/vendors",
            Body::Raw("text/plain", r#"{"name":"Acme"}"#),
            415,
            &["Content-Type"],
        ),
        case(
            "no body at all",
            "POST",
            "/vendors",
            Body::None,
            415,
            &["Content-Type"],
        ),
        case(
            "bad uuid in path",
            "GET",
            "/vendors/not-a-uuid",
            Body::None,
            404,
            &["id"],
        ),
        case(
            "negative limit",
            "GET",
            "/vendors?limit=-1",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "zero limit",
            "GET",
            "/vendors?limit=0",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "huge limit",
            "GET",
            "/vendors?limit=99999999999999",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "bad boolean",
            "GET",
            "/vendors?is_active=maybe",
            Body::None,
            400,
            &["is_active"],
        ),
        case(
            "several missing fields",
            "POST",
            "/purchase-orders",
            Body::Json("{}"),
            400,
            &["po_number", "vendor_id", "currency", "lines"],
        ),
        case(
            "list of the wrong type",
            "POST",
            "/purchase-orders",
            Body::Json(r#"{"po_number":"PO-1","vendor_id":"v","currency":"USD","lines":"none"}"#),
            400,
            &["lines"],
        ),
        case(
            "nested wrong type",
            "POST",
            "/purchase-orders",
            Body::Json(
                r#"{"po_number":"PO-1","vendor_id":"v","currency":"USD","lines":[{"line_number":"one","description":"x","quantity":"1","unit_price":"1"}]}"#,
            ),
            400,
            &["lines[0].line_number"],
        ),
        case(
            "unknown query parameter",
            "GET",
            "/purchase-orders?po_number=PO-2026-0042",
            Body::None,
            400,
            &["po_number"],
        ),
        case(
            "missing fields and a wrong type",
            "POST",
            "/goods-receipts",
            Body::Json(r#"{"lines":[],"po_id":7}"#),
            400,
            &["receipt_number", "po_id"],
        ),
        case(
            "bad limit on receipts",
            "GET",
            "/goods-receipts?limit=abc",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "bad date in query",
            "GET",
            "/invoices?due_before=tomorrow",
            Body::None,
            400,
            &["due_before"],
        ),
        case(
            "decimal of the wrong type",
            "PATCH",
            format!("/invoices/{id}"),
            Body::Json(r#"{"subtotal":true}"#),
            400,
            &["subtotal"],
        ),
        case(
            "unknown body field",
            "PATCH",
            format!("/invoices/{id}"),
            Body::Json(r#"{"totl":"1.00"}"#),
            400,
            &["totl"],
        ),
        case(
            "two unknown query parameters",
            "GET",
            "/exceptions?bogus=1&page=2",
            Body::None,
            400,
            &["bogus", "page"],
        ),
        case(
            "missing comment body",
            "POST",
            format!("/exceptions/{id}/comments"),
            Body::Json("{}"),
            400,
            &["body"],
        ),
        case(
            "approval reassign without assignee",
            "POST",
            format!("/approvals/{id}/reassign"),
            Body::Json(r#"{"reason":5}"#),
            400,
            &["assignee_id", "reason"],
        ),
        case(
            "negative limit on approvals",
            "GET",
            "/approvals?limit=-5",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "array for a string",
            "POST",
            format!("/invoices/{id}/payment"),
            Body::Json(r#"{"payment_method":["ach"]}"#),
            400,
            &["payment_method"],
        ),
        case(
            "float limit on payments",
            "GET",
            "/payments?limit=1.5",
            Body::None,
            400,
            &["limit"],
        ),
        case(
            "payment run missing fields",
            "POST",
            "/payment-runs",
            Body::Json(r#"{"currency":"USD"}"#),
            400,
            &["pay_by_date", "method"],
        ),
        case(
            "unknown parameter on runs",
            "GET",
            "/payment-runs?sort=asc",
            Body::None,
            400,
            &["sort"],
        ),
        case(
            "user missing fields",
            "POST",
            "/admin/users",
            Body::Json(r#"{"email":"a@example.com"}"#),
            400,
            &["name", "password", "role"],
        ),
        case(
            "bad boolean on users",
            "GET",
            "/admin/users?is_active=yes",
            Body::None,
            400,
            &["is_active"],
        ),
        case(
            "bad uuid for a user",
            "GET",
            "/admin/users/42",
            Body::None,
            404,
            &["id"],
        ),
        case(
            "delegation wrong type and missing",
            "PUT",
            format!("/users/{id}/delegation"),
            Body::Json(r#"{"delegate_id":1}"#),
            400,
            &["delegate_id", "ends_at"],
        ),
        case(
            "bad boolean on notifications",
            "GET",
            "/notifications?unread=2",
            Body::None,
            400,
            &["unread"],
        ),
        case(
            "portal invite not an object",
            "POST",
            "/portal/auth/invite",
            Body::Json("[1,2]"),
            400,
            &["body"],
        ),
        case(
            "null for a required field",
            "POST",
            "/ask-ai",
            Body::Json(r#"{"question":null}"#),
            400,
            &["question"],
        ),
        case(
            "login wrong types",
            "POST",
            "/auth/login",
            Body::Json(r#"{"email":1}"#),
            400,
            &["email", "password"],
        ),
        case(
            "matching draft not JSON",
            "PUT",
            "/matching/rule-sets/1",
            Body::Raw("application/json", "nul"),
            400,
            &["body"],
        ),
        case(
            "approval rule levels wrong type",
            "POST",
            "/approval-matrix",
            Body::Json(r#"{"name":"r","levels":[{"approvers_required":"two"}]}"#),
            400,
            &["levels[0].approvers_required"],
        ),
    ];
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for c in &cases {
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
        let mut req = app
            .http
            .request(method, app.url(&format!("/api/v1{}", c.path)))
            .bearer_auth(&token);
        req = match c.body {
            Body::None => req,
            Body::Json(text) => req.header("content-type", "application/json").body(text),
            Body::Raw(ct, text) => req.header("content-type", ct).body(text),
        };
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let rid = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.expect("body");
        let problem = check(c, status, rid.as_deref(), &text);
        if let Some(p) = problem {
            failures.push(format!(
                "{} {} ({}): {p}\n    {text}",
                c.method, c.path, c.what
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Why the answer to `c` is not the house error shape, if it is not.
fn check(c: &Case, status: u16, rid: Option<&str>, text: &str) -> Option<String> {
    if status != c.status {
        return Some(format!("status {status}, wanted {}", c.status));
    }
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return Some("not JSON".to_owned());
    };
    let Some(obj) = body.as_object() else {
        return Some("not an object".to_owned());
    };
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["code", "detail", "errors", "request_id"] {
        return Some(format!("keys {keys:?}"));
    }
    if body["detail"].as_str().is_none_or(str::is_empty) {
        return Some("no detail".to_owned());
    }
    if body["code"].as_str().is_none_or(str::is_empty) {
        return Some("no code".to_owned());
    }
    if body["request_id"].as_str() != rid || rid.is_none() {
        return Some("request_id is not the response's x-request-id".to_owned());
    }
    let Some(errors) = body["errors"].as_array() else {
        return Some("errors is not a list".to_owned());
    };
    for e in errors {
        let keys: Vec<&str> = e
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        if keys != ["field", "message"] || e["message"].as_str().is_none_or(str::is_empty) {
            return Some(format!("error entry {e}"));
        }
    }
    let named: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    for f in c.fields {
        if !named.contains(f) {
            return Some(format!("field {f} not named (named: {named:?})"));
        }
    }
    let lower = text.to_lowercase();
    for w in INTERNAL_WORDING {
        if lower.contains(&w.to_lowercase()) {
            return Some(format!("contains internal wording {w:?}"));
        }
    }
    None
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused_with_the_allowed_ones_listed() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let resp = app
        .get_authed("/api/v1/purchase-orders?po_number=PO-2026-0042", &token)
        .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "invalid_request");
    assert_eq!(body["errors"][0]["field"], "po_number", "{body}");
    let message = body["errors"][0]["message"].as_str().expect("message");
    for allowed in ["limit", "cursor", "vendor_id", "status"] {
        assert!(message.contains(allowed), "{message}");
    }
}

#[tokio::test]
async fn a_wrong_type_and_every_missing_field_are_reported_together_in_plain_words() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let resp = app
        .http
        .post(app.url("/api/v1/goods-receipts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"po_id": 7}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    let mut got: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = [
        ("lines", "is required"),
        ("po_id", "must be a string"),
        ("receipt_number", "is required"),
    ]
    .iter()
    .map(|(f, m)| ((*f).to_owned(), (*m).to_owned()))
    .collect();
    assert_eq!(got, want, "{body}");
}

#[tokio::test]
async fn a_negative_limit_names_the_parameter_and_its_range() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user_with_token(Role::Admin).await;
    let resp = app.get_authed("/api/v1/vendors?limit=-1", &token).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["field"], "limit");
    assert_eq!(
        body["errors"][0]["message"],
        "must be a whole number between 1 and 200"
    );
}
