//! The invoice lifecycle of DOMAIN.md as one function: `transition(from, event)`. Nothing else
//! decides a status.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    Received,
    Extracting,
    Extracted,
    Matching,
    Exception,
    PendingApproval,
    Approved,
    Scheduled,
    Paid,
    Rejected,
    Cancelled,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 11] = [
        InvoiceStatus::Received,
        InvoiceStatus::Extracting,
        InvoiceStatus::Extracted,
        InvoiceStatus::Matching,
        InvoiceStatus::Exception,
        InvoiceStatus::PendingApproval,
        InvoiceStatus::Approved,
        InvoiceStatus::Scheduled,
        InvoiceStatus::Paid,
        InvoiceStatus::Rejected,
        InvoiceStatus::Cancelled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Received => "received",
            InvoiceStatus::Extracting => "extracting",
            InvoiceStatus::Extracted => "extracted",
            InvoiceStatus::Matching => "matching",
            InvoiceStatus::Exception => "exception",
            InvoiceStatus::PendingApproval => "pending_approval",
            InvoiceStatus::Approved => "approved",
            InvoiceStatus::Scheduled => "scheduled",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Rejected => "rejected",
            InvoiceStatus::Cancelled => "cancelled",
        }
    }

    /// Approved or later, or closed: automatic re-extraction and re-matching are refused.
    pub const fn is_settled(self) -> bool {
        matches!(
            self,
            InvoiceStatus::Approved
                | InvoiceStatus::Scheduled
                | InvoiceStatus::Paid
                | InvoiceStatus::Rejected
                | InvoiceStatus::Cancelled
        )
    }

    /// Field corrections are allowed until the invoice is approved.
    pub const fn accepts_corrections(self) -> bool {
        !self.is_settled()
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InvoiceStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InvoiceStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown invoice status {s:?}"))
    }
}

/// What can happen to an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceEvent {
    BeginExtraction,
    ExtractionSucceeded,
    /// Extraction gave up (bad file, tools missing, attempts exhausted): a person must look.
    ExtractionFailed,
    /// An analyst asks for extraction again.
    Reextract,
    BeginMatching,
    MatchRequiresApproval,
    MatchAutoApproved,
    MatchRaisedException,
    Approve,
    Reject,
    Schedule,
    /// A payment run was cancelled before execution: the invoice is released.
    Unschedule,
    Pay,
    Cancel,
    /// What an approval looked at no longer holds (the vendor's bank account was replaced):
    /// the decision is forgotten and the invoice is matched again, which opens a new round.
    Reapprove,
}

impl InvoiceEvent {
    pub const ALL: [InvoiceEvent; 15] = [
        InvoiceEvent::BeginExtraction,
        InvoiceEvent::ExtractionSucceeded,
        InvoiceEvent::ExtractionFailed,
        InvoiceEvent::Reextract,
        InvoiceEvent::BeginMatching,
        InvoiceEvent::MatchRequiresApproval,
        InvoiceEvent::MatchAutoApproved,
        InvoiceEvent::MatchRaisedException,
        InvoiceEvent::Approve,
        InvoiceEvent::Reject,
        InvoiceEvent::Schedule,
        InvoiceEvent::Unschedule,
        InvoiceEvent::Pay,
        InvoiceEvent::Cancel,
        InvoiceEvent::Reapprove,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            InvoiceEvent::BeginExtraction => "begin_extraction",
            InvoiceEvent::ExtractionSucceeded => "extraction_succeeded",
            InvoiceEvent::ExtractionFailed => "extraction_failed",
            InvoiceEvent::Reextract => "reextract",
            InvoiceEvent::BeginMatching => "begin_matching",
            InvoiceEvent::MatchRequiresApproval => "match_requires_approval",
            InvoiceEvent::MatchAutoApproved => "match_auto_approved",
            InvoiceEvent::MatchRaisedException => "match_raised_exception",
            InvoiceEvent::Approve => "approve",
            InvoiceEvent::Reject => "reject",
            InvoiceEvent::Schedule => "schedule",
            InvoiceEvent::Unschedule => "unschedule",
            InvoiceEvent::Pay => "pay",
            InvoiceEvent::Cancel => "cancel",
            InvoiceEvent::Reapprove => "reapprove",
        }
    }
}

impl FromStr for InvoiceEvent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InvoiceEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown invoice event {s:?}"))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("an invoice that is {from} cannot {}", event.as_str().replace('_', " "))]
pub struct InvalidTransition {
    pub from: InvoiceStatus,
    pub event: InvoiceEvent,
}

