//! What a vendor is shown: every internal status in plain words, and which dates and amounts
//! of payment it may see. Pure rules; the portal app layer applies them.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::status::InvoiceStatus;

/// The vendor's words for an internal status. Every status maps (the match is exhaustive), and
/// nothing about exceptions, risk or approvers leaks through: all of that is "in review".
pub const fn vendor_status(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Received
        | InvoiceStatus::Extracting
        | InvoiceStatus::Extracted
        | InvoiceStatus::Matching => "received",
        InvoiceStatus::Exception | InvoiceStatus::PendingApproval => "in review",
        InvoiceStatus::Approved => "approved",
        InvoiceStatus::Scheduled => "scheduled for payment",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Rejected => "rejected",
        InvoiceStatus::Cancelled => "cancelled",
    }
}

/// The payment facts of an invoice as stored.
#[derive(Clone, Debug, Default)]
pub struct PaymentFacts<'a> {
    pub due_date: Option<NaiveDate>,
    pub amount_due: Option<Decimal>,
    pub total_amount: Option<Decimal>,
    pub payment_status: Option<&'a str>,
    pub payment_date: Option<NaiveDate>,
    pub payment_reference: Option<&'a str>,
}

/// What the vendor sees of payment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VendorPayment {
    /// The scheduled payment date once a payment is scheduled, else the due date; none once
    /// paid, rejected or cancelled.
    pub expected_date: Option<NaiveDate>,
    pub paid_date: Option<NaiveDate>,
    pub amount_paid: Option<Decimal>,
    pub remittance_reference: Option<String>,
}

pub fn vendor_payment(status: InvoiceStatus, f: &PaymentFacts<'_>) -> VendorPayment {
    let paid = status == InvoiceStatus::Paid || f.payment_status == Some("completed");
    if paid {
        return VendorPayment {
            expected_date: None,
            paid_date: f.payment_date,
            amount_paid: f.amount_due.or(f.total_amount),
            remittance_reference: f.payment_reference.map(str::to_owned),
        };
    }
    let expected_date = match status {
        InvoiceStatus::Rejected | InvoiceStatus::Cancelled => None,
        _ if matches!(f.payment_status, Some("pending" | "scheduled")) => {
            f.payment_date.or(f.due_date)
        }
        _ => f.due_date,
    };
    VendorPayment {
        expected_date,
        ..VendorPayment::default()
    }
}

/// A dispute's reason and description, checked.
pub fn check_dispute(reason: &str, description: &str) -> Result<(String, String), &'static str> {
    let reason = reason.trim();
    let description = description.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err("reason");
    }
    if description.chars().count() > 5000 {
        return Err("description");
    }
    Ok((reason.to_owned(), description.to_owned()))
}

/// A message body: not blank, at most 10,000 characters.
pub fn check_body(body: &str) -> Option<String> {
    let trimmed = body.trim();
    (!trimmed.is_empty() && trimmed.chars().count() <= 10_000).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_internal_status_has_a_vendor_word_and_internal_states_read_as_review() {
        for s in InvoiceStatus::ALL {
            assert!(!vendor_status(s).is_empty());
        }
        assert_eq!(vendor_status(InvoiceStatus::Extracting), "received");
        assert_eq!(vendor_status(InvoiceStatus::Exception), "in review");
        assert_eq!(vendor_status(InvoiceStatus::PendingApproval), "in review");
        assert_eq!(
            vendor_status(InvoiceStatus::Scheduled),
            "scheduled for payment"
        );
    }

    #[test]
    fn the_expected_date_is_the_due_date_until_a_payment_is_scheduled() {
        let due = NaiveDate::from_ymd_opt(2026, 4, 1);
        let run = NaiveDate::from_ymd_opt(2026, 3, 20);
        let mut f = PaymentFacts {
            due_date: due,
            amount_due: Some(Decimal::new(15420, 0)),
            ..PaymentFacts::default()
        };
        assert_eq!(
            vendor_payment(InvoiceStatus::Approved, &f).expected_date,
            due
        );
        f.payment_status = Some("scheduled");
        f.payment_date = run;
        assert_eq!(
            vendor_payment(InvoiceStatus::Scheduled, &f).expected_date,
            run
        );
        f.payment_status = Some("completed");
        f.payment_reference = Some("REF-1");
        let paid = vendor_payment(InvoiceStatus::Paid, &f);
        assert_eq!(paid.paid_date, run);
        assert_eq!(paid.amount_paid, Some(Decimal::new(15420, 0)));
        assert_eq!(paid.remittance_reference.as_deref(), Some("REF-1"));
        assert_eq!(paid.expected_date, None);
        assert_eq!(
            vendor_payment(InvoiceStatus::Cancelled, &PaymentFacts::default()),
            VendorPayment::default()
        );
    }

    #[test]
    fn a_dispute_needs_a_reason() {
        assert!(check_dispute("  ", "x").is_err());
        assert!(check_dispute(&"r".repeat(201), "").is_err());
        assert_eq!(
            check_dispute(" Wrong price ", " see PO "),
            Ok(("Wrong price".into(), "see PO".into()))
        );
    }
}
