//! `/api/v1/exceptions*`: the exception queue (filters, keyset pages), working an exception
//! (status, assignment, resolution note), and comments.

use crate::extract::Json;
use crate::extract::{Path, Query};
use ap_proto::common::v1::PageRequest;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::StatusCode;
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
    pub code: String,
    #[schema(value_type = crate::openapi::ExceptionSeverity)]
    pub severity: String,
    #[schema(value_type = crate::openapi::ExceptionStatus)]
    pub status: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// `extraction` or `matching`: the step that raised it.
    pub source: String,
    pub assigned_to: Option<String>,
    pub assigned_role: Option<String>,
    /// The SLA: when it should be worked by, from its severity.
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
    pub resolution_note: Option<String>,
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

impl From<pb::ExceptionRef> for ExceptionOut {
    fn from(e: pb::ExceptionRef) -> Self {
        Self {
            id: e.id,
            invoice_id: e.invoice_id,
            code: e.code,
            severity: e.severity,
            status: e.status,
            message: e.message,
            details: serde_json::from_str(&e.details_json).unwrap_or(serde_json::Value::Null),
            source: e.source,
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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExceptionQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// open | in_progress | resolved | waived | escalated
    #[param(value_type = Option<crate::openapi::ExceptionStatus>)]
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
        items: resp.items.into_iter().map(Into::into).collect(),
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
    Ok(Json(e.into()))
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
    Ok(Json(e.into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentOut {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub exception_id: String,
    #[schema(format = Uuid)]
    pub author_id: Option<String>,
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
            author_id: opt(c.author_id),
            author_email: opt(c.author_email),
            body: c.body,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentOut>,
}

#[utoipa::path(get, path = "/api/v1/exceptions/{id}/comments", operation_id = "listExceptionComments",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "exceptions",
    responses((status = 200, body = CommentList), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn comments(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<CommentList>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Exception")?;
    let resp = state
        .invoice
        .clone()
        .list_exception_comments(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(CommentList {
        items: resp.items.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    pub body: String,
}

#[utoipa::path(post, path = "/api/v1/exceptions/{id}/comments", operation_id = "addExceptionComment",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "exceptions", request_body = CommentIn,
    responses((status = 201, body = CommentOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
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
    Ok((StatusCode::CREATED, Json(CommentOut::from(c))))
}
