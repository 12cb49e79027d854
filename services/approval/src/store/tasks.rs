//! Approval requests (one round per invoice), their tasks, delegations and email tokens.
//!
//! Lock order, everywhere: the request row, then its task rows. The SLA job locks task rows
//! only and skips locked ones, so it never waits on a decision.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::{
    approval_requests as r, approval_tasks as t, delegations as d, email_tokens as e,
};

fn now() -> diesel::expression::SqlLiteral<Timestamptz> {
    sql::<Timestamptz>("now()")
}

/// `now()` for a nullable column.
fn stamp() -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<Timestamptz>> {
    sql::<diesel::sql_types::Nullable<Timestamptz>>("now()")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = r, check_for_backend(diesel::pg::Pg))]
pub struct RequestRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub event_id: Uuid,
    pub match_run: i32,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub vendor_category: Option<String>,
    pub department: Option<String>,
    pub currency: Option<String>,
    pub amount: Decimal,
    pub invoice_due_date: Option<NaiveDate>,
    pub uploaded_by: Option<Uuid>,
    pub last_corrected_by: Option<Uuid>,
    pub matrix_rule_id: Option<Uuid>,
    pub levels: serde_json::Value,
    pub current_level: i32,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
    /// Uploader and every corrector, as the invoice service listed them at the round's start.
    pub barred_users: Vec<Uuid>,
}

impl RequestRow {
    /// Who may never approve in this round: the uploader, the last corrector and every
    /// corrector the invoice service listed when the round started.
    pub fn barred(&self) -> HashSet<Uuid> {
        [self.uploaded_by, self.last_corrected_by]
            .into_iter()
            .flatten()
            .chain(self.barred_users.iter().copied())
            .collect()
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = r)]
pub struct NewRequest {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub event_id: Uuid,
    pub match_run: i32,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub vendor_category: Option<String>,
    pub department: Option<String>,
    pub currency: Option<String>,
    pub amount: Decimal,
    pub invoice_due_date: Option<NaiveDate>,
    pub uploaded_by: Option<Uuid>,
    pub last_corrected_by: Option<Uuid>,
    pub matrix_rule_id: Option<Uuid>,
    pub levels: serde_json::Value,
    pub current_level: i32,
    pub status: String,
    pub barred_users: Vec<Uuid>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = t, check_for_backend(diesel::pg::Pg))]
pub struct TaskRow {
    pub id: Uuid,
    pub request_id: Uuid,
    pub invoice_id: Uuid,
    pub level: i32,
    pub slot: i32,
    pub assignee_id: Option<Uuid>,
    pub assignee_email: Option<String>,
    pub status: String,
    pub assigned_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reminder_sent_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub escalated_from: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub decided_by_email: Option<String>,
    pub on_behalf_of: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub notes: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = t)]
pub struct NewTask {
    pub id: Uuid,
    pub request_id: Uuid,
    pub invoice_id: Uuid,
    pub level: i32,
    pub slot: i32,
    pub assignee_id: Option<Uuid>,
    pub assignee_email: Option<String>,
    pub status: String,
    pub due_at: DateTime<Utc>,
}

/// A task with the round it belongs to (invoice number, vendor, amount).
pub type TaskWithRequest = (TaskRow, RequestRow);

