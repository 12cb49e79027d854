//! OCR for scanned invoices: tesseract reads images, poppler's `pdftoppm` rasterises PDFs that
//! have no text layer, and the recognised words are rebuilt into layout text for
//! [`extract_text`].
//!
//! Tesseract runs with page segmentation mode 4 ("a single column of text of variable sizes").
//! Invoices put a label and its value, or a description and its amount, far apart on the same
//! line, and print totals in larger or bold type. Mode 4 keeps such a line as one line, where the
//! automatic mode 3 splits the page into column blocks and separates labels from their values,
//! and mode 6 (one uniform block) copes worse with the mixed type sizes of headers and totals.
//!
//! Every call to a helper is bounded by [`OcrConfig::timeout`], by the kernel limits of
//! [`OcrConfig::limits`] and its output by [`OcrConfig::max_output_bytes`]; inputs only ever
//! reach the helpers as temporary files. Every image tesseract reads (an upload, or a page
//! pdftoppm rendered) is first checked against [`OcrConfig::max_image_pixels`] from its header.

mod dims;
pub(crate) mod run;
mod tsv;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::ExtractError;
use crate::extract::extract_text;
use crate::limits::ProcessLimits;
use crate::model::{Extraction, Field, Fields};

/// How the OCR helpers are invoked.
#[derive(Debug, Clone)]
pub struct OcrConfig {
    /// Program name or path of tesseract; a bare name is looked up on `PATH`.
    pub tesseract: PathBuf,
    /// Program name or path of poppler's `pdftoppm`, used by the PDF functions.
    pub pdftoppm: PathBuf,
    /// Tesseract language models joined by `+`, e.g. `eng+deu+fra`.
    pub languages: String,
    /// Resolution at which PDF pages are rasterised (clamped to 72..=600).
    pub dpi: u32,
    /// Only the first pages of a PDF are rasterised and read.
    pub max_pages: u32,
    /// Limit for each helper call (one rasterisation, or one page or image read by tesseract).
    pub timeout: Duration,
    /// Limit for one tesseract TSV output and for the final text.
    pub max_output_bytes: usize,
    /// Most pixels of one image (or page) given to tesseract. Default 64 million (an A4 page
    /// at 600 dpi is 35 million).
    pub max_image_pixels: u64,
    /// Kernel limits of each helper process (memory, CPU, file size).
    pub limits: ProcessLimits,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            tesseract: PathBuf::from("tesseract"),
            pdftoppm: PathBuf::from("pdftoppm"),
            languages: "eng+deu+fra".to_string(),
            dpi: 300,
            max_pages: 5,
            timeout: Duration::from_secs(60),
            max_output_bytes: 4 * 1024 * 1024,
            max_image_pixels: 64_000_000,
            limits: ProcessLimits::default(),
        }
    }
}

/// Text recognised by OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    /// Layout text in the style of `pdftotext -layout`; pages are separated by a form feed line.
    pub text: String,
    /// Mean of tesseract's word confidences over all words that carry one, in `[0, 1]`.
    pub mean_confidence: f32,
    /// Number of pages (images, or rasterised PDF pages) that were read.
    pub pages: usize,
}

/// OCR'd fields are never reported more certain than this fraction of their text-layer score.
const MAX_OCR_FACTOR: f32 = 0.95;
/// Page segmentation mode; see the module documentation.
const PSM: &str = "4";
const PDFTOPPM_OUTPUT_CAP: usize = 64 * 1024;

/// Recognises the text of a PNG, JPEG or TIFF image (every page of a multi-page TIFF).
///
/// Other formats are refused with [`ExtractError::Unreadable`] before tesseract runs, because
/// tesseract reads a file it does not recognise as an image as a list of image paths.
pub fn ocr_image(image: &[u8], config: &OcrConfig) -> Result<OcrText, ExtractError> {
    let Some(ext) = image_extension(image) else {
        return Err(unreadable(
            "unsupported image format (expected png, jpeg or tiff)",
        ));
    };
    check_languages(&config.languages)?;
    check_pixels(image, config)?;
    let mut file = tempfile::Builder::new()
        .prefix("ap-ocr-")
        .suffix(ext)
        .tempfile()?;
    file.write_all(image)?;
    file.flush()?;
    let parsed = tesseract(file.path(), None, config)?;
    finish(vec![parsed], config)
}

