//! OCR of scanned invoices: pages are typeset as PDF, rasterised with pdftoppm and read back.
//!
//! Needs tesseract (Debian packages tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu
//! tesseract-ocr-fra) and pdftoppm (poppler-utils); without tesseract these tests fail unless
//! `AP_SKIP_OCR=1` is set.

use std::path::PathBuf;
use std::process::Command;

use ap_textract::{
    ExtractError, OcrConfig, PdfToTextConfig, extract_ocr_image, extract_ocr_pdf, extract_pdf,
    ocr_image, ocr_pdf, pdf_to_text,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const INVOICE: &[&str] = &[
    "Nordwind Handels GmbH",
    "USt-IdNr.: DE123456789",
    "RECHNUNG",
    "Rechnungsnummer: RE-2026-0815",
    "Rechnungsdatum: 02.03.2026",
    "Bestellnummer: PO-77",
    "Nettobetrag: 1.000,00 EUR",
    "MwSt 19 %: 190,00 EUR",
    "Gesamtbetrag: 1.190,00 EUR",
    "IBAN: DE89 3704 0044 0532 0130 00",
];

/// Whether the OCR tests can run; panics with the packages to install unless skipping is asked for.
fn ocr_available(test: &str) -> bool {
    let tesseract = Command::new("tesseract").arg("--version").output();
    if tesseract.is_ok_and(|o| o.status.success()) {
        assert!(
            Command::new("pdftoppm").arg("-v").output().is_ok(),
            "pdftoppm is not installed: apt-get install poppler-utils"
        );
        return true;
    }
    if std::env::var("AP_SKIP_OCR").as_deref() == Ok("1") {
        eprintln!("skipped {test}: tesseract is not installed and AP_SKIP_OCR=1");
        return false;
    }
    panic!(
        "tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng \
         tesseract-ocr-deu tesseract-ocr-fra (or set AP_SKIP_OCR=1 to skip the OCR tests)"
    );
}

/// A one-page Helvetica PDF with one text line per entry.
fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 14 TL 56 780 Td\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T*\n"));
    }
    content.push_str("ET\n");
    pdf_with(
        &content,
        "/Font << /F1 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .as_bytes(),
    )
}

/// A one-page A4 PDF: catalog, pages, page, content stream and one resource object (5 0 R).
fn pdf_with(content: &str, resources: &str, resource_object: &[u8]) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << {resources} >> >>"
        )
        .into_bytes(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()).into_bytes(),
        resource_object.to_vec(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Rasterises the first page of a PDF to PNG, like a scanner would deliver it.
fn render_png(pdf: &[u8], dpi: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).expect("write pdf");
    let out = dir.path().join("scan");
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-singlefile", "-png"])
        .arg(&input)
        .arg(&out)
        .status()
        .expect("pdftoppm runs (apt-get install poppler-utils)");
    assert!(status.success(), "pdftoppm failed");
    std::fs::read(dir.path().join("scan.png")).expect("rendered page")
}

