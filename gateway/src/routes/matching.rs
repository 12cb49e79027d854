//! Matching: `GET/POST /invoices/{id}/match`, the outcome counts (touchless rate), and the
//! versioned tolerance rule sets (`/matching/rule-sets*`, ADMIN writes).

use crate::extract::Json;
use crate::extract::Path;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::input::{DecimalText, opt, path_id};
use super::invoices::{CORRECT, InvoiceOut};
use super::vendors::READ;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Authed;
use crate::state::AppState;

pub const RULES_WRITE: &[Role] = &[Role::Admin];

#[derive(Serialize, utoipa::ToSchema)]
pub struct MatchLineOut {
    pub invoice_line: i32,
    pub po_line: Option<i32>,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub po_unit_price: Option<String>,
    /// Invoice unit price − PO unit price.
    pub price_variance: Option<String>,
    /// Invoice quantity − what may still be billed (received or ordered, net of other invoices).
    pub qty_variance: Option<String>,
    pub matched: bool,
}

/// The stored result of the latest run.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MatchOut {
    /// `2way` | `3way` | `non_po`
    pub r#type: String,
    /// `matched` | `variance` | `unmatched` | `skipped`
    #[schema(value_type = crate::openapi::MatchStatus)]
    pub status: String,
    pub rule_version: i32,
    pub po_number: Option<String>,
    #[schema(value_type = Object)]
    pub tolerance: serde_json::Value,
    /// Subtotal against the PO prices, with the variance and the findings.
    #[schema(value_type = Object)]
    pub header: serde_json::Value,
    pub risk_score: i32,
    #[schema(value_type = Vec<Object>)]
    pub risk_reasons: serde_json::Value,
    /// `approved` | `pending_approval` | `exception`
    pub outcome: String,
    pub touchless: bool,
    pub runs: i32,
    #[schema(format = DateTime)]
    pub matched_at: String,
    pub lines: Vec<MatchLineOut>,
}

fn json(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or(serde_json::Value::Null)
}

