//! Matching use-cases: run the rule engine on an invoice (after extraction, on request, after a
//! correction, when its last blocking exception is cleared), store the result, raise the
//! exceptions, decide the outcome (touchless approval, approval, exception), and manage the
//! versioned tolerance rule sets.

use ap_kit::audit::{self, AuditEvent};
use ap_kit::outbox;
use ap_types::{Role, money_text as money};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, STAFF};
use crate::domain::exceptions::{Sla, is_blocking};
use crate::domain::matching::{self as engine, Kind, Tolerance};
use crate::domain::payable::payable;
use crate::domain::risk::{self, Assessment, BankFacts, RiskFacts, RiskPolicy};
use crate::domain::status::{InvoiceEvent, InvoiceStatus};
use crate::store::exceptions::{self as exception_store, ExceptionRow, NewException};
use crate::store::invoices::{self as invoice_store, InvoiceRow};
use crate::store::matching::{self as store, MatchLineRow, MatchResultRow, RuleSetRow};

/// Who may re-run matching and manage rule sets.
pub const MATCH: &[Role] = &[Role::ApAnalyst, Role::Admin];
pub const RULES_WRITE: &[Role] = &[Role::Admin];
/// The approval service's inbox.
pub const APPROVAL_DESTINATION: &str = "approval";
pub const APPROVAL_REQUESTED: &str = "invoice.approval_requested";

/// The rule engine's settings (configuration).
#[derive(Clone, Debug)]
pub struct MatchPolicy {
    pub auto_approve_limit: Decimal,
    pub risk: RiskPolicy,
    pub sla: Sla,
}

impl Default for MatchPolicy {
    fn default() -> Self {
        Self {
            auto_approve_limit: Decimal::new(5_000, 0),
            risk: RiskPolicy::default(),
            sla: Sla::default(),
        }
    }
}

impl MatchPolicy {
    pub fn from_config(c: &ap_kit::config::MatchingSettings) -> anyhow::Result<Self> {
        Ok(Self {
            auto_approve_limit: c.auto_approve_limit,
            risk: RiskPolicy {
                fraud_threshold: c.risk_fraud_threshold,
                touchless_max: c.risk_touchless_max,
                round_amount_min: c.risk_round_amount_min,
                bank_change_days: c.risk_bank_change_days,
                stale_days: c.risk_stale_days,
                ..RiskPolicy::default()
            },
            sla: Sla::parse(&c.exception_sla_hours)
                .map_err(|e| anyhow::anyhow!("EXCEPTION_SLA_HOURS: {e}"))?,
        })
    }
}

/// What one run decided.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub status: InvoiceStatus,
    pub touchless: bool,
    pub exceptions: Vec<String>,
}

/// A stored result with its lines, for the detail and `GET /invoices/{id}/match`.
#[derive(Clone, Debug)]
pub struct MatchView {
    pub head: MatchResultRow,
    pub lines: Vec<MatchLineRow>,
}

/// A rule set with its vendor overrides.
#[derive(Clone, Debug)]
pub struct RuleSetView {
    pub row: RuleSetRow,
    pub overrides: Vec<store::OverrideRow>,
}

/// A draft's new values; fractions are 0.02 for 2 %.
#[derive(Clone, Debug)]
pub struct RuleSetInput {
    pub price_pct: Decimal,
    pub price_abs: Decimal,
    pub qty_pct: Decimal,
    /// Over-receipt tolerance of goods receipts; `None` keeps the draft's value.
    pub over_receipt_pct: Option<Decimal>,
    pub note: Option<String>,
    pub overrides: Vec<(Uuid, Decimal, Decimal, Decimal)>,
}

impl InvoiceApp {
    /// `POST /invoices/{id}/match`: re-runs the engine (refused in final states).
    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn rematch(&self, caller: &Caller, id: Uuid) -> Result<Evaluation, AppError> {
        caller.require(MATCH)?;
        let mut conn = self.conn().await?;
        let evaluation = conn
            .transaction::<_, AppError, _>(async |conn| {
                let row = invoice_store::find_invoice(conn, id, true)
                    .await?
                    .ok_or(AppError::NotFound("invoice"))?;
                super::claims::refuse_if_claimed(conn, id, "re-matched").await?;
                self.evaluate(conn, caller, &row).await
            })
            .await?;
        self.route_soon();
        Ok(evaluation)
    }