/// Recognises the text of a PDF by rasterising its first [`OcrConfig::max_pages`] pages.
///
/// Meant for scanned PDFs without a text layer; a PDF with one is read too, only slower and less
/// reliably than through [`crate::pdf_to_text`].
pub fn ocr_pdf(pdf: &[u8], config: &OcrConfig) -> Result<OcrText, ExtractError> {
    if pdf.is_empty() {
        return Err(unreadable("empty input"));
    }
    check_languages(&config.languages)?;
    let dir = tempfile::Builder::new().prefix("ap-ocr-").tempdir()?;
    let input = dir.path().join("input.pdf");
    std::fs::write(&input, pdf)?;
    let dpi = config.dpi.clamp(72, 600);
    let prefix = dir.path().join("page");
    let out = run::run(
        &config.pdftoppm,
        "pdftoppm",
        [
            "-r".into(),
            dpi.to_string().into(),
            "-f".into(),
            "1".into(),
            "-l".into(),
            config.max_pages.max(1).to_string().into(),
            "-png".into(),
            "-gray".into(),
            input.into_os_string(),
            prefix.into_os_string(),
        ],
        config.timeout,
        PDFTOPPM_OUTPUT_CAP,
        &config.limits,
    )?;
    if !out.success {
        return Err(ExtractError::Unreadable {
            status: out.code,
            stderr: out.stderr.to_lowercase(),
        });
    }
    let pages = rendered_pages(dir.path())?;
    if pages.is_empty() {
        return Err(ExtractError::NoTextLayer);
    }
    let mut parsed = Vec::with_capacity(pages.len());
    for page in pages.iter().take(config.max_pages.max(1) as usize) {
        // A rendered page is a PNG: its header is all the check needs.
        let mut head = Vec::with_capacity(64);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(page)?, 64),
            &mut head,
        )?;
        check_pixels(&head, config)?;
        parsed.push(tesseract(page, Some(dpi), config)?);
    }
    finish(parsed, config)
}

/// Reads an invoice from an image through OCR; see [`extract_ocr_pdf`] for the confidences.
pub fn extract_ocr_image(image: &[u8], config: &OcrConfig) -> Result<Extraction, ExtractError> {
    extract_ocr_text(&ocr_image(image, config)?)
}

/// Reads an invoice from a scanned PDF through OCR and [`extract_text`].
///
/// Every field's confidence is multiplied by the OCR mean confidence, itself capped at 0.95, so
/// an OCR'd field is always reported less certain than the same field read from a text layer
/// (a minimum would leave fields weaker than the OCR mean unchanged). A warning states the
/// OCR mean confidence. Fails with [`ExtractError::NoInvoiceData`] like [`crate::extract_pdf`].
pub fn extract_ocr_pdf(pdf: &[u8], config: &OcrConfig) -> Result<Extraction, ExtractError> {
    extract_ocr_text(&ocr_pdf(pdf, config)?)
}

/// Invoice fields from text OCR produced, with every confidence scaled by the OCR's own, so
/// callers that keep the recognised text (e.g. for a second reader) get the same result.
pub fn extract_ocr_text(ocr: &OcrText) -> Result<Extraction, ExtractError> {
    let mut extraction = extract_text(&ocr.text);
    if !crate::has_invoice_signal(&extraction) {
        return Err(ExtractError::NoInvoiceData);
    }
    let factor = ocr.mean_confidence.clamp(0.0, MAX_OCR_FACTOR);
    scale_fields(&mut extraction.fields, factor);
    extraction.warnings.push(format!(
        "ocr: text recognised with mean word confidence {:.2} over {} page(s); field confidences scaled by {factor:.2}",
        ocr.mean_confidence, ocr.pages
    ));
    Ok(extraction)
}

fn scale_fields(f: &mut Fields, factor: f32) {
    fn scale<T>(field: &mut Option<Field<T>>, factor: f32) {
        if let Some(field) = field {
            field.confidence = (field.confidence * factor).clamp(0.0, 1.0);
        }
    }
    scale(&mut f.invoice_number, factor);
    scale(&mut f.invoice_date, factor);
    scale(&mut f.due_date, factor);
    scale(&mut f.po_number, factor);
    scale(&mut f.currency, factor);
    scale(&mut f.subtotal, factor);
    scale(&mut f.tax, factor);
    scale(&mut f.total, factor);
    scale(&mut f.amount_due, factor);
    scale(&mut f.seller_name, factor);
    scale(&mut f.seller_vat_id, factor);
    scale(&mut f.iban, factor);
}