impl From<pb::MatchResult> for MatchOut {
    fn from(m: pb::MatchResult) -> Self {
        Self {
            r#type: m.r#type,
            status: m.status,
            rule_version: m.rule_version,
            po_number: opt(m.po_number),
            tolerance: json(&m.tolerance_json),
            header: json(&m.header_json),
            risk_score: m.risk_score,
            risk_reasons: json(&m.risk_reasons_json),
            outcome: m.outcome,
            touchless: m.touchless,
            runs: m.runs,
            matched_at: m.matched_at,
            lines: m
                .lines
                .into_iter()
                .map(|l| MatchLineOut {
                    invoice_line: l.invoice_line,
                    po_line: (l.po_line > 0).then_some(l.po_line),
                    quantity: opt(l.quantity),
                    unit_price: opt(l.unit_price),
                    po_unit_price: opt(l.po_unit_price),
                    price_variance: opt(l.price_variance),
                    qty_variance: opt(l.qty_variance),
                    matched: l.matched,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}/match", operation_id = "getInvoiceMatch",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "matching",
    responses((status = 200, body = MatchOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_match(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<MatchOut>, ApiError> {
    authed.require(READ)?;
    let id = path_id(&id, "Invoice")?;
    let m = state
        .invoice
        .clone()
        .get_match(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok(Json(m.into()))
}

/// Re-runs matching now; refused (400) once approved, scheduled, paid, rejected or cancelled.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/match", operation_id = "rematchInvoice",
    extensions(("x-roles" = json!(["AP_ANALYST", "ADMIN"]))),
    params(("id" = uuid::Uuid, Path, description = "Identifier (UUID).")), tag = "matching",
    responses((status = 202, body = InvoiceOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the invoice is being paid in a payment run")),
    security(("bearer" = [])))]
pub async fn rematch(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(CORRECT)?;
    let id = path_id(&id, "Invoice")?;
    let i = state
        .invoice
        .clone()
        .match_invoice(authed.forward.request(pb::IdRequest { id }))
        .await?
        .into_inner();
    Ok((StatusCode::ACCEPTED, Json(InvoiceOut::detail(i))))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutcomeOut {
    pub outcome: String,
    pub touchless: bool,
    pub count: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MatchingStatsOut {
    pub matched_invoices: i64,
    pub touchless: i64,
    /// Touchless share of matched invoices, as a decimal string ("0.6250").
    pub touchless_rate: Option<String>,
    pub outcomes: Vec<OutcomeOut>,
}

#[utoipa::path(get, path = "/api/v1/matching/stats", operation_id = "getMatchingStats",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "matching",
    responses((status = 200, body = MatchingStatsOut)), security(("bearer" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<MatchingStatsOut>, ApiError> {
    authed.require(READ)?;
    let s = state
        .invoice
        .clone()
        .get_matching_stats(authed.forward.request(pb::Empty {}))
        .await?
        .into_inner();
    let total: i64 = s.outcomes.iter().map(|o| o.count).sum();
    let touchless: i64 = s
        .outcomes
        .iter()
        .filter(|o| o.touchless)
        .map(|o| o.count)
        .sum();
    let rate = (total > 0).then(|| {
        (rust_decimal::Decimal::from(touchless) / rust_decimal::Decimal::from(total))
            .round_dp(4)
            .to_string()
    });
    Ok(Json(MatchingStatsOut {
        matched_invoices: total,
        touchless,
        touchless_rate: rate,
        outcomes: s
            .outcomes
            .into_iter()
            .map(|o| OutcomeOut {
                outcome: o.outcome,
                touchless: o.touchless,
                count: o.count,
            })
            .collect(),
    }))
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct VendorToleranceOut {
    #[schema(format = Uuid)]
    pub vendor_id: String,
    pub price_pct: String,
    pub price_abs: String,
    pub qty_pct: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetOut {
    pub version: i32,
    /// `draft` | `published`
    #[schema(value_type = crate::openapi::RuleSetStatus)]
    pub status: String,
    /// Fraction of the PO unit price ("0.02" = 2 %).
    pub price_pct: String,
    /// Absolute amount on a line (quantity × unit-price difference) or on the header total.
    pub price_abs: String,
    /// Fraction of the quantity ("0" = exact).
    pub qty_pct: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub published_by: Option<String>,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    pub overrides: Vec<VendorToleranceOut>,
}

impl From<pb::RuleSet> for RuleSetOut {
    fn from(r: pb::RuleSet) -> Self {
        Self {
            version: r.version,
            status: r.status,
            price_pct: r.price_pct,
            price_abs: r.price_abs,
            qty_pct: r.qty_pct,
            note: opt(r.note),
            created_by: opt(r.created_by),
            created_at: r.created_at,
            published_by: opt(r.published_by),
            published_at: opt(r.published_at),
            overrides: r
                .overrides
                .into_iter()
                .map(|o| VendorToleranceOut {
                    vendor_id: o.vendor_id,
                    price_pct: o.price_pct,
                    price_abs: o.price_abs,
                    qty_pct: o.qty_pct,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetList {
    pub items: Vec<RuleSetOut>,
}

#[utoipa::path(get, path = "/api/v1/matching/rule-sets", operation_id = "listRuleSets",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "matching",
    responses((status = 200, body = RuleSetList)), security(("bearer" = [])))]
pub async fn list_rule_sets(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Json<RuleSetList>, ApiError> {
    authed.require(READ)?;
    let r = state
        .invoice
        .clone()
        .list_rule_sets(authed.forward.request(pb::Empty {}))
        .await?
        .into_inner();
    Ok(Json(RuleSetList {
        items: r.items.into_iter().map(Into::into).collect(),
    }))
}

/// Version numbers in paths: a positive integer, else 404 like any unknown version.
fn version(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "Rule set not found."))
}

#[utoipa::path(get, path = "/api/v1/matching/rule-sets/{version}", operation_id = "getRuleSet",
    extensions(("x-roles" = json!(["AP_CLERK", "AP_ANALYST", "APPROVER", "ADMIN", "AUDITOR"]))), tag = "matching",
    responses((status = 200, body = RuleSetOut), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_rule_set(
    State(state): State<AppState>,
    authed: Authed,
    Path(v): Path<String>,
) -> Result<Json<RuleSetOut>, ApiError> {
    authed.require(READ)?;
    let r = state
        .invoice
        .clone()
        .get_rule_set(authed.forward.request(pb::RuleSetRequest {
            version: version(&v)?,
        }))
        .await?
        .into_inner();
    Ok(Json(r.into()))
}

/// A new draft copied from the latest published version (409 while another draft exists).
#[utoipa::path(post, path = "/api/v1/matching/rule-sets", operation_id = "createRuleSetDraft",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "matching",
    responses((status = 201, body = RuleSetOut), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_draft(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<impl IntoResponse, ApiError> {
    authed.require(RULES_WRITE)?;
    let r = state
        .invoice
        .clone()
        .create_rule_set_draft(authed.forward.request(pb::Empty {}))
        .await?
        .into_inner();
    Ok((StatusCode::CREATED, Json(RuleSetOut::from(r))))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorToleranceIn {
    #[schema(format = Uuid)]
    pub vendor_id: String,
    pub price_pct: DecimalText,
    pub price_abs: DecimalText,
    pub qty_pct: DecimalText,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSetIn {
    pub price_pct: DecimalText,
    pub price_abs: DecimalText,
    pub qty_pct: DecimalText,
    #[serde(default)]
    pub note: String,
    /// Replaces the draft's vendor overrides.
    #[serde(default)]
    pub overrides: Vec<VendorToleranceIn>,
}

/// Replaces a draft's values and overrides; published versions never change (400).
#[utoipa::path(put, path = "/api/v1/matching/rule-sets/{version}", operation_id = "updateRuleSetDraft",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "matching", request_body = RuleSetIn,
    responses((status = 200, body = RuleSetOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_draft(
    State(state): State<AppState>,
    authed: Authed,
    Path(v): Path<String>,
    Json(b): Json<RuleSetIn>,
) -> Result<Json<RuleSetOut>, ApiError> {
    authed.require(RULES_WRITE)?;
    let r = state
        .invoice
        .clone()
        .update_rule_set_draft(
            authed.forward.request(pb::RuleSetInput {
                version: version(&v)?,
                price_pct: b.price_pct.0,
                price_abs: b.price_abs.0,
                qty_pct: b.qty_pct.0,
                note: b.note,
                overrides: b
                    .overrides
                    .into_iter()
                    .map(|o| pb::VendorTolerance {
                        vendor_id: o.vendor_id,
                        price_pct: o.price_pct.0,
                        price_abs: o.price_abs.0,
                        qty_pct: o.qty_pct.0,
                    })
                    .collect(),
            }),
        )
        .await?
        .into_inner();
    Ok(Json(r.into()))
}

/// Every later match uses the published version; it is recorded on each result.
#[utoipa::path(post, path = "/api/v1/matching/rule-sets/{version}/publish", operation_id = "publishRuleSet",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "matching",
    responses((status = 200, body = RuleSetOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish(
    State(state): State<AppState>,
    authed: Authed,
    Path(v): Path<String>,
) -> Result<Json<RuleSetOut>, ApiError> {
    authed.require(RULES_WRITE)?;
    let r = state
        .invoice
        .clone()
        .publish_rule_set(authed.forward.request(pb::RuleSetRequest {
            version: version(&v)?,
        }))
        .await?
        .into_inner();
    Ok(Json(r.into()))
}

#[utoipa::path(delete, path = "/api/v1/matching/rule-sets/{version}", operation_id = "discardRuleSetDraft",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "matching",
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn discard_draft(
    State(state): State<AppState>,
    authed: Authed,
    Path(v): Path<String>,
) -> Result<StatusCode, ApiError> {
    authed.require(RULES_WRITE)?;
    state
        .invoice
        .clone()
        .discard_rule_set_draft(authed.forward.request(pb::RuleSetRequest {
            version: version(&v)?,
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
