//! What an uploaded file really is, decided from its first bytes (never from the declared
//! header), and a filename safe to store and show.

/// Bytes of the file's beginning that [`sniff`] needs to decide.
pub const SNIFF_LEN: usize = 8 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    UblXml,
    CiiXml,
}

impl DocumentKind {
    pub const fn content_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Png => "image/png",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Tiff => "image/tiff",
            DocumentKind::UblXml | DocumentKind::CiiXml => "application/xml",
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Tiff => "tiff",
            DocumentKind::UblXml | DocumentKind::CiiXml => "xml",
        }
    }

    fn family(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Png => "png",
            DocumentKind::Jpeg => "jpeg",
            DocumentKind::Tiff => "tiff",
            DocumentKind::UblXml | DocumentKind::CiiXml => "xml",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SniffError {
    #[error("The file is empty.")]
    Empty,
    #[error("Unsupported file type; upload a PDF, PNG, JPEG, TIFF, or UBL/CII XML invoice.")]
    Unsupported,
    #[error("XML with a document type declaration (DTD) is not accepted.")]
    XmlDtd,
    #[error("The file's content ({actual}) does not match its declared type ({declared}).")]
    Mismatch {
        declared: &'static str,
        actual: &'static str,
    },
}

/// Decides the kind from the first bytes.
pub fn sniff(head: &[u8]) -> Result<DocumentKind, SniffError> {
    if head.is_empty() {
        return Err(SniffError::Empty);
    }
    if head.starts_with(b"%PDF-") {
        return Ok(DocumentKind::Pdf);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(DocumentKind::Png);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(DocumentKind::Jpeg);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Ok(DocumentKind::Tiff);
    }
    sniff_xml(head)
}

/// The root element of an XML document decides UBL or CII; anything else is unsupported.
fn sniff_xml(head: &[u8]) -> Result<DocumentKind, SniffError> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(text);
    let mut rest = text.trim_start();
    if !rest.starts_with('<') {
        return Err(SniffError::Unsupported);
    }
    // Skip the prolog: declaration, processing instructions, comments.
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            let Some(end) = after.find("?>") else {
                return Err(SniffError::Unsupported);
            };
            rest = after[end + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            let Some(end) = after.find("-->") else {
                return Err(SniffError::Unsupported);
            };
            rest = after[end + 3..].trim_start();
        } else if rest.starts_with("<!DOCTYPE")
            || rest.starts_with("<!doctype")
            || rest.starts_with("<!ENTITY")
        {
            return Err(SniffError::XmlDtd);
        } else {
            break;
        }
    }
    let tag = rest.strip_prefix('<').ok_or(SniffError::Unsupported)?;
    let name: String = tag
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    let local = name.rsplit(':').next().unwrap_or(&name);
    match local {
        "Invoice" | "CreditNote" => Ok(DocumentKind::UblXml),
        "CrossIndustryInvoice" | "CrossIndustryDocument" => Ok(DocumentKind::CiiXml),
        _ => Err(SniffError::Unsupported),
    }
}

/// The family a declared content type or filename extension names, if it names a specific one.
fn declared_family(content_type: &str, filename: &str) -> Option<(&'static str, &'static str)> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let by_type = match ct.as_str() {
        "application/pdf" => Some("pdf"),
        "image/png" => Some("png"),
        "image/jpeg" | "image/jpg" => Some("jpeg"),
        "image/tiff" => Some("tiff"),
        "application/xml" | "text/xml" => Some("xml"),
        _ => None,
    };
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("pdf") => Some("pdf"),
        Some("png") => Some("png"),
        Some("jpg" | "jpeg") => Some("jpeg"),
        Some("tif" | "tiff") => Some("tiff"),
        Some("xml") => Some("xml"),
        _ => None,
    };
    by_type
        .map(|f| (f, "content type"))
        .or(by_ext.map(|f| (f, "file extension")))
}

/// Refuses a file whose declared type (content type, else extension) names a different
/// kind than its content: a PNG sent as `invoice.pdf` is a mistake or an attack either way.
pub fn check_declared(
    kind: DocumentKind,
    content_type: &str,
    filename: &str,
) -> Result<(), SniffError> {
    match declared_family(content_type, filename) {
        Some((family, _)) if family != kind.family() => Err(SniffError::Mismatch {
            declared: static_family(family),
            actual: kind.family(),
        }),
        _ => Ok(()),
    }
}

fn static_family(f: &str) -> &'static str {
    match f {
        "pdf" => "pdf",
        "png" => "png",
        "jpeg" => "jpeg",
        "tiff" => "tiff",
        _ => "xml",
    }
}

/// The last path component, without control or separator characters, at most 200 chars;
/// `document` when nothing usable is left.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_decide_the_kind() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Ok(DocumentKind::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Ok(DocumentKind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(DocumentKind::Jpeg));
        assert_eq!(sniff(b"II*\0...."), Ok(DocumentKind::Tiff));
        assert_eq!(sniff(b"MM\0*...."), Ok(DocumentKind::Tiff));
        assert_eq!(sniff(b""), Err(SniffError::Empty));
        assert_eq!(sniff(b"PK\x03\x04zip"), Err(SniffError::Unsupported));
        assert_eq!(sniff(b"hello"), Err(SniffError::Unsupported));
    }

    #[test]
    fn xml_is_accepted_only_as_an_invoice_root() {
        let ubl = br#"<?xml version="1.0"?><!-- c --><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">"#;
        assert_eq!(sniff(ubl), Ok(DocumentKind::UblXml));
        let cii = b"\xEF\xBB\xBF<rsm:CrossIndustryInvoice xmlns:rsm=\"x\">";
        assert_eq!(sniff(cii), Ok(DocumentKind::CiiXml));
        assert_eq!(sniff(b"<ubl:CreditNote>"), Ok(DocumentKind::UblXml));
        assert_eq!(
            sniff(b"<?xml version='1.0'?><html>"),
            Err(SniffError::Unsupported)
        );
        assert_eq!(
            sniff(b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]><Invoice>"),
            Err(SniffError::XmlDtd)
        );
    }

    #[test]
    fn a_declared_type_that_disagrees_with_the_content_is_refused() {
        assert!(check_declared(DocumentKind::Png, "application/pdf", "x.pdf").is_err());
        assert!(check_declared(DocumentKind::Png, "application/octet-stream", "scan.pdf").is_err());
        assert!(check_declared(DocumentKind::Png, "application/octet-stream", "scan").is_ok());
        assert!(check_declared(DocumentKind::Pdf, "application/pdf", "x.pdf").is_ok());
        assert!(check_declared(DocumentKind::CiiXml, "text/xml; charset=utf-8", "x.xml").is_ok());
    }

    #[test]
    fn filenames_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_filename("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(sanitize_filename(".."), "document");
        assert_eq!(sanitize_filename(""), "document");
        assert_eq!(sanitize_filename("inv<1>.pdf"), "inv_1_.pdf");
        assert_eq!(sanitize_filename(&"x".repeat(500)).len(), 200);
    }
}
