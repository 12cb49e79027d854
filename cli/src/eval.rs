//! `apctl extract eval DIR`: measures how well the extraction paths read the documents in a folder.
//!
//! - Text mode (default, [`text`]): every hybrid PDF directly in DIR carries its own ground
//!   truth (the embedded e-invoice XML). The PDF goes through the production text path
//!   (`ap_textract::extract_pdf`, which only sees `pdftotext` output), and the header fields it
//!   reads are scored against the parsed XML.
//! - XML mode (`--xml`, [`xml`]): every `*.xml` and every hybrid PDF's embedded XML under DIR
//!   (recursively) is parsed; parse failures, EN 16931 sum-rule violations and the differences
//!   between UBL/CII example pairs are reported.
//!
//! Both modes are reports: they exit 0 whatever they find; only usage errors (bad arguments,
//! DIR not a readable directory) exit 2. A file that cannot be read is listed with the reason
//! and never aborts the run.

mod text;
mod xml;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// Arguments of `apctl extract eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Folder to evaluate. Text mode reads the files directly in it; `--xml` walks it recursively.
    pub dir: PathBuf,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Check XML parsing instead of the text path: parse failures, sum rules, UBL/CII pairs.
    #[arg(long)]
    pub xml: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Exit code for usage errors (the same code clap uses for bad arguments).
const USAGE: u8 = 2;

/// Runs the evaluation and prints the report on standard output.
pub fn run(args: &EvalArgs) -> ExitCode {
    match std::fs::metadata(&args.dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return usage(&format!("{} is not a directory", args.dir.display())),
        Err(e) => return usage(&format!("cannot read {}: {e}", args.dir.display())),
    }
    let report = if args.xml {
        xml::run(&args.dir)
    } else {
        text::run(&args.dir)
    };
    match report {
        Ok(report) => {
            match args.format {
                Format::Text => print!("{}", report.text),
                Format::Json => match serde_json::to_string_pretty(&report.json) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("apctl: cannot render the report: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage(&e),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("apctl extract eval: {msg}");
    ExitCode::from(USAGE)
}

/// A finished report in both renderings; the caller prints the one asked for.
pub(crate) struct Report {
    pub text: String,
    pub json: serde_json::Value,
}

/// Whether the bytes are a PDF: the header may start anywhere in the first 1024 bytes.
pub(crate) fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

pub(crate) fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

/// `path` relative to `root` for display, falling back to the full path.
pub(crate) fn display_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// `part / whole` in percent, `None` when `whole` is 0; rounded to one decimal.
pub(crate) fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (1000.0 * part as f64 / whole as f64).round() / 10.0)
}

pub(crate) fn percent_text(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_string(), |p| format!("{p:.1} %"))
}
