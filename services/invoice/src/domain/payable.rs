//! The one payable amount: what approval, auto-approval, the matrix, the email token and the
//! payment all use (`amount_due`, else `total_amount`), and the rules that keep it honest
//! (EN 16931 BR-CO-16 checked strictly, `0 ≤ amount_due ≤ total`, credit notes mirrored).

use rust_decimal::Decimal;

use super::values::FieldError;

/// The largest rounding amount (BT-114) accepted, in currency units: rounding is about the
/// smallest coin, never about money.
pub const MAX_ROUNDING: Decimal = Decimal::ONE;

/// The amount that is approved and paid: the amount due when the invoice states one, else its
/// total. The single place that settles the fallback.
pub fn payable(total_amount: Option<Decimal>, amount_due: Option<Decimal>) -> Option<Decimal> {
    amount_due.or(total_amount)
}

/// What a document states about its payable amount (EN 16931 BG-22).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentTotals {
    /// BT-112 total with VAT.
    pub total_with_vat: Decimal,
    /// BT-113 paid amount (absent counts as zero).
    pub prepaid: Option<Decimal>,
    /// BT-114 rounding amount (absent counts as zero).
    pub rounding: Option<Decimal>,
    /// BT-115 amount due for payment, as stated.
    pub amount_due: Decimal,
}

/// One broken payable rule, as a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayableIssue(pub String);

/// Checks a document's payable amount strictly (no tolerance): BR-CO-16
/// (payable = total with VAT − prepaid + rounding), a rounding amount of at most one currency
/// unit, a prepaid amount that is not negative and not above the total, and a payable between
/// zero and the total (credit notes: between the total and zero) up to the rounding.
///
/// All amounts are as the document states them, before any credit-note sign is applied.
pub fn check_document(t: &DocumentTotals) -> Vec<PayableIssue> {
    let zero = Decimal::ZERO;
    let prepaid = t.prepaid.unwrap_or(zero);
    let rounding = t.rounding.unwrap_or(zero);
    let mut issues = Vec::new();
    if rounding.abs() > MAX_ROUNDING {
        issues.push(PayableIssue(format!(
            "the rounding amount (BT-114) {rounding} exceeds one currency unit"
        )));
    }
    if prepaid < zero {
        issues.push(PayableIssue(format!(
            "the prepaid amount (BT-113) {prepaid} is negative"
        )));
    } else if t.total_with_vat >= zero && prepaid > t.total_with_vat {
        issues.push(PayableIssue(format!(
            "the prepaid amount (BT-113) {prepaid} exceeds the total {}",
            t.total_with_vat
        )));
    }
    let computed = t.total_with_vat - prepaid + rounding;
    if computed != t.amount_due {
        issues.push(PayableIssue(format!(
            "BR-CO-16: the amount due (BT-115) {} is not total {} − prepaid {prepaid} + rounding {rounding} = {computed}",
            t.amount_due, t.total_with_vat
        )));
    }
    if !within_total(t.total_with_vat, t.amount_due, MAX_ROUNDING) {
        issues.push(PayableIssue(format!(
            "the amount due {} lies outside 0 .. total {}",
            t.amount_due, t.total_with_vat
        )));
    }
    issues
}

/// `0 ≤ amount_due ≤ total + slack`; for a credit note (negative total) the mirror image,
/// `total − slack ≤ amount_due ≤ 0`. The database holds the same rule with a slack of one
/// currency unit (the largest rounding amount).
pub fn within_total(total: Decimal, amount_due: Decimal, slack: Decimal) -> bool {
    if total >= Decimal::ZERO {
        amount_due >= Decimal::ZERO && amount_due <= total + slack
    } else {
        amount_due <= Decimal::ZERO && amount_due >= total - slack
    }
}

/// The amount due a stored invoice may carry: it satisfies the database's rule, so a reading
/// that does not is not stored (the invoice keeps no amount due, pays at most its total, and
/// a high `ARITHMETIC_ERROR` sends it to a person).
pub fn storable_amount_due(total: Option<Decimal>, amount_due: Option<Decimal>) -> bool {
    match (total, amount_due) {
        (Some(t), Some(d)) => within_total(t, d, MAX_ROUNDING),
        _ => true,
    }
}

