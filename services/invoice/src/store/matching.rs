//! Matching: rule sets and overrides, the PO with cumulative receipts and what other invoices
//! claimed, stored results, and the facts risk needs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    BigInt, Bool, Integer, Jsonb, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

#[derive(QueryableByName, Clone, Debug, PartialEq)]
pub struct RuleSetRow {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Numeric)]
    pub price_pct: Decimal,
    #[diesel(sql_type = Numeric)]
    pub price_abs: Decimal,
    #[diesel(sql_type = Numeric)]
    pub qty_pct: Decimal,
    /// Cumulative receipts may exceed a line's ordered quantity by this fraction.
    #[diesel(sql_type = Numeric)]
    pub over_receipt_pct: Decimal,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub created_by: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub published_by: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName, Clone, Debug, PartialEq)]
pub struct OverrideRow {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Numeric)]
    pub price_pct: Decimal,
    #[diesel(sql_type = Numeric)]
    pub price_abs: Decimal,
    #[diesel(sql_type = Numeric)]
    pub qty_pct: Decimal,
}

/// The tolerances that apply to a vendor under the latest published rule set.
#[derive(QueryableByName, Clone, Debug, PartialEq)]
pub struct AppliedRules {
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Numeric)]
    pub price_pct: Decimal,
    #[diesel(sql_type = Numeric)]
    pub price_abs: Decimal,
    #[diesel(sql_type = Numeric)]
    pub qty_pct: Decimal,
    #[diesel(sql_type = Bool)]
    pub vendor_override: bool,
}

const RULE_SET_COLUMNS: &str = "version, status, price_pct, price_abs, qty_pct, over_receipt_pct, note, created_by, \
     created_at, published_by, published_at";

pub async fn applied_rules(
    conn: &mut AsyncPgConnection,
    vendor_id: Option<Uuid>,
) -> QueryResult<AppliedRules> {
    diesel::sql_query(
        "SELECT r.version, coalesce(o.price_pct, r.price_pct) AS price_pct, \
                coalesce(o.price_abs, r.price_abs) AS price_abs, \
                coalesce(o.qty_pct, r.qty_pct) AS qty_pct, (o.vendor_id IS NOT NULL) AS vendor_override \
         FROM match_rule_sets r \
         LEFT JOIN match_rule_overrides o ON o.version = r.version AND o.vendor_id = $1 \
         WHERE r.status = 'published' ORDER BY r.version DESC LIMIT 1",
    )
    .bind::<Nullable<SqlUuid>, _>(vendor_id)
    .get_result(conn)
    .await
}

