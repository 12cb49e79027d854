//! The exception queue: raising (reconciled by finding key, so re-runs keep the exception a
//! person works on), listing with keyset pages, changes, comments, routing load.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use super::schema::exceptions;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = exceptions, check_for_backend(diesel::pg::Pg))]
pub struct ExceptionRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub code: String,
    pub severity: String,
    pub status: String,
    pub message: String,
    pub details: Value,
    pub source: String,
    pub assigned_to: Option<Uuid>,
    pub assigned_role: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub resolution_note: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub finding_key: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One finding of an automatic step.
#[derive(Clone, Debug)]
pub struct NewException {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub details: Value,
    /// Tells two findings of the same code apart (a line number, a kind); None: the code.
    pub key: Option<String>,
}

impl NewException {
    pub fn finding_key(&self) -> String {
        match &self.key {
            Some(k) => format!("{}:{k}", self.code),
            None => self.code.to_owned(),
        }
    }
}

/// Reconciles the exceptions `source` raised earlier with what it finds now:
/// - an active exception whose finding is found again is kept (same id, assignment and
///   comments), its message refreshed;
/// - an open one no longer found is resolved automatically with a note saying so (one a person
///   already works on is left to them);
/// - a new finding is inserted, unless a person waived the same finding on this invoice.
///
/// Returns the active exceptions of `source` after the reconciliation.
pub async fn reconcile(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    source: &str,
    found: &[NewException],
    due: impl Fn(&str) -> DateTime<Utc>,
) -> QueryResult<Vec<ExceptionRow>> {
    let existing: Vec<ExceptionRow> = exceptions::table
        .filter(exceptions::invoice_id.eq(invoice_id))
        .filter(exceptions::source.eq(source))
        .select(ExceptionRow::as_select())
        .for_update()
        .load(conn)
        .await?;
    let now = Utc::now();
    let keys: Vec<String> = found.iter().map(NewException::finding_key).collect();
    for old in existing.iter().filter(|e| e.status == "open") {
        if !keys.contains(&old.finding_key) {
            diesel::update(exceptions::table.find(old.id))
                .set((
                    exceptions::status.eq("resolved"),
                    exceptions::resolution_note
                        .eq(format!("No longer found when {source} ran again.")),
                    exceptions::resolved_at.eq(now),
                    exceptions::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
        }
    }
    for (e, key) in found.iter().zip(&keys) {
        let same: Vec<&ExceptionRow> = existing.iter().filter(|x| &x.finding_key == key).collect();
        if let Some(active) = same
            .iter()
            .find(|x| crate::domain::exceptions::is_active(&x.status))
        {
            diesel::update(exceptions::table.find(active.id))
                .set((
                    exceptions::message.eq(&e.message),
                    exceptions::details.eq(&e.details),
                    exceptions::severity.eq(e.severity),
                    exceptions::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            continue;
        }
        if same.iter().any(|x| x.status == "waived") {
            continue;
        }
        diesel::insert_into(exceptions::table)
            .values((
                exceptions::id.eq(Uuid::now_v7()),
                exceptions::invoice_id.eq(invoice_id),
                exceptions::code.eq(e.code),
                exceptions::severity.eq(e.severity),
                exceptions::message.eq(&e.message),
                exceptions::details.eq(&e.details),
                exceptions::source.eq(source),
                exceptions::finding_key.eq(key),
                exceptions::due_at.eq(due(e.severity)),
            ))
            .execute(conn)
            .await?;
    }
    exceptions::table
        .filter(exceptions::invoice_id.eq(invoice_id))
        .filter(exceptions::source.eq(source))
        .filter(exceptions::status.eq_any(crate::domain::exceptions::ACTIVE))
        .order((exceptions::created_at, exceptions::id))
        .select(ExceptionRow::as_select())
        .load(conn)
        .await
}

pub async fn exceptions_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Vec<ExceptionRow>> {
    exceptions::table
        .filter(exceptions::invoice_id.eq(invoice_id))
        .order((exceptions::created_at, exceptions::id))
        .select(ExceptionRow::as_select())
        .load(conn)
        .await
}

/// Active high or critical exceptions and active disputes of an invoice: what blocks approval
/// and payment.
pub async fn blocking_count(conn: &mut AsyncPgConnection, invoice_id: Uuid) -> QueryResult<i64> {
    exceptions::table
        .filter(exceptions::invoice_id.eq(invoice_id))
        .filter(exceptions::status.eq_any(crate::domain::exceptions::ACTIVE))
        .filter(
            exceptions::severity
                .eq_any(["high", "critical"])
                .or(exceptions::code.eq_any(crate::domain::exceptions::ALWAYS_BLOCKING)),
        )
        .count()
        .get_result(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lock: bool,
) -> QueryResult<Option<ExceptionRow>> {
    let q = exceptions::table.find(id).select(ExceptionRow::as_select());
    if lock {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

#[derive(Default, Debug)]
pub struct ExceptionFilter {
    /// Any of these statuses; empty means every status.
    pub statuses: Vec<String>,
    pub code: Option<String>,
    pub severity: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub unassigned: bool,
    pub invoice_id: Option<Uuid>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

/// Newest first, keyset on (created_at, id); served by the (status, severity),
/// (assigned_to, status), (invoice_id) and (created_at, id) indexes.
pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &ExceptionFilter,
    limit: i64,
) -> QueryResult<Vec<ExceptionRow>> {
    let mut q = exceptions::table
        .select(ExceptionRow::as_select())
        .into_boxed();
    if !f.statuses.is_empty() {
        q = q.filter(exceptions::status.eq_any(f.statuses.clone()));
    }
    if let Some(c) = &f.code {
        q = q.filter(exceptions::code.eq(c.clone()));
    }
    if let Some(s) = &f.severity {
        q = q.filter(exceptions::severity.eq(s.clone()));
    }
    if let Some(a) = f.assigned_to {
        q = q.filter(exceptions::assigned_to.eq(a));
    }
    if f.unassigned {
        q = q.filter(exceptions::assigned_to.is_null());
    }
    if let Some(i) = f.invoice_id {
        q = q.filter(exceptions::invoice_id.eq(i));
    }
    if let Some((at, id)) = f.after {
        q = q.filter(
            exceptions::created_at
                .lt(at)
                .or(exceptions::created_at.eq(at).and(exceptions::id.lt(id))),
        );
    }
    q.order((exceptions::created_at.desc(), exceptions::id.desc()))
        .limit(limit)
        .load(conn)
        .await
}

#[derive(AsChangeset, Default, Debug)]
#[diesel(table_name = exceptions)]
pub struct ExceptionChanges {
    pub status: Option<String>,
    pub assigned_to: Option<Option<Uuid>>,
    pub assigned_role: Option<Option<String>>,
    pub resolution_note: Option<Option<String>>,
    pub resolved_by: Option<Option<Uuid>>,
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    pub escalated_at: Option<Option<DateTime<Utc>>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: ExceptionChanges,
) -> QueryResult<ExceptionRow> {
    diesel::update(exceptions::table.find(id))
        .set(changes)
        .returning(ExceptionRow::as_returning())
        .get_result(conn)
        .await
}

/// Active exceptions nobody holds yet, oldest first: the routing job's work.
pub async fn unassigned(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<ExceptionRow>> {
    exceptions::table
        .filter(exceptions::assigned_to.is_null())
        .filter(exceptions::status.eq_any(["open", "escalated"]))
        .order((exceptions::created_at, exceptions::id))
        .select(ExceptionRow::as_select())
        .limit(limit)
        .load(conn)
        .await
}

/// The role that works `code` (routing table); AP_ANALYST when the table names none.
pub async fn route_role(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = Text)]
        role: String,
    }
    let found: Option<R> = diesel::sql_query("SELECT role FROM exception_routing WHERE code = $1")
        .bind::<Text, _>(code)
        .get_result(conn)
        .await
        .optional()?;
    Ok(found.map_or_else(|| "AP_ANALYST".to_owned(), |r| r.role))
}

/// Active exceptions held by each of `users` (0 for users holding none).
pub async fn load_of(
    conn: &mut AsyncPgConnection,
    users: &[Uuid],
) -> QueryResult<Vec<(Uuid, i64)>> {
    #[derive(QueryableByName)]
    struct L {
        #[diesel(sql_type = SqlUuid)]
        user_id: Uuid,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<L> = diesel::sql_query(
        "SELECT u AS user_id, \
                (SELECT count(*) FROM exceptions e \
                 WHERE e.assigned_to = u AND e.status IN ('open', 'in_progress', 'escalated')) AS n \
         FROM unnest($1::uuid[]) AS u",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(users)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.n)).collect())
}

/// Serialises routing decisions for one role across replicas (transaction-scoped).
pub async fn lock_routing(conn: &mut AsyncPgConnection, role: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('exception_routing:' || $1))")
        .bind::<Text, _>(role)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = super::schema::exception_comments, check_for_backend(diesel::pg::Pg))]
pub struct CommentRow {
    pub id: Uuid,
    pub exception_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_email: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_comment(
    conn: &mut AsyncPgConnection,
    exception_id: Uuid,
    author: Option<(Uuid, String)>,
    body: &str,
) -> QueryResult<CommentRow> {
    use super::schema::exception_comments as c;
    diesel::insert_into(c::table)
        .values((
            c::id.eq(Uuid::now_v7()),
            c::exception_id.eq(exception_id),
            c::author_id.eq(author.as_ref().map(|a| a.0)),
            c::author_email.eq(author.map(|a| a.1)),
            c::body.eq(body),
        ))
        .returning(CommentRow::as_returning())
        .get_result(conn)
        .await
}

/// A page of an exception's comments, oldest first, after the `(created_at, id)` keyset.
pub async fn comments_of(
    conn: &mut AsyncPgConnection,
    exception_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<CommentRow>> {
    use super::schema::exception_comments as c;
    let mut q = c::table
        .filter(c::exception_id.eq(exception_id))
        .order((c::created_at, c::id))
        .select(CommentRow::as_select())
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            c::created_at
                .gt(at)
                .or(c::created_at.eq(at).and(c::id.gt(id))),
        );
    }
    q.load(conn).await
}

/// Raises one exception a person asked for (a vendor's dispute): never reconciled away by an
/// automatic re-run, because its source is not an automatic step.
pub async fn insert_manual(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    new: &NewException,
    source: &str,
    due_at: DateTime<Utc>,
) -> QueryResult<ExceptionRow> {
    let id = Uuid::now_v7();
    diesel::insert_into(exceptions::table)
        .values((
            exceptions::id.eq(id),
            exceptions::invoice_id.eq(invoice_id),
            exceptions::code.eq(new.code),
            exceptions::severity.eq(new.severity),
            exceptions::message.eq(&new.message),
            exceptions::details.eq(&new.details),
            exceptions::source.eq(source),
            exceptions::finding_key.eq(format!("{}:{id}", new.code)),
            exceptions::due_at.eq(due_at),
        ))
        .returning(ExceptionRow::as_returning())
        .get_result(conn)
        .await
}

/// What an exception-queue row shows of its invoice: number, vendor, total and currency.
#[derive(Clone, Debug, QueryableByName)]
pub struct ExceptionInvoice {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub invoice_number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub vendor_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub vendor_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    pub total_amount: Option<rust_decimal::Decimal>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub currency: Option<String>,
}

/// The invoices of a page of exceptions in one query (the vendor's current name, else the
/// name on the invoice).
pub async fn invoices_of(
    conn: &mut AsyncPgConnection,
    invoice_ids: &[Uuid],
) -> QueryResult<Vec<ExceptionInvoice>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "SELECT i.id, i.invoice_number, i.vendor_id, coalesce(v.name, i.vendor_name) AS vendor_name, \
                i.total_amount, i.currency::text AS currency \
         FROM invoices i LEFT JOIN vendors v ON v.id = i.vendor_id \
         WHERE i.id = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(invoice_ids)
    .load(conn)
    .await
}
