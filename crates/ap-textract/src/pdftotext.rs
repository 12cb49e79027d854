//! Runs poppler's `pdftotext -layout` as a bounded subprocess; `ocr` spawns the OCR helpers likewise.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::error::ExtractError;
use crate::limits::ProcessLimits;

/// How the external text extractor is invoked.
#[derive(Debug, Clone)]
pub struct PdfToTextConfig {
    /// Program name or path; a bare name is looked up on `PATH`.
    pub binary: PathBuf,
    /// Only the first pages are converted (`-l`), which bounds work on huge documents.
    pub max_pages: u32,
    pub timeout: Duration,
    /// Output beyond this many bytes is treated as an error rather than buffered.
    pub max_output_bytes: usize,
    /// Kernel limits of the pdftotext process (memory, CPU, file size).
    pub limits: ProcessLimits,
}

impl Default for PdfToTextConfig {
    fn default() -> Self {
        Self {
            binary: PathBuf::from("pdftotext"),
            max_pages: 10,
            timeout: Duration::from_secs(20),
            max_output_bytes: 4 * 1024 * 1024,
            limits: ProcessLimits {
                max_cpu_secs: 20,
                ..ProcessLimits::default()
            },
        }
    }
}

const STDERR_CAP: u64 = 16 * 1024;

/// Converts PDF bytes to layout-preserving UTF-8 text.
///
/// The PDF goes through stdin so no temporary file is needed.
pub fn pdf_to_text(pdf: &[u8], config: &PdfToTextConfig) -> Result<String, ExtractError> {
    let tool_name = config
        .binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| config.binary.display().to_string());
    let mut child = config
        .limits
        .command(&config.binary)
        .args(["-layout", "-enc", "UTF-8", "-l"])
        .arg(config.max_pages.max(1).to_string())
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| config.limits.spawn_error(&tool_name, e))?;
    ProcessLimits::prefer_oom_kill(&child);

    let mut stdin = child.stdin.take().ok_or_else(|| broken("stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| broken("stdout"))?;
    let stderr = child.stderr.take().ok_or_else(|| broken("stderr"))?;
    let input = pdf.to_vec();
    // Writer and readers run concurrently so a full pipe on either side cannot deadlock.
    let writer = thread::spawn(move || {
        // The tool may exit early on garbage input; a broken pipe is then expected.
        let _ = stdin.write_all(&input);
    });
    let cap = config.max_output_bytes as u64;
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        // Dropping the pipe after the cap makes the tool fail with EPIPE instead of blocking.
        stdout.take(cap + 1).read_to_end(&mut buf).map(|_| buf)
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.take(STDERR_CAP).read_to_end(&mut buf);
        buf
    });

    let status = match child.wait_timeout(config.timeout)? {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ExtractError::Timeout(config.timeout));
        }
    };
    let _ = writer.join();
    let out = out_reader.join().map_err(|_| broken("stdout reader"))??;
    let err = err_reader.join().unwrap_or_default();
    if out.len() as u64 > cap {
        return Err(ExtractError::OutputTooLarge(config.max_output_bytes));
    }
    if !status.success() {
        config
            .limits
            .check_exit(&tool_name, status, &String::from_utf8_lossy(&err))?;
        return Err(ExtractError::Unreadable {
            status: status.code(),
            stderr: String::from_utf8_lossy(&err).trim().to_lowercase(),
        });
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    if text.trim().is_empty() {
        return Err(ExtractError::NoTextLayer);
    }
    Ok(text)
}

fn broken(what: &str) -> ExtractError {
    ExtractError::Io(std::io::Error::other(format!("{what} pipe unavailable")))
}