/// The over-receipt tolerance of the latest published rule set (zero when none is published).
pub async fn over_receipt_tolerance(conn: &mut AsyncPgConnection) -> QueryResult<Decimal> {
    #[derive(QueryableByName)]
    struct Tolerance {
        #[diesel(sql_type = Numeric)]
        over_receipt_pct: Decimal,
    }
    let row: Option<Tolerance> = diesel::sql_query(
        "SELECT over_receipt_pct FROM match_rule_sets WHERE status = 'published' \
         ORDER BY version DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map_or(Decimal::ZERO, |r| r.over_receipt_pct))
}

pub async fn rule_sets(conn: &mut AsyncPgConnection) -> QueryResult<Vec<RuleSetRow>> {
    diesel::sql_query(format!(
        "SELECT {RULE_SET_COLUMNS} FROM match_rule_sets ORDER BY version DESC"
    ))
    .load(conn)
    .await
}

pub async fn rule_set(
    conn: &mut AsyncPgConnection,
    version: i32,
    lock: bool,
) -> QueryResult<Option<RuleSetRow>> {
    diesel::sql_query(format!(
        "SELECT {RULE_SET_COLUMNS} FROM match_rule_sets WHERE version = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind::<Integer, _>(version)
    .get_result(conn)
    .await
    .optional()
}

pub async fn overrides_of(
    conn: &mut AsyncPgConnection,
    version: i32,
) -> QueryResult<Vec<OverrideRow>> {
    diesel::sql_query(
        "SELECT version, vendor_id, price_pct, price_abs, qty_pct FROM match_rule_overrides \
         WHERE version = $1 ORDER BY vendor_id",
    )
    .bind::<Integer, _>(version)
    .load(conn)
    .await
}

/// A new draft copying the latest published version and its overrides. The partial unique
/// index refuses a second draft.
pub async fn create_draft(
    conn: &mut AsyncPgConnection,
    created_by: Uuid,
) -> QueryResult<RuleSetRow> {
    let row: RuleSetRow = diesel::sql_query(format!(
        "INSERT INTO match_rule_sets (version, status, price_pct, price_abs, qty_pct, over_receipt_pct, note, created_by) \
         SELECT (SELECT max(version) + 1 FROM match_rule_sets), 'draft', price_pct, price_abs, qty_pct, \
                over_receipt_pct, note, $1 \
         FROM match_rule_sets WHERE status = 'published' ORDER BY version DESC LIMIT 1 \
         RETURNING {RULE_SET_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(created_by)
    .get_result(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO match_rule_overrides (version, vendor_id, price_pct, price_abs, qty_pct) \
         SELECT $1, vendor_id, price_pct, price_abs, qty_pct FROM match_rule_overrides \
         WHERE version = (SELECT max(version) FROM match_rule_sets WHERE status = 'published')",
    )
    .bind::<Integer, _>(row.version)
    .execute(conn)
    .await?;
    Ok(row)
}

pub async fn update_draft(
    conn: &mut AsyncPgConnection,
    version: i32,
    price_pct: Decimal,
    price_abs: Decimal,
    qty_pct: Decimal,
    over_receipt_pct: Option<Decimal>,
    note: Option<&str>,
) -> QueryResult<RuleSetRow> {
    diesel::sql_query(format!(
        "UPDATE match_rule_sets SET price_pct = $2, price_abs = $3, qty_pct = $4, note = $5, \
                over_receipt_pct = coalesce($6, over_receipt_pct) \
         WHERE version = $1 AND status = 'draft' RETURNING {RULE_SET_COLUMNS}"
    ))
    .bind::<Integer, _>(version)
    .bind::<Numeric, _>(price_pct)
    .bind::<Numeric, _>(price_abs)
    .bind::<Numeric, _>(qty_pct)
    .bind::<Nullable<Text>, _>(note)
    .bind::<Nullable<Numeric>, _>(over_receipt_pct)
    .get_result(conn)
    .await
}

pub async fn replace_overrides(
    conn: &mut AsyncPgConnection,
    version: i32,
    overrides: &[OverrideRow],
) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM match_rule_overrides WHERE version = $1")
        .bind::<Integer, _>(version)
        .execute(conn)
        .await?;
    for o in overrides {
        diesel::sql_query(
            "INSERT INTO match_rule_overrides (version, vendor_id, price_pct, price_abs, qty_pct) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind::<Integer, _>(version)
        .bind::<SqlUuid, _>(o.vendor_id)
        .bind::<Numeric, _>(o.price_pct)
        .bind::<Numeric, _>(o.price_abs)
        .bind::<Numeric, _>(o.qty_pct)
        .execute(conn)
        .await?;
    }
    Ok(())
}

pub async fn publish(
    conn: &mut AsyncPgConnection,
    version: i32,
    by: Uuid,
) -> QueryResult<RuleSetRow> {
    diesel::sql_query(format!(
        "UPDATE match_rule_sets SET status = 'published', published_by = $2, published_at = now() \
         WHERE version = $1 AND status = 'draft' RETURNING {RULE_SET_COLUMNS}"
    ))
    .bind::<Integer, _>(version)
    .bind::<SqlUuid, _>(by)
    .get_result(conn)
    .await
}

pub async fn delete_draft(conn: &mut AsyncPgConnection, version: i32) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM match_rule_sets WHERE version = $1 AND status = 'draft'")
        .bind::<Integer, _>(version)
        .execute(conn)
        .await
}

#[derive(QueryableByName, Clone, Debug)]
pub struct PoHeader {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub po_number: String,
    #[diesel(sql_type = SqlUuid)]
    pub vendor_id: Uuid,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub match_type: String,
}

#[derive(QueryableByName, Clone, Debug)]
pub struct PoLineFacts {
    #[diesel(sql_type = Integer)]
    pub line_number: i32,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Numeric)]
    pub quantity: Decimal,
    #[diesel(sql_type = Numeric)]
    pub unit_price: Decimal,
    #[diesel(sql_type = Numeric)]
    pub received: Decimal,
    #[diesel(sql_type = Numeric)]
    pub invoiced_elsewhere: Decimal,
}

/// The PO of that number, locked: invoices against one PO are matched one at a time, so two of
/// them can never both claim the same received quantity.
pub async fn lock_po(
    conn: &mut AsyncPgConnection,
    po_number: &str,
) -> QueryResult<Option<PoHeader>> {
    diesel::sql_query(
        "SELECT id, po_number, vendor_id, currency::text AS currency, status, match_type \
         FROM purchase_orders WHERE po_number = btrim($1) FOR UPDATE",
    )
    .bind::<Text, _>(po_number)
    .get_result(conn)
    .await
    .optional()
}

/// Each PO line with everything received on it and what other live invoices already claimed.
pub async fn po_line_facts(
    conn: &mut AsyncPgConnection,
    po_id: Uuid,
    invoice_id: Uuid,
) -> QueryResult<Vec<PoLineFacts>> {
    diesel::sql_query(
        "SELECT l.line_number, l.description, l.quantity, l.unit_price, \
                coalesce((SELECT sum(r.quantity) FROM receipt_lines r WHERE r.po_line_id = l.id), 0) \
                    AS received, \
                coalesce((SELECT sum(m.quantity) FROM match_lines m JOIN invoices i ON i.id = m.invoice_id \
                          WHERE m.po_id = l.po_id AND m.po_line = l.line_number AND m.invoice_id <> $2 \
                            AND i.deleted_at IS NULL AND i.status NOT IN ('cancelled', 'rejected')), 0) \
                    AS invoiced_elsewhere \
         FROM po_lines l WHERE l.po_id = $1 ORDER BY l.line_number",
    )
    .bind::<SqlUuid, _>(po_id)
    .bind::<SqlUuid, _>(invoice_id)
    .load(conn)
    .await
}

pub struct NewMatchResult<'a> {
    pub invoice_id: Uuid,
    pub kind: &'a str,
    pub status: &'a str,
    pub rule_version: i32,
    pub po_id: Option<Uuid>,
    pub tolerance: Value,
    pub header: Value,
    pub risk_score: i32,
    pub risk_reasons: Value,
    pub outcome: &'a str,
    pub touchless: bool,
}

pub struct NewMatchLine {
    pub invoice_line: i32,
    pub po_line: Option<i32>,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub po_unit_price: Option<Decimal>,
    pub price_variance: Option<Decimal>,
    pub qty_variance: Option<Decimal>,
    pub matched: bool,
}

/// Stores the result of a run, replacing the previous one (one row per invoice). Returns how
/// many runs the invoice has had.
pub async fn save_result(
    conn: &mut AsyncPgConnection,
    r: &NewMatchResult<'_>,
    lines: &[NewMatchLine],
) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Runs {
        #[diesel(sql_type = Integer)]
        runs: i32,
    }
    let saved: Runs = diesel::sql_query(
        "INSERT INTO match_results (invoice_id, kind, status, rule_version, po_id, tolerance, header, \
                                    risk_score, risk_reasons, outcome, touchless) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (invoice_id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, \
             rule_version = EXCLUDED.rule_version, po_id = EXCLUDED.po_id, tolerance = EXCLUDED.tolerance, \
             header = EXCLUDED.header, risk_score = EXCLUDED.risk_score, \
             risk_reasons = EXCLUDED.risk_reasons, outcome = EXCLUDED.outcome, \
             touchless = EXCLUDED.touchless, runs = match_results.runs + 1, matched_at = now() \
         RETURNING runs",
    )
    .bind::<SqlUuid, _>(r.invoice_id)
    .bind::<Text, _>(r.kind)
    .bind::<Text, _>(r.status)
    .bind::<Integer, _>(r.rule_version)
    .bind::<Nullable<SqlUuid>, _>(r.po_id)
    .bind::<Jsonb, _>(&r.tolerance)
    .bind::<Jsonb, _>(&r.header)
    .bind::<Integer, _>(r.risk_score)
    .bind::<Jsonb, _>(&r.risk_reasons)
    .bind::<Text, _>(r.outcome)
    .bind::<Bool, _>(r.touchless)
    .get_result(conn)
    .await?;
    diesel::sql_query("DELETE FROM match_lines WHERE invoice_id = $1")
        .bind::<SqlUuid, _>(r.invoice_id)
        .execute(conn)
        .await?;
    for l in lines {
        diesel::sql_query(
            "INSERT INTO match_lines (invoice_id, invoice_line, po_id, po_line, quantity, unit_price, \
                                      po_unit_price, price_variance, qty_variance, matched) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind::<SqlUuid, _>(r.invoice_id)
        .bind::<Integer, _>(l.invoice_line)
        .bind::<Nullable<SqlUuid>, _>(l.po_line.and(r.po_id))
        .bind::<Nullable<Integer>, _>(l.po_line)
        .bind::<Nullable<Numeric>, _>(l.quantity)
        .bind::<Nullable<Numeric>, _>(l.unit_price)
        .bind::<Nullable<Numeric>, _>(l.po_unit_price)
        .bind::<Nullable<Numeric>, _>(l.price_variance)
        .bind::<Nullable<Numeric>, _>(l.qty_variance)
        .bind::<Bool, _>(l.matched)
        .execute(conn)
        .await?;
    }
    Ok(saved.runs)
}

#[derive(QueryableByName, Clone, Debug)]
pub struct MatchResultRow {
    #[diesel(sql_type = SqlUuid)]
    pub invoice_id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub rule_version: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub po_number: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub tolerance: Value,
    #[diesel(sql_type = Jsonb)]
    pub header: Value,
    #[diesel(sql_type = Integer)]
    pub risk_score: i32,
    #[diesel(sql_type = Jsonb)]
    pub risk_reasons: Value,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Bool)]
    pub touchless: bool,
    #[diesel(sql_type = Integer)]
    pub runs: i32,
    #[diesel(sql_type = Timestamptz)]
    pub matched_at: DateTime<Utc>,
}

