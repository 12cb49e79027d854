//! Payment runs, their items and exclusions, and their encrypted bank files.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::{
    bank_files, payment_run_exclusions as ex, payment_run_items as it, payment_runs as r,
};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = r, check_for_backend(diesel::pg::Pg))]
pub struct RunRow {
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    pub currency: String,
    pub method: String,
    pub file_format: String,
    pub pay_by_date: NaiveDate,
    pub payment_date: NaiveDate,
    pub next_run_date: NaiveDate,
    pub created_by: Uuid,
    pub created_by_email: String,
    pub approved_by: Option<Uuid>,
    pub approved_by_email: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub executed_by: Option<Uuid>,
    pub executed_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<Uuid>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = r)]
pub struct NewRun {
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    pub currency: String,
    pub method: String,
    pub file_format: String,
    pub pay_by_date: NaiveDate,
    pub payment_date: NaiveDate,
    pub next_run_date: NaiveDate,
    pub created_by: Uuid,
    pub created_by_email: String,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = it, check_for_backend(diesel::pg::Pg))]
pub struct ItemRow {
    pub id: Uuid,
    pub run_id: Uuid,
    pub seq: i32,
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub payment_terms: Option<String>,
    pub gross_amount: Decimal,
    pub discount_amount: Decimal,
    pub net_amount: Decimal,
    pub discount_deadline: Option<NaiveDate>,
    pub reason: String,
    pub bank_account_id: Option<Uuid>,
    pub first_payment_to_changed_account: bool,
    pub open: bool,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = ex, check_for_backend(diesel::pg::Pg))]
pub struct ExclusionRow {
    pub run_id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub amount: Option<Decimal>,
    pub reason: String,
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bank_files, check_for_backend(diesel::pg::Pg))]
pub struct BankFileRow {
    pub run_id: Uuid,
    pub format: String,
    pub filename: String,
    pub content_type: String,
    pub ciphertext: Vec<u8>,
    pub sha256: String,
    pub size_bytes: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_run(conn: &mut AsyncPgConnection, new: &NewRun) -> QueryResult<RunRow> {
    diesel::insert_into(r::table)
        .values(new.clone())
        .returning(RunRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn insert_items(conn: &mut AsyncPgConnection, items: &[ItemRow]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in items.chunks(2000) {
        n += diesel::insert_into(it::table)
            .values(chunk.to_vec())
            .execute(conn)
            .await?;
    }
    Ok(n)
}

pub async fn insert_exclusions(
    conn: &mut AsyncPgConnection,
    rows: &[ExclusionRow],
) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(5000) {
        n += diesel::insert_into(ex::table)
            .values(chunk.to_vec())
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(n)
}

pub async fn find_run(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    for_update: bool,
) -> QueryResult<Option<RunRow>> {
    let q = r::table.find(id).select(RunRow::as_select());
    if for_update {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

pub async fn items_of(conn: &mut AsyncPgConnection, run_id: Uuid) -> QueryResult<Vec<ItemRow>> {
    it::table
        .filter(it::run_id.eq(run_id))
        .order(it::seq)
        .select(ItemRow::as_select())
        .load(conn)
        .await
}

pub async fn exclusions_of(
    conn: &mut AsyncPgConnection,
    run_id: Uuid,
) -> QueryResult<Vec<ExclusionRow>> {
    ex::table
        .filter(ex::run_id.eq(run_id))
        .order((ex::vendor_name, ex::invoice_id))
        .select(ExclusionRow::as_select())
        .load(conn)
        .await
}

/// Removes items that could not be scheduled (they move to the exclusions).
pub async fn delete_items(
    conn: &mut AsyncPgConnection,
    run_id: Uuid,
    invoice_ids: &[Uuid],
) -> QueryResult<usize> {
    diesel::delete(
        it::table
            .filter(it::run_id.eq(run_id))
            .filter(it::invoice_id.eq_any(invoice_ids)),
    )
    .execute(conn)
    .await
}

/// Releases every item of a run (cancelled or executed): they no longer hold their invoices.
pub async fn close_items(conn: &mut AsyncPgConnection, run_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        it::table
            .filter(it::run_id.eq(run_id))
            .filter(it::open.eq(true)),
    )
    .set(it::open.eq(false))
    .execute(conn)
    .await
}

/// Compare-and-set of a run's status.
pub async fn set_status_if(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected: &[&str],
    to: &str,
    by: Uuid,
    email: &str,
    reason: Option<&str>,
) -> QueryResult<Option<RunRow>> {
    let now = Utc::now();
    let target = r::table
        .find(id)
        .filter(r::status.eq_any(expected.to_vec()));
    let q = match to {
        "approved" => {
            diesel::update(target)
                .set((
                    r::status.eq(to),
                    r::approved_by.eq(by),
                    r::approved_by_email.eq(email),
                    r::approved_at.eq(now),
                    r::updated_at.eq(now),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .await
        }
        "executed" => {
            diesel::update(target)
                .set((
                    r::status.eq(to),
                    r::executed_by.eq(by),
                    r::executed_at.eq(now),
                    r::updated_at.eq(now),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .await
        }
        _ => {
            diesel::update(target)
                .set((
                    r::status.eq(to),
                    r::cancelled_by.eq(by),
                    r::cancelled_at.eq(now),
                    r::cancel_reason.eq(reason),
                    r::updated_at.eq(now),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .await
        }
    };
    q.optional()
}

/// Newest first, keyset on (created_at, id).
pub async fn list_runs(
    conn: &mut AsyncPgConnection,
    statuses: &[String],
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<RunRow>> {
    let mut q = r::table
        .select(RunRow::as_select())
        .order((r::created_at.desc(), r::id.desc()))
        .limit(limit)
        .into_boxed();
    if !statuses.is_empty() {
        q = q.filter(r::status.eq_any(statuses.to_vec()));
    }
    if let Some((ts, id)) = after {
        q = q.filter(
            r::created_at
                .lt(ts)
                .or(r::created_at.eq(ts).and(r::id.lt(id))),
        );
    }
    q.load(conn).await
}

/// Item totals per run (for list pages): (count, gross, discount, net, flagged).
pub async fn item_totals(
    conn: &mut AsyncPgConnection,
    run_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, i64, Option<Decimal>, Option<Decimal>, Option<Decimal>)>> {
    use diesel::dsl::{count_star, sum};
    it::table
        .filter(it::run_id.eq_any(run_ids))
        .group_by(it::run_id)
        .select((
            it::run_id,
            count_star(),
            sum(it::gross_amount),
            sum(it::discount_amount),
            sum(it::net_amount),
        ))
        .load(conn)
        .await
}

pub async fn insert_bank_file(
    conn: &mut AsyncPgConnection,
    row: BankFileRow,
) -> QueryResult<usize> {
    diesel::insert_into(bank_files::table)
        .values(row)
        .execute(conn)
        .await
}

pub async fn find_bank_file(
    conn: &mut AsyncPgConnection,
    run_id: Uuid,
) -> QueryResult<Option<BankFileRow>> {
    bank_files::table
        .find(run_id)
        .select(BankFileRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn file_hashes(
    conn: &mut AsyncPgConnection,
    run_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String)>> {
    bank_files::table
        .filter(bank_files::run_id.eq_any(run_ids))
        .select((bank_files::run_id, bank_files::sha256))
        .load(conn)
        .await
}
