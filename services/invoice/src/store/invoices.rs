//! Invoices, lines, documents, corrections and extraction jobs.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{documents, extraction_jobs, invoice_corrections, invoice_lines, invoices};
use super::vendors::escape_like;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = invoices, check_for_backend(diesel::pg::Pg))]
pub struct InvoiceRow {
    pub id: Uuid,
    pub status: String,
    pub invoice_number: Option<String>,
    pub invoice_number_normalized: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub vendor_name_raw: Option<String>,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub subtotal: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
    pub total_amount: Option<Decimal>,
    pub amount_due: Option<Decimal>,
    pub po_number: Option<String>,
    pub payment_terms: Option<String>,
    pub fields: Value,
    pub source: String,
    pub uploaded_by: Option<Uuid>,
    pub last_corrected_by: Option<Uuid>,
    pub failure_reason: Option<String>,
    pub payment_status: Option<String>,
    pub payment_date: Option<NaiveDate>,
    pub payment_method: Option<String>,
    pub payment_reference: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// Approved by the rule engine without a person (kept in step with the match result).
    pub touchless: bool,
}

#[derive(Insertable)]
#[diesel(table_name = invoices)]
pub struct NewInvoice {
    pub id: Uuid,
    pub status: String,
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub source: String,
    pub uploaded_by: Option<Uuid>,
}

/// The correctable header fields; `None` leaves a field as it is.
#[derive(AsChangeset, Default, Clone, Debug)]
#[diesel(table_name = invoices)]
pub struct InvoiceChanges {
    pub invoice_number: Option<Option<String>>,
    pub invoice_number_normalized: Option<Option<String>>,
    pub vendor_id: Option<Option<Uuid>>,
    pub vendor_name: Option<Option<String>>,
    pub invoice_date: Option<Option<NaiveDate>>,
    pub due_date: Option<Option<NaiveDate>>,
    pub currency: Option<Option<String>>,
    pub subtotal: Option<Option<Decimal>>,
    pub tax_amount: Option<Option<Decimal>>,
    pub total_amount: Option<Option<Decimal>>,
    pub amount_due: Option<Option<Decimal>>,
    pub po_number: Option<Option<String>>,
    pub payment_terms: Option<Option<String>>,
    pub fields: Option<Value>,
    pub last_corrected_by: Option<Option<Uuid>>,
    pub vendor_name_raw: Option<Option<String>>,
    pub payee_iban: Option<Option<String>>,
}

pub async fn insert_invoice(
    conn: &mut AsyncPgConnection,
    new: NewInvoice,
) -> QueryResult<InvoiceRow> {
    diesel::insert_into(invoices::table)
        .values(new)
        .returning(InvoiceRow::as_returning())
        .get_result(conn)
        .await
}

