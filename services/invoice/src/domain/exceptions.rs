//! The exception queue's rules: statuses and their transitions, what blocks an invoice, the
//! SLA per severity.

use std::time::Duration;

/// Open, in progress and escalated exceptions are still to be worked.
pub const ACTIVE: &[&str] = &["open", "in_progress", "escalated"];
pub const STATUSES: &[&str] = &["open", "in_progress", "resolved", "waived", "escalated"];
pub const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];

/// The codes DOMAIN.md names (plus nothing else): filters are checked against them.
pub const CODES: &[&str] = &[
    "MISSING_PO",
    "PO_NOT_FOUND",
    "PO_CLOSED",
    "VENDOR_MISMATCH",
    "PRICE_VARIANCE",
    "QTY_VARIANCE",
    "QTY_OVER_RECEIPT",
    "GRN_NOT_FOUND",
    "TOTAL_MISMATCH",
    "ARITHMETIC_ERROR",
    "CURRENCY_MISMATCH",
    "DUPLICATE_INVOICE",
    "VENDOR_UNKNOWN",
    "LOW_CONFIDENCE",
    "BANK_DETAILS_CHANGED",
    "FRAUD_SUSPECTED",
    "VENDOR_DISPUTE",
];

/// Codes only an ADMIN may resolve or waive: they are about who gets paid.
pub const ADMIN_ONLY: &[&str] = &["BANK_DETAILS_CHANGED", "FRAUD_SUSPECTED"];

/// Codes that block whatever their severity: a vendor's dispute stops payment until someone
/// has looked at it.
pub const ALWAYS_BLOCKING: &[&str] = &["VENDOR_DISPUTE"];

/// An active high or critical exception, or an active dispute, blocks approval and payment.
pub fn is_blocking(code: &str, severity: &str, status: &str) -> bool {
    (matches!(severity, "high" | "critical") || ALWAYS_BLOCKING.contains(&code))
        && ACTIVE.contains(&status)
}

pub fn is_active(status: &str) -> bool {
    ACTIVE.contains(&status)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    #[error("an exception that is {from} cannot become {to}")]
    Transition { from: String, to: String },
    #[error("a reason is required to waive an exception")]
    ReasonRequired,
}

/// open → in_progress → resolved | waived | escalated; an escalated exception is worked like
/// an open one. Resolved and waived are final. Waiving needs a reason.
pub fn check_transition(from: &str, to: &str, note: Option<&str>) -> Result<(), QueueError> {
    let ok = match (from, to) {
        (a, b) if a == b => false,
        ("open" | "in_progress" | "escalated", "resolved" | "waived") => true,
        ("open" | "escalated", "in_progress") => true,
        ("open" | "in_progress", "escalated") => true,
        _ => false,
    };
    if !ok {
        return Err(QueueError::Transition {
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }
    if to == "waived" && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(QueueError::ReasonRequired);
    }
    Ok(())
}

/// How long each severity may stay unworked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sla {
    pub critical: Duration,
    pub high: Duration,
    pub medium: Duration,
    pub low: Duration,
}

impl Default for Sla {
    fn default() -> Self {
        let h = |n: u64| Duration::from_secs(n * 3600);
        Self {
            critical: h(4),
            high: h(24),
            medium: h(48),
            low: h(120),
        }
    }
}

impl Sla {
    pub fn for_severity(&self, severity: &str) -> Duration {
        match severity {
            "critical" => self.critical,
            "high" => self.high,
            "medium" => self.medium,
            _ => self.low,
        }
    }

    /// `critical:4,high:24,medium:48,low:120` (hours); unnamed severities keep their default.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut sla = Sla::default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, hours) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?} is not severity:hours"))?;
            let hours: u64 = hours
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: hours must be a whole number"))?;
            let d = Duration::from_secs(hours * 3600);
            match name.trim() {
                "critical" => sla.critical = d,
                "high" => sla.high = d,
                "medium" => sla.medium = d,
                "low" => sla.low = d,
                other => return Err(format!("unknown severity {other:?}")),
            }
        }
        Ok(sla)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_moves_forward_and_never_reopens() {
        for (from, to) in [
            ("open", "in_progress"),
            ("open", "resolved"),
            ("open", "waived"),
            ("open", "escalated"),
            ("in_progress", "resolved"),
            ("in_progress", "escalated"),
            ("escalated", "in_progress"),
            ("escalated", "resolved"),
        ] {
            assert_eq!(
                check_transition(from, to, Some("why")),
                Ok(()),
                "{from}->{to}"
            );
        }
        for (from, to) in [
            ("resolved", "open"),
            ("waived", "in_progress"),
            ("resolved", "waived"),
            ("in_progress", "open"),
            ("open", "open"),
            ("escalated", "escalated"),
        ] {
            assert!(
                check_transition(from, to, Some("why")).is_err(),
                "{from}->{to}"
            );
        }
    }

    #[test]
    fn waiving_needs_a_reason() {
        assert_eq!(
            check_transition("open", "waived", None),
            Err(QueueError::ReasonRequired)
        );
        assert_eq!(
            check_transition("open", "waived", Some("  ")),
            Err(QueueError::ReasonRequired)
        );
        assert_eq!(check_transition("open", "resolved", None), Ok(()));
    }

    #[test]
    fn only_active_high_and_critical_exceptions_and_disputes_block() {
        assert!(is_blocking("MISSING_PO", "high", "open"));
        assert!(is_blocking("FRAUD_SUSPECTED", "critical", "escalated"));
        assert!(is_blocking("MISSING_PO", "high", "in_progress"));
        assert!(!is_blocking("PRICE_VARIANCE", "medium", "open"));
        assert!(!is_blocking("FRAUD_SUSPECTED", "critical", "waived"));
        assert!(!is_blocking("MISSING_PO", "high", "resolved"));
        assert!(is_blocking("VENDOR_DISPUTE", "medium", "open"));
        assert!(!is_blocking("VENDOR_DISPUTE", "medium", "resolved"));
    }

    #[test]
    fn sla_hours_parse_per_severity() {
        let sla = Sla::parse("critical:2, low:240").expect("sla");
        assert_eq!(sla.critical, Duration::from_secs(7200));
        assert_eq!(sla.high, Sla::default().high);
        assert_eq!(sla.for_severity("low"), Duration::from_secs(240 * 3600));
        assert!(Sla::parse("urgent:1").is_err());
        assert!(Sla::parse("high").is_err());
        assert!(Sla::parse("high:x").is_err());
    }
}
