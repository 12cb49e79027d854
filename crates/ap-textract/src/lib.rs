//! Reads invoice header fields, with confidences, from the text layer of born-digital PDF invoices,
//! and through OCR from scanned PDFs and images.
//!
//! The text comes from poppler's `pdftotext -layout` ([`pdf_to_text`]) or from tesseract
//! ([`ocr_image`], [`ocr_pdf`]); everything after that ([`extract_text`]) is pure and works on
//! the layout text alone.
//!
//! Every helper runs bounded: under `prlimit` ([`ProcessLimits`]: address space, CPU time, file
//! size, OOM-killer preference), with a wall-clock timeout and capped output; images reach
//! tesseract only within [`OcrConfig::max_image_pixels`].
#![forbid(unsafe_code)]

pub mod dates;
mod error;
mod extract;
pub mod ids;
mod labels;
mod layout;
mod limits;
mod model;
pub mod numbers;
mod ocr;
mod pdftotext;

use std::path::Path;

pub use error::ExtractError;
pub use extract::extract_text;
pub use limits::ProcessLimits;
pub use model::{Extraction, Field, Fields, Line};
pub use ocr::{
    OcrConfig, OcrText, extract_ocr_image, extract_ocr_pdf, extract_ocr_text, ocr_image, ocr_pdf,
};
pub use pdftotext::{PdfToTextConfig, pdf_to_text};

/// Extracts an invoice from PDF bytes through the text layer.
///
/// Fails with [`ExtractError::NoInvoiceData`] when the text contains no header field at all,
/// so callers can tell "not an invoice" apart from a partial result.
pub fn extract_pdf(pdf: &[u8], config: &PdfToTextConfig) -> Result<Extraction, ExtractError> {
    let text = pdf_to_text(pdf, config)?;
    let extraction = extract_text(&text);
    if !has_invoice_signal(&extraction) {
        return Err(ExtractError::NoInvoiceData);
    }
    Ok(extraction)
}

/// Whether the text yielded at least one field that only invoices carry.
pub(crate) fn has_invoice_signal(extraction: &Extraction) -> bool {
    let f = &extraction.fields;
    f.invoice_number.is_some()
        || f.subtotal.is_some()
        || f.tax.is_some()
        || f.total.as_ref().is_some_and(|t| t.confidence > 0.35)
        || f.amount_due.as_ref().is_some_and(|t| t.confidence > 0.35)
}

/// Reads a PDF file and extracts it like [`extract_pdf`].
pub fn extract_pdf_file(path: &Path, config: &PdfToTextConfig) -> Result<Extraction, ExtractError> {
    let bytes = std::fs::read(path)?;
    extract_pdf(&bytes, config)
}
