//! The approval matrix (ADMIN): validated, overlap-free per department and category (checked
//! under a transaction-scoped lock, so two writers cannot both pass), audited, soft-deleted.

use ap_kit::audit::{self, AuditEvent};
use ap_proto::approval::v1 as pb;
use diesel_async::AsyncConnection;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::{ADMIN, AppError, ApprovalApp, Caller};
use crate::domain::matrix::{self, Band, Level, Rule};
use crate::store::matrix::{self as store, MatrixRuleFields, MatrixRuleRow};

/// A stored row as the selection sees it; `None` for a row whose levels no longer parse.
pub fn to_rule(r: &MatrixRuleRow) -> Option<Rule> {
    Some(Rule {
        id: r.id,
        band: Band {
            over: r.amount_over,
            up_to: r.amount_up_to,
        },
        department: r.department.clone(),
        vendor_category: r.vendor_category.clone(),
        levels: serde_json::from_value(r.levels.clone()).ok()?,
    })
}

fn amount(field: &str, raw: &str) -> Result<Option<Decimal>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let d: Decimal = raw
        .parse()
        .map_err(|_| AppError::invalid(field, "must be a decimal amount"))?;
    if d.is_sign_negative() || d.scale() > 4 {
        return Err(AppError::invalid(
            field,
            "must be a non-negative amount with at most 4 decimals",
        ));
    }
    if d >= ap_types::column_limit() {
        return Err(AppError::invalid(
            field,
            "is too large: amounts must be below 100000000000000",
        ));
    }
    Ok(Some(d))
}

fn optional_text(field: &str, raw: &str) -> Result<Option<String>, AppError> {
    let t = raw.trim();
    if t.chars().count() > 100 {
        return Err(AppError::invalid(field, "at most 100 characters"));
    }
    Ok(Some(t.to_owned()).filter(|t| !t.is_empty()))
}

fn fields(input: &pb::MatrixRuleInput) -> Result<MatrixRuleFields, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid(
            "name",
            "is required (at most 200 characters)",
        ));
    }
    let band = Band {
        over: amount("amount_over", &input.amount_over)?,
        up_to: amount("amount_up_to", &input.amount_up_to)?,
    };
    let mut levels = Vec::with_capacity(input.levels.len());
    for (i, l) in input.levels.iter().enumerate() {
        let user_id = if l.user_id.trim().is_empty() {
            None
        } else {
            Some(l.user_id.trim().parse::<Uuid>().map_err(|_| {
                AppError::invalid(&format!("levels[{i}]"), "user_id must be a UUID")
            })?)
        };
        levels.push(Level {
            level: l.level,
            role: Some(l.role.clone()).filter(|r| !r.trim().is_empty()),
            user_id,
            approvers_required: l.approvers_required,
        });
    }
    let levels =
        matrix::validate(&band, &levels).map_err(|e| AppError::invalid(&e.field, e.message))?;
    Ok(MatrixRuleFields {
        name: name.to_owned(),
        amount_over: band.over,
        amount_up_to: band.up_to,
        department: optional_text("department", &input.department)?,
        vendor_category: optional_text("vendor_category", &input.vendor_category)?,
        levels: serde_json::to_value(levels).map_err(|e| AppError::Unexpected(e.into()))?,
    })
}

pub fn rule_json(r: &MatrixRuleRow) -> serde_json::Value {
    json!({
        "name": r.name, "amount_over": r.amount_over.map(ap_types::money_text),
        "amount_up_to": r.amount_up_to.map(ap_types::money_text), "department": r.department,
        "vendor_category": r.vendor_category, "levels": r.levels,
    })
}

impl ApprovalApp {
    pub async fn list_matrix(&self, caller: &Caller) -> Result<Vec<MatrixRuleRow>, AppError> {
        caller.require(ADMIN)?;
        let mut conn = self.conn().await?;
        Ok(store::list_live_rules(&mut conn).await?)
    }

    pub async fn get_matrix_rule(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<MatrixRuleRow, AppError> {
        caller.require(ADMIN)?;
        let mut conn = self.conn().await?;
        store::find_rule(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("matrix rule"))
    }

    /// Creates (`id` None) or replaces a row.
    pub async fn save_matrix_rule(
        &self,
        caller: &Caller,
        id: Option<Uuid>,
        input: &pb::MatrixRuleInput,
    ) -> Result<MatrixRuleRow, AppError> {
        caller.require(ADMIN)?;
        let f = fields(input)?;
        let band = Band {
            over: f.amount_over,
            up_to: f.amount_up_to,
        };
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            store::lock_matrix(conn).await?;
            let before = match id {
                Some(id) => Some(store::find_rule(conn, id).await?.ok_or(AppError::NotFound("matrix rule"))?),
                None => None,
            };
            let rules: Vec<Rule> = store::list_live_rules(conn).await?.iter().filter_map(to_rule).collect();
            if let Some(other) = matrix::overlapping(&rules, &band, f.department.as_deref(), f.vendor_category.as_deref(), id) {
                return Err(AppError::invalid(
                    "amount_over",
                    format!("the band overlaps matrix rule {} for the same department and vendor category", other.id),
                ));
            }
            let row = match id {
                Some(id) => store::update_rule(conn, id, &f).await?,
                None => store::insert_rule(conn, Uuid::now_v7(), caller.user_id(), &f).await?,
            };
            let mut event = AuditEvent::new(
                caller.actor(),
                if before.is_some() { "approval_matrix_updated" } else { "approval_matrix_created" },
                "approval_matrix",
                Some(row.id.to_string()),
            )
            .after(rule_json(&row));
            if let Some(b) = &before {
                event = event.before(rule_json(b));
            }
            audit::record(conn, &caller.ctx, event).await?;
            Ok(row)
        })
        .await
    }

    pub async fn delete_matrix_rule(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        caller.require(ADMIN)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            store::lock_matrix(conn).await?;
            let before = store::find_rule(conn, id)
                .await?
                .ok_or(AppError::NotFound("matrix rule"))?;
            store::delete_rule(conn, id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "approval_matrix_deleted",
                    "approval_matrix",
                    Some(id.to_string()),
                )
                .before(rule_json(&before)),
            )
            .await?;
            Ok(())
        })
        .await
    }
}
