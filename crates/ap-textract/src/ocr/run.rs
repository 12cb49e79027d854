//! Runs one OCR helper (tesseract, pdftoppm) as a bounded subprocess without stdin.

use std::ffi::OsStr;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::error::ExtractError;

const STDERR_CAP: u64 = 16 * 1024;

/// What a finished helper printed.
pub(crate) struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `program args…`, killing it after `timeout` and refusing stdout beyond `max_stdout`.
///
/// `tool` names the program in [`ExtractError::ToolMissing`].
pub(crate) fn run<I, S>(
    program: &Path,
    tool: &str,
    args: I,
    timeout: Duration,
    max_stdout: usize,
) -> Result<Output, ExtractError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = Command::new(program)
        .args(args)
        // Tesseract's OpenMP threads only add contention when several documents run at once.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound | ErrorKind::PermissionDenied => {
                ExtractError::ToolMissing(tool.to_string())
            }
            _ => ExtractError::Io(e),
        })?;
    let stdout = child.stdout.take().ok_or_else(|| broken("stdout"))?;
    let stderr = child.stderr.take().ok_or_else(|| broken("stderr"))?;
    let cap = max_stdout as u64;
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
    let status = match child.wait_timeout(timeout)? {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ExtractError::Timeout(timeout));
        }
    };
    let out = out_reader.join().map_err(|_| broken("stdout reader"))??;
    let err = err_reader.join().unwrap_or_default();
    if out.len() as u64 > cap {
        return Err(ExtractError::OutputTooLarge(max_stdout));
    }
    Ok(Output {
        success: status.success(),
        code: status.code(),
        stdout: out,
        stderr: String::from_utf8_lossy(&err).trim().to_string(),
    })
}

fn broken(what: &str) -> ExtractError {
    ExtractError::Io(std::io::Error::other(format!("{what} pipe unavailable")))
}
