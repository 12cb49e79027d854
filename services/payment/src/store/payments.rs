//! Payments: inserted pending, completed (or failed) once the invoice service confirms.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::payments as p;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = p, check_for_backend(diesel::pg::Pg))]
pub struct PaymentRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub run_id: Option<Uuid>,
    pub status: String,
    pub method: String,
    pub payment_date: NaiveDate,
    pub reference: Option<String>,
    pub amount: Decimal,
    pub discount_amount: Decimal,
    pub currency: String,
    pub bank_account_id: Option<Uuid>,
    pub created_by: Uuid,
    pub idempotency_key: Option<String>,
    pub failure_reason: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = p)]
pub struct NewPayment {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub run_id: Option<Uuid>,
    pub status: String,
    pub method: String,
    pub payment_date: NaiveDate,
    pub reference: Option<String>,
    pub amount: Decimal,
    pub discount_amount: Decimal,
    pub currency: String,
    pub bank_account_id: Option<Uuid>,
    pub created_by: Uuid,
    pub idempotency_key: Option<String>,
}

pub async fn insert_payment(
    conn: &mut AsyncPgConnection,
    new: &NewPayment,
) -> QueryResult<PaymentRow> {
    diesel::insert_into(p::table)
        .values(new.clone())
        .returning(PaymentRow::as_returning())
        .get_result(conn)
        .await
}

/// Many payments at once (a run's execution), in chunks that stay under the bind limit.
pub async fn insert_payments(
    conn: &mut AsyncPgConnection,
    new: &[NewPayment],
) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in new.chunks(2000) {
        n += diesel::insert_into(p::table)
            .values(chunk.to_vec())
            .execute(conn)
            .await?;
    }
    Ok(n)
}

pub async fn find_payment(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<PaymentRow>> {
    p::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The live (pending or completed) payment of an invoice.
pub async fn live_payment_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Option<PaymentRow>> {
    p::table
        .filter(p::invoice_id.eq(invoice_id))
        .filter(p::status.eq_any(["pending", "completed"]))
        .select(PaymentRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Which of `invoice_ids` already have a live payment.
pub async fn invoices_with_live_payment(
    conn: &mut AsyncPgConnection,
    invoice_ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    p::table
        .filter(p::invoice_id.eq_any(invoice_ids))
        .filter(p::status.eq_any(["pending", "completed"]))
        .select(p::invoice_id)
        .load(conn)
        .await
}

/// Bank accounts among `accounts` that already received a completed payment.
pub async fn paid_accounts(
    conn: &mut AsyncPgConnection,
    accounts: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    p::table
        .filter(p::bank_account_id.eq_any(accounts))
        .filter(p::status.eq("completed"))
        .select(p::bank_account_id.assume_not_null())
        .distinct()
        .load(conn)
        .await
}

/// Compare-and-set pending → completed; returns the ids that moved.
pub async fn complete_payments(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    let now = Utc::now();
    diesel::update(
        p::table
            .filter(p::id.eq_any(ids))
            .filter(p::status.eq("pending")),
    )
    .set((
        p::status.eq("completed"),
        p::completed_at.eq(now),
        p::updated_at.eq(now),
        p::failure_reason.eq(None::<String>),
    ))
    .returning(p::id)
    .get_results(conn)
    .await
}

/// Compare-and-set pending → failed with a reason.
pub async fn fail_payment(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    reason: &str,
) -> QueryResult<bool> {
    diesel::update(p::table.find(id).filter(p::status.eq("pending")))
        .set((
            p::status.eq("failed"),
            p::failure_reason.eq(reason),
            p::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
        .map(|n| n == 1)
}

/// Pending payments due for another settlement attempt, locked (skipping rows another
/// replica holds).
pub async fn claim_due(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<PaymentRow>> {
    p::table
        .filter(p::status.eq("pending"))
        .filter(p::next_attempt_at.le(Utc::now()))
        .order(p::next_attempt_at)
        .limit(limit)
        .select(PaymentRow::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

/// Pending payments of one run.
pub async fn pending_of_run(
    conn: &mut AsyncPgConnection,
    run_id: Uuid,
) -> QueryResult<Vec<PaymentRow>> {
    p::table
        .filter(p::run_id.eq(run_id))
        .filter(p::status.eq("pending"))
        .order(p::id)
        .select(PaymentRow::as_select())
        .load(conn)
        .await
}

/// A failed attempt: try again after `backoff_secs`.
pub async fn postpone(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
    backoff_secs: i64,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        p::table
            .filter(p::id.eq_any(ids))
            .filter(p::status.eq("pending")),
    )
    .set((
        p::attempts.eq(p::attempts + 1),
        p::next_attempt_at.eq(Utc::now() + chrono::Duration::seconds(backoff_secs)),
        p::failure_reason.eq(reason),
        p::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await
}

pub struct PaymentFilter {
    /// Any of these statuses; empty means every status.
    pub statuses: Vec<String>,
    pub invoice_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
}

/// Newest first, keyset on (created_at, id).
pub async fn list_payments(
    conn: &mut AsyncPgConnection,
    filter: &PaymentFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<PaymentRow>> {
    let mut q = p::table
        .select(PaymentRow::as_select())
        .order((p::created_at.desc(), p::id.desc()))
        .limit(limit)
        .into_boxed();
    if !filter.statuses.is_empty() {
        q = q.filter(p::status.eq_any(filter.statuses.clone()));
    }
    if let Some(i) = filter.invoice_id {
        q = q.filter(p::invoice_id.eq(i));
    }
    if let Some(r) = filter.run_id {
        q = q.filter(p::run_id.eq(r));
    }
    if let Some((ts, id)) = after {
        q = q.filter(
            p::created_at
                .lt(ts)
                .or(p::created_at.eq(ts).and(p::id.lt(id))),
        );
    }
    q.load(conn).await
}
