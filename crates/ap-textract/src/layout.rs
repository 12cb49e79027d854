//! Column-aware lookup of the value belonging to a label: to its right on the same line, or below it.

use crate::labels::LabelHit;

/// Character column of a byte offset, since layout text aligns by characters, not bytes.
pub fn col(line: &str, byte: usize) -> usize {
    line[..byte.min(line.len())].chars().count()
}

/// Where a value was found relative to its label; values right of a label are more reliable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Right,
    Below,
}

impl Place {
    pub fn factor(self) -> f32 {
        match self {
            Place::Right => 0.95,
            Place::Below => 0.85,
        }
    }
}

/// A token of some value type inside a line, with its byte span.
pub struct Token<T> {
    pub start: usize,
    pub end: usize,
    pub value: T,
}

/// A value found for a label.
pub struct Found<T> {
    pub value: T,
    pub line: usize,
    pub place: Place,
    /// Byte offset within its line where the value ends (for reading what follows it).
    pub end: usize,
}

/// How many non-empty lines below a label are searched for its value.
const LINES_BELOW: usize = 3;

/// Looks for a value right of the label, then in the label's column below it.
///
/// `skip` returns how many bytes of separators follow the label; `tokens` lists the
/// candidate values of a line. A value to the right must start right after the skipped
/// separators; a value below must overlap the label's columns.
pub fn value_for<T>(
    lines: &[&str],
    labels: &[LabelHit],
    hit: &LabelHit,
    skip: impl Fn(&str) -> usize,
    tokens: impl Fn(&str) -> Vec<Token<T>>,
) -> Option<Found<T>> {
    let line = lines[hit.line];
    let rest = &line[hit.end..];
    let skipped = skip(rest);
    let after = &rest[skipped..];
    if let Some(t) = tokens(after).into_iter().find(|t| t.start == 0) {
        return Some(Found {
            value: t.value,
            line: hit.line,
            place: Place::Right,
            end: hit.end + skipped + t.end,
        });
    }
    let cell_ended = after.trim().is_empty() || rest[..skipped].contains("  ");
    if !cell_ended {
        return None;
    }
    let (lc0, lc1) = (col(line, hit.start), col(line, hit.end));
    let mut seen = 0;
    for (idx, below) in lines.iter().enumerate().skip(hit.line + 1) {
        if below.trim().is_empty() {
            continue;
        }
        seen += 1;
        if seen > LINES_BELOW {
            break;
        }
        let blocked = labels.iter().any(|l| {
            l.line == idx && {
                let (c0, c1) = (col(below, l.start), col(below, l.end));
                c0 < lc1 && lc0 < c1
            }
        });
        let centre = (lc0 + lc1) as f32 / 2.0;
        let best = tokens(below)
            .into_iter()
            .filter(|t| {
                let (c0, c1) = (col(below, t.start), col(below, t.end));
                c1 + 3 > lc0 && c0 < lc1 + 6
            })
            .min_by(|a, b| {
                let da = ((col(below, a.start) + col(below, a.end)) as f32 / 2.0 - centre).abs();
                let db = ((col(below, b.start) + col(below, b.end)) as f32 / 2.0 - centre).abs();
                da.total_cmp(&db)
            });
        if let Some(t) = best {
            return Some(Found {
                value: t.value,
                line: idx,
                place: Place::Below,
                end: t.end,
            });
        }
        if blocked {
            break;
        }
    }
    None
}

/// Splits a line into cells separated by two or more spaces, with byte starts.
pub fn cells(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut spaces = 0;
    let mut last_end = 0;
    for (i, c) in line.char_indices() {
        if c == ' ' {
            spaces += 1;
            if spaces >= 2
                && let Some(s) = start.take()
            {
                out.push((s, &line[s..last_end]));
            }
        } else {
            spaces = 0;
            if start.is_none() {
                start = Some(i);
            }
            last_end = i + c.len_utf8();
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..last_end]));
    }
    out
}
