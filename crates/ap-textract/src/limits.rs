//! Resource limits for the external helpers (pdftotext, pdftoppm, tesseract): each runs under
//! util-linux `prlimit`, which sets the address-space, CPU-time and file-size limits on itself
//! and then executes the helper, so the workspace needs no `unsafe` `pre_exec` hook. A helper
//! that breaks a limit is stopped by the kernel and reported as [`ExtractError::ResourceLimit`].
//! Each helper is also made the OOM killer's first choice, so a container-level memory limit
//! takes the helper, never the service.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::error::ExtractError;

/// Kernel limits applied to every helper process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessLimits {
    /// The `prlimit` program (util-linux); `None` runs helpers without kernel limits (only the
    /// wall-clock timeout and output caps apply), which is meant for tests of other things.
    pub wrapper: Option<PathBuf>,
    /// Address-space limit (`RLIMIT_AS`). Default 1 GiB.
    pub max_memory_bytes: u64,
    /// CPU-time limit in seconds (`RLIMIT_CPU`). Default 60.
    pub max_cpu_secs: u64,
    /// Largest file a helper may write (`RLIMIT_FSIZE`), e.g. a rasterised page. Default 64 MiB
    /// (a 64-megapixel grayscale page, the OCR pixel limit, compresses well below that).
    pub max_file_bytes: u64,
}

impl Default for ProcessLimits {
    fn default() -> Self {
        Self {
            wrapper: Some(PathBuf::from("prlimit")),
            max_memory_bytes: 1024 * 1024 * 1024,
            max_cpu_secs: 60,
            max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

impl ProcessLimits {
    /// A command that runs `program` under these limits.
    pub(crate) fn command(&self, program: &Path) -> Command {
        match &self.wrapper {
            Some(wrapper) => {
                let mut cmd = Command::new(wrapper);
                cmd.arg(format!("--as={}", self.max_memory_bytes))
                    .arg(format!("--cpu={}", self.max_cpu_secs.max(1)))
                    .arg(format!("--fsize={}", self.max_file_bytes))
                    .arg("--")
                    .arg(OsStr::new(program));
                cmd
            }
            None => Command::new(program),
        }
    }

    /// Marks a freshly started helper as the process the kernel's OOM killer takes first
    /// (`oom_score_adj` 1000: raising it needs no privilege), so that if the container's
    /// memory runs out while a helper runs, the helper dies and the service survives.
    pub(crate) fn prefer_oom_kill(child: &std::process::Child) {
        // Best effort: without /proc the helper still runs under its rlimits.
        let _ = std::fs::write(format!("/proc/{}/oom_score_adj", child.id()), "1000");
    }

    /// Maps a failed spawn: a missing wrapper is named as such, a missing helper as itself.
    pub(crate) fn spawn_error(&self, tool: &str, e: std::io::Error) -> ExtractError {
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                ExtractError::ToolMissing(if self.wrapper.is_some() {
                    "prlimit".to_string()
                } else {
                    tool.to_string()
                })
            }
            _ => ExtractError::Io(e),
        }
    }

    /// Reads a finished helper's status: `Err` when the wrapper could not start the helper
    /// or the helper was stopped by a limit.
    pub(crate) fn check_exit(
        &self,
        tool: &str,
        status: ExitStatus,
        stderr: &str,
    ) -> Result<(), ExtractError> {
        let lower = stderr.to_lowercase();
        if self.wrapper.is_some()
            && matches!(status.code(), Some(126 | 127))
            && lower.contains("failed to execute")
        {
            return Err(ExtractError::ToolMissing(tool.to_string()));
        }
        // SIGXCPU / SIGKILL (CPU), SIGXFSZ (file size), SIGSEGV / SIGABRT (allocation failure
        // under RLIMIT_AS), or the helper's own out-of-memory report.
        let stopped = status.signal().is_some();
        let out_of_memory = ["out of memory", "cannot allocate", "bad_alloc", "bad alloc"]
            .iter()
            .any(|m| lower.contains(m));
        if stopped || out_of_memory {
            return Err(ExtractError::ResourceLimit {
                tool: tool.to_string(),
                limits: self.describe(),
            });
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "{} MiB of memory, {} s of CPU, {} MiB per file",
            self.max_memory_bytes / (1024 * 1024),
            self.max_cpu_secs,
            self.max_file_bytes / (1024 * 1024)
        )
    }
}
