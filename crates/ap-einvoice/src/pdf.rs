//! Finds the Factur-X / ZUGFeRD / XRechnung XML attached to a hybrid PDF.
//!
//! Rather than trusting one route (the `/EmbeddedFiles` name tree, the catalog's `/AF` array,
//! file-attachment annotations), every file specification with an `/EF` entry in the object
//! table is a candidate; candidates are ranked by file name and accepted only when their
//! decompressed content has an e-invoice root element.
//!
//! Before lopdf parses anything, [`scan`] bounds the whole file ([`PdfLimits`]); after loading,
//! the page tree is counted under the same limits.

mod scan;

use std::cell::Cell;
use std::collections::HashSet;

use lopdf::{Dictionary, Object, ObjectId, Stream};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::xml::Limits;

pub use scan::{PdfLimit, PdfLimits};

/// An XML file found inside a PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedXml {
    /// The attachment's file name (`/UF`, else `/F`), when the PDF gives one.
    pub filename: Option<String>,
    /// The decompressed XML bytes.
    pub xml: Vec<u8>,
}

/// Names the Factur-X, ZUGFeRD 2 and XRechnung specifications prescribe for the invoice XML.
const STANDARD_NAMES: [&str; 4] = [
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "zugferd_invoice.xml",
];

/// Root element local names that mark an attachment as an e-invoice.
const INVOICE_ROOTS: [&str; 4] = [
    "CrossIndustryInvoice",
    "Invoice",
    "CreditNote",
    "CrossIndustryDocument",
];

/// Filespec dictionaries are found by walking objects; this bounds that walk on hostile input.
const MAX_WALK_DEPTH: usize = 16;

/// Extracts the e-invoice XML from a hybrid PDF under the default [`Limits`].
///
/// `Ok(None)` means the PDF is readable but carries no e-invoice XML.
pub fn extract_embedded_xml(pdf: &[u8]) -> Result<Option<EmbeddedXml>> {
    extract_embedded_xml_with(pdf, &Limits::default())
}

/// Extracts the e-invoice XML from a hybrid PDF under the default [`PdfLimits`]; attachments
/// larger than `limits.max_input_bytes` once decompressed are skipped.
pub fn extract_embedded_xml_with(pdf: &[u8], limits: &Limits) -> Result<Option<EmbeddedXml>> {
    extract_embedded_xml_limited(pdf, limits, &PdfLimits::default())
}

/// Like [`extract_embedded_xml_with`], with explicit [`PdfLimits`]. A PDF that breaks one of
/// them fails with [`Error::PdfLimit`] before it is parsed (streams, objects) or before its
/// attachments are read (pages).
pub fn extract_embedded_xml_limited(
    pdf: &[u8],
    limits: &Limits,
    pdf_limits: &PdfLimits,
) -> Result<Option<EmbeddedXml>> {
    if pdf.len() > limits.max_input_bytes {
        return Err(Error::TooLarge {
            size: pdf.len(),
            limit: limits.max_input_bytes,
        });
    }
    scan::scan(pdf, pdf_limits)?;
    // PDF/A-3 (Factur-X, ZUGFeRD) forbids encryption, and lopdf would inflate a decrypted
    // object stream without bounds: an encrypted file carries no e-invoice for us.
    if scan::mentions_encryption(pdf) {
        return Ok(None);
    }
    // lopdf is not written to be panic-free on hostile input; a panic there must not take the
    // caller down, so it is contained and reported as an unreadable PDF.
    OBJECT_STREAM_LIMIT.set(pdf_limits.max_stream_bytes);
    OBJECT_STREAM_TRIPPED.set(false);
    let loaded = std::panic::catch_unwind(|| {
        let options = lopdf::LoadOptions::with_filter(guard_object_streams);
        lopdf::Document::load_mem_with_options(pdf, options)
    });
    if OBJECT_STREAM_TRIPPED.replace(false) {
        return Err(Error::PdfLimit(PdfLimit::StreamTooLarge(
            pdf_limits.max_stream_bytes,
        )));
    }
    let doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(Error::Pdf(e.to_string().to_lowercase())),
        Err(_) => return Err(Error::Pdf("pdf reader failed on malformed input".into())),
    };
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_pages(&doc, pdf_limits.max_pages)?;
        find_xml(&doc, limits)
    }));
    found.unwrap_or_else(|_| Err(Error::Pdf("pdf reader failed on malformed input".into())))
}

