//! Parses structured e-invoices into one canonical EN 16931 invoice model.
//!
//! Supported inputs:
//! - OASIS UBL 2.1 `Invoice` and `CreditNote` (EN 16931, Peppol BIS Billing 3);
//! - UN/CEFACT CII `CrossIndustryInvoice` (EN 16931, Factur-X MINIMUM..EXTENDED, ZUGFeRD 2.x,
//!   XRechnung);
//! - ZUGFeRD 1 `CrossIndustryDocument`;
//! - hybrid PDFs (Factur-X, ZUGFeRD, XRechnung) carrying one of the above as an attachment.
//!
//! Order-X orders and UBL orders are recognised and refused with [`Error::NotAnInvoice`].
//!
//! # Exactness
//! Money and quantities are [`rust_decimal::Decimal`] read from the document text without any
//! floating-point step; dates are [`chrono::NaiveDate`].
//!
//! # Credit notes
//! Amounts are kept exactly as the document writes them: a credit note of 100 EUR has
//! `totals.total_with_vat == 100`, and its [`Invoice::kind`] is [`DocumentKind::CreditNote`].
//! This holds for UBL `CreditNote` documents and for invoices whose type code (BT-3) is a
//! credit-note code such as 381, which is how CII expresses credit notes. Use
//! [`Invoice::signed_total`] / [`Invoice::signed_amount_due`] for values that add up in a ledger.
//!
//! # Safety on hostile input
//! Any DTD is refused ([`Error::XmlForbidden`]), which rules out external entities (XXE) and
//! entity-expansion bombs. Input size, element depth and element count are bounded by
//! [`Limits`]. Parsing never panics. A PDF is bounded by [`PdfLimits`] before any PDF parser
//! sees it: every stream is decoded into a counting sink, so decompression bombs (stacked
//! filters, object streams) are refused with [`Error::PdfLimit`], as are absurd object and page
//! counts.
//!
//! ```no_run
//! let bytes = std::fs::read("invoice.xml")?;
//! let invoice = ap_einvoice::parse(&bytes)?;
//! assert!(ap_einvoice::check_totals(&invoice).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod amount;
mod cii;
mod error;
mod extract;
mod model;
mod pdf;
mod totals;
mod ubl;
mod xml;

pub use amount::{parse_cefact_date, parse_decimal, parse_iso_date};
pub use error::{Error, Result};
pub use model::{
    AllowanceCharge, DocumentKind, Invoice, InvoiceLine, Party, PayeeAccount, Totals, VatBreakdown,
};
pub use pdf::{
    EmbeddedXml, PdfLimit, PdfLimits, extract_embedded_xml, extract_embedded_xml_limited,
    extract_embedded_xml_with,
};
pub use totals::{TotalsIssue, check_totals};
pub use xml::Limits;

/// The syntax a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Syntax {
    /// OASIS UBL 2.1 Invoice or CreditNote.
    Ubl,
    /// UN/CEFACT CII D16B `CrossIndustryInvoice`.
    Cii,
    /// ZUGFeRD 1 `CrossIndustryDocument`.
    Zugferd1,
}

/// Parses a PDF with an embedded e-invoice, or an e-invoice XML, under the default [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<Invoice> {
    parse_with(bytes, &Limits::default())
}

/// Like [`parse`], with explicit limits.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Invoice> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    if is_pdf(bytes) {
        let embedded = extract_embedded_xml_with(bytes, limits)?.ok_or(Error::NoEmbeddedXml)?;
        return parse_xml_with(&embedded.xml, limits);
    }
    parse_xml_with(bytes, limits)
}

/// Parses e-invoice XML (UBL or CII) under the default [`Limits`].
pub fn parse_xml(bytes: &[u8]) -> Result<Invoice> {
    parse_xml_with(bytes, &Limits::default())
}

/// Like [`parse_xml`], with explicit limits.
pub fn parse_xml_with(bytes: &[u8], limits: &Limits) -> Result<Invoice> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let doc = xml::parse_document(bytes, limits)?;
    let root = doc.root();
    match classify(root.name(), root.namespace())? {
        Syntax::Ubl => ubl::map(root),
        Syntax::Cii => cii::map(root, &cii::CII),
        Syntax::Zugferd1 => cii::map(root, &cii::ZUGFERD1),
    }
}

/// Whether the bytes are a PDF. The specification lets the header start within the first
/// 1024 bytes, and real files do carry junk before it.
fn is_pdf(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

/// Decides the syntax from the root element's local name and namespace URI.
fn classify(name: &str, ns: &str) -> Result<Syntax> {
    const UBL_PREFIX: &str = "urn:oasis:names:specification:ubl:schema:xsd:";
    match (name, ns) {
        ("Invoice", ubl::INVOICE_NS) | ("CreditNote", ubl::CREDIT_NOTE_NS) => Ok(Syntax::Ubl),
        ("CrossIndustryInvoice", cii::CII_NS) => Ok(Syntax::Cii),
        ("CrossIndustryDocument", cii::ZUGFERD1_NS) => Ok(Syntax::Zugferd1),
        ("SCRDMCCBDACIOMessageStructure", _) => Err(Error::NotAnInvoice(
            "order-x order (SCRDMCCBDACIOMessageStructure)".into(),
        )),
        (other, ns) if ns.starts_with(UBL_PREFIX) => {
            Err(Error::NotAnInvoice(format!("ubl {other} document")))
        }
        (other, ns) => Err(Error::Unsupported(format!(
            "root element {other:?} in namespace {ns:?}"
        ))),
    }
}

/// Detects the syntax of e-invoice XML without mapping it.
pub fn detect_syntax(xml: &[u8]) -> Result<Syntax> {
    let doc = xml::parse_document(xml, &Limits::default())?;
    let root = doc.root();
    classify(root.name(), root.namespace())
}
