//! Typed failures of the PDF text path, so callers can map each to a clear message.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// An external tool (pdftotext, pdftoppm, tesseract) or tesseract's language data is not
    /// installed.
    #[error("required tool not found: {0} (install {package})", package = package_for(.0))]
    ToolMissing(String),
    /// The PDF has no extractable text (scanned image or empty pages), or OCR recognised none.
    #[error("the pdf has no text layer")]
    NoTextLayer,
    /// The text layer was read but contains nothing that looks like an invoice.
    #[error("no invoice data found in the text layer")]
    NoInvoiceData,
    /// The tool rejected the input, typically because it is not a readable PDF.
    #[error("pdf could not be read (exit status {status:?}): {stderr}")]
    Unreadable { status: Option<i32>, stderr: String },
    #[error("text extraction timed out after {0:?}")]
    Timeout(Duration),
    #[error("extracted text exceeds the limit of {0} bytes")]
    OutputTooLarge(usize),
    #[error("text extraction i/o failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The Debian package that provides a tool named in [`ExtractError::ToolMissing`].
fn package_for(tool: &str) -> &'static str {
    if tool == "tesseract" {
        "tesseract-ocr"
    } else if tool.starts_with("tesseract") {
        "tesseract-ocr-<language> for each language"
    } else {
        "poppler-utils"
    }
}