/// A person's correction is held to the strict rule: the amount due lies between zero and
/// the total (credit notes: between the total and zero), without rounding slack.
pub fn check_correction(
    total: Option<Decimal>,
    amount_due: Option<Decimal>,
) -> Result<(), FieldError> {
    let (Some(total), Some(due)) = (total, amount_due) else {
        return Ok(());
    };
    if within_total(total, due, Decimal::ZERO) {
        return Ok(());
    }
    Err(FieldError::new(
        "amount_due",
        if total >= Decimal::ZERO {
            format!(
                "must be between 0 and the total amount {}",
                total.normalize()
            )
        } else {
            format!(
                "must be between the credit note's total {} and 0",
                total.normalize()
            )
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn doc(
        total: &str,
        prepaid: Option<&str>,
        rounding: Option<&str>,
        due: &str,
    ) -> DocumentTotals {
        DocumentTotals {
            total_with_vat: d(total),
            prepaid: prepaid.map(d),
            rounding: rounding.map(d),
            amount_due: d(due),
        }
    }

    #[test]
    fn a_consistent_document_passes() {
        assert!(check_document(&doc("89.01", None, None, "89.01")).is_empty());
        assert!(check_document(&doc("100.00", Some("40.00"), Some("0.01"), "60.01")).is_empty());
        assert!(check_document(&doc("10.02", None, Some("0.03"), "10.05")).is_empty());
    }

    #[test]
    fn a_huge_rounding_amount_is_an_issue_even_when_br_co_16_holds() {
        let issues = check_document(&doc("89.01", None, Some("99910.99"), "100000.00"));
        assert!(
            issues.iter().any(|i| i.0.contains("rounding")),
            "{issues:?}"
        );
        assert!(issues.iter().any(|i| i.0.contains("outside")), "{issues:?}");
    }

    #[test]
    fn a_negative_prepaid_amount_is_an_issue() {
        let issues = check_document(&doc("100.00", Some("-900.00"), None, "1000.00"));
        assert!(
            issues.iter().any(|i| i.0.contains("negative")),
            "{issues:?}"
        );
    }

    #[test]
    fn a_stated_payable_other_than_br_co_16_is_an_issue() {
        let issues = check_document(&doc("100.00", None, None, "100.01"));
        assert!(
            issues.iter().any(|i| i.0.contains("BR-CO-16")),
            "{issues:?}"
        );
    }

    #[test]
    fn a_correction_above_the_total_or_negative_is_refused() {
        assert!(check_correction(Some(d("100")), Some(d("100.0001"))).is_err());
        assert!(check_correction(Some(d("100")), Some(d("-1"))).is_err());
        assert!(check_correction(Some(d("100")), Some(d("0"))).is_ok());
        assert!(check_correction(Some(d("100")), Some(d("100"))).is_ok());
        assert!(check_correction(Some(d("-50")), Some(d("-50"))).is_ok());
        assert!(check_correction(Some(d("-50")), Some(d("1"))).is_err());
        assert!(check_correction(None, Some(d("1"))).is_ok());
    }

    fn money() -> impl Strategy<Value = Decimal> {
        (-10_000_000_000i64..10_000_000_000i64).prop_map(|c| Decimal::new(c, 2))
    }

    proptest! {
        /// Whatever totals, prepaid and rounding a document states, a document that passes has
        /// a payable no higher than its total plus one currency unit of rounding and never
        /// negative; and a payable that passes is exactly what BR-CO-16 computes.
        #[test]
        fn an_accepted_document_never_pays_more_than_its_total(
            total in money(), prepaid in proptest::option::of(money()),
            rounding in proptest::option::of(money()), due in money(),
        ) {
            let t = DocumentTotals { total_with_vat: total, prepaid, rounding, amount_due: due };
            if check_document(&t).is_empty() {
                prop_assert_eq!(due, total - prepaid.unwrap_or_default() + rounding.unwrap_or_default());
                if total >= Decimal::ZERO {
                    prop_assert!(due >= Decimal::ZERO);
                    prop_assert!(due <= total + MAX_ROUNDING);
                } else {
                    prop_assert!(due <= Decimal::ZERO);
                    prop_assert!(due >= total - MAX_ROUNDING);
                }
                prop_assert!(storable_amount_due(Some(total), Some(due)));
            }
        }

        /// Documents built by BR-CO-16 from arbitrary totals, prepaid and small roundings: the
        /// check accepts exactly those whose payable stays within 0 .. total (+ rounding), and
        /// the accepted payable is never above what the document's total justifies.
        #[test]
        fn a_br_co_16_document_is_accepted_only_within_its_total(
            total in money(), prepaid in proptest::option::of(money()),
            rounding_cents in -300i64..300,
        ) {
            let rounding = Decimal::new(rounding_cents, 2);
            let due = total - prepaid.unwrap_or_default() + rounding;
            let t = DocumentTotals { total_with_vat: total, prepaid, rounding: Some(rounding), amount_due: due };
            let issues = check_document(&t);
            let fine = rounding.abs() <= MAX_ROUNDING
                && prepaid.is_none_or(|p| p >= Decimal::ZERO && (total < Decimal::ZERO || p <= total))
                && within_total(total, due, MAX_ROUNDING);
            prop_assert_eq!(issues.is_empty(), fine, "{:?}", issues);
            if issues.is_empty() {
                prop_assert!(due.abs() <= total.abs() + MAX_ROUNDING);
            }
        }

        /// Documents that state BR-CO-16 correctly but inflate the payable by a rounding of more
        /// than one unit are always caught.
        #[test]
        fn an_inflating_rounding_is_always_caught(
            total in money(), extra in 101i64..10_000_000_000i64,
        ) {
            let rounding = Decimal::new(extra, 2);
            let t = DocumentTotals { total_with_vat: total, prepaid: None, rounding: Some(rounding), amount_due: total + rounding };
            prop_assert!(!check_document(&t).is_empty());
        }

        /// A correction that passes yields a payable between zero and the total (mirrored for
        /// credit notes); the payable approval sees is the payable that is paid.
        #[test]
        fn an_accepted_correction_stays_within_the_total(total in money(), due in money()) {
            if check_correction(Some(total), Some(due)).is_ok() {
                let paid = payable(Some(total), Some(due)).unwrap_or_default();
                prop_assert_eq!(paid, due);
                prop_assert!(paid.abs() <= total.abs());
                prop_assert!(paid.is_zero() || paid.is_sign_negative() == total.is_sign_negative());
                prop_assert!(storable_amount_due(Some(total), Some(due)));
            }
        }

        /// Without an amount due the total is the payable: never anything else.
        #[test]
        fn the_payable_falls_back_to_the_total_only(total in proptest::option::of(money())) {
            prop_assert_eq!(payable(total, None), total);
        }
    }
}