#[derive(QueryableByName, Clone, Debug)]
pub struct MatchLineRow {
    #[diesel(sql_type = Integer)]
    pub invoice_line: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub po_line: Option<i32>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub quantity: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub unit_price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub po_unit_price: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub price_variance: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub qty_variance: Option<Decimal>,
    #[diesel(sql_type = Bool)]
    pub matched: bool,
}

pub async fn result_of(
    conn: &mut AsyncPgConnection,
    invoice_id: Uuid,
) -> QueryResult<Option<(MatchResultRow, Vec<MatchLineRow>)>> {
    let Some(head): Option<MatchResultRow> = diesel::sql_query(
        "SELECT m.invoice_id, m.kind, m.status, m.rule_version, p.po_number, m.tolerance, m.header, \
                m.risk_score, m.risk_reasons, m.outcome, m.touchless, m.runs, m.matched_at \
         FROM match_results m LEFT JOIN purchase_orders p ON p.id = m.po_id WHERE m.invoice_id = $1",
    )
    .bind::<SqlUuid, _>(invoice_id)
    .get_result(conn)
    .await
    .optional()?
    else {
        return Ok(None);
    };
    let lines = diesel::sql_query(
        "SELECT invoice_line, po_line, quantity, unit_price, po_unit_price, price_variance, \
                qty_variance, matched FROM match_lines WHERE invoice_id = $1 ORDER BY invoice_line",
    )
    .bind::<SqlUuid, _>(invoice_id)
    .load(conn)
    .await?;
    Ok(Some((head, lines)))
}

