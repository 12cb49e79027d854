//! The rows of the three CSV imports, validated field by field. A row either parses whole or
//! reports every field that is wrong, so an operator fixes a file in one pass.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::values::{
    Country, Currency, FieldError, TaxId, optional_text, parse_date, parse_email,
    parse_non_negative, parse_quantity, parse_text,
};

/// Which import a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Vendors,
    PurchaseOrders,
    GoodsReceipts,
}

impl ImportKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "vendors" => Some(ImportKind::Vendors),
            "purchase_orders" => Some(ImportKind::PurchaseOrders),
            "goods_receipts" => Some(ImportKind::GoodsReceipts),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            ImportKind::Vendors => "vendors",
            ImportKind::PurchaseOrders => "purchase_orders",
            ImportKind::GoodsReceipts => "goods_receipts",
        }
    }

    /// Columns a file must have (others are optional; unknown columns are refused).
    pub const fn required_columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Vendors => &["name", "currency"],
            ImportKind::PurchaseOrders => &[
                "po_number",
                "vendor",
                "currency",
                "line_number",
                "description",
                "quantity",
                "unit_price",
            ],
            // And one of `received_on` or (deprecated) `received_at`: `check_header`.
            ImportKind::GoodsReceipts => {
                &["receipt_number", "po_number", "po_line_number", "quantity"]
            }
        }
    }

    pub const fn known_columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Vendors => &[
                "name",
                "legal_name",
                "tax_id",
                "email",
                "address",
                "country",
                "currency",
                "payment_terms",
                "payment_terms_days",
                "category",
                "aliases",
            ],
            ImportKind::PurchaseOrders => &[
                "po_number",
                "vendor",
                "currency",
                "status",
                "order_date",
                "line_number",
                "description",
                "quantity",
                "unit_price",
                "unit",
                "gl_account",
                "cost_centre",
            ],
            ImportKind::GoodsReceipts => &[
                "receipt_number",
                "po_number",
                "received_on",
                "received_at",
                "po_line_number",
                "quantity",
            ],
        }
    }
}

/// Checks a header row: every required column present, nothing unknown, no duplicates.
pub fn check_header(kind: ImportKind, header: &[String]) -> Result<(), String> {
    for required in kind.required_columns() {
        if !header.iter().any(|h| h == required) {
            return Err(format!("missing required column {required:?}"));
        }
    }
    if kind == ImportKind::GoodsReceipts
        && !header
            .iter()
            .any(|h| h == "received_on" || h == "received_at")
    {
        return Err("missing required column \"received_on\"".to_owned());
    }
    for (i, h) in header.iter().enumerate() {
        if !kind.known_columns().contains(&h.as_str()) {
            return Err(format!(
                "unknown column {h:?}; expected some of {}",
                kind.known_columns().join(", ")
            ));
        }
        if header[..i].contains(h) {
            return Err(format!("column {h:?} appears twice"));
        }
    }
    Ok(())
}

/// Collects field errors while parsing one row.
struct Row<'a, F: Fn(&str) -> &'a str> {
    get: F,
    errors: Vec<FieldError>,
}

