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
    /// A helper was stopped by its memory, CPU or file-size limit (see `ProcessLimits`).
    #[error("{tool} was stopped at its resource limits ({limits})")]
    ResourceLimit { tool: String, limits: String },
    /// An image declares more pixels than OCR accepts; found from its header, before any
    /// decoder runs.
    #[error("the image is {width} × {height} pixels, beyond the {limit_mp}-megapixel limit", limit_mp = .limit / 1_000_000)]
    ImageTooLarge { width: u64, height: u64, limit: u64 },
    /// A document (multi-page TIFF) has more pages than are read.
    #[error("the document has more than {0} pages")]
    TooManyPages(u32),
    #[error("text extraction i/o failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The Debian package that provides a tool named in [`ExtractError::ToolMissing`].
fn package_for(tool: &str) -> &'static str {
    if tool == "prlimit" {
        "util-linux"
    } else if tool == "tesseract" {
        "tesseract-ocr"
    } else if tool.starts_with("tesseract") {
        "tesseract-ocr-<language> for each language"
    } else {
        "poppler-utils"
    }
}
