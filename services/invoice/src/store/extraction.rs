//! The extraction queue (claimed with FOR UPDATE SKIP LOCKED, so any number of workers and
//! replicas can run), extraction results, exceptions, and vendor lookups for resolution.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::{extraction_jobs, invoice_lines, vendor_bank_accounts, vendors};

#[derive(QueryableByName, Debug, Clone, Copy)]
pub struct ClaimedJob {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub invoice_id: Uuid,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Takes the next due job (or one whose worker died more than `lease_secs` ago).
pub async fn claim_job(
    conn: &mut AsyncPgConnection,
    lease_secs: i32,
) -> QueryResult<Option<ClaimedJob>> {
    diesel::sql_query(
        "UPDATE extraction_jobs SET status = 'running', attempts = attempts + 1, locked_at = now(), \
         updated_at = now() \
         WHERE id = (SELECT id FROM extraction_jobs \
                     WHERE (status = 'queued' AND run_after <= now()) \
                        OR (status = 'running' AND locked_at < now() - make_interval(secs => $1)) \
                     ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, invoice_id, attempts",
    )
    .bind::<Integer, _>(lease_secs)
    .get_result(conn)
    .await
    .optional()
}

pub async fn finish_job(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    method: Option<&str>,
    error: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(extraction_jobs::table.find(id))
        .set((
            extraction_jobs::status.eq(status),
            extraction_jobs::method.eq(method),
            extraction_jobs::last_error.eq(error),
            extraction_jobs::finished_at.eq(Utc::now()),
            extraction_jobs::locked_at.eq(None::<DateTime<Utc>>),
            extraction_jobs::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Puts a job back in the queue after a transient failure.
pub async fn retry_job(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    delay_secs: f64,
    error: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE extraction_jobs SET status = 'queued', locked_at = NULL, last_error = $2, \
         run_after = now() + make_interval(secs => $3), updated_at = now() WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(error)
    .bind::<Double, _>(delay_secs)
    .execute(conn)
    .await
}

pub struct NewLine {
    pub line_number: i32,
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    pub unit: Option<String>,
    pub unit_price: Option<Decimal>,
    pub line_total: Option<Decimal>,
    pub tax_rate: Option<Decimal>,
    pub po_line_number: Option<i32>,
    pub source: String,
}

/// Replaces every automatically extracted line; manual lines stay.
pub async fn replace_automatic_lines(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    lines: &[NewLine],
) -> QueryResult<()> {
    diesel::delete(
        invoice_lines::table
            .filter(invoice_lines::invoice_id.eq(invoice_id))
            .filter(invoice_lines::source.ne("manual")),
    )
    .execute(conn)
    .await?;
    let taken: Vec<i32> = invoice_lines::table
        .filter(invoice_lines::invoice_id.eq(invoice_id))
        .select(invoice_lines::line_number)
        .load(conn)
        .await?;
    for l in lines.iter().filter(|l| !taken.contains(&l.line_number)) {
        diesel::insert_into(invoice_lines::table)
            .values((
                invoice_lines::id.eq(Uuid::now_v7()),
                invoice_lines::invoice_id.eq(invoice_id),
                invoice_lines::line_number.eq(l.line_number),
                invoice_lines::description.eq(&l.description),
                invoice_lines::quantity.eq(l.quantity),
                invoice_lines::unit.eq(&l.unit),
                invoice_lines::unit_price.eq(l.unit_price),
                invoice_lines::line_total.eq(l.line_total),
                invoice_lines::tax_rate.eq(l.tax_rate),
                invoice_lines::po_line_number.eq(l.po_line_number),
                invoice_lines::source.eq(&l.source),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Live vendors whose current bank account has this fingerprint.
pub async fn vendors_with_account(
    conn: &mut AsyncPgConnection,
    fingerprint: &str,
) -> QueryResult<Vec<Uuid>> {
    vendor_bank_accounts::table
        .inner_join(vendors::table)
        .filter(vendor_bank_accounts::fingerprint.eq(fingerprint))
        .filter(vendor_bank_accounts::is_current.eq(true))
        .filter(vendors::deleted_at.is_null())
        .select(vendors::id)
        .load(conn)
        .await
}

#[derive(QueryableByName, Debug)]
pub struct NameCandidate {
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// Vendors whose name or an alias is close to `name` (pg_trgm prefilter; the caller scores).
pub async fn vendor_name_candidates(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> QueryResult<Vec<NameCandidate>> {
    diesel::sql_query(
        "SELECT id AS vendor_id, name FROM vendors \
         WHERE deleted_at IS NULL AND is_active AND lower(name) OPERATOR(public.%) lower($1) \
         UNION ALL \
         SELECT a.vendor_id, a.alias AS name FROM vendor_aliases a JOIN vendors v ON v.id = a.vendor_id \
         WHERE v.deleted_at IS NULL AND v.is_active AND a.alias_normalized OPERATOR(public.%) lower($1) \
         LIMIT 50",
    )
    .bind::<Text, _>(name)
    .load(conn)
    .await
}

#[derive(QueryableByName, Debug, Clone)]
pub struct DuplicateCandidate {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub invoice_number: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    pub invoice_date: Option<chrono::NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub exact: bool,
}

/// Live (not deleted, not cancelled) invoices of the same vendor that look like this one: the
/// same normalised number (exact), or an amount within 0.1 % and a date within 7 days
/// (suspected). Served by the (vendor_id, invoice_number_normalized) and vendor indexes.
pub async fn find_duplicates(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    vendor_id: Uuid,
    number_normalized: Option<&str>,
    total: Option<Decimal>,
    invoice_date: Option<chrono::NaiveDate>,
) -> QueryResult<Vec<DuplicateCandidate>> {
    use diesel::sql_types::{Date, Nullable, Numeric};
    diesel::sql_query(
        "SELECT id, invoice_number, invoice_date, created_at, \
                coalesce(invoice_number_normalized = $3, false) AS exact \
         FROM invoices \
         WHERE vendor_id = $2 AND id <> $1 AND deleted_at IS NULL AND status <> 'cancelled' \
           AND (invoice_number_normalized = $3 \
                OR (total_amount IS NOT NULL AND $4::numeric IS NOT NULL AND $5::date IS NOT NULL \
                    AND abs(total_amount - $4::numeric) <= abs($4::numeric) * 0.001 \
                    AND invoice_date BETWEEN $5::date - 7 AND $5::date + 7)) \
         ORDER BY exact DESC, created_at LIMIT 5",
    )
    .bind::<SqlUuid, _>(invoice_id)
    .bind::<SqlUuid, _>(vendor_id)
    .bind::<Nullable<Text>, _>(number_normalized)
    .bind::<Nullable<Numeric>, _>(total)
    .bind::<Nullable<Date>, _>(invoice_date)
    .load(conn)
    .await
}
