//! Hostile PDFs stay bounded: decompression bombs in every shape, absurd object and page
//! counts are refused with [`Error::PdfLimit`] before lopdf inflates anything, quickly and
//! without buffering the inflated bytes; genuine hybrid PDFs still read.

use std::time::{Duration, Instant};

use ap_einvoice::{Error, Limits, PdfLimit, PdfLimits, extract_embedded_xml_limited, parse};
use ap_test_support::hostile::{Bomb, MIB, pdf, pdf_bomb, pdf_with_pages, stream, zlib_zeros_of};

const BOMB: u64 = 512 * MIB;

fn refused(bytes: &[u8]) -> Error {
    let started = Instant::now();
    let err = parse(bytes).expect_err("a hostile PDF is refused");
    // Debug builds inflate slowly; the bound is the 64 MiB cap, never the 512 MiB bomb.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    err
}

#[test]
fn a_flate_bomb_in_a_page_is_refused_at_the_stream_limit() {
    let bomb = pdf_bomb(Bomb::Plain, BOMB);
    assert!(bomb.len() < 5 * MIB as usize, "{} bytes", bomb.len());
    assert_eq!(
        refused(&bomb),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
    assert_eq!(
        refused(&bomb).to_string(),
        "the PDF expands beyond the 64 MiB limit"
    );
}

#[test]
fn a_bomb_under_stacked_filters_is_refused() {
    let bomb = pdf_bomb(Bomb::Stacked, BOMB);
    assert!(bomb.len() < 512 * 1024, "{} bytes", bomb.len());
    assert_eq!(
        refused(&bomb),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
}

#[test]
fn a_bomb_with_decode_parms_is_refused() {
    assert_eq!(
        refused(&pdf_bomb(Bomb::DecodeParms, BOMB)),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
}

#[test]
fn a_bomb_in_an_object_stream_is_refused_before_lopdf_loads_it() {
    assert_eq!(
        refused(&pdf_bomb(Bomb::ObjectStream, BOMB)),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
}

#[test]
fn a_bomb_as_the_factur_x_attachment_is_refused() {
    assert_eq!(
        refused(&pdf_bomb(Bomb::Attachment, BOMB)),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
}

#[test]
fn many_streams_under_the_stream_limit_are_refused_at_the_total_limit() {
    let limits = PdfLimits {
        max_stream_bytes: 4 * MIB,
        max_total_bytes: 10 * MIB,
        ..PdfLimits::default()
    };
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
    ];
    for _ in 0..4 {
        objects.push(stream("/Filter /FlateDecode", &zlib_zeros_of(3 * MIB)));
    }
    let err = extract_embedded_xml_limited(&pdf(&objects), &Limits::default(), &limits)
        .expect_err("refused");
    assert_eq!(err, Error::PdfLimit(PdfLimit::TotalTooLarge(10 * MIB)));
}

#[test]
fn more_than_the_allowed_stacked_filters_are_refused() {
    let filters = "/FlateDecode ".repeat(5);
    let body = stream(&format!("/Filter [{filters}]"), b"x");
    let doc = pdf(&[b"<< /Type /Catalog >>".to_vec(), body]);
    assert_eq!(refused(&doc), Error::PdfLimit(PdfLimit::TooManyFilters(4)));
}

#[test]
fn a_page_tree_of_a_hundred_thousand_pages_is_refused() {
    let doc = pdf_with_pages(100_000);
    assert_eq!(
        refused(&doc),
        Error::PdfLimit(PdfLimit::TooManyPages(1_000))
    );
    assert_eq!(
        refused(&doc).to_string(),
        "the PDF has more than 1000 pages"
    );
}

#[test]
fn a_page_tree_that_understates_its_count_is_still_walked() {
    let kids = "3 0 R ".repeat(5_000);
    let doc = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{kids}] /Count 1 >>").into_bytes(),
        b"<< /Type /Page /Parent 2 0 R >>".to_vec(),
    ]);
    assert_eq!(
        refused(&doc),
        Error::PdfLimit(PdfLimit::TooManyPages(1_000))
    );
}

#[test]
fn a_cyclic_page_tree_ends() {
    let doc = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R 2 0 R] /Count 1 >>".to_vec(),
    ]);
    assert_eq!(
        refused(&doc),
        Error::PdfLimit(PdfLimit::TooManyPages(1_000))
    );
}

