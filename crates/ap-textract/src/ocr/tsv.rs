//! Turns tesseract's TSV word boxes back into layout text that [`crate::extract_text`] can read.
//!
//! Words are grouped into tesseract's lines, lines whose boxes share a vertical band are merged
//! into one row (a label and its value may land in different blocks), and the horizontal gaps
//! between words become runs of spaces so label/value columns stay apart by at least two spaces,
//! as in `pdftotext -layout` output.

/// One recognised word with its box in pixels.
#[derive(Debug, Clone)]
struct Word {
    page: u32,
    key: (u32, u32, u32),
    left: i64,
    top: i64,
    width: i64,
    height: i64,
    conf: f32,
    text: String,
}

/// Layout text of one TSV document and the statistics of its word confidences.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Parsed {
    /// Pages in order of their page numbers, each as layout text without a trailing newline.
    pub pages: Vec<String>,
    /// Sum of the confidences (0..100) of words that carry one (conf ≥ 0).
    pub conf_sum: f64,
    pub conf_words: usize,
}

/// A gap wider than this many average character widths separates columns.
const COLUMN_GAP_CHARS: f64 = 2.0;
/// Rows are capped so a pathological box position cannot produce huge lines.
const MAX_COLUMN: usize = 400;

/// Parses `tesseract ... tsv` output; malformed rows are skipped, never fatal.
pub(crate) fn parse(tsv: &str) -> Parsed {
    let mut words = Vec::new();
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 11 || cols[0] != "5" {
            continue;
        }
        let text = cols.get(11..).map(|t| t.join(" ")).unwrap_or_default();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().ok();
        let (Some(page), Some(block), Some(par), Some(line)) = (num(1), num(2), num(3), num(4))
        else {
            continue;
        };
        let (Some(left), Some(top), Some(width), Some(height)) = (num(6), num(7), num(8), num(9))
        else {
            continue;
        };
        let conf = cols[10].trim().parse::<f32>().unwrap_or(-1.0);
        let small = |v: i64| u32::try_from(v.clamp(0, i64::from(u32::MAX))).unwrap_or(0);
        words.push(Word {
            page: small(page),
            key: (small(block), small(par), small(line)),
            left: left.max(0),
            top: top.max(0),
            width: width.max(1),
            height: height.max(1),
            conf,
            text,
        });
    }

    let mut parsed = Parsed::default();
    for w in &words {
        if w.conf.is_finite() && w.conf >= 0.0 {
            parsed.conf_sum += f64::from(w.conf.min(100.0));
            parsed.conf_words += 1;
        }
    }
    let mut page_numbers: Vec<u32> = words.iter().map(|w| w.page).collect();
    page_numbers.sort_unstable();
    page_numbers.dedup();
    for page in page_numbers {
        let page_words: Vec<&Word> = words.iter().filter(|w| w.page == page).collect();
        parsed.pages.push(render_page(&page_words));
    }
    parsed
}

/// A horizontal band of words, built from one or more tesseract lines.
struct Row<'a> {
    top: i64,
    bottom: i64,
    words: Vec<&'a Word>,
}

