//! Finds the Factur-X / ZUGFeRD / XRechnung XML attached to a hybrid PDF.
//!
//! Rather than trusting one route (the `/EmbeddedFiles` name tree, the catalog's `/AF` array,
//! file-attachment annotations), every file specification with an `/EF` entry in the object
//! table is a candidate; candidates are ranked by file name and accepted only when their
//! decompressed content has an e-invoice root element.

use std::collections::HashSet;
use std::io::Read;

use lopdf::{Dictionary, Object, ObjectId, Stream};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::xml::Limits;

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

/// Extracts the e-invoice XML from a hybrid PDF; attachments larger than
/// `limits.max_input_bytes` once decompressed are skipped.
pub fn extract_embedded_xml_with(pdf: &[u8], limits: &Limits) -> Result<Option<EmbeddedXml>> {
    if pdf.len() > limits.max_input_bytes {
        return Err(Error::TooLarge {
            size: pdf.len(),
            limit: limits.max_input_bytes,
        });
    }
    // lopdf is not written to be panic-free on hostile input; a panic there must not take the
    // caller down, so it is contained and reported as an unreadable PDF.
    let loaded = std::panic::catch_unwind(|| lopdf::Document::load_mem(pdf));
    let doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Err(Error::Pdf(e.to_string().to_lowercase())),
        Err(_) => return Err(Error::Pdf("pdf reader failed on malformed input".into())),
    };
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| find_xml(&doc, limits)));
    found.unwrap_or_else(|_| Err(Error::Pdf("pdf reader failed on malformed input".into())))
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

/// The stream's decoded bytes, or `None` when it is undecodable or decodes beyond `limit`.
fn content(stream: &Stream, limit: usize) -> Option<Vec<u8>> {
    let filters = stream.filters().unwrap_or_default();
    let has_params = stream.dict.get(b"DecodeParms").is_ok();
    match filters.as_slice() {
        [] => (stream.content.len() <= limit).then(|| stream.content.clone()),
        // The common case is inflated here with a hard cap, so a deflate bomb costs at most
        // `limit` bytes; other filter chains go through lopdf and are checked afterwards.
        [b"FlateDecode"] if !has_params => {
            let mut out = Vec::new();
            let mut decoder =
                flate2::read::ZlibDecoder::new(stream.content.as_slice()).take(limit as u64 + 1);
            decoder.read_to_end(&mut out).ok()?;
            (out.len() <= limit).then_some(out)
        }
        _ => stream
            .decompressed_content()
            .ok()
            .filter(|c| c.len() <= limit),
    }
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
