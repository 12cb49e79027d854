//! Test harness shared by every crate: per-test PostgreSQL databases cloned from a migrated
//! template, and capture of the process's log lines.

mod db;
pub mod hostile;
mod logs;

pub use db::{TestDb, admin_url, base_url};
pub use logs::{LogCapture, capture_logs};
