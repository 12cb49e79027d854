//! Public result types: extracted header fields with confidences, invoice lines and warnings.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One extracted value and how sure the extractor is about it, in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: T,
    pub confidence: f32,
}

impl<T> Field<T> {
    pub fn new(value: T, confidence: f32) -> Self {
        Self {
            value,
            confidence: confidence.clamp(0.0, 1.0),
        }
    }
}

/// The invoice header as read from the text layer; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    pub invoice_number: Option<Field<String>>,
    pub invoice_date: Option<Field<NaiveDate>>,
    pub due_date: Option<Field<NaiveDate>>,
    pub po_number: Option<Field<String>>,
    /// ISO 4217 code.
    pub currency: Option<Field<String>>,
    pub subtotal: Option<Field<Decimal>>,
    pub tax: Option<Field<Decimal>>,
    pub total: Option<Field<Decimal>>,
    pub amount_due: Option<Field<Decimal>>,
    pub seller_name: Option<Field<String>>,
    /// Normalised: upper case, no spaces or dots, e.g. `DE123456789`.
    pub seller_vat_id: Option<Field<String>>,
    /// Normalised electronic form, checksum-validated (ISO 13616 mod 97).
    pub iban: Option<Field<String>>,
}

impl Fields {
    /// Number of header fields that were found.
    pub fn count(&self) -> usize {
        [
            self.invoice_number.is_some(),
            self.invoice_date.is_some(),
            self.due_date.is_some(),
            self.po_number.is_some(),
            self.currency.is_some(),
            self.subtotal.is_some(),
            self.tax.is_some(),
            self.total.is_some(),
            self.amount_due.is_some(),
            self.seller_name.is_some(),
            self.seller_vat_id.is_some(),
            self.iban.is_some(),
        ]
        .iter()
        .filter(|found| **found)
        .count()
    }
}

/// One invoice line from a recognised table; every column is best-effort.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub line_total: Option<Decimal>,
}

/// Everything the text path could read from one invoice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub fields: Fields,
    pub lines: Vec<Line>,
    pub warnings: Vec<String>,
}
