//! `POST /ask-ai`: a question in natural language, answered by the Ask-AI service with one
//! guarded, read-only query over the reporting views. Rate-limited per client address.

use crate::extract::Json;
use ap_proto::askai::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const ASK: &[Role] = &[Role::ApAnalyst, Role::Admin, Role::Auditor];

/// Metadata the service sets on UNAVAILABLE when no model is configured.
const NOT_CONFIGURED: &str = "x-ap-not-configured";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskIn {
    /// At most 1,000 characters, e.g. "Which vendors have the most open invoices?"
    pub question: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AskOut {
    pub question: String,
    /// A short summary of the result (model-written, or a row-count sentence).
    pub answer: String,
    /// The SQL that ran, as checked by the guard.
    pub sql: String,
    pub columns: Vec<String>,
    /// One array per row, aligned with `columns`. A cell is any JSON value, as the query's
    /// column type gives it: a string, a number, a boolean or null (money and other numbers
    /// with a fraction are decimal strings; dates are `YYYY-MM-DD`, instants RFC 3339).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub rows: serde_json::Value,
    pub row_count: i64,
    /// True when the query produced more than the 1,000 rows returned.
    pub truncated: bool,
}

/// Answers a question about the AP data (AP_ANALYST, ADMIN, AUDITOR). 400 for an empty
/// question, one asking to change data, SQL that could not be answered safely, a query that
/// took too long or failed; 503 when Ask AI is not configured; 429 over 20 per minute.
#[utoipa::path(post, path = "/api/v1/ask-ai", operation_id = "askAi",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN", "AUDITOR"]))), tag = "ask ai", request_body = AskIn,
    responses((status = 200, body = AskOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn ask(
    State(state): State<AppState>,
    authed: Authed,
    Json(body): Json<AskIn>,
) -> Result<Json<AskOut>, ApiError> {
    authed.require(ASK)?;
    let resp = state
        .askai
        .clone()
        .ask(authed.forward.request(pb::AskRequest {
            question: body.question,
        }))
        .await
        .map_err(|s| {
            if s.code() == tonic::Code::Unavailable && s.metadata().get(NOT_CONFIGURED).is_some() {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_configured",
                    "Ask AI is not configured.",
                )
            } else {
                ApiError::from(s)
            }
        })?
        .into_inner();
    let rows = serde_json::from_str(&resp.rows_json).map_err(|e| {
        tracing::error!(error = %e, "askai returned rows that are not JSON");
        ApiError::internal()
    })?;
    Ok(Json(AskOut {
        question: resp.question,
        answer: resp.answer,
        sql: resp.sql,
        columns: resp.columns,
        rows,
        row_count: resp.row_count,
        truncated: resp.truncated,
    }))
}