#[derive(QueryableByName, Clone, Debug)]
pub struct BankFactsRow {
    #[diesel(sql_type = Bool)]
    pub is_initial: bool,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub fingerprint: String,
}

pub async fn current_bank_facts(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> QueryResult<Option<BankFactsRow>> {
    diesel::sql_query(
        "SELECT is_initial, status, created_at, fingerprint FROM vendor_bank_accounts \
         WHERE vendor_id = $1 AND is_current",
    )
    .bind::<SqlUuid, _>(vendor_id)
    .get_result(conn)
    .await
    .optional()
}

/// Names of other live vendors whose current account has this fingerprint.
pub async fn vendors_sharing_account(
    conn: &mut AsyncPgConnection,
    fingerprint: &str,
    vendor_id: Uuid,
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let rows: Vec<N> = diesel::sql_query(
        "SELECT v.name FROM vendor_bank_accounts a JOIN vendors v ON v.id = a.vendor_id \
         WHERE a.fingerprint = $1 AND a.is_current AND a.vendor_id <> $2 AND v.deleted_at IS NULL \
         ORDER BY v.name LIMIT 5",
    )
    .bind::<Text, _>(fingerprint)
    .bind::<SqlUuid, _>(vendor_id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

#[derive(QueryableByName, Clone, Debug)]
pub struct VendorHistory {
    #[diesel(sql_type = BigInt)]
    pub paid: i64,
    #[diesel(sql_type = BigInt)]
    pub settled: i64,
    /// percentile_disc keeps the exact NUMERIC value (no float).
    #[diesel(sql_type = Nullable<Numeric>)]
    pub median: Option<Decimal>,
}

/// Paid invoices of the vendor, and the median total of its approved-or-later invoices in
/// `currency` (other than `invoice_id`).
pub async fn vendor_history(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
    currency: &str,
    invoice_id: Uuid,
) -> QueryResult<VendorHistory> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status = 'paid') AS paid, \
                count(*) FILTER (WHERE s) AS settled, \
                percentile_disc(0.5) WITHIN GROUP (ORDER BY total_amount) FILTER (WHERE s) AS median \
         FROM (SELECT status, total_amount, \
                      (status IN ('approved', 'scheduled', 'paid') AND currency = $2 AND id <> $3 \
                       AND total_amount IS NOT NULL) AS s \
               FROM invoices WHERE vendor_id = $1 AND deleted_at IS NULL) t",
    )
    .bind::<SqlUuid, _>(vendor_id)
    .bind::<Text, _>(currency)
    .bind::<SqlUuid, _>(invoice_id)
    .get_result(conn)
    .await
}

