//! Ground truth for evaluation: pulls the embedded CII/UBL XML out of a hybrid PDF (via `pdfdetach`) and reads its header.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

/// EN 16931 header values as stated by the embedded XML.
#[derive(Debug, Default, Clone)]
pub struct Truth {
    pub invoice_number: Option<String>,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub po_number: Option<String>,
    pub subtotal: Option<Decimal>,
    pub tax: Option<Decimal>,
    pub total: Option<Decimal>,
    pub amount_due: Option<Decimal>,
    pub seller_name: Option<String>,
    pub seller_vat_id: Option<String>,
    pub iban: Option<String>,
}

/// Extracts the first embedded `.xml` attachment; `None` when the PDF carries none.
pub fn embedded_xml(pdf: &Path) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir for attachments");
    let status = Command::new("pdfdetach")
        .arg("-saveall")
        .arg("-o")
        .arg(dir.path())
        .arg(pdf)
        .output()
        .expect("pdfdetach runs (apt-get install poppler-utils)");
    if !status.status.success() {
        return None;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir.path())
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let xml = entries
        .iter()
        .find(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))?;
    std::fs::read_to_string(xml).ok()
}

fn date(raw: &str) -> Option<NaiveDate> {
    let t = raw.trim();
    NaiveDate::parse_from_str(t, "%Y%m%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .ok()
}

fn dec(raw: &str) -> Option<Decimal> {
    Decimal::from_str(raw.trim()).ok()
}

fn ends_with(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len()
        && path[path.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a == b)
}

/// Reads the header of a CII (Factur-X/ZUGFeRD/XRechnung) or UBL document.
pub fn parse(xml: &str) -> Truth {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut scheme_va = false;
    let mut t = Truth::default();
    let mut buf = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_string();
                scheme_va = e
                    .attributes()
                    .flatten()
                    .any(|a| a.key.local_name().as_ref() == "schemeID" && a.value.as_ref() == "VA");
                path.push(name);
                buf.clear();
            }
            Ok(Event::Text(e)) => buf.push_str(&e.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => "&".to_string(),
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "quot" => "\"".to_string(),
                        "apos" => "'".to_string(),
                        _ => String::new(),
                    },
                };
                buf.push_str(&resolved);
            }
            Ok(Event::End(_)) => {
                let text = std::mem::take(&mut buf);
                if !text.trim().is_empty() {
                    record(&mut t, &path, scheme_va, &text);
                }
                path.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    t.seller_vat_id = t.seller_vat_id.map(|v| {
        v.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_uppercase()
    });
    t.iban = t.iban.map(|v| {
        v.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_uppercase()
    });
    t
}

fn record(t: &mut Truth, p: &[String], scheme_va: bool, text: &str) {
    let set_s = |slot: &mut Option<String>| {
        if slot.is_none() {
            *slot = Some(text.trim().to_string());
        }
    };
    if ends_with(p, &["ExchangedDocument", "ID"])
        || ends_with(p, &["HeaderExchangedDocument", "ID"])
        || (p.len() == 2 && p[1] == "ID")
    {
        set_s(&mut t.invoice_number);
    } else if ends_with(p, &["IssueDateTime", "DateTimeString"])
        || (p.len() == 2 && p[1] == "IssueDate")
    {
        t.invoice_date = t.invoice_date.or(date(text));
    } else if ends_with(p, &["DueDateDateTime", "DateTimeString"])
        || (p.len() == 2 && p[1] == "DueDate")
    {
        t.due_date = t.due_date.or(date(text));
    } else if ends_with(p, &["InvoiceCurrencyCode"]) || ends_with(p, &["DocumentCurrencyCode"]) {
        set_s(&mut t.currency);
    } else if ends_with(p, &["BuyerOrderReferencedDocument", "IssuerAssignedID"])
        || ends_with(p, &["OrderReference", "ID"])
    {
        set_s(&mut t.po_number);
    } else if ends_with(p, &["TaxBasisTotalAmount"])
        || ends_with(p, &["LegalMonetaryTotal", "TaxExclusiveAmount"])
    {
        t.subtotal = t.subtotal.or(dec(text));
    } else if ends_with(
        p,
        &[
            "SpecifiedTradeSettlementHeaderMonetarySummation",
            "TaxTotalAmount",
        ],
    ) || (p.len() == 3 && ends_with(p, &["TaxTotal", "TaxAmount"]))
    {
        t.tax = t.tax.or(dec(text));
    } else if ends_with(p, &["GrandTotalAmount"])
        || ends_with(p, &["LegalMonetaryTotal", "TaxInclusiveAmount"])
    {
        t.total = t.total.or(dec(text));
    } else if ends_with(p, &["DuePayableAmount"])
        || ends_with(p, &["LegalMonetaryTotal", "PayableAmount"])
    {
        t.amount_due = t.amount_due.or(dec(text));
    } else if ends_with(p, &["SellerTradeParty", "Name"])
        || ends_with(
            p,
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyLegalEntity",
                "RegistrationName",
            ],
        )
    {
        set_s(&mut t.seller_name);
    } else if (ends_with(p, &["SellerTradeParty", "SpecifiedTaxRegistration", "ID"]) && scheme_va)
        || ends_with(
            p,
            &[
                "AccountingSupplierParty",
                "Party",
                "PartyTaxScheme",
                "CompanyID",
            ],
        )
    {
        set_s(&mut t.seller_vat_id);
    } else if ends_with(p, &["PayeePartyCreditorFinancialAccount", "IBANID"])
        || ends_with(p, &["PayeeFinancialAccount", "ID"])
    {
        set_s(&mut t.iban);
    }
}
