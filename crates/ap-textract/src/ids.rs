//! Identifier recognition: IBAN with mod-97 check, EU VAT ids, and invoice/order reference tokens.

use std::sync::LazyLock;

use regex::Regex;

/// Validates an IBAN in electronic form (ISO 13616, mod 97 == 1).
pub fn iban_is_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = b[4..].iter().chain(&b[..4]);
    let mut rem: u32 = 0;
    for &c in rearranged {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

static IBAN_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\s?\d{2}(?:\s?[A-Z0-9]{1,4}){3,8}").expect("iban regex")
});

/// Finds checksum-valid IBANs in a line (grouped or not); the longest valid prefix wins.
pub fn find_ibans(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for m in IBAN_CANDIDATE.find_iter(line) {
        let compact: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
        // The greedy match may swallow a following word, so shorter prefixes are tried too.
        let lengths = match iban_length(&compact[..2]) {
            Some(n) if n <= compact.len() => n..=n,
            Some(_) => continue,
            None => 15..=compact.len().min(34),
        };
        if let Some(valid) = lengths
            .rev()
            .map(|n| &compact[..n])
            .find(|c| iban_is_valid(c))
        {
            out.push(valid.to_string());
        }
    }
    out
}

/// Registered IBAN lengths for common countries; a known length stops accidental prefixes.
fn iban_length(country: &str) -> Option<usize> {
    const LENGTHS: &[(&str, usize)] = &[
        ("AT", 20),
        ("BE", 16),
        ("CH", 21),
        ("CZ", 24),
        ("DE", 22),
        ("DK", 18),
        ("ES", 24),
        ("FI", 18),
        ("FR", 27),
        ("GB", 22),
        ("IE", 22),
        ("IT", 27),
        ("LI", 21),
        ("LU", 20),
        ("MC", 27),
        ("NL", 18),
        ("NO", 15),
        ("PL", 28),
        ("PT", 25),
        ("SE", 24),
        ("SK", 24),
        ("SI", 19),
        ("HU", 28),
        ("GR", 27),
    ];
    LENGTHS.iter().find(|(c, _)| *c == country).map(|(_, n)| *n)
}

static VAT_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(ATU|CHE|[A-Z]{2})[ .-]?([0-9A-Z](?:[ .-]?[0-9A-Z]){7,13})\b")
        .expect("vat regex")
});

static VAT_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:DE\d{9}|ATU\d{8}|FR[0-9A-Z]{2}\d{9}|ES[0-9A-Z]\d{7}[0-9A-Z]|IT\d{11}|NL\d{9}B\d{2}|BE[01]\d{9}|LU\d{8}|GB(?:\d{9}|\d{12})|CHE\d{9}(?:MWST|TVA|IVA)?|PL\d{10}|CZ\d{8,10}|DK\d{8}|SE\d{12}|FI\d{8}|PT\d{9}|IE\d[0-9A-Z]\d{5}[A-Z]{1,2}|EL\d{9}|HU\d{8}|SK\d{10}|SI\d{8}|RO\d{2,10}|HR\d{11}|BG\d{9,10}|LT\d{9,12}|LV\d{11}|EE\d{9}|CY\d{8}[A-Z]|MT\d{8})$",
    )
    .expect("vat shape regex")
});

/// Finds VAT ids with an EU-style country prefix, normalised to `CC123...`.
pub fn find_vat_ids(line: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for c in VAT_CANDIDATE.captures_iter(line) {
        let m = c.get(0).expect("group 0 always exists");
        let compact: String = m
            .as_str()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        // Trailing groups of a neighbouring number may be captured; shrink until a shape fits.
        if let Some(id) = (4..=compact.len())
            .rev()
            .map(|n| &compact[..n])
            .find(|s| VAT_SHAPES.is_match(s))
        {
            out.push((m.start(), m.end(), id.to_string()));
        }
    }
    out
}

/// Normalises a VAT id as printed (spaces, dots) to its compact form.
pub fn normalize_vat(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase()
}

/// Reads an invoice or order reference at the start of `s`: one token that contains a digit.
pub fn reference_at(s: &str) -> Option<&str> {
    let token = s.split(|c: char| c.is_whitespace()).next()?;
    let token = token.trim_end_matches([',', ';', ')', '.', ':']);
    let token = token.trim_start_matches(['(', '#', ':']);
    let ok = !token.is_empty()
        && token.len() <= 40
        && token.chars().any(|c| c.is_ascii_digit())
        && token
            .chars()
            .all(|c| c.is_alphanumeric() || "-/._".contains(c));
    ok.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_checksum() {
        assert!(iban_is_valid("DE02120300000000202051"));
        assert!(!iban_is_valid("DE02120300000000202052"));
        assert_eq!(
            find_ibans("IBAN: DE02 1203 0000 0000 2020 51 BIC BYLADEM1001"),
            vec!["DE02120300000000202051"]
        );
        // OCR and some layouts put a space between the country code and the check digits.
        assert_eq!(
            find_ibans("IBAN DE 89 3704 0044 0532 0130 00"),
            vec!["DE89370400440532013000"]
        );
    }

    #[test]
    fn vat_ids() {
        let ids: Vec<String> = find_vat_ids("N° TVA : FR 11 123 456 782 and DE123456789")
            .into_iter()
            .map(|(_, _, v)| v)
            .collect();
        assert_eq!(ids, vec!["FR11123456782", "DE123456789"]);
    }
}