impl<'a, F: Fn(&str) -> &'a str> Row<'a, F> {
    fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    fn text(&mut self, field: &str, max: usize) -> Option<String> {
        let raw = (self.get)(field);
        self.take(parse_text(field, raw, max))
    }

    fn opt_text(&mut self, field: &str, max: usize) -> Option<String> {
        let raw = (self.get)(field);
        self.take(optional_text(field, raw, max)).flatten()
    }

    fn int(&mut self, field: &str, min: i32, max: i32) -> Option<i32> {
        let raw = (self.get)(field).trim();
        match raw.parse::<i32>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                self.errors.push(FieldError::new(
                    field,
                    format!("must be a whole number from {min} to {max}"),
                ));
                None
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct VendorRow {
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<TaxId>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub country: Option<Country>,
    pub currency: Currency,
    pub payment_terms: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub category: Option<String>,
    pub aliases: Vec<String>,
}

pub fn vendor_row<'a>(get: impl Fn(&str) -> &'a str) -> Result<VendorRow, Vec<FieldError>> {
    let mut r = Row {
        get,
        errors: Vec::new(),
    };
    let name = r.text("name", 200);
    let legal_name = r.opt_text("legal_name", 200);
    let tax_raw = (r.get)("tax_id");
    let tax_id = if tax_raw.trim().is_empty() {
        None
    } else {
        r.take(TaxId::parse("tax_id", tax_raw))
    };
    let email_raw = (r.get)("email");
    let email = if email_raw.trim().is_empty() {
        None
    } else {
        r.take(parse_email("email", email_raw))
    };
    let address = r.opt_text("address", 500);
    let country_raw = (r.get)("country");
    let country = if country_raw.trim().is_empty() {
        None
    } else {
        r.take(Country::parse("country", country_raw))
    };
    let currency_raw = (r.get)("currency");
    let currency = r.take(Currency::parse("currency", currency_raw));
    let payment_terms = r.opt_text("payment_terms", 100);
    let days_raw = (r.get)("payment_terms_days");
    let payment_terms_days = if days_raw.trim().is_empty() {
        payment_terms
            .as_deref()
            .and_then(super::values::terms_net_days)
    } else {
        r.int("payment_terms_days", 0, 365)
    };
    let category = r.opt_text("category", 100);
    let aliases = (r.get)("aliases")
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    match (name, currency) {
        (Some(name), Some(currency)) if r.errors.is_empty() => Ok(VendorRow {
            name,
            legal_name,
            tax_id,
            email,
            address,
            country,
            currency,
            payment_terms,
            payment_terms_days,
            category,
            aliases,
        }),
        _ => Err(r.errors),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PoRow {
    pub po_number: String,
    /// Vendor id, tax id or exact name; resolved against the vendor master.
    pub vendor: String,
    pub currency: Currency,
    pub status: String,
    pub order_date: Option<NaiveDate>,
    pub line_number: i32,
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub unit: Option<String>,
    pub gl_account: Option<String>,
    pub cost_centre: Option<String>,
}

pub fn po_row<'a>(get: impl Fn(&str) -> &'a str) -> Result<PoRow, Vec<FieldError>> {
    let mut r = Row {
        get,
        errors: Vec::new(),
    };
    let po_number = r.text("po_number", 100);
    let vendor = r.text("vendor", 200);
    let currency_raw = (r.get)("currency");
    let currency = r.take(Currency::parse("currency", currency_raw));
    let status_raw = (r.get)("status").trim().to_lowercase();
    let status = match status_raw.as_str() {
        "" => Some("open".to_owned()),
        "open" | "closed" | "cancelled" => Some(status_raw),
        _ => {
            r.errors.push(FieldError::new(
                "status",
                "must be open, closed or cancelled",
            ));
            None
        }
    };
    let date_raw = (r.get)("order_date");
    let order_date = if date_raw.trim().is_empty() {
        None
    } else {
        r.take(parse_date("order_date", date_raw))
    };
    let line_number = r.int("line_number", 1, 100_000);
    let description = r.text("description", 500);
    let qty_raw = (r.get)("quantity");
    let quantity = r.take(parse_quantity("quantity", qty_raw));
    let price_raw = (r.get)("unit_price");
    let unit_price = r.take(parse_non_negative("unit_price", price_raw));
    let unit = r.opt_text("unit", 20);
    let gl_account = r.opt_text("gl_account", 50);
    let cost_centre = r.opt_text("cost_centre", 50);
    // The same line-total rule as a PO created through the API: within the amount columns.
    if let (Some(c), Some(q), Some(p)) = (&currency, quantity, unit_price) {
        let _ = c;
        if let Some(message) = ap_types::line_total_problem(q, p) {
            r.errors.push(FieldError::new(
                "unit_price",
                format!("line total (quantity × unit_price) {message}"),
            ));
        }
    }
    match (
        po_number,
        vendor,
        currency,
        status,
        line_number,
        description,
        quantity,
        unit_price,
    ) {
        (
            Some(po_number),
            Some(vendor),
            Some(currency),
            Some(status),
            Some(line_number),
            Some(description),
            Some(quantity),
            Some(unit_price),
        ) if r.errors.is_empty() => Ok(PoRow {
            po_number,
            vendor,
            currency,
            status,
            order_date,
            line_number,
            description,
            quantity,
            unit_price,
            unit,
            gl_account,
            cost_centre,
        }),
        _ => Err(r.errors),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptRow {
    pub receipt_number: String,
    pub po_number: String,
    pub received_at: NaiveDate,
    pub po_line_number: i32,
    pub quantity: Decimal,
}

pub fn receipt_row<'a>(get: impl Fn(&str) -> &'a str) -> Result<ReceiptRow, Vec<FieldError>> {
    let mut r = Row {
        get,
        errors: Vec::new(),
    };
    let receipt_number = r.text("receipt_number", 100);
    let po_number = r.text("po_number", 100);
    let received_at = r.take(crate::domain::values::receipt_date(
        (r.get)("received_on"),
        (r.get)("received_at"),
    ));
    let po_line_number = r.int("po_line_number", 1, 100_000);
    let qty_raw = (r.get)("quantity");
    let quantity = r.take(parse_quantity("quantity", qty_raw));
    match (
        receipt_number,
        po_number,
        received_at,
        po_line_number,
        quantity,
    ) {
        (
            Some(receipt_number),
            Some(po_number),
            Some(received_at),
            Some(po_line_number),
            Some(quantity),
        ) if r.errors.is_empty() => Ok(ReceiptRow {
            receipt_number,
            po_number,
            received_at,
            po_line_number,
            quantity,
        }),
        _ => Err(r.errors),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn getter<'a>(m: &'a HashMap<&'a str, &'a str>) -> impl Fn(&str) -> &'a str {
        move |k| m.get(k).copied().unwrap_or("")
    }

    #[test]
    fn a_good_vendor_row_parses_and_derives_terms_days() {
        let m = HashMap::from([
            ("name", "Acme"),
            ("currency", "usd"),
            ("payment_terms", "2/10 net 30"),
            ("aliases", "ACME INC; Acme Steel"),
        ]);
        let v = vendor_row(getter(&m)).expect("valid");
        assert_eq!(v.currency.as_str(), "USD");
        assert_eq!(v.payment_terms_days, Some(30));
        assert_eq!(v.aliases, vec!["ACME INC", "Acme Steel"]);
    }

    #[test]
    fn a_bad_row_reports_every_field_at_once() {
        let m = HashMap::from([
            ("po_number", "PO-1"),
            ("vendor", "Acme"),
            ("currency", "EURO"),
            ("line_number", "0"),
            ("description", "x"),
            ("quantity", "-1"),
            ("unit_price", "abc"),
        ]);
        let errs = po_row(getter(&m)).expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["currency", "line_number", "quantity", "unit_price"]
        );
    }

    #[test]
    fn headers_must_have_required_columns_and_nothing_unknown() {
        let h = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert!(check_header(ImportKind::Vendors, &h(&["name", "currency"])).is_ok());
        assert!(check_header(ImportKind::Vendors, &h(&["name"])).is_err());
        assert!(check_header(ImportKind::Vendors, &h(&["name", "currency", "iban"])).is_err());
        assert!(check_header(ImportKind::Vendors, &h(&["name", "currency", "name"])).is_err());
    }
}