#[test]
fn too_many_objects_are_refused_before_parsing() {
    let limits = PdfLimits {
        max_objects: 1_000,
        ..PdfLimits::default()
    };
    let objects: Vec<Vec<u8>> = std::iter::once(b"<< /Type /Catalog >>".to_vec())
        .chain((0..1_500).map(|_| b"null".to_vec()))
        .collect();
    let err = extract_embedded_xml_limited(&pdf(&objects), &Limits::default(), &limits)
        .expect_err("refused");
    assert_eq!(err, Error::PdfLimit(PdfLimit::TooManyObjects(1_000)));
}

#[test]
fn objects_packed_in_an_object_stream_count_too() {
    let limits = PdfLimits {
        max_objects: 1_000,
        ..PdfLimits::default()
    };
    let index: String = (0..2_000).map(|i| format!("{} 0 ", i + 10)).collect();
    let body = format!("{index}{}", "null ".repeat(2_000));
    let first = index.len();
    let objstm = stream(
        &format!("/Type /ObjStm /N 2000 /First {first} /Filter /FlateDecode"),
        &ap_test_support::hostile::zlib(body.as_bytes()),
    );
    let doc = pdf(&[b"<< /Type /Catalog >>".to_vec(), objstm]);
    let err = extract_embedded_xml_limited(&doc, &Limits::default(), &limits).expect_err("refused");
    assert_eq!(err, Error::PdfLimit(PdfLimit::TooManyObjects(1_000)));
}

#[test]
fn a_small_pdf_within_the_limits_is_read_as_before() {
    let doc = pdf_with_pages(3);
    assert_eq!(parse(&doc), Err(Error::NoEmbeddedXml));
    let content = ap_test_support::hostile::zlib(b"BT /F1 12 Tf (Invoice 1) Tj ET");
    let doc = ap_test_support::hostile::one_page_pdf("/Filter /FlateDecode", &content);
    assert_eq!(parse(&doc), Err(Error::NoEmbeddedXml));
}

/// Every hybrid PDF of the shared corpus still yields its invoice under the limits.
#[test]
fn the_corpus_hybrid_pdfs_pass_the_limits() {
    let root = std::env::var("AP_CORPUS_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus").to_owned()
    });
    let dir = std::path::Path::new(&root).join("pdf");
    let entries = std::fs::read_dir(&dir).expect("corpus pdf directory");
    let mut read = 0;
    for entry in entries {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read pdf");
        match parse(&bytes) {
            Err(Error::PdfLimit(limit)) => panic!("{}: {limit}", path.display()),
            Ok(_) => read += 1,
            Err(_) => {}
        }
    }
    assert!(read >= 5, "only {read} corpus PDFs parsed");
}

/// A bomb behind tricks that fool a naive byte scan is still refused: a comment between the
/// dictionary and `stream`, a decoy `/Filter` in a nested dictionary, a string holding `>>`.
#[test]
fn a_bomb_behind_syntax_tricks_is_still_refused() {
    let zeros = ap_test_support::hostile::zlib(&zlib_zeros_of(BOMB));
    let mut body = format!(
        "<< /X << /Filter /DCTDecode >> /S (>> \\) >>) /Type /ObjStm /N 1 /First 4 \
         /Filter [/FlateDecode /FlateDecode] /Length {} >> % comment\nstream \r\n",
        zeros.len()
    )
    .into_bytes();
    body.extend_from_slice(&zeros);
    body.extend_from_slice(b"\nendstream");
    let doc = pdf(&[b"<< /Type /Catalog >>".to_vec(), body]);
    assert_eq!(
        refused(&doc),
        Error::PdfLimit(PdfLimit::StreamTooLarge(64 * MIB))
    );
}

/// Refusing a 512 MiB bomb never holds its bytes: the process's peak memory stays far below.
#[test]
fn refusing_a_bomb_keeps_the_peak_memory_small() {
    let _ = refused(&pdf_bomb(Bomb::Attachment, BOMB));
    let _ = refused(&pdf_bomb(Bomb::ObjectStream, BOMB));
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    assert!(peak_kib * 1024 < 256 * MIB, "peak {} MiB", peak_kib / 1024);
}

/// Overlapping, never-closed dictionaries would make any forward reader quadratic; the scan's
/// work budget refuses them instead.
#[test]
fn endless_overlapping_dictionaries_are_refused_quickly() {
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend_from_slice(&b"1 0 obj << /A [ (x) ".repeat(50_000));
    assert_eq!(refused(&doc), Error::PdfLimit(PdfLimit::TooComplex));
}

/// A comment line packed with `obj` keywords would make each of them skip the rest of the
/// line; that work is charged too.
#[test]
fn a_comment_full_of_obj_keywords_is_refused_quickly() {
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend_from_slice(&b"1 obj%".repeat(150_000));
    assert_eq!(refused(&doc), Error::PdfLimit(PdfLimit::TooComplex));
}
