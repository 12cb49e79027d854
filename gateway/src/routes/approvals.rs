//! Approvals over the approval service: the inbox and decisions (`/approvals*`), the email
//! confirmation pages (`/approvals/email/{token}`, public: the token is the credential), the
//! matrix (`/approval-matrix*`), delegations, notifications and the held mail outbox.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::approval::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::input::{opt, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Authed, Forward};
use crate::state::AppState;

pub const DECIDERS: &[Role] = &[Role::Approver, Role::Admin];
pub const ADMIN: &[Role] = &[Role::Admin];

/// A person: `{id, email, name}` (docs/architecture.md, "API conventions").
pub type UserRefOut = super::conventions::UserRef;

fn user(u: Option<pb::UserRef>) -> Option<UserRefOut> {
    u.filter(|u| !u.id.is_empty()).map(|u| UserRefOut {
        id: u.id,
        email: Some(u.email).filter(|e| !e.is_empty()),
        name: None,
    })
}

/// Fills in the names of the people `tasks` reference (one directory call).
async fn named_tasks(state: &AppState, forward: &Forward, mut tasks: Vec<TaskOut>) -> Vec<TaskOut> {
    let ids: Vec<String> = tasks
        .iter()
        .flat_map(|t| [&t.assignee, &t.decided_by])
        .flatten()
        .map(|u| u.id.clone())
        .collect();
    let people =
        super::conventions::People::lookup(state, forward, ids.iter().map(String::as_str), [])
            .await;
    for t in &mut tasks {
        for u in [&mut t.assignee, &mut t.decided_by].into_iter().flatten() {
            if let Some(found) = people.by_id(&u.id).filter(|p| p.email.is_some()) {
                *u = found;
            }
        }
    }
    tasks
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    /// The invoice's vendor (null while unidentified).
    pub vendor: Option<super::conventions::VendorRef>,
    /// Deprecated: `vendor.name`.
    #[schema(deprecated)]
    pub vendor_name: Option<String>,
    pub currency: Option<String>,
    /// Decimal string.
    pub amount: String,
    pub level: i32,
    pub levels: i32,
    /// `pending`, `approved`, `rejected` or `cancelled`.
    #[schema(value_type = crate::openapi::ApprovalTaskStatus)]
    pub status: String,
    pub assignee: Option<UserRefOut>,
    #[schema(format = DateTime)]
    pub due_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// True when the caller sees this task as the delegate of its assignee.
    pub delegated: bool,
    pub decided_by: Option<UserRefOut>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    /// `web` or `email`.
    pub channel: Option<String>,
    pub notes: Option<String>,
    #[schema(format = DateTime)]
    pub escalated_at: Option<String>,
    pub cancel_reason: Option<String>,
    #[schema(format = Date)]
    pub invoice_due_date: Option<String>,
}

impl From<pb::Task> for TaskOut {
    fn from(t: pb::Task) -> Self {
        Self {
            id: t.id,
            invoice_id: t.invoice_id,
            invoice_number: opt(t.invoice_number),
            vendor: super::conventions::VendorRef::of(&t.vendor_id, &t.vendor_name),
            vendor_name: opt(t.vendor_name),
            currency: opt(t.currency),
            amount: t.amount,
            level: t.level,
            levels: t.levels,
            status: t.status,
            assignee: user(t.assignee),
            due_at: t.due_at,
            created_at: t.created_at,
            delegated: t.delegated,
            decided_by: user(t.decided_by),
            decided_at: opt(t.decided_at),
            channel: opt(t.channel),
            notes: opt(t.notes),
            escalated_at: opt(t.escalated_at),
            cancel_reason: opt(t.cancel_reason),
            invoice_due_date: opt(t.invoice_due_date),
        }
    }
}