/// Runs tesseract on one image file and parses its TSV output.
fn tesseract(
    image: &Path,
    dpi: Option<u32>,
    config: &OcrConfig,
) -> Result<tsv::Parsed, ExtractError> {
    let mut args: Vec<std::ffi::OsString> = vec![
        image.as_os_str().to_owned(),
        "stdout".into(),
        "-l".into(),
        config.languages.as_str().into(),
        "--psm".into(),
        PSM.into(),
    ];
    if let Some(dpi) = dpi {
        args.extend(["--dpi".into(), dpi.to_string().into()]);
    }
    args.push("tsv".into());
    let out = run::run(
        &config.tesseract,
        "tesseract",
        args,
        config.timeout,
        config.max_output_bytes,
        &config.limits,
    )?;
    if !out.success {
        if out.stderr.contains("couldn't load any languages") {
            return Err(ExtractError::ToolMissing(format!(
                "tesseract language data for {}",
                config.languages
            )));
        }
        return Err(ExtractError::Unreadable {
            status: out.code,
            stderr: out.stderr.to_lowercase(),
        });
    }
    Ok(tsv::parse(&String::from_utf8_lossy(&out.stdout)))
}

fn finish(parsed: Vec<tsv::Parsed>, config: &OcrConfig) -> Result<OcrText, ExtractError> {
    let pages: Vec<&String> = parsed.iter().flat_map(|p| &p.pages).collect();
    let page_count = pages.len().max(parsed.len());
    let text = pages
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join("\n\u{c}\n");
    if text.trim().is_empty() {
        return Err(ExtractError::NoTextLayer);
    }
    if text.len() > config.max_output_bytes {
        return Err(ExtractError::OutputTooLarge(config.max_output_bytes));
    }
    let conf_sum: f64 = parsed.iter().map(|p| p.conf_sum).sum();
    let conf_words: usize = parsed.iter().map(|p| p.conf_words).sum();
    let mean_confidence = if conf_words == 0 {
        0.0
    } else {
        (conf_sum / conf_words as f64 / 100.0).clamp(0.0, 1.0) as f32
    };
    Ok(OcrText {
        text: text + "\n",
        mean_confidence,
        pages: page_count,
    })
}

/// The page images written by pdftoppm (`page-1.png`, or `page-01.png` …), in page order.
fn rendered_pages(dir: &Path) -> Result<Vec<PathBuf>, ExtractError> {
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(number) = name
            .strip_prefix("page-")
            .and_then(|n| n.strip_suffix(".png"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            pages.push((number, path));
        }
    }
    pages.sort();
    Ok(pages.into_iter().map(|(_, p)| p).collect())
}

fn image_extension(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(".png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(".jpg")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(".tif")
    } else {
        None
    }
}

/// Refuses an image whose header declares more than [`OcrConfig::max_image_pixels`] on a page,
/// or a TIFF with more than [`OcrConfig::max_pages`] pages. An unreadable header is left to
/// tesseract, which then runs under its process limits.
fn check_pixels(image: &[u8], config: &OcrConfig) -> Result<(), ExtractError> {
    let max_pages = config.max_pages.max(1);
    let Some(pages) = dims::pages(image, max_pages as usize) else {
        return Ok(());
    };
    if pages.len() > max_pages as usize {
        return Err(ExtractError::TooManyPages(max_pages));
    }
    for (width, height) in pages {
        if width.saturating_mul(height) > config.max_image_pixels {
            return Err(ExtractError::ImageTooLarge {
                width,
                height,
                limit: config.max_image_pixels,
            });
        }
    }
    Ok(())
}

/// Language names reach tesseract as one argument; refuse anything but `name+name…`.
fn check_languages(languages: &str) -> Result<(), ExtractError> {
    let ok = !languages.is_empty()
        && languages
            .split('+')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(ExtractError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid tesseract language list {languages:?}"),
        )))
    }
}

fn unreadable(reason: &str) -> ExtractError {
    ExtractError::Unreadable {
        status: None,
        stderr: reason.to_string(),
    }
}