fn render_page(words: &[&Word]) -> String {
    // Tesseract's own lines, in the order it emitted them.
    let mut lines: Vec<Row> = Vec::new();
    for w in words {
        match lines.last_mut() {
            Some(last) if last.words[0].key == w.key => {
                last.top = last.top.min(w.top);
                last.bottom = last.bottom.max(w.top + w.height);
                last.words.push(w);
            }
            _ => lines.push(Row {
                top: w.top,
                bottom: w.top + w.height,
                words: vec![w],
            }),
        }
    }
    lines.sort_by_key(|l| (l.top, l.bottom));
    // Merge lines that share most of their height into one row.
    let mut rows: Vec<Row> = Vec::new();
    for line in lines {
        let target = rows.iter_mut().rev().take(4).find(|r| {
            let overlap = r.bottom.min(line.bottom) - r.top.max(line.top);
            let smaller = (r.bottom - r.top).min(line.bottom - line.top).max(1);
            overlap * 2 >= smaller
        });
        match target {
            Some(row) => {
                row.top = row.top.min(line.top);
                row.bottom = row.bottom.max(line.bottom);
                row.words.extend(line.words);
            }
            None => rows.push(line),
        }
    }
    rows.sort_by_key(|r| r.top);

    let char_width = char_width(words);
    let origin = words.iter().map(|w| w.left).min().unwrap_or(0);
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        row.words.sort_by_key(|w| w.left);
        let mut line = String::new();
        let mut cols = 0usize;
        let mut prev_right: Option<i64> = None;
        for w in row.words {
            let target = column(w.left - origin, char_width);
            let spaces = match prev_right {
                None => target,
                Some(right) => {
                    let gap = (w.left - right) as f64;
                    if gap >= COLUMN_GAP_CHARS * char_width {
                        target.saturating_sub(cols).max(2)
                    } else {
                        1
                    }
                }
            };
            line.extend(std::iter::repeat_n(' ', spaces));
            line.push_str(&w.text);
            cols += spaces + w.text.chars().count();
            prev_right = Some(prev_right.map_or(w.left + w.width, |r| r.max(w.left + w.width)));
        }
        out.push(line.trim_end().to_string());
    }
    out.join("\n")
}

/// Median width of one character over the page's words, in pixels.
fn char_width(words: &[&Word]) -> f64 {
    let mut widths: Vec<f64> = words
        .iter()
        .filter_map(|w| {
            let n = w.text.chars().count();
            (n > 0).then(|| w.width as f64 / n as f64)
        })
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if widths.is_empty() {
        return 10.0;
    }
    widths.sort_by(f64::total_cmp);
    widths[widths.len() / 2].max(1.0)
}

fn column(offset: i64, char_width: f64) -> usize {
    let c = (offset.max(0) as f64 / char_width).round();
    if c.is_finite() {
        (c as usize).min(MAX_COLUMN)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        page: u32,
        block: u32,
        line: u32,
        left: i64,
        top: i64,
        conf: &str,
        text: &str,
    ) -> String {
        format!(
            "5\t{page}\t{block}\t1\t{line}\t1\t{left}\t{top}\t{}\t20\t{conf}\t{text}",
            text.len() * 10
        )
    }

    #[test]
    fn words_of_a_line_are_joined_and_far_columns_keep_two_or_more_spaces() {
        let tsv = [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext".to_string(),
            "1\t1\t0\t0\t0\t0\t0\t0\t1000\t1000\t-1\t".to_string(),
            row(1, 1, 1, 100, 100, "90", "Invoice"),
            row(1, 1, 1, 180, 100, "80", "No:"),
            row(1, 2, 1, 600, 102, "70", "A-1"),
            row(1, 1, 2, 100, 140, "-1", "Total"),
        ]
        .join("\n");
        let p = parse(&tsv);
        assert_eq!(p.pages.len(), 1);
        let lines: Vec<&str> = p.pages[0].lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["Invoice", "No:", "A-1"]
        );
        assert!(lines[0].starts_with("Invoice No:  "), "{:?}", lines[0]);
        assert_eq!(lines[1], "Total");
        assert_eq!(p.conf_words, 3);
        assert!((p.conf_sum - 240.0).abs() < 1e-6);
    }

    #[test]
    fn garbage_rows_are_ignored() {
        let p = parse("5\tx\t1\n\t\t\n5\t1\t1\t1\t1\t1\t-5\tNaN\t3\t3\tinf\tword\n");
        assert!(p.pages.is_empty());
        let p = parse("5\t1\t1\t1\t1\t1\t99999999999\t0\t3\t3\t50\tfar\n");
        assert_eq!(p.pages, vec!["far".to_string()]);
    }
}
