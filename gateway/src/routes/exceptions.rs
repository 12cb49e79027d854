//! `/api/v1/exceptions*`: the exception queue (filters, keyset pages), working an exception
//! (status, assignment, resolution note), and comments.

use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::routes::created::created;
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::Page;
use super::input::{opt, path_id};
use super::vendors::{READ, check_limit};
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const WORK: &[Role] = &[Role::ApAnalyst, Role::Admin];
pub const COMMENT: &[Role] = &[Role::ApClerk, Role::ApAnalyst, Role::Admin];

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub invoice_id: String,
    /// The invoice's number (null while it has none).
    pub invoice_number: Option<String>,
    /// The invoice's vendor (null while unidentified).
    pub vendor: Option<super::invoices::VendorRefOut>,
    /// The invoice's total, a decimal string at its currency's scale.
    pub amount: Option<String>,
    /// The invoice's currency (ISO 4217).
    pub currency: Option<String>,
    pub code: String,
    #[schema(value_type = crate::openapi::ExceptionSeverity)]
    pub severity: String,
    #[schema(value_type = crate::openapi::ExceptionStatus)]
    pub status: String,
    pub message: String,
    /// What the step that raised it found; which fields are present depends on `code`.
    pub details: ExceptionDetailsOut,
    /// `extraction` or `matching`: the step that raised it.
    pub source: String,
    /// Who holds the exception.
    pub assignee: Option<super::conventions::UserRef>,
    /// Deprecated: the assignee's id (`assignee.id`).
    #[schema(format = Uuid, deprecated)]
    pub assigned_to: Option<String>,
    pub assigned_role: Option<String>,
    /// The SLA: when it should be worked by, from its severity.
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
    pub resolution_note: Option<String>,
    /// Who resolved or waived it (null when resolved automatically or not yet).
    pub resolver: Option<super::conventions::UserRef>,
    /// Deprecated: the resolver's id (`resolver.id`).
    #[schema(format = Uuid, deprecated)]
    pub resolved_by: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    #[schema(format = DateTime)]
    pub escalated_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// An exception's details: one object whose fields depend on the exception's `code` (each
/// field names the codes that carry it); fields a code does not carry are absent.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
#[schema(example = json!({"kind": "exact", "invoice_id": "0b5e7c1e-3d1f-4f7a-9a43-5d6f0f2b9c11"}))]
pub struct ExceptionDetailsOut {
    /// `PRICE_VARIANCE`, `QTY_VARIANCE`, `QTY_OVER_RECEIPT`, `GRN_NOT_FOUND` and the other
    /// rule-engine findings: the invoice line concerned (absent for a header-level finding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<i32>,
    /// `ARITHMETIC_ERROR`: what does not add up, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<String>>,
    /// `ARITHMETIC_ERROR` about the amount to pay: the amount due the document states.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated_amount_due: Option<String>,
    /// `DUPLICATE_INVOICE`: `exact` (same number) or `suspected` (amount and date close).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DuplicateKind>)]
    pub kind: Option<String>,
    /// `DUPLICATE_INVOICE`: the earlier invoice it duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub invoice_id: Option<String>,
    /// `VENDOR_UNKNOWN`: the seller as read from the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_name: Option<String>,
    /// `VENDOR_UNKNOWN`: the seller's tax id as read from the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_tax_id: Option<String>,
    /// `LOW_CONFIDENCE`: where the text reading and the LLM disagree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagreements: Option<Vec<String>>,
    /// `LOW_CONFIDENCE`: fields the reading did not find.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<String>>,
    /// `LOW_CONFIDENCE`: fields read with low confidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<Vec<String>>,
    /// `LOW_CONFIDENCE` when extraction failed: why; `VENDOR_DISPUTE`: the vendor's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `VENDOR_DISPUTE`: the vendor's explanation (may be empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `BANK_DETAILS_CHANGED`, `FRAUD_SUSPECTED`: the invoice's risk score.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub score: Option<i64>,
    /// `FRAUD_SUSPECTED`: the risk signals behind the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signals: Option<Vec<super::matching::RiskReasonOut>>,
}

/// How sure a `DUPLICATE_INVOICE` is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKind {
    Exact,
    Suspected,
}

