//! Runs one OCR helper (tesseract, pdftoppm) as a bounded subprocess without stdin.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::error::ExtractError;
use crate::limits::ProcessLimits;

const STDERR_CAP: u64 = 16 * 1024;

/// What a finished helper printed.
pub(crate) struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `program args…` under `limits`, killing it after `timeout` and refusing stdout beyond
/// `max_stdout`.
///
/// `tool` names the program in [`ExtractError::ToolMissing`] and
/// [`ExtractError::ResourceLimit`].
pub(crate) fn run<I, S>(
    program: &Path,
    tool: &str,
    args: I,
    timeout: Duration,
    max_stdout: usize,
    limits: &ProcessLimits,
) -> Result<Output, ExtractError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = limits
        .command(program)
        .args(args)
        // Tesseract's OpenMP threads only add contention when several documents run at once.
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| limits.spawn_error(tool, e))?;
    ProcessLimits::prefer_oom_kill(&child);
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
    let stderr = String::from_utf8_lossy(&err).trim().to_string();
    if !status.success() {
        limits.check_exit(tool, status, &stderr)?;
    }
    Ok(Output {
        success: status.success(),
        code: status.code(),
        stdout: out,
        stderr,
    })
}

fn broken(what: &str) -> ExtractError {
    ExtractError::Io(std::io::Error::other(format!("{what} pipe unavailable")))
}
