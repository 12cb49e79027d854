//! CSV imports of vendors, purchase orders (header + lines) and goods receipts (header +
//! lines). The file is parsed as it streams in; each valid row is upserted idempotently under
//! a savepoint, so one bad row is reported (row number and field) without losing the others.
//! The whole file is one transaction: more than the row limit, or a cut-short upload, keeps
//! nothing.

use ap_kit::audit::{self, AuditEvent};
use csv_async::{AsyncReaderBuilder, StringRecord, Trim};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures::{Stream, StreamExt};
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, MASTER_WRITE};
use crate::domain::csv_rows::{
    self, ImportKind, PoRow as PoCsvRow, ReceiptRow as ReceiptCsvRow, VendorRow as VendorCsvRow,
};
use crate::domain::values::{FieldError, normalize_name, normalize_tax_id};
use crate::store::orders::{self as order_store, PoData, PoLineData};
use crate::store::vendors::{self as vendor_store, VendorData};

pub const MAX_ROWS: u32 = 10_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub errors: Vec<(u32, FieldError)>,
}

impl ImportReport {
    pub fn failed(&self) -> u32 {
        let mut rows: Vec<u32> = self.errors.iter().map(|(r, _)| *r).collect();
        rows.dedup();
        u32::try_from(rows.len()).unwrap_or(u32::MAX)
    }
}

/// What one row did.
enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Why one row failed; rolled back to its savepoint.
enum RowFailure {
    Fields(Vec<FieldError>),
    Db(AppError),
}

impl From<diesel::result::Error> for RowFailure {
    fn from(e: diesel::result::Error) -> Self {
        RowFailure::Db(e.into())
    }
}

impl From<AppError> for RowFailure {
    fn from(e: AppError) -> Self {
        RowFailure::Db(e)
    }
}

fn field_err(field: &str, message: &str) -> RowFailure {
    RowFailure::Fields(vec![FieldError::new(field, message)])
}