/// A live invoice; `for_update` locks the row so concurrent corrections apply one after another.
pub async fn find_invoice(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    for_update: bool,
) -> QueryResult<Option<InvoiceRow>> {
    let q = invoices::table
        .find(id)
        .filter(invoices::deleted_at.is_null())
        .select(InvoiceRow::as_select());
    if for_update {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

/// Applies `changes` and bumps the version.
pub async fn update_invoice(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: InvoiceChanges,
) -> QueryResult<InvoiceRow> {
    diesel::update(invoices::table.find(id))
        .set((
            changes,
            invoices::version.eq(invoices::version + 1),
            invoices::updated_at.eq(Utc::now()),
        ))
        .returning(InvoiceRow::as_returning())
        .get_result(conn)
        .await
}

/// Compare-and-set of the status: applies only while the invoice is still `expected`.
/// `bump_version` is false for the rule engine's own moves (they belong to the request that
/// ran it: one correction is one version).
pub async fn set_status_if(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected: &str,
    to: &str,
    failure_reason: Option<&str>,
    bump_version: bool,
) -> QueryResult<Option<InvoiceRow>> {
    diesel::update(
        invoices::table
            .find(id)
            .filter(invoices::status.eq(expected))
            .filter(invoices::deleted_at.is_null()),
    )
    .set((
        invoices::status.eq(to),
        invoices::failure_reason.eq(failure_reason),
        invoices::version.eq(invoices::version + i32::from(bump_version)),
        invoices::updated_at.eq(Utc::now()),
    ))
    .returning(InvoiceRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn set_failure_reason(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(invoices::table.find(id))
        .set(invoices::failure_reason.eq(reason))
        .execute(conn)
        .await
}

pub struct PaymentFields<'a> {
    pub status: &'a str,
    pub date: Option<NaiveDate>,
    pub method: Option<&'a str>,
    pub reference: Option<&'a str>,
}

pub async fn set_payment(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    p: PaymentFields<'_>,
) -> QueryResult<InvoiceRow> {
    diesel::update(invoices::table.find(id))
        .set((
            invoices::payment_status.eq(p.status),
            invoices::payment_date.eq(p.date),
            invoices::payment_method.eq(p.method),
            invoices::payment_reference.eq(p.reference),
            invoices::version.eq(invoices::version + 1),
            invoices::updated_at.eq(Utc::now()),
        ))
        .returning(InvoiceRow::as_returning())
        .get_result(conn)
        .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = invoice_lines, check_for_backend(diesel::pg::Pg))]
pub struct InvoiceLineRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
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

pub async fn lines_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Vec<InvoiceLineRow>> {
    invoice_lines::table
        .filter(invoice_lines::invoice_id.eq(invoice_id))
        .order(invoice_lines::line_number)
        .select(InvoiceLineRow::as_select())
        .load(conn)
        .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct DocumentRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub storage_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = documents)]
pub struct NewDocument {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub storage_key: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

pub async fn insert_document(
    conn: &mut AsyncPgConnection,
    doc: NewDocument,
) -> QueryResult<DocumentRow> {
    diesel::insert_into(documents::table)
        .values(doc)
        .returning(DocumentRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn document_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Option<DocumentRow>> {
    documents::table
        .filter(documents::invoice_id.eq(invoice_id))
        .order(documents::created_at)
        .select(DocumentRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Serialises intake of identical bytes for the rest of the transaction.
pub async fn lock_document_hash(conn: &mut AsyncPgConnection, sha256: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('invoice-document-' || $1))")
        .bind::<Text, _>(sha256)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The live (not deleted, not cancelled) invoice that already has these bytes.
pub async fn find_live_invoice_with_document(
    conn: &mut AsyncPgConnection,
    sha256: &str,
) -> QueryResult<Option<Uuid>> {
    documents::table
        .inner_join(invoices::table)
        .filter(documents::sha256.eq(sha256))
        .filter(invoices::deleted_at.is_null())
        .filter(invoices::status.ne("cancelled"))
        .select(invoices::id)
        .first(conn)
        .await
        .optional()
}

pub async fn insert_extraction_job(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(extraction_jobs::table)
        .values((
            extraction_jobs::id.eq(id),
            extraction_jobs::invoice_id.eq(invoice_id),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// Everyone who ever corrected the invoice (separation of duties bars them all from
/// approving it, not only the last).
pub async fn correctors_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    invoice_corrections::table
        .filter(invoice_corrections::invoice_id.eq(invoice_id))
        .select(invoice_corrections::corrected_by)
        .distinct()
        .load(conn)
        .await
}

pub async fn insert_correction(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
    field: &str,
    old_value: Value,
    new_value: Value,
    by: Uuid,
) -> QueryResult<usize> {
    diesel::insert_into(invoice_corrections::table)
        .values((
            invoice_corrections::id.eq(Uuid::now_v7()),
            invoice_corrections::invoice_id.eq(invoice_id),
            invoice_corrections::field.eq(field),
            invoice_corrections::old_value.eq(old_value),
            invoice_corrections::new_value.eq(new_value),
            invoice_corrections::corrected_by.eq(by),
        ))
        .execute(conn)
        .await
}

/// Filters of the invoice list; every one optional.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    /// Any of these statuses; empty means every status.
    pub statuses: Vec<String>,
    pub payment_status: Option<String>,
    pub vendor_id: Option<Uuid>,
    pub po_number: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub q: Option<String>,
    pub invoice_date_from: Option<NaiveDate>,
    pub invoice_date_to: Option<NaiveDate>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

/// What the invoice list is ordered by; ties are always broken by id, in the same direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InvoiceSortKey {
    #[default]
    CreatedAt,
    DueDate,
    /// The payable amount: the amount due when stated, else the total.
    Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvoiceSort {
    pub key: InvoiceSortKey,
    pub descending: bool,
}

impl Default for InvoiceSort {
    /// Newest first.
    fn default() -> Self {
        Self {
            key: InvoiceSortKey::CreatedAt,
            descending: true,
        }
    }
}

/// The sort-key value of the last row of a page, with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvoiceAfter {
    CreatedAt(DateTime<Utc>, Uuid),
    DueDate(Option<NaiveDate>, Uuid),
    Amount(Option<Decimal>, Uuid),
}

/// The payable amount as SQL, matching `domain::payable::payable` (and the index on it).
const PAYABLE_SQL: &str = "COALESCE(amount_due, total_amount)";

/// One page in `sort` order, strictly after the keyset `after`. A single statement: no
/// count, no join, no offset. Due date and amount may be NULL: those rows come last in both
/// directions, ordered by id.
pub async fn list_invoices(
    conn: &mut AsyncPgConnection,
    filter: &InvoiceFilter,
    sort: InvoiceSort,
    after: Option<InvoiceAfter>,
    limit: i64,
) -> QueryResult<Vec<InvoiceRow>> {
    let (cmp, dir) = if sort.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let mut q = invoices::table
        .filter(invoices::deleted_at.is_null())
        .select(InvoiceRow::as_select())
        .limit(limit)
        .into_boxed();
    q = match (sort.key, sort.descending) {
        (InvoiceSortKey::CreatedAt, true) => {
            q.order((invoices::created_at.desc(), invoices::id.desc()))
        }
        (InvoiceSortKey::CreatedAt, false) => q.order((invoices::created_at, invoices::id)),
        (InvoiceSortKey::DueDate, _) => q.order(diesel::dsl::sql::<Bool>(&format!(
            "due_date IS NULL, due_date {dir}, id {dir}"
        ))),
        (InvoiceSortKey::Amount, _) => q.order(diesel::dsl::sql::<Bool>(&format!(
            "{PAYABLE_SQL} IS NULL, {PAYABLE_SQL} {dir}, id {dir}"
        ))),
    };
    // `(key, id) < (v, id0)` for descending, `>` for ascending; a NULL key follows every
    // non-NULL one, so after a non-NULL value all NULL rows are still to come.
    q = match after {
        None => q,
        Some(InvoiceAfter::CreatedAt(ts, id)) => q.filter(
            diesel::dsl::sql::<Bool>(&format!("(created_at, id) {cmp} ("))
                .bind::<Timestamptz, _>(ts)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        ),
        Some(InvoiceAfter::DueDate(Some(d), id)) => q.filter(
            diesel::dsl::sql::<Bool>(&format!("(due_date IS NULL OR (due_date, id) {cmp} ("))
                .bind::<Date, _>(d)
                .sql(", ")
                .bind::<SqlUuid, _>(id)
                .sql("))"),
        ),
        Some(InvoiceAfter::Amount(Some(a), id)) => q.filter(
            diesel::dsl::sql::<Bool>(&format!(
                "({PAYABLE_SQL} IS NULL OR ({PAYABLE_SQL}, id) {cmp} ("
            ))
            .bind::<Numeric, _>(a)
            .sql(", ")
            .bind::<SqlUuid, _>(id)
            .sql("))"),
        ),
        Some(InvoiceAfter::DueDate(None, id)) => q.filter(
            diesel::dsl::sql::<Bool>(&format!("(due_date IS NULL AND id {cmp} "))
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        ),
        Some(InvoiceAfter::Amount(None, id)) => q.filter(
            diesel::dsl::sql::<Bool>(&format!("({PAYABLE_SQL} IS NULL AND id {cmp} "))
                .bind::<SqlUuid, _>(id)
                .sql(")"),
        ),
    };
    if !filter.statuses.is_empty() {
        q = q.filter(invoices::status.eq_any(filter.statuses.clone()));
    }
    if let Some(s) = &filter.payment_status {
        q = q.filter(invoices::payment_status.eq(s.clone()));
    }
    if let Some(v) = filter.vendor_id {
        q = q.filter(invoices::vendor_id.eq(v));
    }
    if let Some(p) = &filter.po_number {
        q = q.filter(invoices::po_number.eq(p.clone()));
    }
    if let Some(d) = filter.due_before {
        q = q.filter(invoices::due_date.le(d));
    }
    if let Some(d) = filter.invoice_date_from {
        q = q.filter(invoices::invoice_date.ge(d));
    }
    if let Some(d) = filter.invoice_date_to {
        q = q.filter(invoices::invoice_date.le(d));
    }
    if let Some(t) = filter.created_from {
        q = q.filter(invoices::created_at.ge(t));
    }
    if let Some(t) = filter.created_to {
        q = q.filter(invoices::created_at.le(t));
    }
    if let Some(text) = &filter.q {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        q = q.filter(
            diesel::dsl::sql::<Bool>("(lower(invoice_number) LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" OR lower(vendor_name) LIKE ")
                .bind::<Text, _>(pattern)
                .sql(")"),
        );
    }
    q.load(conn).await
}

pub async fn set_touchless(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    touchless: bool,
) -> QueryResult<()> {
    diesel::update(invoices::table.find(id))
        .set(invoices::touchless.eq(touchless))
        .execute(conn)
        .await?;
    Ok(())
}

/// The payee account printed on the invoice, as extracted.
pub async fn payee_iban_of(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<String>> {
    invoices::table
        .find(id)
        .select(invoices::payee_iban)
        .first::<Option<String>>(conn)
        .await
        .optional()
        .map(Option::flatten)
}

/// What the decision that moved an invoice to `approved` approved.
#[derive(Clone, Debug, QueryableByName)]
pub struct ApprovalRecord {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    pub approved_amount: Option<Decimal>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub approved_currency: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub approved_vendor_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub approved_bank_account_id: Option<Uuid>,
}

/// Records what is being approved, in the transaction that moves the invoice to `approved`:
/// the payable amount (amount_due, else total_amount), its currency, the vendor and the
/// vendor's bank account current now.
pub async fn record_approval(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<ApprovalRecord> {
    diesel::sql_query(
        "UPDATE invoices i SET approved_amount = COALESCE(i.amount_due, i.total_amount), \
         approved_currency = i.currency, approved_vendor_id = i.vendor_id, \
         approved_bank_account_id = (SELECT b.id FROM vendor_bank_accounts b \
             WHERE b.vendor_id = i.vendor_id AND b.is_current LIMIT 1), \
         approved_at = now() WHERE i.id = $1 \
         RETURNING approved_amount, approved_currency::text AS approved_currency, \
             approved_vendor_id, approved_bank_account_id",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await
}

/// Forgets the approval record: the invoice went back to matching.
pub async fn clear_approval(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE invoices SET approved_amount = NULL, approved_currency = NULL, \
         approved_vendor_id = NULL, approved_bank_account_id = NULL, approved_at = NULL \
         WHERE id = $1 AND approved_at IS NOT NULL",
    )
    .bind::<SqlUuid, _>(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// An approved invoice whose approval recorded an account the vendor no longer pays to.
#[derive(Clone, Debug, QueryableByName)]
pub struct StaleApproval {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    pub approved_amount: Option<Decimal>,
    #[diesel(sql_type = SqlUuid)]
    pub approved_bank_account_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub current_bank_account_id: Uuid,
}

/// Locks the `approved` invoices (of `vendor_id`, or among `ids`) whose approval recorded a
/// bank account other than their vendor's current verified one: what the approval looked at
/// no longer holds. An invoice approved without a recorded account is not one of them.
pub async fn lock_approved_on_replaced_account(
    conn: &mut AsyncPgConnection,
    vendor_id: Option<Uuid>,
    ids: &[Uuid],
) -> QueryResult<Vec<StaleApproval>> {
    diesel::sql_query(
        "SELECT i.id, i.approved_amount, i.approved_bank_account_id, \
             b.id AS current_bank_account_id FROM invoices i \
         JOIN vendor_bank_accounts b ON b.vendor_id = i.vendor_id AND b.is_current \
             AND b.status = 'verified' \
         WHERE i.status = 'approved' AND i.deleted_at IS NULL \
           AND i.approved_bank_account_id IS NOT NULL AND i.approved_bank_account_id <> b.id \
           AND (i.vendor_id = $1 OR i.id = ANY($2)) \
         ORDER BY i.id FOR UPDATE OF i",
    )
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(vendor_id)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)
    .await
}
