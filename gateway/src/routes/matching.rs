//! Matching: `GET/POST /invoices/{id}/match`, the outcome counts (touchless rate), and the
//! versioned tolerance rule sets (`/matching/rule-sets*`, ADMIN writes).

use crate::extract::Json;
use crate::extract::Path;
use crate::routes::created::created;
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
    pub tolerance: MatchToleranceOut,
    /// Subtotal against the PO prices, with the variance and the findings.
    pub header: MatchHeaderOut,
    pub risk_score: i32,
    /// The risk signals that made up `risk_score`.
    pub risk_reasons: Vec<RiskReasonOut>,
    /// `approved` | `pending_approval` | `exception`
    pub outcome: String,
    pub touchless: bool,
    pub runs: i32,
    #[schema(format = DateTime)]
    pub matched_at: String,
    pub lines: Vec<MatchLineOut>,
}

/// The tolerances a run applied: the published rule set's, or the vendor's override.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
#[schema(example = json!({"price_tolerance_pct": "2", "qty_tolerance_pct": "0", "price_pct": "0.02", "price_abs": "50", "qty_pct": "0", "vendor_override": false}))]
pub struct MatchToleranceOut {
    /// Unit-price tolerance in percent of the PO price (`"2"` = 2 %).
    pub price_tolerance_pct: String,
    /// Quantity tolerance in percent (`"0"` = exact).
    pub qty_tolerance_pct: String,
    /// Deprecated: `price_tolerance_pct` as a fraction (`"0.02"` = 2 %).
    #[schema(deprecated)]
    pub price_pct: String,
    /// Unit-price tolerance as an amount in the invoice's currency.
    pub price_abs: String,
    /// Deprecated: `qty_tolerance_pct` as a fraction.
    #[schema(deprecated)]
    pub qty_pct: String,
    /// True when a vendor override replaced the rule set's values.
    pub vendor_override: bool,
}

/// The header-level comparison of a run.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct MatchHeaderOut {
    /// The invoice's subtotal (its total when it states no subtotal), at the currency's scale.
    pub subtotal: Option<String>,
    /// What the matched PO lines price the invoice at; null when nothing matched.
    pub expected_subtotal: Option<String>,
    /// `subtotal` − `expected_subtotal`.
    pub variance: Option<String>,
    pub currency: Option<String>,
    /// What the rule engine found (each one is also an exception of the invoice).
    pub findings: Vec<MatchFindingOut>,
}

/// One rule-engine finding.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct MatchFindingOut {
    /// The exception code, e.g. `PRICE_VARIANCE`, `QTY_VARIANCE`, `TOTAL_MISMATCH`.
    pub code: String,
    #[schema(value_type = crate::openapi::ExceptionSeverity)]
    pub severity: String,
    /// The invoice line concerned; null for a header-level finding.
    pub line: Option<i32>,
    pub message: String,
}

/// One risk signal and its weight in the score.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct RiskReasonOut {
    /// E.g. `bank_details_changed`, `round_amount`, `new_vendor`; see docs/matching.md.
    pub code: String,
    #[schema(minimum = 0)]
    pub weight: i64,
    pub reason: String,
}

/// A JSON document the invoice service stores and sends as text, read into its typed shape;
/// a document that does not fit is logged and shown empty rather than failing the response.
pub(crate) fn typed_json<T: serde::de::DeserializeOwned + Default>(raw: &str, what: &str) -> T {
    if raw.trim().is_empty() {
        return T::default();
    }
    serde_json::from_str(raw).unwrap_or_else(|e| {
        tracing::error!(error = %e, what, "stored JSON does not have the documented shape");
        T::default()
    })
}