impl InvoiceApp {
    #[tracing::instrument(skip_all, fields(import.kind = kind.as_str()))]
    pub async fn import_csv<S>(
        &self,
        caller: &Caller,
        kind: ImportKind,
        data: S,
    ) -> Result<ImportReport, AppError>
    where
        S: Stream<Item = std::io::Result<bytes::Bytes>> + Unpin + Send,
    {
        caller.require(MASTER_WRITE)?;
        let reader = tokio_util::io::StreamReader::new(data);
        let mut csv = AsyncReaderBuilder::new()
            .trim(Trim::All)
            .flexible(false)
            .create_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .await
            .map_err(|e| AppError::invalid("file", format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        csv_rows::check_header(kind, &header).map_err(|m| AppError::invalid("file", m))?;

        let mut conn = self.conn().await?;
        let report = conn
            .transaction::<_, AppError, _>(async |conn| {
                let mut report = ImportReport::default();
                let mut records = csv.records();
                while let Some(record) = records.next().await {
                    let row_no = report.rows + 1;
                    let record = record.map_err(|e| csv_error(row_no, &e))?;
                    report.rows = row_no;
                    if report.rows > MAX_ROWS {
                        return Err(AppError::invalid("file", format!("has more than {MAX_ROWS} rows; split it")));
                    }
                    let outcome = conn
                        .transaction::<_, RowFailure, _>(async |conn| self.import_row(conn, kind, &header, &record).await)
                        .await;
                    match outcome {
                        Ok(Outcome::Created) => report.created += 1,
                        Ok(Outcome::Updated) => report.updated += 1,
                        Ok(Outcome::Unchanged) => report.unchanged += 1,
                        Err(RowFailure::Fields(errs)) => report.errors.extend(errs.into_iter().map(|e| (row_no, e))),
                        Err(RowFailure::Db(AppError::Conflict(msg))) => report.errors.push((row_no, FieldError::new("row", msg))),
                        Err(RowFailure::Db(e)) => return Err(e),
                    }
                }
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(caller.actor(), "csv_imported", "import", Some(kind.as_str().to_owned())).after(json!({
                        "kind": kind.as_str(), "rows": report.rows, "created": report.created,
                        "updated": report.updated, "unchanged": report.unchanged, "failed": report.failed(),
                    })),
                )
                .await?;
                Ok(report)
            })
            .await?;
        tracing::info!(
            rows = report.rows,
            created = report.created,
            updated = report.updated,
            failed = report.failed(),
            "csv import finished"
        );
        Ok(report)
    }

    async fn import_row(
        &self,
        conn: &mut AsyncPgConnection,
        kind: ImportKind,
        header: &[String],
        record: &StringRecord,
    ) -> Result<Outcome, RowFailure> {
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        match kind {
            ImportKind::Vendors => {
                let row = csv_rows::vendor_row(get).map_err(RowFailure::Fields)?;
                self.upsert_vendor(conn, row).await
            }
            ImportKind::PurchaseOrders => {
                let row = csv_rows::po_row(get).map_err(RowFailure::Fields)?;
                self.upsert_po_row(conn, row).await
            }
            ImportKind::GoodsReceipts => {
                let row = csv_rows::receipt_row(get).map_err(RowFailure::Fields)?;
                self.upsert_receipt_row(conn, row).await
            }
        }
    }

    /// Keyed by tax id when the row has one, else by exact name.
    async fn upsert_vendor(
        &self,
        conn: &mut AsyncPgConnection,
        row: VendorCsvRow,
    ) -> Result<Outcome, RowFailure> {
        let existing = match &row.tax_id {
            Some(t) => vendor_store::find_vendor_by_tax_id(conn, &t.normalized).await?,
            None => {
                let mut found = vendor_store::find_vendors_by_name(conn, &row.name).await?;
                if found.len() > 1 {
                    return Err(field_err(
                        "name",
                        "matches several vendors; add their tax id",
                    ));
                }
                found.pop()
            }
        };
        let data = VendorData {
            name: row.name.clone(),
            legal_name: row.legal_name.clone(),
            tax_id: row.tax_id.as_ref().map(|t| t.raw.clone()),
            tax_id_normalized: row.tax_id.as_ref().map(|t| t.normalized.clone()),
            email: row.email.clone(),
            address: row.address.clone(),
            country: row.country.as_ref().map(|c| c.as_str().to_owned()),
            currency: row.currency.as_str().to_owned(),
            payment_terms: row.payment_terms.clone(),
            payment_terms_days: row.payment_terms_days,
            category: row.category.clone(),
            is_active: existing.as_ref().is_none_or(|v| v.is_active),
        };
        let aliases: Vec<(String, String)> = row
            .aliases
            .iter()
            .map(|a| (a.clone(), normalize_name(a)))
            .collect();
        match existing {
            None => {
                let id = Uuid::now_v7();
                vendor_store::insert_vendor(conn, id, &data).await?;
                vendor_store::replace_aliases(conn, id, &aliases).await?;
                Ok(Outcome::Created)
            }
            Some(v) => {
                let mut current_aliases: Vec<String> = vendor_store::aliases_of(conn, &[v.id])
                    .await?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect();
                let mut new_aliases = row.aliases.clone();
                current_aliases.sort();
                new_aliases.sort();
                let aliases_differ = !row.aliases.is_empty() && current_aliases != new_aliases;
                let data_differs = VendorData::of(&v) != data;
                if data_differs {
                    vendor_store::update_vendor(conn, v.id, &data).await?;
                }
                if aliases_differ {
                    vendor_store::replace_aliases(conn, v.id, &aliases).await?;
                }
                Ok(if data_differs || aliases_differ {
                    Outcome::Updated
                } else {
                    Outcome::Unchanged
                })
            }
        }
    }

    async fn resolve_vendor(
        &self,
        conn: &mut AsyncPgConnection,
        reference: &str,
    ) -> Result<Uuid, RowFailure> {
        if let Ok(id) = reference.parse::<Uuid>() {
            return vendor_store::find_vendor(conn, id, false)
                .await?
                .map(|v| v.id)
                .ok_or_else(|| field_err("vendor", "no vendor has this id"));
        }
        if let Some(v) =
            vendor_store::find_vendor_by_tax_id(conn, &normalize_tax_id(reference)).await?
        {
            return Ok(v.id);
        }
        let mut found = vendor_store::find_vendors_by_name(conn, reference).await?;
        match found.len() {
            1 => Ok(found.remove(0).id),
            0 => Err(field_err(
                "vendor",
                "no vendor matches this id, tax id or name",
            )),
            _ => Err(field_err(
                "vendor",
                "matches several vendors; use the vendor id or tax id",
            )),
        }
    }

    /// One line of a purchase order; the header is created or updated with it.
    async fn upsert_po_row(
        &self,
        conn: &mut AsyncPgConnection,
        row: PoCsvRow,
    ) -> Result<Outcome, RowFailure> {
        let vendor_id = self.resolve_vendor(conn, &row.vendor).await?;
        let data = PoData {
            po_number: row.po_number.clone(),
            vendor_id,
            currency: row.currency.as_str().to_owned(),
            status: row.status.clone(),
            order_date: row.order_date,
        };
        let line = PoLineData {
            line_number: row.line_number,
            description: row.description.clone(),
            quantity: row.quantity,
            unit_price: row.unit_price,
            unit: row.unit.clone(),
            gl_account: row.gl_account.clone(),
            cost_centre: row.cost_centre.clone(),
        };
        let (po_id, mut outcome) =
            match order_store::find_po_by_number(conn, &row.po_number, true).await? {
                None => (
                    order_store::insert_po(conn, Uuid::now_v7(), &data)
                        .await?
                        .id,
                    Outcome::Created,
                ),
                Some(po) => {
                    let current = PoData {
                        po_number: po.po_number.clone(),
                        vendor_id: po.vendor_id,
                        currency: po.currency.clone(),
                        status: po.status.clone(),
                        order_date: po.order_date,
                    };
                    if current == data {
                        (po.id, Outcome::Unchanged)
                    } else {
                        order_store::update_po(conn, po.id, &data).await?;
                        (po.id, Outcome::Updated)
                    }
                }
            };
        let existing = order_store::po_lines_of(conn, &[po_id])
            .await?
            .into_iter()
            .find(|l| l.line_number == row.line_number);
        match existing {
            None => {
                order_store::insert_po_line(conn, po_id, &line).await?;
                if !matches!(outcome, Outcome::Created) {
                    outcome = Outcome::Updated;
                }
            }
            Some(l) if PoLineData::of(&l) != line => {
                order_store::update_po_line(conn, l.id, &line).await?;
                if !matches!(outcome, Outcome::Created) {
                    outcome = Outcome::Updated;
                }
            }
            Some(_) => {}
        }
        Ok(outcome)
    }

    /// One line of a goods receipt; the header is created or updated with it.
    async fn upsert_receipt_row(
        &self,
        conn: &mut AsyncPgConnection,
        row: ReceiptCsvRow,
    ) -> Result<Outcome, RowFailure> {
        if row.received_at > chrono::Utc::now().date_naive() {
            return Err(field_err(
                "received_at",
                "must not be in the future (today in UTC at the latest)",
            ));
        }
        // Locked: receipts of one order are checked against a cumulative nobody else changes.
        let po = order_store::find_po_by_number(conn, &row.po_number, true)
            .await?
            .ok_or_else(|| field_err("po_number", "no purchase order has this number"))?;
        let po_line = order_store::po_lines_of(conn, &[po.id])
            .await?
            .into_iter()
            .find(|l| l.line_number == row.po_line_number)
            .ok_or_else(|| field_err("po_line_number", "no such line on the purchase order"))?;
        let existing = order_store::find_receipt_by_number(conn, &row.receipt_number).await?;
        let already =
            order_store::received_on_line(conn, po_line.id, existing.as_ref().map(|r| r.id))
                .await?;
        if !crate::domain::matching::receipt_fits(
            po_line.quantity,
            already,
            row.quantity,
            crate::store::matching::over_receipt_tolerance(conn).await?,
        ) {
            return Err(field_err(
                "quantity",
                "would bring the line past the quantity ordered",
            ));
        }
        let mut outcome = Outcome::Unchanged;
        let receipt_id = match existing {
            None => {
                outcome = Outcome::Created;
                order_store::insert_receipt(conn, &row.receipt_number, po.id, row.received_at)
                    .await?
                    .id
            }
            Some(r) => {
                if r.po_id != po.id || r.received_at != row.received_at {
                    order_store::update_receipt(conn, r.id, po.id, row.received_at).await?;
                    outcome = Outcome::Updated;
                }
                r.id
            }
        };
        let line_changed =
            order_store::upsert_receipt_line(conn, receipt_id, po_line.id, row.quantity).await?;
        if line_changed && matches!(outcome, Outcome::Unchanged) {
            outcome = Outcome::Updated;
        }
        Ok(outcome)
    }
}

fn csv_error(row: u32, e: &csv_async::Error) -> AppError {
    match e.kind() {
        csv_async::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            AppError::Interrupted
        }
        csv_async::ErrorKind::UnequalLengths { .. } => AppError::invalid(
            "file",
            format!("row {row} has a different number of fields than the header"),
        ),
        csv_async::ErrorKind::Utf8 { .. } => {
            AppError::invalid("file", format!("row {row} is not valid UTF-8"))
        }
        _ => AppError::invalid("file", format!("row {row} cannot be read as CSV")),
    }
}