    /// Runs the engine on a locked invoice inside the caller's transaction. The row lock
    /// serialises runs of one invoice (one result row, never duplicated exceptions); the PO
    /// lock serialises invoices of one PO (no received quantity claimed twice).
    pub(crate) async fn evaluate(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        row: &InvoiceRow,
    ) -> Result<Evaluation, AppError> {
        let row = self
            .apply_event(conn, caller, row, InvoiceEvent::BeginMatching, None)
            .await?;
        self.decide(conn, caller, row).await
    }

    /// The engine's run on a locked invoice already in `matching` (by `begin_matching`, or by
    /// `reapprove` when what an approval looked at no longer holds).
    pub(crate) async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        row: InvoiceRow,
    ) -> Result<Evaluation, AppError> {
        let policy = self.match_policy();
        let lines = invoice_store::lines_of(conn, row.id).await?;
        let po_required = match row.vendor_id {
            Some(v) => store::vendor_po_required(conn, v).await?,
            None => true,
        };
        let rules = store::applied_rules(conn, row.vendor_id).await?;
        let tolerance = Tolerance {
            price_pct: rules.price_pct,
            price_abs: rules.price_abs,
            qty_pct: rules.qty_pct,
            version: rules.version,
        };
        let po_header = match row.po_number.as_deref() {
            Some(n) => store::lock_po(conn, n).await?,
            None => None,
        };
        let po = match &po_header {
            Some(h) => Some(engine::PurchaseOrder {
                vendor_id: h.vendor_id,
                currency: h.currency.trim().to_owned(),
                status: h.status.clone(),
                lines: store::po_line_facts(conn, h.id, row.id)
                    .await?
                    .into_iter()
                    .map(|l| engine::PoLine {
                        line_number: l.line_number,
                        description: l.description,
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        received: l.received,
                        invoiced_elsewhere: l.invoiced_elsewhere,
                    })
                    .collect(),
            }),
            None => None,
        };
        let invoice = engine::Invoice {
            vendor_id: row.vendor_id,
            currency: row.currency.clone(),
            subtotal: row.subtotal.or(row.total_amount),
            po_number: row.po_number.clone(),
            lines: lines
                .iter()
                .map(|l| engine::InvoiceLine {
                    line_number: l.line_number,
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                    po_line_number: l.po_line_number,
                })
                .collect(),
        };
        let three_way = po_header.as_ref().is_none_or(|h| h.match_type == "3way");
        let non_po = row.vendor_id.is_some() && !po_required;
        let result = engine::match_invoice(&invoice, po.as_ref(), three_way, non_po, &tolerance);

        let mut found: Vec<NewException> = result
            .findings
            .iter()
            .map(|f| NewException {
                code: f.code,
                severity: f.severity,
                message: f.message.clone(),
                details: json!({"line": f.line_number}),
                key: f.line_number.map(|l| format!("line{l}")),
            })
            .collect();
        found.extend(header_findings(conn, &row).await?);
        found.extend(duplicate_findings(conn, &row).await?);
        let assessment = self.assess_risk(conn, &row, &policy.risk).await?;
        let reasons: Vec<Value> = assessment
            .signals
            .iter()
            .map(|s| json!({"code": s.code, "weight": s.weight, "reason": s.reason}))
            .collect();
        if let Some(reason) = &assessment.bank_changed {
            found.push(NewException {
                code: "BANK_DETAILS_CHANGED",
                severity: "critical",
                message: format!(
                    "{reason} Confirm the change with the vendor by phone before paying."
                ),
                details: json!({"score": assessment.score}),
                key: None,
            });
        }
        if assessment.is_fraud_suspected(&policy.risk) {
            found.push(NewException {
                code: "FRAUD_SUSPECTED",
                severity: "critical",
                message: format!(
                    "Risk score {} (threshold {}): {}",
                    assessment.score,
                    policy.risk.fraud_threshold,
                    assessment
                        .signals
                        .iter()
                        .map(|s| s.reason.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                details: json!({"score": assessment.score, "signals": reasons}),
                key: None,
            });
        }
        let sla = policy.sla.clone();
        let now = Utc::now();
        exception_store::reconcile(conn, row.id, "matching", &found, |sev| {
            now + sla.for_severity(sev)
        })
        .await?;
        let active: Vec<ExceptionRow> = exception_store::exceptions_of(conn, row.id)
            .await?
            .into_iter()
            .filter(|e| crate::domain::exceptions::is_active(&e.status))
            .collect();
        let blocking = active
            .iter()
            .any(|e| is_blocking(&e.code, &e.severity, &e.status));
        let match_status = match_status(&result);
        // The auto-approve limit is about the money that leaves: the payable amount.
        let within_limit = payable(row.total_amount, row.amount_due)
            .is_some_and(|t| t <= policy.auto_approve_limit);
        // A header-only match (no lines read) is never approved without a person.
        let touchless = !blocking
            && active.is_empty()
            && !lines.is_empty()
            && result.kind != Kind::NonPo
            && match_status == "matched"
            && within_limit
            && assessment.allows_touchless(&policy.risk);
        let (event, outcome) = if blocking {
            (InvoiceEvent::MatchRaisedException, "exception")
        } else if touchless {
            (InvoiceEvent::MatchAutoApproved, "approved")
        } else {
            (InvoiceEvent::MatchRequiresApproval, "pending_approval")
        };

        let expected = result.expected_subtotal;
        let header = json!({
            "subtotal": invoice.subtotal.map(money),
            "expected_subtotal": expected.map(money),
            "variance": invoice.subtotal.zip(expected).map(|(s, e)| money(s - e)),
            "currency": row.currency,
            "findings": result.findings.iter().map(|f| json!({
                "code": f.code, "severity": f.severity, "line": f.line_number, "message": f.message
            })).collect::<Vec<_>>(),
        });
        let match_lines: Vec<store::NewMatchLine> = invoice
            .lines
            .iter()
            .zip(&result.lines)
            .map(|(l, r)| {
                let pl = po
                    .as_ref()
                    .and_then(|p| p.lines.iter().find(|x| Some(x.line_number) == r.po_line));
                store::NewMatchLine {
                    invoice_line: r.invoice_line,
                    po_line: r.po_line,
                    quantity: l
                        .quantity
                        .or(Some(Decimal::ONE))
                        .filter(|_| r.po_line.is_some()),
                    unit_price: l.unit_price,
                    po_unit_price: pl.map(|p| p.unit_price),
                    price_variance: r.price_variance,
                    qty_variance: r.qty_variance,
                    matched: r.matched,
                }
            })
            .collect();
        let runs = store::save_result(
            conn,
            &store::NewMatchResult {
                invoice_id: row.id,
                kind: result.kind.as_str(),
                status: match_status,
                rule_version: rules.version,
                po_id: po_header.as_ref().map(|h| h.id),
                tolerance: json!({
                    "price_pct": tolerance.price_pct.normalize().to_string(),
                    "price_abs": tolerance.price_abs.normalize().to_string(),
                    "qty_pct": tolerance.qty_pct.normalize().to_string(),
                    "vendor_override": rules.vendor_override,
                }),
                header,
                risk_score: i32::try_from(assessment.score).unwrap_or(i32::MAX),
                risk_reasons: Value::Array(reasons),
                outcome,
                touchless,
            },
            &match_lines,
        )
        .await?;
        invoice_store::set_touchless(conn, row.id, touchless).await?;
        let row = self.apply_event(conn, caller, &row, event, None).await?;
        let codes: Vec<String> = active.iter().map(|e| e.code.clone()).collect();
        audit::record(
            conn,
            &caller.ctx,
            AuditEvent::new(
                caller.actor(),
                "invoice_matched",
                "invoice",
                Some(row.id.to_string()),
            )
            .after(json!({
                "kind": result.kind.as_str(), "match_status": match_status,
                "rule_version": rules.version, "outcome": outcome, "touchless": touchless,
                "risk_score": assessment.score, "exceptions": codes,
            })),
        )
        .await?;
        if outcome == "pending_approval" {
            self.request_approval(conn, &row, &active, &po_header, runs)
                .await?;
        }
        tracing::info!(invoice.id = %row.id, outcome, touchless, risk = assessment.score, "matched");
        Ok(Evaluation {
            status: row
                .status
                .parse()
                .map_err(|e: String| AppError::Unexpected(anyhow::anyhow!(e)))?,
            touchless,
            exceptions: codes,
        })
    }

    /// The approval service's event: everything its matrix and separation-of-duties rules need.
    async fn request_approval(
        &self,
        conn: &mut AsyncPgConnection,
        row: &InvoiceRow,
        active: &[ExceptionRow],
        po: &Option<store::PoHeader>,
        runs: i32,
    ) -> Result<(), AppError> {
        let vendor = match row.vendor_id {
            Some(v) => crate::store::vendors::find_vendor(conn, v, false).await?,
            None => None,
        };
        let department = match po {
            Some(p) => store::po_cost_centre(conn, p.id).await?,
            None => None,
        };
        outbox::enqueue(
            conn,
            APPROVAL_DESTINATION,
            APPROVAL_REQUESTED,
            &json!({
                "invoice_id": row.id.to_string(),
                "match_run": runs,
                "invoice_number": row.invoice_number,
                "vendor_id": row.vendor_id.map(|v| v.to_string()),
                "vendor_name": row.vendor_name,
                "vendor_category": vendor.and_then(|v| v.category),
                "department": department,
                "currency": row.currency,
                "total_amount": row.total_amount.map(money),
                // What the matrix, the task, the email token and the approver's screen use:
                // the amount that will be paid.
                "payable_amount": payable(row.total_amount, row.amount_due).map(money),
                "amount_due": row.amount_due.map(money),
                "po_number": po.as_ref().map(|p| p.po_number.clone()),
                "uploaded_by": row.uploaded_by.map(|u| u.to_string()),
                "last_corrected_by": row.last_corrected_by.map(|u| u.to_string()),
                "due_date": row.due_date.map(|d| d.to_string()),
                "open_exceptions": active.iter().map(|e| json!({"code": e.code, "severity": e.severity})).collect::<Vec<_>>(),
            }),
        )
        .await?;
        Ok(())
    }

    async fn assess_risk(
        &self,
        conn: &mut AsyncPgConnection,
        row: &InvoiceRow,
        policy: &RiskPolicy,
    ) -> Result<Assessment, AppError> {
        let now = Utc::now();
        let mut facts = RiskFacts {
            today: now.date_naive(),
            now,
            invoice_date: row.invoice_date,
            total: row.total_amount,
            currency: row.currency.clone(),
            vendor_known: row.vendor_id.is_some(),
            bank: None,
            payee_differs: false,
            paid_invoices: 0,
            vendor_median: None,
        };
        if let Some(vendor) = row.vendor_id {
            if let Some(bank) = store::current_bank_facts(conn, vendor).await? {
                let shared_with =
                    store::vendors_sharing_account(conn, &bank.fingerprint, vendor).await?;
                if let Some(iban) = invoice_store::payee_iban_of(conn, row.id).await? {
                    let normalized: String = iban
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .collect::<String>()
                        .to_ascii_uppercase();
                    facts.payee_differs =
                        self.cipher().fingerprint(&normalized) != bank.fingerprint;
                }
                facts.bank = Some(BankFacts {
                    replaced_earlier_account: !bank.is_initial,
                    verified: bank.status == "verified",
                    since: bank.created_at,
                    shared_with,
                });
            }
            let history =
                store::vendor_history(conn, vendor, row.currency.as_deref().unwrap_or(""), row.id)
                    .await?;
            facts.paid_invoices = history.paid;
            facts.vendor_median = (history.settled >= 3).then_some(history.median).flatten();
        }
        Ok(risk::assess(&facts, policy))
    }

    /// The stored result (None before the first run).
    pub async fn match_view(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Option<MatchView>, AppError> {
        caller.require_internal_or(STAFF)?;
        let mut conn = self.conn().await?;
        invoice_store::find_invoice(&mut conn, id, false)
            .await?
            .ok_or(AppError::NotFound("invoice"))?;
        Ok(store::result_of(&mut conn, id)
            .await?
            .map(|(head, lines)| MatchView { head, lines }))
    }

    pub async fn matching_stats(
        &self,
        caller: &Caller,
    ) -> Result<Vec<store::OutcomeCount>, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        Ok(store::outcome_counts(&mut conn).await?)
    }

    pub async fn rule_sets(&self, caller: &Caller) -> Result<Vec<RuleSetRow>, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        Ok(store::rule_sets(&mut conn).await?)
    }

    pub async fn rule_set(&self, caller: &Caller, version: i32) -> Result<RuleSetView, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        let row = store::rule_set(&mut conn, version, false)
            .await?
            .ok_or(AppError::NotFound("rule set"))?;
        let overrides = store::overrides_of(&mut conn, version).await?;
        Ok(RuleSetView { row, overrides })
    }

    /// A new draft from the latest published version (409 while another draft exists).
    pub async fn create_rule_set_draft(&self, caller: &Caller) -> Result<RuleSetView, AppError> {
        let user = caller.require(RULES_WRITE)?.user_id.as_uuid();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let row =
                store::create_draft(conn, user).await.map_err(
                    |e| match ap_kit::db::DbError::Query(e) {
                        e if e.unique_violation() == Some("match_rule_sets_one_draft") => {
                            AppError::Conflict(
                                "A draft rule set already exists; publish or discard it first."
                                    .into(),
                            )
                        }
                        e => AppError::from(e),
                    },
                )?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "rule_set_drafted",
                    "rule_set",
                    Some(row.version.to_string()),
                ),
            )
            .await?;
            let overrides = store::overrides_of(conn, row.version).await?;
            Ok(RuleSetView { row, overrides })
        })
        .await
    }

    pub async fn update_rule_set_draft(
        &self,
        caller: &Caller,
        version: i32,
        input: RuleSetInput,
    ) -> Result<RuleSetView, AppError> {
        caller.require(RULES_WRITE)?;
        let mut errors = Vec::new();
        let fraction = |field: &str, v: Decimal, errors: &mut Vec<_>| {
            if v < Decimal::ZERO || v > Decimal::ONE {
                errors.push(crate::domain::values::FieldError::new(
                    field,
                    "must be a fraction between 0 and 1 (0.02 = 2 %)",
                ));
            }
        };
        fraction("price_pct", input.price_pct, &mut errors);
        fraction("qty_pct", input.qty_pct, &mut errors);
        if let Some(o) = input.over_receipt_pct {
            fraction("over_receipt_pct", o, &mut errors);
        }
        if input.price_abs < Decimal::ZERO {
            errors.push(crate::domain::values::FieldError::new(
                "price_abs",
                "must not be negative",
            ));
        }
        for (i, (_, p, a, q)) in input.overrides.iter().enumerate() {
            fraction(&format!("overrides[{i}].price_pct"), *p, &mut errors);
            fraction(&format!("overrides[{i}].qty_pct"), *q, &mut errors);
            if *a < Decimal::ZERO {
                errors.push(crate::domain::values::FieldError::new(
                    &format!("overrides[{i}].price_abs"),
                    "must not be negative",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let current = store::rule_set(conn, version, true)
                .await?
                .ok_or(AppError::NotFound("rule set"))?;
            if current.status != "draft" {
                return Err(AppError::Precondition(
                    "Published rule sets cannot change; create a draft.".into(),
                ));
            }
            for (vendor, ..) in &input.overrides {
                if crate::store::vendors::find_vendor(conn, *vendor, false)
                    .await?
                    .is_none()
                {
                    return Err(AppError::invalid(
                        "overrides",
                        format!("unknown vendor {vendor}"),
                    ));
                }
            }
            let row = store::update_draft(
                conn,
                version,
                input.price_pct,
                input.price_abs,
                input.qty_pct,
                input.over_receipt_pct,
                input.note.as_deref(),
            )
            .await?;
            let overrides: Vec<store::OverrideRow> = input
                .overrides
                .iter()
                .map(|(vendor_id, p, a, q)| store::OverrideRow {
                    version,
                    vendor_id: *vendor_id,
                    price_pct: *p,
                    price_abs: *a,
                    qty_pct: *q,
                })
                .collect();
            store::replace_overrides(conn, version, &overrides).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "rule_set_updated",
                    "rule_set",
                    Some(version.to_string()),
                )
                .before(rule_json(&current))
                .after(json!({"rules": rule_json(&row), "overrides": overrides.len()})),
            )
            .await?;
            Ok(RuleSetView { row, overrides })
        })
        .await
    }

    /// Publishing makes the draft the version every later match uses.
    pub async fn publish_rule_set(
        &self,
        caller: &Caller,
        version: i32,
    ) -> Result<RuleSetView, AppError> {
        let user = caller.require(RULES_WRITE)?.user_id.as_uuid();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let current = store::rule_set(conn, version, true)
                .await?
                .ok_or(AppError::NotFound("rule set"))?;
            if current.status != "draft" {
                return Err(AppError::Precondition(
                    "This rule set is already published.".into(),
                ));
            }
            let row = store::publish(conn, version, user).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "rule_set_published",
                    "rule_set",
                    Some(version.to_string()),
                )
                .after(rule_json(&row)),
            )
            .await?;
            let overrides = store::overrides_of(conn, version).await?;
            Ok(RuleSetView { row, overrides })
        })
        .await
    }

    pub async fn discard_rule_set_draft(
        &self,
        caller: &Caller,
        version: i32,
    ) -> Result<(), AppError> {
        caller.require(RULES_WRITE)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let current = store::rule_set(conn, version, true)
                .await?
                .ok_or(AppError::NotFound("rule set"))?;
            if current.status != "draft" {
                return Err(AppError::Precondition(
                    "Published rule sets cannot be deleted.".into(),
                ));
            }
            store::delete_draft(conn, version).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "rule_set_discarded",
                    "rule_set",
                    Some(version.to_string()),
                ),
            )
            .await?;
            Ok(())
        })
        .await
    }
}