/// Wraps a non-interlaced 8-bit grey or RGB PNG into a one-page PDF with no text layer.
///
/// The PNG's zlib stream is embedded as is: PDF's Flate filter with PNG predictors decodes it.
fn scanned_pdf(png: &[u8]) -> Vec<u8> {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a png");
    let (mut width, mut height, mut colors) = (0u32, 0u32, 0u32);
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes")) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().expect("4 bytes"));
                height = u32::from_be_bytes(data[4..8].try_into().expect("4 bytes"));
                assert_eq!(data[8], 8, "bit depth");
                colors = match data[9] {
                    0 => 1,
                    2 => 3,
                    other => panic!("unsupported png colour type {other}"),
                };
                assert_eq!(data[12], 0, "interlaced png");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let space = if colors == 1 {
        "/DeviceGray"
    } else {
        "/DeviceRGB"
    };
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} \
         /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors {colors} \
         /BitsPerComponent 8 /Columns {width} >> /Length {} >>\nstream\n",
        idat.len()
    )
    .into_bytes();
    image.extend_from_slice(&idat);
    image.extend_from_slice(b"\nendstream");
    pdf_with(
        "q 595 0 0 842 0 0 cm /Im0 Do Q\n",
        "/XObject << /Im0 5 0 R >>",
        &image,
    )
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[test]
fn a_scanned_invoice_image_yields_number_date_currency_and_total_with_reduced_confidence() {
    if !ocr_available("image extraction") {
        return;
    }
    let pdf = text_pdf(INVOICE);
    let png = render_png(&pdf, 200);
    let config = OcrConfig::default();
    let ocr = ocr_image(&png, &config).expect("ocr");
    eprintln!(
        "mean confidence {:.3}, pages {}\n{}",
        ocr.mean_confidence, ocr.pages, ocr.text
    );
    assert_eq!(ocr.pages, 1);
    assert!(
        ocr.mean_confidence > 0.6 && ocr.mean_confidence < 1.0,
        "{}",
        ocr.mean_confidence
    );

    let got = extract_ocr_image(&png, &config).expect("extraction");
    let f = &got.fields;
    eprintln!("{f:#?}");
    let number = f.invoice_number.as_ref().expect("invoice number");
    assert_eq!(number.value, "RE-2026-0815");
    let issued = f.invoice_date.as_ref().expect("invoice date");
    assert_eq!(issued.value, date(2026, 3, 2));
    let currency = f.currency.as_ref().expect("currency");
    assert_eq!(currency.value, "EUR");
    let total = f.total.as_ref().expect("total");
    assert_eq!(total.value, dec("1190.00"));

    // The same fields from the text layer are always more certain than their OCR'd reading.
    let layer = extract_pdf(&pdf, &PdfToTextConfig::default()).expect("text layer");
    let l = &layer.fields;
    for (name, ocr_conf, layer_conf) in [
        (
            "invoice number",
            number.confidence,
            l.invoice_number.as_ref().expect("field found").confidence,
        ),
        (
            "invoice date",
            issued.confidence,
            l.invoice_date.as_ref().expect("field found").confidence,
        ),
        (
            "currency",
            currency.confidence,
            l.currency.as_ref().expect("field found").confidence,
        ),
        (
            "total",
            total.confidence,
            l.total.as_ref().expect("field found").confidence,
        ),
    ] {
        assert!(ocr_conf < 1.0, "{name}: {ocr_conf}");
        assert!(
            ocr_conf < layer_conf,
            "{name}: ocr {ocr_conf} vs text layer {layer_conf}"
        );
    }
    assert!(
        got.warnings
            .iter()
            .any(|w| w.starts_with("ocr: ") && w.contains("confidence")),
        "{:?}",
        got.warnings
    );
}

#[test]
fn a_scanned_pdf_without_a_text_layer_is_read_through_ocr() {
    if !ocr_available("scanned pdf") {
        return;
    }
    let scan = scanned_pdf(&render_png(&text_pdf(INVOICE), 200));
    let err = pdf_to_text(&scan, &PdfToTextConfig::default()).expect_err("must fail");
    assert!(matches!(err, ExtractError::NoTextLayer), "{err:?}");

    let got = extract_ocr_pdf(&scan, &OcrConfig::default()).expect("extraction");
    let f = &got.fields;
    assert_eq!(
        f.invoice_number.as_ref().expect("field found").value,
        "RE-2026-0815"
    );
    assert_eq!(
        f.invoice_date.as_ref().expect("field found").value,
        date(2026, 3, 2)
    );
    assert_eq!(f.currency.as_ref().expect("field found").value, "EUR");
    assert_eq!(f.total.as_ref().expect("field found").value, dec("1190.00"));
    assert!(f.total.as_ref().expect("field found").confidence < 1.0);
}

#[test]
fn ocr_pdf_also_reads_a_pdf_that_has_a_text_layer() {
    if !ocr_available("ocr_pdf on a text pdf") {
        return;
    }
    let ocr = ocr_pdf(&text_pdf(INVOICE), &OcrConfig::default()).expect("ocr");
    assert_eq!(ocr.pages, 1);
    assert!(ocr.text.contains("RE-2026-0815"), "{}", ocr.text);
    assert!(ocr.text.contains("1.190,00 EUR"), "{}", ocr.text);
    assert!(ocr.mean_confidence > 0.6 && ocr.mean_confidence < 1.0);
}

#[test]
fn a_blank_page_is_reported_as_having_no_text() {
    if !ocr_available("blank page") {
        return;
    }
    let png = render_png(&text_pdf(&[]), 100);
    let err = ocr_image(&png, &OcrConfig::default()).expect_err("must fail");
    assert!(matches!(err, ExtractError::NoTextLayer), "{err:?}");
}