thread_local! {
    /// The stream bound [`guard_object_streams`] applies (lopdf takes a plain `fn`, and loads
    /// on the calling thread: the crate is built without its `rayon` feature).
    static OBJECT_STREAM_LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
    /// Set when [`guard_object_streams`] dropped an object stream over the bound.
    static OBJECT_STREAM_TRIPPED: Cell<bool> = const { Cell::new(false) };
}

/// Second line of defence behind the scan, on lopdf's own reading of each object: lopdf
/// inflates object streams while loading, right after this filter sees them, so one that
/// decodes beyond the bound is dropped here and the load is refused.
///
/// lopdf ignores what the filter returns for top-level objects (streams among them) and keeps
/// it for objects unpacked from object streams, hence the clone for those.
fn guard_object_streams(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    match object {
        Object::Stream(stream) => {
            if stream.dict.has_type(b"ObjStm") {
                let filters: Vec<Vec<u8>> = stream
                    .filters()
                    .unwrap_or_default()
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect();
                let limit = OBJECT_STREAM_LIMIT.get();
                if filters.len() > PdfLimits::default().max_filters
                    || scan::decodes_beyond(&stream.content, &filters, limit)
                {
                    OBJECT_STREAM_TRIPPED.set(true);
                    return None;
                }
            }
            Some((id, Object::Null))
        }
        other => Some((id, other.clone())),
    }
}

/// Refuses a page tree with more than `max` pages, by its `/Count` or by walking it (shared and
/// cyclic kids included); the walk itself is bounded.
fn check_pages(doc: &lopdf::Document, max: usize) -> Result<()> {
    let too_many = || Error::PdfLimit(PdfLimit::TooManyPages(max));
    let Ok(root) = doc.catalog().and_then(|c| c.get(b"Pages")) else {
        return Ok(());
    };
    let declared = doc
        .dereference(root)
        .ok()
        .and_then(|(_, o)| o.as_dict().ok())
        .and_then(|d| d.get(b"Count").ok())
        .and_then(|c| c.as_i64().ok());
    if declared.is_some_and(|n| usize::try_from(n).map_or(n > 0, |n| n > max)) {
        return Err(too_many());
    }
    let mut stack = vec![root];
    let mut pages = 0usize;
    let mut visits = 0usize;
    while let Some(node) = stack.pop() {
        visits += 1;
        // Interior nodes are a small fraction of the leaves in any real tree.
        if visits > max.saturating_mul(4).saturating_add(64) {
            return Err(too_many());
        }
        let Ok((_, object)) = doc.dereference(node) else {
            continue;
        };
        let Ok(dict) = object.as_dict() else {
            continue;
        };
        match dict.get(b"Kids").and_then(|k| doc.dereference(k)) {
            Ok((_, Object::Array(kids))) => stack.extend(kids.iter()),
            _ => {
                pages += 1;
                if pages > max {
                    return Err(too_many());
                }
            }
        }
    }
    Ok(())
}

struct Candidate<'a> {
    filename: Option<String>,
    stream: &'a Stream,
}

fn find_xml(doc: &lopdf::Document, limits: &Limits) -> Result<Option<EmbeddedXml>> {
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for object in doc.objects.values() {
        collect(doc, object, 0, &mut seen, &mut candidates);
    }
    candidates.sort_by_key(|c| rank(c.filename.as_deref()));
    for c in candidates {
        let Some(bytes) = content(c.stream, limits.max_input_bytes) else {
            continue;
        };
        if root_name(&bytes).is_some_and(|r| INVOICE_ROOTS.contains(&r.as_str())) {
            return Ok(Some(EmbeddedXml {
                filename: c.filename,
                xml: bytes,
            }));
        }
    }
    Ok(None)
}

fn rank(name: Option<&str>) -> u8 {
    let lower = name.map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some(n) if STANDARD_NAMES.contains(&n) => 0,
        Some(n) if n.ends_with(".xml") => 1,
        _ => 2,
    }
}