pub async fn vendor_po_required(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> QueryResult<bool> {
    use super::schema::vendors;
    vendors::table
        .find(vendor_id)
        .select(vendors::po_required)
        .first(conn)
        .await
        .optional()
        .map(|v| v.unwrap_or(true))
}

#[derive(QueryableByName, Clone, Debug)]
pub struct OutcomeCount {
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Bool)]
    pub touchless: bool,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// How matched invoices ended: per outcome, touchless apart.
pub async fn outcome_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<OutcomeCount>> {
    diesel::sql_query(
        "SELECT outcome, touchless, count(*) AS n FROM match_results GROUP BY outcome, touchless \
         ORDER BY outcome, touchless",
    )
    .load(conn)
    .await
}

#[derive(QueryableByName)]
struct RunCount {
    #[diesel(sql_type = Integer)]
    runs: i32,
}

/// How many match runs the invoice has had (0 when never matched).
pub async fn match_run_of(conn: &mut AsyncPgConnection, invoice_id: Uuid) -> QueryResult<i32> {
    let row: Option<RunCount> =
        diesel::sql_query("SELECT runs FROM match_results WHERE invoice_id = $1")
            .bind::<SqlUuid, _>(invoice_id)
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map_or(0, |r| r.runs))
}

#[derive(QueryableByName)]
struct CostCentre {
    #[diesel(sql_type = Text)]
    cost_centre: String,
}

/// The purchase order's cost centre when all its lines that name one agree (the department
/// the approval matrix routes by); `None` when none or several are named.
pub async fn po_cost_centre(
    conn: &mut AsyncPgConnection,
    po_id: Uuid,
) -> QueryResult<Option<String>> {
    let rows: Vec<CostCentre> = diesel::sql_query(
        "SELECT DISTINCT btrim(cost_centre) AS cost_centre FROM po_lines \
         WHERE po_id = $1 AND btrim(coalesce(cost_centre, '')) <> '' LIMIT 2",
    )
    .bind::<SqlUuid, _>(po_id)
    .load(conn)
    .await?;
    Ok(match rows.as_slice() {
        [one] => Some(one.cost_centre.clone()),
        _ => None,
    })
}