#[test]
fn a_page_of_prose_is_not_taken_for_an_invoice() {
    if !ocr_available("prose page") {
        return;
    }
    let png = render_png(
        &text_pdf(&[
            "Dear customer,",
            "thank you for visiting our shop last week.",
        ]),
        200,
    );
    let err = extract_ocr_image(&png, &OcrConfig::default()).expect_err("must fail");
    assert!(matches!(err, ExtractError::NoInvoiceData), "{err:?}");
}

#[test]
fn a_missing_tesseract_binary_is_reported_as_a_missing_tool() {
    let config = OcrConfig {
        tesseract: PathBuf::from("/nonexistent/tesseract"),
        ..OcrConfig::default()
    };
    let png_header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let err = ocr_image(png_header, &config).expect_err("must fail");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t == "tesseract"),
        "{err:?}"
    );
    assert!(err.to_string().contains("tesseract-ocr"), "{err}");
}

#[test]
fn a_missing_pdftoppm_binary_is_reported_as_a_missing_tool() {
    let config = OcrConfig {
        pdftoppm: PathBuf::from("/nonexistent/pdftoppm"),
        ..OcrConfig::default()
    };
    let err = ocr_pdf(&text_pdf(INVOICE), &config).expect_err("must fail");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t == "pdftoppm"),
        "{err:?}"
    );
    assert!(err.to_string().contains("poppler-utils"), "{err}");
}

#[test]
fn missing_language_data_is_reported_as_a_missing_tool() {
    if !ocr_available("missing language") {
        return;
    }
    let config = OcrConfig {
        languages: "zzzlang".to_string(),
        ..OcrConfig::default()
    };
    let png = render_png(&text_pdf(&["Total 1.00"]), 72);
    let err = ocr_image(&png, &config).expect_err("must fail");
    assert!(
        matches!(&err, ExtractError::ToolMissing(t) if t.contains("zzzlang")),
        "{err:?}"
    );
}

#[test]
fn random_bytes_as_an_image_or_pdf_give_a_typed_error_without_panicking() {
    if !ocr_available("random bytes") {
        return;
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = || {
        (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect::<Vec<u8>>()
    };
    let config = OcrConfig::default();
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), noise(), b"/etc/passwd\n".to_vec()];
    for magic in [
        &b"\x89PNG\r\n\x1a\n"[..],
        b"\xff\xd8\xff\xe0",
        b"II*\0",
        b"MM\0*",
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend(noise());
        inputs.push(bytes);
    }
    for input in &inputs {
        let err = ocr_image(input, &config).expect_err("must fail");
        assert!(
            matches!(
                err,
                ExtractError::Unreadable { .. } | ExtractError::NoTextLayer
            ),
            "{err:?}"
        );
    }
    for input in [Vec::new(), noise(), b"%PDF-1.4\n".to_vec()] {
        let err = ocr_pdf(&input, &config).expect_err("must fail");
        assert!(
            matches!(
                err,
                ExtractError::Unreadable { .. } | ExtractError::NoTextLayer
            ),
            "{err:?}"
        );
    }
}

#[test]
fn label_and_value_columns_stay_apart_in_the_recognised_text() {
    if !ocr_available("columns") {
        return;
    }
    let gap = " ".repeat(40);
    let lines = [
        format!("Rechnungsnummer:{gap}RE-2026-0815"),
        format!("Rechnungsdatum:{gap}02.03.2026"),
        format!("Gesamtbetrag:{gap}1.190,00 EUR"),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let png = render_png(&text_pdf(&lines), 200);
    let ocr = ocr_image(&png, &OcrConfig::default()).expect("ocr");
    let total_line = ocr
        .text
        .lines()
        .find(|l| l.contains("Gesamtbetrag:"))
        .unwrap_or_else(|| panic!("no total line in {:?}", ocr.text));
    let value_at = total_line
        .find("1.190,00")
        .expect("value on the label's line");
    assert!(
        total_line["Gesamtbetrag:".len()..value_at].starts_with("  "),
        "{total_line:?}"
    );
    let got = extract_ocr_image(&png, &OcrConfig::default()).expect("extraction");
    assert_eq!(
        got.fields.total.as_ref().expect("field found").value,
        dec("1190.00")
    );
    assert_eq!(
        got.fields
            .invoice_number
            .as_ref()
            .expect("field found")
            .value,
        "RE-2026-0815"
    );
}