pub async fn insert_request(
    conn: &mut AsyncPgConnection,
    new: &NewRequest,
) -> QueryResult<RequestRow> {
    diesel::insert_into(r::table)
        .values(new.clone())
        .returning(RequestRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_request(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lock: bool,
) -> QueryResult<Option<RequestRow>> {
    let q = r::table
        .filter(r::id.eq(id))
        .select(RequestRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// The open round of an invoice, locked.
pub async fn lock_open_request_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Option<RequestRow>> {
    r::table
        .filter(r::invoice_id.eq(invoice_id))
        .filter(r::status.eq("open"))
        .select(RequestRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn close_request(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
) -> QueryResult<RequestRow> {
    diesel::update(r::table.filter(r::id.eq(id)).filter(r::status.eq("open")))
        .set((
            r::status.eq(status),
            r::closed_at.eq(stamp()),
            r::close_reason.eq(reason),
        ))
        .returning(RequestRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_current_level(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    level: i32,
) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::id.eq(id)))
        .set(r::current_level.eq(level))
        .execute(conn)
        .await
}

pub async fn insert_tasks(
    conn: &mut AsyncPgConnection,
    new: &[NewTask],
) -> QueryResult<Vec<TaskRow>> {
    diesel::insert_into(t::table)
        .values(new.to_vec())
        .returning(TaskRow::as_returning())
        .get_results(conn)
        .await
}

pub async fn find_task(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lock: bool,
) -> QueryResult<Option<TaskRow>> {
    let q = t::table.filter(t::id.eq(id)).select(TaskRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

pub async fn find_task_with_request(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<TaskWithRequest>> {
    t::table
        .inner_join(r::table)
        .filter(t::id.eq(id))
        .select((TaskRow::as_select(), RequestRow::as_select()))
        .first(conn)
        .await
        .optional()
}

/// Every task of a round, every level.
pub async fn tasks_of_request(
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
) -> QueryResult<Vec<TaskRow>> {
    t::table
        .filter(t::request_id.eq(request_id))
        .order((t::level.asc(), t::slot.asc()))
        .select(TaskRow::as_select())
        .load(conn)
        .await
}

pub async fn tasks_of_level(
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
    level: i32,
) -> QueryResult<Vec<TaskRow>> {
    t::table
        .filter(t::request_id.eq(request_id))
        .filter(t::level.eq(level))
        .order(t::slot.asc())
        .select(TaskRow::as_select())
        .load(conn)
        .await
}

/// Closes the pending tasks of a round (it was decided, withdrawn or superseded).
pub async fn cancel_pending_tasks(
    conn: &mut AsyncPgConnection,
    request_id: Uuid,
    reason: &str,
) -> QueryResult<Vec<TaskRow>> {
    diesel::update(
        t::table
            .filter(t::request_id.eq(request_id))
            .filter(t::status.eq("pending")),
    )
    .set((t::status.eq("cancelled"), t::cancel_reason.eq(reason)))
    .returning(TaskRow::as_returning())
    .get_results(conn)
    .await
}

/// What a decision records.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub status: &'a str,
    pub decided_by: Uuid,
    pub decided_by_email: &'a str,
    pub on_behalf_of: Option<Uuid>,
    pub channel: &'a str,
    pub notes: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Compare-and-set: only a pending task is decided; `None` when it no longer was.
pub async fn decide_task(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    d: &Decision<'_>,
) -> QueryResult<Option<TaskRow>> {
    diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::status.eq("pending")),
    )
    .set((
        t::status.eq(d.status),
        t::decided_by.eq(d.decided_by),
        t::decided_by_email.eq(d.decided_by_email),
        t::on_behalf_of.eq(d.on_behalf_of),
        t::decided_at.eq(stamp()),
        t::channel.eq(d.channel),
        t::notes.eq(d.notes),
        t::client_ip.eq(d.client_ip),
        t::user_agent.eq(d.user_agent),
    ))
    .returning(TaskRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Gives a pending task to someone else with a fresh due time.
pub async fn reassign_task(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    assignee: (Uuid, &str),
    due_at: DateTime<Utc>,
    escalation: bool,
) -> QueryResult<TaskRow> {
    let current = t::table
        .filter(t::id.eq(id))
        .select(t::assignee_id)
        .first::<Option<Uuid>>(conn)
        .await?;
    let q = diesel::update(
        t::table
            .filter(t::id.eq(id))
            .filter(t::status.eq("pending")),
    );
    let common = (
        t::assignee_id.eq(Some(assignee.0)),
        t::assignee_email.eq(Some(assignee.1)),
        t::assigned_at.eq(now()),
        t::due_at.eq(due_at),
        t::reminder_sent_at.eq(None::<DateTime<Utc>>),
    );
    if escalation {
        q.set((
            common,
            t::escalated_at.eq(stamp()),
            t::escalated_from.eq(current),
        ))
        .returning(TaskRow::as_returning())
        .get_result(conn)
        .await
    } else {
        q.set(common)
            .returning(TaskRow::as_returning())
            .get_result(conn)
            .await
    }
}

/// Open tasks per user, for assigning the least busy.
pub async fn open_task_counts(
    conn: &mut AsyncPgConnection,
    users: &[Uuid],
) -> QueryResult<HashMap<Uuid, i64>> {
    let rows: Vec<(Option<Uuid>, i64)> = t::table
        .filter(t::status.eq("pending"))
        .filter(t::assignee_id.eq_any(users))
        .group_by(t::assignee_id)
        .select((t::assignee_id, count_star()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, n)| Some((u?, n)))
        .collect())
}

/// The caller's inbox: pending tasks assigned to them or to someone whose active
/// delegation names them, soonest due first.
pub async fn list_open_for(
    conn: &mut AsyncPgConnection,
    users: &[Uuid],
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TaskWithRequest>> {
    let mut q = t::table
        .inner_join(r::table)
        .filter(t::status.eq("pending"))
        .filter(t::assignee_id.eq_any(users))
        .order((t::due_at.asc(), t::id.asc()))
        .limit(limit)
        .select((TaskRow::as_select(), RequestRow::as_select()))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(t::due_at.gt(at).or(t::due_at.eq(at).and(t::id.gt(id))));
    }
    q.load(conn).await
}

/// Every pending task, soonest due first (ADMIN's view), after the `(due_at, id)` keyset.
pub async fn list_all_open(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TaskWithRequest>> {
    let mut q = t::table
        .inner_join(r::table)
        .filter(t::status.eq("pending"))
        .order((t::due_at.asc(), t::id.asc()))
        .limit(limit)
        .select((TaskRow::as_select(), RequestRow::as_select()))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(t::due_at.gt(at).or(t::due_at.eq(at).and(t::id.gt(id))));
    }
    q.load(conn).await
}

/// What `user` decided, most recent first, after the `(decided_at, id)` keyset.
pub async fn list_decided_by(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TaskWithRequest>> {
    let mut q = t::table
        .inner_join(r::table)
        .filter(t::decided_by.eq(user))
        .filter(t::decided_at.is_not_null())
        .order((t::decided_at.desc(), t::id.desc()))
        .limit(limit)
        .select((TaskRow::as_select(), RequestRow::as_select()))
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            t::decided_at
                .lt(at)
                .or(t::decided_at.eq(at).and(t::id.lt(id))),
        );
    }
    q.load(conn).await
}

pub async fn list_for_invoice(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Vec<TaskWithRequest>> {
    t::table
        .inner_join(r::table)
        .filter(t::invoice_id.eq(invoice_id))
        .order((t::created_at.asc(), t::level.asc(), t::slot.asc()))
        .select((TaskRow::as_select(), RequestRow::as_select()))
        .load(conn)
        .await
}

/// Pending tasks past 75 % of their time and not yet reminded, locked, skipping rows another
/// replica or a decision holds.
pub async fn claim_due_reminders(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<TaskRow>> {
    t::table
        .filter(t::status.eq("pending"))
        .filter(t::reminder_sent_at.is_null())
        .filter(t::assignee_id.is_not_null())
        .filter(sql::<diesel::sql_types::Bool>(
            "now() >= assigned_at + (due_at - assigned_at) * 0.75 AND now() < due_at",
        ))
        .order(t::due_at.asc())
        .limit(limit)
        .select(TaskRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

pub async fn mark_reminded(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(t::table.filter(t::id.eq(id)))
        .set(t::reminder_sent_at.eq(stamp()))
        .execute(conn)
        .await
}

/// Pending tasks past their due time that have not escalated yet, locked as above.
pub async fn claim_overdue(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<TaskRow>> {
    t::table
        .filter(t::status.eq("pending"))
        .filter(t::escalated_at.is_null())
        .filter(t::due_at.le(now()))
        .order(t::due_at.asc())
        .limit(limit)
        .select(TaskRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

pub async fn any_overdue(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        t::table
            .filter(t::status.eq("pending"))
            .filter(t::escalated_at.is_null())
            .filter(t::due_at.le(now())),
    ))
    .get_result(conn)
    .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = d, check_for_backend(diesel::pg::Pg))]
pub struct DelegationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub delegate_id: Uuid,
    pub delegate_email: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = d)]
pub struct NewDelegation {
    pub id: Uuid,
    pub user_id: Uuid,
    pub delegate_id: Uuid,
    pub delegate_email: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub created_by: Uuid,
}

/// The user's current (not ended) delegation, locked when asked.
pub async fn current_delegation(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    lock: bool,
) -> QueryResult<Option<DelegationRow>> {
    let q = d::table
        .filter(d::user_id.eq(user))
        .filter(d::ended_at.is_null())
        .select(DelegationRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

pub async fn end_delegation(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<DelegationRow> {
    diesel::update(d::table.filter(d::id.eq(id)))
        .set(d::ended_at.eq(stamp()))
        .returning(DelegationRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_delegation(
    conn: &mut AsyncPgConnection,
    new: &NewDelegation,
) -> QueryResult<DelegationRow> {
    diesel::insert_into(d::table)
        .values(new.clone())
        .returning(DelegationRow::as_returning())
        .get_result(conn)
        .await
}

/// Users whose delegation to `delegate` is in force right now.
pub async fn active_delegators_of(
    conn: &mut AsyncPgConnection,
    delegate: Uuid,
) -> QueryResult<Vec<Uuid>> {
    d::table
        .filter(d::delegate_id.eq(delegate))
        .filter(d::ended_at.is_null())
        .filter(d::starts_at.le(now()))
        .filter(d::ends_at.gt(now()))
        .select(d::user_id)
        .load(conn)
        .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = e, check_for_backend(diesel::pg::Pg))]
pub struct TokenRow {
    pub id: Uuid,
    pub task_id: Uuid,
    pub action: String,
    pub assignee_id: Uuid,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = e)]
pub struct NewToken {
    pub id: Uuid,
    pub task_id: Uuid,
    pub action: String,
    pub assignee_id: Uuid,
    pub amount: Decimal,
    pub currency: Option<String>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_tokens(conn: &mut AsyncPgConnection, new: &[NewToken]) -> QueryResult<usize> {
    diesel::insert_into(e::table)
        .values(new.to_vec())
        .execute(conn)
        .await
}

pub async fn find_token(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<TokenRow>> {
    e::table
        .filter(e::id.eq(id))
        .select(TokenRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Compare-and-set: true only for the first use of the token.
pub async fn use_token(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let n = diesel::update(e::table.filter(e::id.eq(id)).filter(e::used_at.is_null()))
        .set(e::used_at.eq(stamp()))
        .execute(conn)
        .await?;
    Ok(n == 1)
}