impl From<pb::MatchResult> for MatchOut {
    fn from(m: pb::MatchResult) -> Self {
        Self {
            r#type: m.r#type,
            status: m.status,
            rule_version: m.rule_version,
            po_number: opt(m.po_number),
            tolerance: {
                let mut t: MatchToleranceOut = typed_json(&m.tolerance_json, "match tolerance");
                t.price_tolerance_pct = fraction_to_pct(&t.price_pct);
                t.qty_tolerance_pct = fraction_to_pct(&t.qty_pct);
                t
            },
            header: typed_json(&m.header_json, "match header"),
            risk_score: m.risk_score,
            risk_reasons: typed_json(&m.risk_reasons_json, "risk reasons"),
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

/// A stored fraction (`"0.025"`) as a percentage (`"2.5"`): the API's one convention for
/// percentages (docs/architecture.md, "API conventions"). Text that is not a decimal is kept.
pub fn fraction_to_pct(fraction: &str) -> String {
    fraction
        .trim()
        .parse::<rust_decimal::Decimal>()
        .map(|d| {
            (d * rust_decimal::Decimal::ONE_HUNDRED)
                .normalize()
                .to_string()
        })
        .unwrap_or_else(|_| fraction.to_owned())
}

/// A percentage given by a client (`"2.5"`, 0 to 100) as the fraction the service stores.
fn pct_to_fraction(field: &str, pct: &DecimalText) -> Result<String, ApiError> {
    let d = pct
        .0
        .trim()
        .parse::<rust_decimal::Decimal>()
        .ok()
        .filter(|d| !d.is_sign_negative() && *d <= rust_decimal::Decimal::ONE_HUNDRED)
        .ok_or_else(|| {
            ApiError::field(
                field,
                "must be a percentage from 0 to 100 (\"2.5\" = 2.5 %)",
            )
        })?;
    Ok((d / rust_decimal::Decimal::ONE_HUNDRED)
        .normalize()
        .to_string())
}

/// The tolerance from its percentage field, else from the deprecated fraction field.
fn tolerance(
    pct_field: &str,
    pct: Option<&DecimalText>,
    fraction: Option<&DecimalText>,
) -> Result<String, ApiError> {
    match (pct, fraction) {
        (Some(p), _) => pct_to_fraction(pct_field, p),
        (None, Some(f)) => Ok(f.0.clone()),
        (None, None) => Err(ApiError::field(pct_field, "is required")),
    }
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
    /// Touchless share of matched invoices in percent, a decimal string (`"62.5"` = 62.5 %).
    pub touchless_pct: Option<String>,
    /// Deprecated: the same share as a fraction (`"0.6250"`); use `touchless_pct`.
    #[schema(deprecated)]
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
        touchless_pct: rate.as_deref().map(fraction_to_pct),
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
    /// Unit-price tolerance in percent of the PO price (`"2.5"` = 2.5 %).
    #[serde(default)]
    pub price_tolerance_pct: String,
    /// Quantity tolerance in percent (`"0"` = exact).
    #[serde(default)]
    pub qty_tolerance_pct: String,
    /// Deprecated: `price_tolerance_pct` as a fraction (`"0.025"`).
    #[schema(deprecated)]
    pub price_pct: String,
    pub price_abs: String,
    /// Deprecated: `qty_tolerance_pct` as a fraction.
    #[schema(deprecated)]
    pub qty_pct: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleSetOut {
    pub version: i32,
    /// `draft` | `published`
    #[schema(value_type = crate::openapi::RuleSetStatus)]
    pub status: String,
    /// Unit-price tolerance in percent of the PO unit price (`"2"` = 2 %).
    pub price_tolerance_pct: String,
    /// Quantity tolerance in percent (`"0"` = exact).
    pub qty_tolerance_pct: String,
    /// How far cumulative goods receipts may exceed a PO line's ordered quantity, in percent
    /// of it (`"0"`: never beyond the order; `"5"`: up to 105 %).
    pub over_receipt_tolerance_pct: String,
    /// Deprecated: `price_tolerance_pct` as a fraction (`"0.02"` = 2 %).
    #[schema(deprecated)]
    pub price_pct: String,
    /// Absolute amount on a line (quantity × unit-price difference) or on the header total.
    pub price_abs: String,
    /// Deprecated: `qty_tolerance_pct` as a fraction.
    #[schema(deprecated)]
    pub qty_pct: String,
    pub note: Option<String>,
    /// Who created the draft.
    pub creator: Option<super::conventions::UserRef>,
    /// Who published it.
    pub publisher: Option<super::conventions::UserRef>,
    /// Deprecated: `creator.id`.
    #[schema(deprecated)]
    pub created_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Deprecated: `publisher.id`.
    #[schema(deprecated)]
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
            price_tolerance_pct: fraction_to_pct(&r.price_pct),
            qty_tolerance_pct: fraction_to_pct(&r.qty_pct),
            over_receipt_tolerance_pct: fraction_to_pct(&r.over_receipt_pct),
            price_pct: r.price_pct,
            price_abs: r.price_abs,
            qty_pct: r.qty_pct,
            note: opt(r.note),
            creator: super::conventions::People::default().by_id(&r.created_by),
            publisher: super::conventions::People::default().by_id(&r.published_by),
            created_by: opt(r.created_by),
            created_at: r.created_at,
            published_by: opt(r.published_by),
            published_at: opt(r.published_at),
            overrides: r
                .overrides
                .into_iter()
                .map(|o| VendorToleranceOut {
                    vendor_id: o.vendor_id,
                    price_tolerance_pct: fraction_to_pct(&o.price_pct),
                    qty_tolerance_pct: fraction_to_pct(&o.qty_pct),
                    price_pct: o.price_pct,
                    price_abs: o.price_abs,
                    qty_pct: o.qty_pct,
                })
                .collect(),
        }
    }
}

/// Names the creators and publishers of `sets` (one directory call).
async fn named_rule_sets(
    state: &AppState,
    forward: &crate::extract::Forward,
    mut sets: Vec<RuleSetOut>,
) -> Vec<RuleSetOut> {
    let ids: Vec<String> = sets
        .iter()
        .flat_map(|r| [r.created_by.clone(), r.published_by.clone()])
        .flatten()
        .collect();
    let people =
        super::conventions::People::lookup(state, forward, ids.iter().map(String::as_str), [])
            .await;
    for r in &mut sets {
        r.creator = r.created_by.as_deref().and_then(|i| people.by_id(i));
        r.publisher = r.published_by.as_deref().and_then(|i| people.by_id(i));
    }
    sets
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
        items: named_rule_sets(
            &state,
            &authed.forward,
            r.items.into_iter().map(Into::into).collect(),
        )
        .await,
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
    Ok(Json(
        named_rule_sets(&state, &authed.forward, vec![r.into()])
            .await
            .remove(0),
    ))
}

/// A new draft copied from the latest published version (409 while another draft exists).
#[utoipa::path(post, path = "/api/v1/matching/rule-sets", operation_id = "createRuleSetDraft",
    extensions(("x-roles" = json!(["ADMIN"]))), tag = "matching",
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response to a retry with the same key and body; 409 for a different body.")),
    responses((status = 201, body = RuleSetOut, headers(("Location" = String, description = "`/api/v1/matching/rule-sets/{version}`"))), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
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
    let r = named_rule_sets(&state, &authed.forward, vec![r.into()])
        .await
        .remove(0);
    Ok(created(
        format!("/api/v1/matching/rule-sets/{}", r.version),
        r,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorToleranceIn {
    #[schema(format = Uuid)]
    pub vendor_id: String,
    /// Unit-price tolerance in percent (`"2.5"` = 2.5 %, 0 to 100).
    pub price_tolerance_pct: Option<DecimalText>,
    /// Quantity tolerance in percent (0 to 100).
    pub qty_tolerance_pct: Option<DecimalText>,
    /// Deprecated: `price_tolerance_pct` as a fraction (`"0.025"`); ignored when that is given.
    #[schema(deprecated)]
    pub price_pct: Option<DecimalText>,
    pub price_abs: DecimalText,
    /// Deprecated: `qty_tolerance_pct` as a fraction; ignored when that is given.
    #[schema(deprecated)]
    pub qty_pct: Option<DecimalText>,
}

/// Tolerances in percent (`price_tolerance_pct`, `qty_tolerance_pct`); the deprecated
/// fraction fields `price_pct` and `qty_pct` are still read when the percentages are absent.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSetIn {
    /// Unit-price tolerance in percent of the PO price (`"2.5"` = 2.5 %, 0 to 100).
    pub price_tolerance_pct: Option<DecimalText>,
    /// Quantity tolerance in percent (`"0"` = exact, 0 to 100).
    pub qty_tolerance_pct: Option<DecimalText>,
    /// Deprecated: `price_tolerance_pct` as a fraction (`"0.025"`).
    #[schema(deprecated)]
    pub price_pct: Option<DecimalText>,
    pub price_abs: DecimalText,
    /// Deprecated: `qty_tolerance_pct` as a fraction.
    #[schema(deprecated)]
    pub qty_pct: Option<DecimalText>,
    /// Over-receipt tolerance of goods receipts in percent of the ordered quantity (0 to
    /// 100); absent keeps the draft's value.
    pub over_receipt_tolerance_pct: Option<DecimalText>,
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
    let price_pct = tolerance(
        "price_tolerance_pct",
        b.price_tolerance_pct.as_ref(),
        b.price_pct.as_ref(),
    )?;
    let qty_pct = tolerance(
        "qty_tolerance_pct",
        b.qty_tolerance_pct.as_ref(),
        b.qty_pct.as_ref(),
    )?;
    let over_receipt_pct = match b.over_receipt_tolerance_pct.as_ref() {
        Some(p) => pct_to_fraction("over_receipt_tolerance_pct", p)?,
        None => String::new(),
    };
    let mut overrides = Vec::with_capacity(b.overrides.len());
    for (i, o) in b.overrides.into_iter().enumerate() {
        overrides.push(pb::VendorTolerance {
            price_pct: tolerance(
                &format!("overrides[{i}].price_tolerance_pct"),
                o.price_tolerance_pct.as_ref(),
                o.price_pct.as_ref(),
            )?,
            qty_pct: tolerance(
                &format!("overrides[{i}].qty_tolerance_pct"),
                o.qty_tolerance_pct.as_ref(),
                o.qty_pct.as_ref(),
            )?,
            vendor_id: o.vendor_id,
            price_abs: o.price_abs.0,
        });
    }
    let r = state
        .invoice
        .clone()
        .update_rule_set_draft(authed.forward.request(pb::RuleSetInput {
            version: version(&v)?,
            price_pct,
            price_abs: b.price_abs.0,
            qty_pct,
            note: b.note,
            overrides,
            over_receipt_pct,
        }))
        .await?
        .into_inner();
    Ok(Json(
        named_rule_sets(&state, &authed.forward, vec![r.into()])
            .await
            .remove(0),
    ))
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
    Ok(Json(
        named_rule_sets(&state, &authed.forward, vec![r.into()])
            .await
            .remove(0),
    ))
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