/// The header's own consistency, checked on every run whatever the values' source (a reading,
/// an import, a person's correction): subtotal + tax = total within a cent, and a due date not
/// before the invoice date. A sum extraction already reported on values nobody has corrected
/// since is not reported twice.
async fn header_findings(
    conn: &mut AsyncPgConnection,
    row: &InvoiceRow,
) -> Result<Vec<NewException>, AppError> {
    use crate::domain::extraction::{date_order_issue, header_sum_issue};
    let mut out = Vec::new();
    if let Some(issue) = header_sum_issue(row.subtotal, row.tax_amount, row.total_amount) {
        let manual = ["subtotal", "tax_amount", "total_amount"].iter().any(|f| {
            row.fields
                .get(*f)
                .and_then(|v| v.get("source"))
                .and_then(Value::as_str)
                == Some("manual")
        });
        let reported_by_extraction = exception_store::exceptions_of(conn, row.id)
            .await?
            .iter()
            .any(|e| e.source == "extraction" && e.finding_key == "ARITHMETIC_ERROR");
        if manual || !reported_by_extraction {
            out.push(NewException {
                code: "ARITHMETIC_ERROR",
                severity: "medium",
                message: format!("The invoice's amounts do not add up: {issue}."),
                details: json!({"issues": [issue]}),
                key: Some("sums".into()),
            });
        }
    }
    if let Some(issue) = date_order_issue(row.invoice_date, row.due_date) {
        out.push(NewException {
            code: "ARITHMETIC_ERROR",
            severity: "medium",
            message: format!("The invoice's dates are inconsistent: {issue}."),
            details: json!({"issues": [issue]}),
            key: Some("dates".into()),
        });
    }
    Ok(out)
}

