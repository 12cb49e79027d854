//! Fixed-width field formatting and the character set allowed in alphanumeric fields.

/// Punctuation kept by [`sanitize`]. `*`, `\` and `~` are left out because they are the
/// ANSI X12 element, component and segment delimiters that 05 addenda commonly carry.
const PUNCTUATION: &str = " &'()+,-./:;?=#@%!\"$";

/// Folds text to what banks reliably accept in NACHA alphanumeric fields: upper-case
/// ASCII letters, digits, space and a conservative punctuation set. Common Latin accented
/// letters lose their accent; anything else becomes a space. Runs of spaces collapse and
/// the ends are trimmed, so the result is stable under a second application.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for ch in input.chars() {
        let mapped = fold(ch);
        for c in mapped.chars() {
            let c = if c.is_ascii_alphanumeric() || PUNCTUATION.contains(c) {
                c.to_ascii_uppercase()
            } else {
                ' '
            };
            if c == ' ' {
                if !last_space {
                    out.push(' ');
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold(ch: char) -> &'static str {
    match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'ç' | 'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' | 'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' | 'Ý' => "Y",
        'ß' => "SS",
        'æ' | 'Æ' => "AE",
        'œ' | 'Œ' => "OE",
        _ => ascii_str(ch),
    }
}

fn ascii_str(ch: char) -> &'static str {
    // A table of one-character strings avoids allocating per character.
    const ASCII: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    match ch {
        ' '..='~' => {
            let i = ch as usize - ' ' as usize;
            &ASCII[i..i + 1]
        }
        _ => " ",
    }
}

/// Left-justified, space-filled, cut to `width` characters (input is already ASCII).
pub(crate) fn alpha(out: &mut String, value: &str, width: usize) {
    let mut n = 0;
    for c in value.chars().take(width) {
        out.push(c);
        n += 1;
    }
    for _ in n..width {
        out.push(' ');
    }
}

/// Right-justified, zero-filled number. Callers check the width beforehand.
pub(crate) fn numeric(out: &mut String, value: u64, width: usize) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{value:0width$}");
}

/// Number of decimal digits in `value`.
pub(crate) fn digits(value: u64) -> usize {
    value.checked_ilog10().map_or(1, |d| d as usize + 1)
}
