//! Delegation: while a user's delegation is in force, the delegate may decide the user's
//! tasks, existing and new ones (checked at decision time, never copied onto tasks). Self
//! (APPROVER) or ADMIN; one current delegation per user, a new one replaces it; audited.

use ap_kit::audit::{self, AuditEvent};
use ap_types::Role;
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::{AppError, ApprovalApp, Caller, DECIDERS};
use crate::store::tasks::{self as store, DelegationRow, NewDelegation};

/// Longest delegation accepted.
const MAX_DAYS: i64 = 366;

/// `2026-12-01T08:00:00Z`, or a date: its start (`end_of_day` false) or the end of that day.
fn instant(field: &str, raw: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(field, "must be an RFC 3339 instant or a YYYY-MM-DD date")
    })?;
    let d = if end_of_day {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    };
    Ok(Some(d.and_time(chrono::NaiveTime::MIN).and_utc()))
}

pub fn delegation_json(d: &DelegationRow) -> serde_json::Value {
    json!({"delegate": d.delegate_email, "starts_at": ap_types::time::instant(d.starts_at), "ends_at": ap_types::time::instant(d.ends_at), "reason": d.reason})
}

impl DelegationRow {
    pub fn is_active(&self) -> bool {
        let now = Utc::now();
        self.ended_at.is_none() && self.starts_at <= now && now < self.ends_at
    }
}

impl ApprovalApp {
    fn may_manage(caller: &Caller, user: Uuid) -> Result<(), AppError> {
        caller.require(DECIDERS)?;
        if caller.user_id() == user || caller.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub async fn get_delegation(
        &self,
        caller: &Caller,
        user: Uuid,
    ) -> Result<DelegationRow, AppError> {
        Self::may_manage(caller, user)?;
        let mut conn = self.conn().await?;
        store::current_delegation(&mut conn, user, false)
            .await?
            .ok_or(AppError::NotFound("delegation"))
    }

    pub async fn set_delegation(
        &self,
        caller: &Caller,
        user: Uuid,
        delegate: Uuid,
        starts_at: &str,
        ends_at: &str,
        reason: &str,
    ) -> Result<DelegationRow, AppError> {
        Self::may_manage(caller, user)?;
        if delegate == user {
            return Err(AppError::invalid(
                "delegate_id",
                "cannot be the user themself",
            ));
        }
        let now = Utc::now();
        let starts = instant("starts_at", starts_at, false)?.unwrap_or(now);
        let ends = instant("ends_at", ends_at, true)?
            .ok_or_else(|| AppError::invalid("ends_at", "is required"))?;
        if ends <= starts || ends <= now {
            return Err(AppError::invalid(
                "ends_at",
                "must be after starts_at and in the future",
            ));
        }
        if ends - starts > chrono::Duration::days(MAX_DAYS) {
            return Err(AppError::invalid(
                "ends_at",
                "a delegation lasts at most a year",
            ));
        }
        let reason = reason.trim();
        if reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "at most 500 characters"));
        }
        let users = self
            .directory()
            .active_users("")
            .await
            .map_err(AppError::Unavailable)?;
        if !users.iter().any(|u| u.id == user) {
            return Err(AppError::NotFound("user"));
        }
        let target = users
            .iter()
            .find(|u| u.id == delegate)
            .filter(|u| u.role == Role::Approver.as_str() || u.role == Role::Admin.as_str())
            .ok_or_else(|| {
                AppError::invalid("delegate_id", "must be an active APPROVER or ADMIN")
            })?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let before = store::current_delegation(conn, user, true).await?;
            if let Some(b) = &before {
                store::end_delegation(conn, b.id).await?;
            }
            let row = store::insert_delegation(
                conn,
                &NewDelegation {
                    id: Uuid::now_v7(),
                    user_id: user,
                    delegate_id: delegate,
                    delegate_email: target.email.clone(),
                    starts_at: starts,
                    ends_at: ends,
                    reason: Some(reason.to_owned()).filter(|r| !r.is_empty()),
                    created_by: caller.user_id(),
                },
            )
            .await?;
            let mut event = AuditEvent::new(
                caller.actor(),
                "delegation_set",
                "user",
                Some(user.to_string()),
            )
            .after(delegation_json(&row));
            if let Some(b) = &before {
                event = event.before(delegation_json(b));
            }
            audit::record(conn, &caller.ctx, event).await?;
            Ok(row)
        })
        .await
    }

    pub async fn end_delegation(
        &self,
        caller: &Caller,
        user: Uuid,
    ) -> Result<DelegationRow, AppError> {
        Self::may_manage(caller, user)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let current = store::current_delegation(conn, user, true)
                .await?
                .ok_or(AppError::NotFound("delegation"))?;
            let ended = store::end_delegation(conn, current.id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "delegation_ended",
                    "user",
                    Some(user.to_string()),
                )
                .before(delegation_json(&current)),
            )
            .await?;
            Ok(ended)
        })
        .await
    }
}