/// Duplicates of an invoice among the vendor's live invoices: a warning that routes to a
/// person now, and a hard block at payment later.
async fn duplicate_findings(
    conn: &mut AsyncPgConnection,
    row: &InvoiceRow,
) -> Result<Vec<NewException>, AppError> {
    let Some(vendor) = row.vendor_id else {
        return Ok(Vec::new());
    };
    let found = crate::store::extraction::find_duplicates(
        conn,
        row.id,
        vendor,
        row.invoice_number_normalized.as_deref(),
        row.total_amount,
        row.invoice_date,
    )
    .await?;
    let describe = |c: &crate::store::extraction::DuplicateCandidate| {
        format!(
            "{} received {}",
            c.invoice_number.as_deref().unwrap_or("(no number)"),
            c.created_at.date_naive()
        )
    };
    let mut out = Vec::new();
    if let Some(first) = found.iter().find(|c| c.exact) {
        out.push(NewException {
            code: "DUPLICATE_INVOICE",
            severity: "high",
            message: format!("Same number as {}.", describe(first)),
            details: json!({"kind": "exact", "invoice_id": first.id.to_string()}),
            key: None,
        });
    } else if let Some(first) = found.first() {
        out.push(NewException {
            code: "DUPLICATE_INVOICE",
            severity: "medium",
            message: format!(
                "Same vendor, amount within 0.1 % and date within 7 days of {} (dated {}).",
                describe(first),
                first
                    .invoice_date
                    .map_or_else(|| "?".to_owned(), |d| d.to_string())
            ),
            details: json!({"kind": "suspected", "invoice_id": first.id.to_string()}),
            key: None,
        });
    }
    Ok(out)
}

fn rule_json(r: &RuleSetRow) -> Value {
    json!({
        "version": r.version, "status": r.status,
        "price_pct": r.price_pct.normalize().to_string(),
        "price_abs": r.price_abs.normalize().to_string(),
        "qty_pct": r.qty_pct.normalize().to_string(),
        "over_receipt_pct": r.over_receipt_pct.normalize().to_string(),
    })
}

/// matched: no finding; variance: only medium findings; unmatched: a high one; skipped: non-PO.
fn match_status(r: &engine::MatchResult) -> &'static str {
    if r.kind == Kind::NonPo {
        "skipped"
    } else if r.findings.is_empty() {
        "matched"
    } else if r
        .findings
        .iter()
        .all(|f| f.severity != "high" && f.severity != "critical")
    {
        "variance"
    } else {
        "unmatched"
    }
}