fn collect<'a>(
    doc: &'a lopdf::Document,
    object: &'a Object,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    out: &mut Vec<Candidate<'a>>,
) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match object {
        Object::Dictionary(dict) => {
            if let Some(c) = filespec(doc, dict, seen) {
                out.push(c);
            }
            for (_, value) in dict.iter() {
                collect(doc, value, depth + 1, seen, out);
            }
        }
        Object::Array(items) => {
            for item in items {
                collect(doc, item, depth + 1, seen, out);
            }
        }
        _ => {}
    }
}

fn filespec<'a>(
    doc: &'a lopdf::Document,
    dict: &'a Dictionary,
    seen: &mut HashSet<ObjectId>,
) -> Option<Candidate<'a>> {
    let ef = match dict.get(b"EF").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let id = ef
        .get(b"UF")
        .or_else(|_| ef.get(b"F"))
        .ok()?
        .as_reference()
        .ok()?;
    if !seen.insert(id) {
        return None;
    }
    let stream = doc.get_object(id).ok()?.as_stream().ok()?;
    let filename = [b"UF".as_slice(), b"F"]
        .into_iter()
        .find_map(|k| dict.get(k).ok().and_then(|o| o.as_str().ok()))
        .map(pdf_text);
    Some(Candidate { filename, stream })
}

/// Decodes a PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding, whose
/// printable ASCII range (all that file names use in practice) matches Latin-1.
fn pdf_text(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(rest) => {
            let units = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .collect()
        }
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The stream's decoded bytes, or `None` when it is undecodable here or decodes beyond
/// `limit`. Decoding is always capped (never lopdf's unbounded decoder); an XML attachment with
/// a predictor or an image codec is no e-invoice and is skipped.
fn content(stream: &Stream, limit: usize) -> Option<Vec<u8>> {
    let filters: Vec<Vec<u8>> = stream
        .filters()
        .unwrap_or_default()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let predictor = stream
        .dict
        .get(b"DecodeParms")
        .ok()
        .and_then(|p| p.as_dict().ok())
        .and_then(|p| p.get(b"Predictor").ok())
        .and_then(|p| p.as_i64().ok())
        .is_some_and(|p| p > 1);
    if predictor || filters.len() > PdfLimits::default().max_filters {
        return None;
    }
    scan::decode_bounded(&stream.content, &filters, limit as u64)
}

/// Local name of the first element, without building a tree; DTDs stop the sniff.
pub(crate) fn root_name(bytes: &[u8]) -> Option<String> {
    let text = crate::xml::decode_for_sniff(bytes)?;
    let mut reader = quick_xml::reader::Reader::from_str(&text);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let local = e.local_name();
                let name: &str = local.as_ref();
                return Some(name.to_owned());
            }
            quick_xml::events::Event::Eof | quick_xml::events::Event::DocType(_) => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use lopdf::{Dictionary, Object, Stream};

    use super::*;

    fn object_stream(content: Vec<u8>, filter: &[u8]) -> Object {
        let mut dict = Dictionary::new();
        dict.set("Type", Object::Name(b"ObjStm".to_vec()));
        dict.set("Filter", Object::Name(filter.to_vec()));
        Object::Stream(Stream::new(dict, content))
    }

    #[test]
    fn an_object_stream_over_the_bound_is_dropped_on_lopdfs_reading() {
        OBJECT_STREAM_LIMIT.set(1000);
        OBJECT_STREAM_TRIPPED.set(false);
        let mut small = object_stream("41".repeat(1000).into_bytes(), b"ASCIIHexDecode");
        assert!(guard_object_streams((1, 0), &mut small).is_some());
        assert!(!OBJECT_STREAM_TRIPPED.get());
        let mut big = object_stream("41".repeat(1001).into_bytes(), b"ASCIIHexDecode");
        assert!(guard_object_streams((2, 0), &mut big).is_none());
        assert!(OBJECT_STREAM_TRIPPED.replace(false));
        // Objects unpacked from object streams are handed back intact.
        let mut number = Object::Integer(7);
        assert_eq!(
            guard_object_streams((3, 0), &mut number),
            Some(((3, 0), Object::Integer(7)))
        );
    }
}