impl From<pb::ExceptionRef> for ExceptionOut {
    fn from(e: pb::ExceptionRef) -> Self {
        Self {
            id: e.id,
            invoice_id: e.invoice_id,
            invoice_number: opt(e.invoice_number),
            vendor: e.vendor.map(|v| super::invoices::VendorRefOut {
                id: v.id,
                name: v.name,
            }),
            amount: opt(e.invoice_amount),
            currency: opt(e.invoice_currency),
            code: e.code,
            severity: e.severity,
            status: e.status,
            message: e.message,
            details: super::matching::typed_json(&e.details_json, "exception details"),
            source: e.source,
            assignee: super::conventions::People::default().by_id(&e.assigned_to),
            resolver: super::conventions::People::default().by_id(&e.resolved_by),
            assigned_to: opt(e.assigned_to),
            assigned_role: opt(e.assigned_role),
            due_at: opt(e.due_at),
            resolution_note: opt(e.resolution_note),
            resolved_by: opt(e.resolved_by),
            resolved_at: opt(e.resolved_at),
            escalated_at: opt(e.escalated_at),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// Names the assignees and resolvers of `items` (one directory call).
pub async fn named(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut items: Vec<ExceptionOut>,
) -> Vec<ExceptionOut> {
    let ids: Vec<String> = items
        .iter()
        .flat_map(|e| [e.assigned_to.clone(), e.resolved_by.clone()])
        .flatten()
        .collect();
    let people =
        super::conventions::People::lookup(state, forward, ids.iter().map(String::as_str), [])
            .await;
    for e in &mut items {
        e.assignee = e.assigned_to.as_deref().and_then(|i| people.by_id(i));
        e.resolver = e.resolved_by.as_deref().and_then(|i| people.by_id(i));
    }
    items
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExceptionQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// One or more statuses: repeat the parameter (`status=a&status=b`) or separate them with
    /// commas (`status=a,b`).
    #[param(value_type = Option<Vec<crate::openapi::ExceptionStatus>>, style = Form, explode)]
    pub status: Option<String>,
    pub code: Option<String>,
    /// low | medium | high | critical
    #[param(value_type = Option<crate::openapi::ExceptionSeverity>)]
    pub severity: Option<String>,
    /// A user id, `me`, or `none` for unassigned exceptions.
    pub assigned_to: Option<String>,
    #[param(format = Uuid)]
    pub invoice_id: Option<String>,
}

/// Newest first; filters combine.
#[utoipa::path(get, path = "/api/v1/exceptions", operation_id = "listExceptions",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "exceptions", params(ExceptionQuery),
    responses((status = 200, body = Page<ExceptionOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    authed: Authed,
    Query(q): Query<ExceptionQuery>,
) -> Result<Json<Page<ExceptionOut>>, ApiError> {
    authed.require(READ)?;
    let limit = check_limit(q.limit)?;
    let assigned_to = match q.assigned_to.as_deref() {
        Some("me") => authed.principal.user_id.to_string(),
        other => other.unwrap_or_default().to_owned(),
    };
    let resp = state
        .invoice
        .clone()
        .list_exceptions(authed.forward.request(pb::ListExceptionsRequest {
            page: Some(PageRequest {
                limit,
                cursor: q.cursor.unwrap_or_default(),
            }),
            status: q.status.unwrap_or_default(),
            code: q.code.unwrap_or_default(),
            severity: q.severity.unwrap_or_default(),
            assigned_to,
            invoice_id: q.invoice_id.unwrap_or_default(),
        }))
        .await?
        .into_inner();
    Ok(Json(Page {
        items: named(
            &state,
            &authed.forward,
            resp.items.into_iter().map(Into::into).collect(),
        )
        .await,
        next_cursor: opt(resp.next_cursor),
    }))
}

#[utoipa::path(get, path = "/api/v1/exceptions/{id}", operation_id = "getException",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "exceptions",
    responses((status = 200, body = ExceptionOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<ExceptionOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Exception")?;
    let e = state
        .invoice
        .clone()
        .get_exception(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    let mut one = named(&state, &authed.forward, vec![e.into()]).await;
    Ok(Json(one.remove(0)))
}

/// `assigned_to`: a user id, or null to unassign (ADMIN); an analyst may only take an
/// unassigned exception for themselves.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionPatch {
    #[schema(value_type = Option<crate::openapi::ExceptionStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub assigned_to: Option<Option<String>>,
    /// Required to waive.
    pub resolution_note: Option<String>,
}

/// Tells an absent field (None) from an explicit null (Some(None)).
fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Work an exception: open → in_progress → resolved | waived (reason required) | escalated.
/// Resolving or waiving the last blocking exception re-runs matching on the invoice.
#[utoipa::path(patch, path = "/api/v1/exceptions/{id}", operation_id = "updateException",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "exceptions", request_body = ExceptionPatch,
    responses((status = 200, body = ExceptionOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<ExceptionPatch>,
) -> Result<Json<ExceptionOut>, ApiError> {
    authed.require(WORK)?;
    let id = path_id(&id, "Exception")?;
    let e = state
        .invoice
        .clone()
        .update_exception(authed.forward.request(pb::UpdateExceptionRequest {
            id,
            status: b.status,
            assigned_to: b.assigned_to.map(Option::unwrap_or_default),
            resolution_note: b.resolution_note,
        }))
        .await?
        .into_inner();
    let mut one = named(&state, &authed.forward, vec![e.into()]).await;
    Ok(Json(one.remove(0)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub exception_id: String,
    /// Who wrote it.
    pub author: Option<super::conventions::UserRef>,
    /// Deprecated: `author.id`.
    #[schema(format = Uuid, deprecated)]
    pub author_id: Option<String>,
    /// Deprecated: `author.email`.
    #[schema(deprecated)]
    pub author_email: Option<String>,
    pub body: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<pb::ExceptionComment> for CommentOut {
    fn from(c: pb::ExceptionComment) -> Self {
        Self {
            id: c.id,
            exception_id: c.exception_id,
            author: super::conventions::People::default()
                .by_id_or_email(&c.author_id, &c.author_email),
            author_id: opt(c.author_id),
            author_email: opt(c.author_email),
            body: c.body,
            created_at: c.created_at,
        }
    }
}

/// Names the authors of `items` (one directory call).
async fn named_comments(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut items: Vec<CommentOut>,
) -> Vec<CommentOut> {
    let people = super::conventions::People::lookup(
        state,
        forward,
        items.iter().filter_map(|c| c.author_id.as_deref()),
        items.iter().filter_map(|c| c.author_email.as_deref()),
    )
    .await;
    for c in &mut items {
        c.author = people.by_id_or_email(
            c.author_id.as_deref().unwrap_or_default(),
            c.author_email.as_deref().unwrap_or_default(),
        );
    }
    items
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentOut>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The exception's comments, oldest first (`created_at`, then id), a keyset page at a time.
#[utoipa::path(get, path = "/api/v1/exceptions/{id}/comments", operation_id = "listExceptionComments",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID)."), crate::routes::PageQuery), tag = "exceptions",
    responses((status = 200, body = CommentList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn comments(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Query(page): Query<crate::routes::PageQuery>,
) -> Result<Json<CommentList>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Exception")?;
    let page = page.request()?;
    let resp = state
        .invoice
        .clone()
        .list_exception_comments(authed.forward.request(pb::ListByIdRequest {
            id,
            page: Some(page),
        }))
        .await?
        .into_inner();
    Ok(Json(CommentList {
        items: named_comments(
            &state,
            &authed.forward,
            resp.items.into_iter().map(Into::into).collect(),
        )
        .await,
        next_cursor: opt(resp.next_cursor),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/exceptions/{id}/comments", operation_id = "addExceptionComment",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "ADMIN"]))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body."), ("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "exceptions", request_body = CommentIn,
    responses((status = 201, body = CommentOut, headers(("Location" = String, description = "`/api/v1/exceptions/{id}/comments`: the thread the comment joined"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_comment(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    Json(b): Json<CommentIn>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(COMMENT)?;
    let id = path_id(&id, "Exception")?;
    let location = format!("/api/v1/exceptions/{id}/comments");
    let c = state
        .invoice
        .clone()
        .add_exception_comment(
            authed
                .forward
                .request(pb::AddExceptionCommentRequest { id, body: b.body }),
        )
        .await?
        .into_inner();
    let mut one = named_comments(&state, &authed.forward, vec![c.into()]).await;
    Ok(created(location, one.remove(0)))
}