/// The lifecycle. Every pair not listed is refused.
pub fn transition(
    from: InvoiceStatus,
    event: InvoiceEvent,
) -> Result<InvoiceStatus, InvalidTransition> {
    use InvoiceEvent as E;
    use InvoiceStatus as S;
    let to = match (from, event) {
        (S::Received, E::BeginExtraction) => S::Extracting,
        (S::Extracting, E::ExtractionSucceeded) => S::Extracted,
        (S::Extracting, E::ExtractionFailed) => S::Exception,
        (
            S::Extracting | S::Extracted | S::Matching | S::Exception | S::PendingApproval,
            E::Reextract,
        ) => S::Received,
        (S::Extracted | S::Exception | S::PendingApproval, E::BeginMatching) => S::Matching,
        (S::Matching, E::MatchRequiresApproval) => S::PendingApproval,
        (S::Matching, E::MatchAutoApproved) => S::Approved,
        (S::Matching, E::MatchRaisedException) => S::Exception,
        (S::PendingApproval, E::Approve) => S::Approved,
        (S::PendingApproval | S::Exception, E::Reject) => S::Rejected,
        (S::Approved, E::Schedule) => S::Scheduled,
        (S::Scheduled, E::Unschedule) => S::Approved,
        (S::Approved | S::Scheduled, E::Pay) => S::Paid,
        // Only an approved invoice: a scheduled one is released from its run first (at run
        // execution or cancellation), a paid one has left.
        (S::Approved, E::Reapprove) => S::Matching,
        (
            S::Received
            | S::Extracting
            | S::Extracted
            | S::Matching
            | S::Exception
            | S::PendingApproval
            | S::Approved
            | S::Scheduled,
            E::Cancel,
        ) => S::Cancelled,
        _ => return Err(InvalidTransition { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceEvent as E;
    use InvoiceStatus as S;

    /// The complete table of allowed transitions; every other pair must be refused.
    const ALLOWED: &[(S, E, S)] = &[
        (S::Received, E::BeginExtraction, S::Extracting),
        (S::Extracting, E::ExtractionSucceeded, S::Extracted),
        (S::Extracting, E::ExtractionFailed, S::Exception),
        (S::Extracting, E::Reextract, S::Received),
        (S::Extracted, E::Reextract, S::Received),
        (S::Matching, E::Reextract, S::Received),
        (S::Exception, E::Reextract, S::Received),
        (S::PendingApproval, E::Reextract, S::Received),
        (S::Extracted, E::BeginMatching, S::Matching),
        (S::Exception, E::BeginMatching, S::Matching),
        (S::PendingApproval, E::BeginMatching, S::Matching),
        (S::Matching, E::MatchRequiresApproval, S::PendingApproval),
        (S::Matching, E::MatchAutoApproved, S::Approved),
        (S::Matching, E::MatchRaisedException, S::Exception),
        (S::PendingApproval, E::Approve, S::Approved),
        (S::PendingApproval, E::Reject, S::Rejected),
        (S::Exception, E::Reject, S::Rejected),
        (S::Approved, E::Schedule, S::Scheduled),
        (S::Scheduled, E::Unschedule, S::Approved),
        (S::Approved, E::Pay, S::Paid),
        (S::Scheduled, E::Pay, S::Paid),
        (S::Approved, E::Reapprove, S::Matching),
        (S::Received, E::Cancel, S::Cancelled),
        (S::Extracting, E::Cancel, S::Cancelled),
        (S::Extracted, E::Cancel, S::Cancelled),
        (S::Matching, E::Cancel, S::Cancelled),
        (S::Exception, E::Cancel, S::Cancelled),
        (S::PendingApproval, E::Cancel, S::Cancelled),
        (S::Approved, E::Cancel, S::Cancelled),
        (S::Scheduled, E::Cancel, S::Cancelled),
    ];

    #[test]
    fn every_allowed_transition_lands_where_the_lifecycle_says() {
        for (from, event, to) in ALLOWED {
            assert_eq!(
                transition(*from, *event),
                Ok(*to),
                "{from} --{}-->",
                event.as_str()
            );
        }
    }

    #[test]
    fn every_other_pair_is_refused() {
        let mut refused = 0;
        for from in S::ALL {
            for event in E::ALL {
                if ALLOWED.iter().any(|(f, e, _)| *f == from && *e == event) {
                    continue;
                }
                assert_eq!(
                    transition(from, event),
                    Err(InvalidTransition { from, event })
                );
                refused += 1;
            }
        }
        assert_eq!(refused, S::ALL.len() * E::ALL.len() - ALLOWED.len());
    }

    #[test]
    fn paid_cancelled_and_rejected_are_final() {
        for from in [S::Paid, S::Cancelled, S::Rejected] {
            for event in E::ALL {
                assert!(
                    transition(from, event).is_err(),
                    "{from} accepted {}",
                    event.as_str()
                );
            }
        }
    }

    #[test]
    fn settled_invoices_refuse_reextraction_and_rematching() {
        for from in S::ALL.into_iter().filter(|s| s.is_settled()) {
            assert!(transition(from, E::Reextract).is_err());
            assert!(transition(from, E::BeginMatching).is_err());
        }
    }

    #[test]
    fn only_an_approved_invoice_goes_back_to_matching_for_reapproval() {
        assert_eq!(transition(S::Approved, E::Reapprove), Ok(S::Matching));
        for from in S::ALL.into_iter().filter(|s| *s != S::Approved) {
            assert_eq!(
                transition(from, E::Reapprove),
                Err(InvalidTransition {
                    from,
                    event: E::Reapprove
                }),
                "{from} accepted reapprove"
            );
        }
        // From matching the engine decides again, like any other run.
        for event in [
            E::MatchRequiresApproval,
            E::MatchAutoApproved,
            E::MatchRaisedException,
        ] {
            assert!(transition(S::Matching, event).is_ok());
        }
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(s));
        }
        for e in E::ALL {
            assert_eq!(e.as_str().parse::<E>(), Ok(e));
        }
        assert_eq!(
            InvalidTransition {
                from: S::Paid,
                event: E::Cancel
            }
            .to_string(),
            "an invoice that is paid cannot cancel"
        );
    }
}