/// A keyset page of approval tasks: `{"items": [...], "next_cursor": "..."|null}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TasksOut {
    pub items: Vec<TaskOut>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Which tasks `GET /approvals` lists (one view at a time: each has its own order).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalView {
    Pending,
    Decided,
    AllOpen,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TasksQuery {
    /// `pending` (default: the caller's and delegated open tasks, soonest due first),
    /// `decided` (the caller's history, most recently decided first) or `all_open` (ADMIN:
    /// every open task, soonest due first).
    #[param(value_type = Option<ApprovalView>)]
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; a cursor from another view is refused.
    pub cursor: Option<String>,
}

/// The caller's approval tasks, a keyset page at a time. `pending` and `all_open` are
/// ordered soonest due first (`due_at`, then id); `decided` most recently decided first.
#[utoipa::path(get, path = "/api/v1/approvals", operation_id = "listApprovalTasks",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))), tag = "approvals", params(TasksQuery),
    responses((status = 200, body = TasksOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<TasksQuery>,
) -> Result<Json<TasksOut>, ApiError> {
    authed.require(DECIDERS)?;
    let limit = super::vendors::check_limit(q.limit)?;
    let r = state
        .approval
        .clone()
        .list_tasks(authed.forward.request(pb::ListTasksRequest {
            status: q.status.unwrap_or_default(),
            limit,
            cursor: q.cursor.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(TasksOut {
        items: named_tasks(
            &state,
            &authed.forward,
            r.items.into_iter().map(TaskOut::from).collect(),
        )
        .await,
        next_cursor: opt(r.next_cursor),
    }))
}

#[utoipa::path(get, path = "/api/v1/approvals/{id}", operation_id = "getApprovalTask",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 200, body = TaskOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<TaskOut>, ApiError> {
    authed.require(DECIDERS)?;
    let id = path_id(&id, "Approval task")?;
    let t = state
        .approval
        .clone()
        .get_task(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(
        named_tasks(&state, &authed.forward, vec![t.into()])
            .await
            .remove(0),
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notes": "Prices match the framework contract."}))]
pub struct ApproveIn {
    pub notes: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Not ordered by our department."}))]
pub struct RejectIn {
    pub reason: Option<String>,
}

/// Approves the caller's (or a delegated) task.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", operation_id = "approveTask",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals", request_body = ApproveIn,
    responses((status = 200, body = TaskOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: Option<Json<ApproveIn>>,
) -> Result<Json<TaskOut>, ApiError> {
    authed.require(DECIDERS)?;
    let task_id = path_id(&id, "Approval task")?;
    let text = body.and_then(|b| b.0.notes).unwrap_or_default();
    let t = state
        .approval
        .clone()
        .approve(
            authed
                .forward
                .request(pb::DecisionRequest { task_id, text }),
        )
        .await?
        .into_inner();
    Ok(Json(
        named_tasks(&state, &authed.forward, vec![t.into()])
            .await
            .remove(0),
    ))
}

/// Rejects the caller's (or a delegated) task; a reason is required.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/reject", operation_id = "rejectTask",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals", request_body = RejectIn,
    responses((status = 200, body = TaskOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: Option<Json<RejectIn>>,
) -> Result<Json<TaskOut>, ApiError> {
    authed.require(DECIDERS)?;
    let task_id = path_id(&id, "Approval task")?;
    let text = body.and_then(|b| b.0.reason).unwrap_or_default();
    let t = state
        .approval
        .clone()
        .reject(
            authed
                .forward
                .request(pb::DecisionRequest { task_id, text }),
        )
        .await?
        .into_inner();
    Ok(Json(
        named_tasks(&state, &authed.forward, vec![t.into()])
            .await
            .remove(0),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignIn {
    #[schema(format = Uuid)]
    pub assignee_id: String,
    /// Required (a blank one is refused with 400): why the task moves; audited.
    pub reason: Option<String>,
}

/// ADMIN: gives an open task to another active APPROVER or ADMIN, with a reason. Never to the
/// uploader or anyone who corrected the invoice (the ADMIN included), nor to someone who already
/// approved a level of it: 400 with the reason, nothing changes.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/reassign", operation_id = "reassignTask",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals", request_body = ReassignIn,
    responses((status = 200, body = TaskOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reassign(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<ReassignIn>,
) -> Result<Json<TaskOut>, ApiError> {
    authed.require(ADMIN)?;
    let task_id = path_id(&id, "Approval task")?;
    let t = state
        .approval
        .clone()
        .reassign(authed.forward.request(pb::ReassignRequest {
            task_id,
            assignee_id: b.assignee_id,
            reason: b.reason.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(
        named_tasks(&state, &authed.forward, vec![t.into()])
            .await
            .remove(0),
    ))
}

// ---- email confirmation pages ------------------------------------------------------------

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page that is never cached, indexed or leaks its URL (which holds the token) onwards.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"robots\" content=\"noindex\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2933}}\
         .box{{border:1px solid #cbd2d9;border-radius:8px;padding:1.25rem}}dt{{font-weight:600}}dd{{margin:0 0 .5rem}}\
         textarea{{width:100%;min-height:5rem}}button{{font-size:1rem;padding:.5rem 1.25rem;margin-top:.75rem}}</style></head>\
         <body><h1>{t}</h1>{body}<p><a href=\"/approvals\">Open your approvals in the app</a></p></body></html>",
        t = escape(title)
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    resp
}

fn problem_page(problem: &str) -> Response {
    page(
        StatusCode::OK,
        "This link cannot be used",
        &format!(
            "<div class=\"box\"><p>{}</p><p>Nothing was decided.</p></div>",
            escape(problem)
        ),
    )
}

/// The confirmation page of an email link: shows what would be decided and changes nothing,
/// so a mail scanner or prefetcher opening it has no effect.
#[utoipa::path(get, path = "/api/v1/approvals/email/{token}", operation_id = "getEmailDecisionPage",
    extensions(("x-roles" = json!([]))), tag = "approvals",
    responses((status = 200, description = "HTML confirmation page, or a page saying why the link cannot be used")))]
pub async fn email_page(
    State(state): State<AppState>,
    forward: Forward,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let p = state
        .approval
        .clone()
        .preview_email_decision(forward.request(pb::EmailTokenRequest { token }))
        .await?
        .into_inner();
    if !p.valid {
        return Ok(problem_page(&p.problem));
    }
    let reject = p.action == "reject";
    let (verb, button) = if reject {
        ("Reject", "Confirm rejection")
    } else {
        ("Approve", "Confirm approval")
    };
    let field = if reject {
        "<label for=\"text\">Reason (required)</label><textarea id=\"text\" name=\"text\" required maxlength=\"2000\"></textarea>"
    } else {
        "<label for=\"text\">Notes (optional)</label><textarea id=\"text\" name=\"text\" maxlength=\"2000\"></textarea>"
    };
    let body = format!(
        "<div class=\"box\"><dl><dt>Invoice</dt><dd>{num}</dd><dt>Vendor</dt><dd>{vendor}</dd>\
         <dt>Amount</dt><dd>{amount} {cur}</dd><dt>Level</dt><dd>{level}</dd><dt>Approver</dt><dd>{who}</dd></dl>\
         <form method=\"post\">{field}<br><button type=\"submit\">{button}</button></form>\
         <p><small>Nothing is decided until you confirm. This link works once and expires at {exp}.</small></p></div>",
        num = escape(&p.invoice_number),
        vendor = escape(&p.vendor_name),
        amount = escape(&p.amount),
        cur = escape(&p.currency),
        level = p.level,
        who = escape(&p.assignee_email),
        exp = escape(&p.expires_at),
    );
    Ok(page(
        StatusCode::OK,
        &format!("{verb} invoice {}", p.invoice_number),
        &body,
    ))
}

#[derive(Deserialize, Default)]
struct EmailForm {
    #[serde(default)]
    text: String,
}

/// The POST from the confirmation page: decides once, as the task's assignee, recording the
/// channel, client address and user agent.
#[utoipa::path(post, path = "/api/v1/approvals/email/{token}", operation_id = "decideByEmail",
    extensions(("x-roles" = json!([]))), tag = "approvals",
    responses((status = 200, description = "HTML page: decided, or why not")))]
pub async fn email_decide(
    State(state): State<AppState>,
    forward: Forward,
    Path(token): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    let form: EmailForm = serde_urlencoded::from_str(&body).unwrap_or_default();
    let o = state
        .approval
        .clone()
        .decide_by_email(forward.request(pb::EmailDecisionRequest {
            token,
            text: form.text,
        }))
        .await?
        .into_inner();
    if !o.decided {
        let status = if o.problem.is_empty() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        return Ok(page(
            status,
            "Not recorded",
            &format!(
                "<div class=\"box\"><p>{}</p><p>Nothing was decided.</p></div>",
                escape(&o.problem)
            ),
        ));
    }
    let done = if o.action == "reject" {
        "rejected"
    } else {
        "approved"
    };
    Ok(page(
        StatusCode::OK,
        "Decision recorded",
        &format!(
            "<div class=\"box\"><p>You {done} invoice {}.</p><p>You can close this page.</p></div>",
            escape(&o.invoice_number)
        ),
    ))
}

// ---- matrix ----------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelIo {
    /// A role (`APPROVER`, `AP_ANALYST`, `ADMIN`), or absent when `user_id` names a person.
    #[schema(value_type = Option<crate::openapi::RoleName>)]
    pub role: Option<String>,
    #[schema(format = Uuid)]
    pub user_id: Option<String>,
    /// Distinct approvers this level needs (1–5).
    pub approvers_required: Option<i32>,
    /// Position (1-based; output only, input order decides).
    #[serde(default)]
    pub level: Option<i32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixRuleIn {
    pub name: String,
    /// The band is `amount_over < total <= amount_up_to`; absent is unbounded.
    pub amount_over: Option<super::input::DecimalText>,
    pub amount_up_to: Option<super::input::DecimalText>,
    pub department: Option<String>,
    pub vendor_category: Option<String>,
    pub levels: Vec<LevelIo>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MatrixRuleOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub amount_over: Option<String>,
    pub amount_up_to: Option<String>,
    pub department: Option<String>,
    pub vendor_category: Option<String>,
    pub levels: Vec<LevelIo>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<pb::MatrixRule> for MatrixRuleOut {
    fn from(r: pb::MatrixRule) -> Self {
        Self {
            id: r.id,
            name: r.name,
            amount_over: opt(r.amount_over),
            amount_up_to: opt(r.amount_up_to),
            department: opt(r.department),
            vendor_category: opt(r.vendor_category),
            levels: r
                .levels
                .into_iter()
                .map(|l| LevelIo {
                    role: opt(l.role),
                    user_id: opt(l.user_id),
                    approvers_required: Some(l.approvers_required),
                    level: Some(l.level),
                })
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn rule_input(id: String, b: MatrixRuleIn) -> pb::MatrixRuleInput {
    pb::MatrixRuleInput {
        id,
        name: b.name,
        amount_over: b.amount_over.map(|d| d.0).unwrap_or_default(),
        amount_up_to: b.amount_up_to.map(|d| d.0).unwrap_or_default(),
        department: b.department.unwrap_or_default(),
        vendor_category: b.vendor_category.unwrap_or_default(),
        levels: b
            .levels
            .into_iter()
            .enumerate()
            .map(|(i, l)| pb::MatrixLevel {
                level: i32::try_from(i + 1).unwrap_or(i32::MAX),
                role: l.role.unwrap_or_default(),
                user_id: l.user_id.unwrap_or_default(),
                approvers_required: l.approvers_required.unwrap_or(1),
            })
            .collect(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MatrixOut {
    pub items: Vec<MatrixRuleOut>,
}

#[utoipa::path(get, path = "/api/v1/approval-matrix", operation_id = "listApprovalRules",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "approvals",
    responses((status = 200, body = MatrixOut), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_matrix(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<MatrixOut>, ApiError> {
    authed.require(ADMIN)?;
    let r = state
        .approval
        .clone()
        .list_matrix(authed.forward.request(pb::Empty {}))
        .await?
        .into_inner();
    Ok(Json(MatrixOut {
        items: r.items.into_iter().map(MatrixRuleOut::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/approval-matrix", operation_id = "createApprovalRule",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "approvals", request_body = MatrixRuleIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = MatrixRuleOut, headers(("Location" = String, description = "`/api/v1/approval-matrix/{id}`"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_rule(
    State(state): State<AppState>,
    authed: Authed,
    Json(b): Json<MatrixRuleIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(ADMIN)?;
    let r = state
        .approval
        .clone()
        .create_matrix_rule(authed.forward.request(rule_input(String::new(), b)))
        .await?
        .into_inner();
    let r = MatrixRuleOut::from(r);
    Ok(created(format!("/api/v1/approval-matrix/{}", r.id), r))
}

#[utoipa::path(get, path = "/api/v1/approval-matrix/{id}", operation_id = "getApprovalRule",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 200, body = MatrixRuleOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_rule(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<MatrixRuleOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Matrix rule")?;
    let r = state
        .approval
        .clone()
        .get_matrix_rule(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(r.into()))
}

#[utoipa::path(put, path = "/api/v1/approval-matrix/{id}", operation_id = "updateApprovalRule",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals", request_body = MatrixRuleIn,
    responses((status = 200, body = MatrixRuleOut), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_rule(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<MatrixRuleIn>,
) -> Result<Json<MatrixRuleOut>, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Matrix rule")?;
    let r = state
        .approval
        .clone()
        .update_matrix_rule(authed.forward.request(rule_input(id, b)))
        .await?
        .into_inner();
    Ok(Json(r.into()))
}

#[utoipa::path(delete, path = "/api/v1/approval-matrix/{id}", operation_id = "deleteApprovalRule",
    extensions(("x-roles" = json!(["ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_rule(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    authed.require(ADMIN)?;
    let id = path_id(&id, "Matrix rule")?;
    state
        .approval
        .clone()
        .delete_matrix_rule(authed.forward.request(pb::IdRequest { id }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- delegation, notifications, held mail ------------------------------------------------

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationIn {
    #[schema(format = Uuid)]
    pub delegate_id: String,
    /// RFC 3339 instant or `YYYY-MM-DD`; now when absent.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    /// RFC 3339 instant or `YYYY-MM-DD` (through the end of that day).
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub reason: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DelegationOut {
    #[schema(format = Uuid)]
    pub user_id: String,
    pub delegate: Option<UserRefOut>,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub active: bool,
    pub reason: Option<String>,
}

/// Names the delegate (one directory call).
async fn named_delegation(
    state: &AppState,
    forward: &Forward,
    mut d: DelegationOut,
) -> DelegationOut {
    if let Some(u) = &d.delegate {
        let people = super::conventions::People::lookup(state, forward, [u.id.as_str()], []).await;
        if let Some(found) = people.by_id(&u.id).filter(|p| p.email.is_some()) {
            d.delegate = Some(found);
        }
    }
    d
}

impl From<pb::Delegation> for DelegationOut {
    fn from(d: pb::Delegation) -> Self {
        Self {
            user_id: d.user_id,
            delegate: user(d.delegate),
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            active: d.active,
            reason: opt(d.reason),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/users/{id}/delegation", operation_id = "getDelegation",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 200, body = DelegationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_delegation(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<DelegationOut>, ApiError> {
    authed.require(DECIDERS)?;
    let id = path_id(&id, "User")?;
    let d = state
        .approval
        .clone()
        .get_delegation(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(
        named_delegation(&state, &authed.forward, d.into()).await,
    ))
}

/// Self (APPROVER) or ADMIN: the user's tasks may be decided by the delegate in the range.
#[utoipa::path(put, path = "/api/v1/users/{id}/delegation", operation_id = "setDelegation",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals", request_body = DelegationIn,
    responses((status = 200, body = DelegationOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_delegation(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<DelegationIn>,
) -> Result<Json<DelegationOut>, ApiError> {
    authed.require(DECIDERS)?;
    let user_id = path_id(&id, "User")?;
    let d = state
        .approval
        .clone()
        .set_delegation(authed.forward.request(pb::SetDelegationRequest {
            user_id,
            delegate_id: b.delegate_id,
            starts_at: b.starts_at.unwrap_or_default(),
            ends_at: b.ends_at,
            reason: b.reason.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(
        named_delegation(&state, &authed.forward, d.into()).await,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/delegation", operation_id = "endDelegation",
    extensions(("x-roles" = json!(["APPROVER", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 200, body = DelegationOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn end_delegation(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<DelegationOut>, ApiError> {
    authed.require(DECIDERS)?;
    let id = path_id(&id, "User")?;
    let d = state
        .approval
        .clone()
        .end_delegation(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(
        named_delegation(&state, &authed.forward, d.into()).await,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    #[schema(format = Uuid)]
    pub invoice_id: Option<String>,
    #[schema(format = Uuid)]
    pub task_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

impl From<pb::Notification> for NotificationOut {
    fn from(n: pb::Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            invoice_id: opt(n.invoice_id),
            task_id: opt(n.task_id),
            created_at: n.created_at,
            read_at: opt(n.read_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationsOut {
    pub items: Vec<NotificationOut>,
    /// How many of the caller's notifications are unread (all of them, not only this page's).
    pub unread: i64,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct NotificationsQuery {
    pub unread: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The caller's own notifications, newest first (`created_at`, then id), a keyset page at a
/// time.
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "listNotifications",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "approvals", params(NotificationsQuery),
    responses((status = 200, body = NotificationsOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<NotificationsQuery>,
) -> Result<Json<NotificationsOut>, ApiError> {
    let limit = super::vendors::check_limit(q.limit)?;
    let r = state
        .approval
        .clone()
        .list_notifications(authed.forward.request(pb::ListNotificationsRequest {
            unread_only: q.unread.unwrap_or(false),
            limit,
            cursor: q.cursor.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(NotificationsOut {
        items: r.items.into_iter().map(NotificationOut::from).collect(),
        unread: r.unread,
        next_cursor: opt(r.next_cursor),
    }))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", operation_id = "markNotificationRead",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "approvals",
    responses((status = 200, body = NotificationOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn read_notification(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<NotificationOut>, ApiError> {
    let id = path_id(&id, "Notification")?;
    let n = state
        .approval
        .clone()
        .mark_notification_read(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(n.into()))
}

/// A held mail. `body_text` (with its live approval links) is present only on the caller's own
/// messages; an ADMIN sees everyone else's metadata only.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HeldMailOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub to: String,
    pub subject: String,
    /// True when the caller is the recipient.
    pub own: bool,
    /// `held`.
    pub status: String,
    /// Only on the caller's own messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HeldMailListOut {
    pub items: Vec<HeldMailOut>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LimitQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Mail that was not sent because `MAIL_ENABLED` is off, newest first (`created_at`, then
/// id), a keyset page at a time: the caller's own
/// messages in full; an ADMIN also sees the recipient, subject, status and times of everyone
/// else's — never a body, link or token.
#[utoipa::path(get, path = "/api/v1/admin/mail-outbox", operation_id = "listMailOutbox",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "approvals", params(LimitQuery),
    responses((status = 200, body = HeldMailListOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mail_outbox(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<LimitQuery>,
) -> Result<Response, ApiError> {
    authed.require(Role::STAFF)?;
    let limit = super::vendors::check_limit(q.limit)?;
    let r = state
        .approval
        .clone()
        .list_held_mail(authed.forward.request(pb::ListHeldMailRequest {
            limit,
            cursor: q.cursor.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    let mut resp = Json(HeldMailListOut {
        items: r
            .items
            .into_iter()
            .map(|m| HeldMailOut {
                id: m.id,
                to: m.to,
                subject: m.subject,
                own: m.own,
                status: m.status,
                body_text: Some(m.body_text).filter(|_| m.own),
                created_at: m.created_at,
                sent_at: opt(m.sent_at),
            })
            .collect(),
        next_cursor: opt(r.next_cursor),
    })
    .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// One approval level of an invoice, as its detail shows it (`approval_tasks`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvoiceTaskOut {
    #[schema(format = Uuid)]
    pub id: String,
    /// 1 for the first approver, 2 for the second…
    pub level: i32,
    #[schema(value_type = crate::openapi::ApprovalTaskStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub due_at: String,
    pub assignee: Option<UserRefOut>,
    pub decided_by: Option<UserRefOut>,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    /// `web` or `email`.
    pub channel: Option<String>,
}

/// The tasks of one invoice for its detail (empty when the approval service is away).
pub async fn invoice_tasks(state: &AppState, authed: &Authed, id: &str) -> Vec<InvoiceTaskOut> {
    match state
        .approval
        .clone()
        .list_invoice_tasks(authed.forward.request(pb::IdRequest { id: id.to_owned() }))
        .await
    {
        Ok(r) => r
            .into_inner()
            .items
            .into_iter()
            .map(|t| InvoiceTaskOut {
                id: t.id,
                level: t.level,
                status: t.status,
                due_at: t.due_at,
                assignee: user(t.assignee),
                decided_by: user(t.decided_by),
                decided_at: opt(t.decided_at),
                channel: opt(t.channel),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(grpc.code = ?e.code(), "approval tasks unavailable");
            Vec::new()
        }
    }
}

/// This service's audit rows about an invoice, for the merged timeline.
pub async fn invoice_audit_entries(
    state: &AppState,
    authed: &Authed,
    id: &str,
    page: &ap_proto::common::v1::PageRequest,
) -> (Vec<super::invoices::AuditEntryOut>, bool) {
    match state
        .approval
        .clone()
        .get_invoice_approval_audit(authed.forward.request(pb::AuditPageRequest {
            id: id.to_owned(),
            limit: page.limit,
            cursor: page.cursor.clone(),
        }))
        .await
    {
        Ok(t) => {
            let t = t.into_inner();
            let more = !t.next_cursor.is_empty();
            let items = t
                .items
                .into_iter()
                .map(|e| super::invoices::audit_entry_out!(e))
                .collect();
            (items, more)
        }
        Err(e) => {
            tracing::warn!(grpc.code = ?e.code(), "approval audit entries unavailable");
            (Vec::new(), false)
        }
    }
}
