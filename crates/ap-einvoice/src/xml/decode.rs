//! Turns raw XML bytes into UTF-8 text: byte-order marks, UTF-16 and Latin-1 declarations.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// Decodes `bytes` to UTF-8, borrowing when the input already is UTF-8.
pub(crate) fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, str>> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return utf8(rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8" | "utf8" | "us-ascii" | "ascii") => utf8(bytes),
        // Latin-1 maps each byte to the code point of the same value.
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso_8859-1") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
        }
        Some(other) => Err(Error::Encoding(other.to_owned())),
    }
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>> {
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|e| Error::Encoding(format!("invalid utf-8 ({e})")))
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Cow<'static, str>> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::Encoding(
            "odd number of bytes in utf-16 input".into(),
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<std::result::Result<String, _>>()
        .map(Cow::Owned)
        .map_err(|_| Error::Encoding("invalid utf-16".into()))
}

/// The `encoding` pseudo-attribute of the XML declaration, lowercased.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let decl = head.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let end = value.find(quote)?;
    Some(value[..end].trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_declared_latin1() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>M\xfcller</a>";
        assert!(to_utf8(bytes).expect("valid test input").contains("Müller"));
    }

    #[test]
    fn strips_utf8_bom() {
        assert_eq!(
            to_utf8(b"\xEF\xBB\xBF<a/>").expect("valid test input"),
            "<a/>"
        );
    }

    #[test]
    fn refuses_unknown_encoding() {
        let bytes = b"<?xml version='1.0' encoding='EBCDIC'?><a/>";
        assert!(matches!(to_utf8(bytes), Err(Error::Encoding(_))));
    }
}
