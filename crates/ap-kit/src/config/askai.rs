//! Settings of the Ask-AI service: how long a generated query may run and whether the model
//! writes the answer sentence (a second model call) or a plain count sentence is used.

use std::time::Duration;

use super::ConfigError;

/// How questions are answered.
#[derive(Clone, Copy, Debug)]
pub struct AskAiSettings {
    /// `SET LOCAL statement_timeout` of every generated query.
    pub statement_timeout: Duration,
    /// `SET LOCAL work_mem` (KiB) of every generated query: each sort or hash spills to
    /// disk past it, and parallel workers are off so it is not multiplied.
    pub work_mem_kb: u32,
    /// True: the model summarises the first rows in a sentence or two (a second call, rows
    /// leave the database for the model provider). False: "The query returned N rows."
    pub summaries: bool,
}

impl AskAiSettings {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let timeout_ms: u64 = super::parse_or(get, "ASKAI_STATEMENT_TIMEOUT_MS", 5_000, errors);
        if !(100..=60_000).contains(&timeout_ms) {
            errors.push(ConfigError::Invalid {
                var: "ASKAI_STATEMENT_TIMEOUT_MS",
                reason: "must be between 100 and 60000".into(),
            });
        }
        let work_mem_kb: u32 = super::parse_or(get, "ASKAI_WORK_MEM_KB", 8_192, errors);
        if !(64..=262_144).contains(&work_mem_kb) {
            errors.push(ConfigError::Invalid {
                var: "ASKAI_WORK_MEM_KB",
                reason: "must be between 64 and 262144".into(),
            });
        }
        Self {
            statement_timeout: Duration::from_millis(timeout_ms.clamp(100, 60_000)),
            work_mem_kb: work_mem_kb.clamp(64, 262_144),
            summaries: super::parse_or(get, "ASKAI_SUMMARIES", true, errors),
        }
    }
}
