//! Arithmetic consistency checks on document totals (EN 16931 BR-CO-10 .. BR-CO-16).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::Invoice;

/// One violated sum rule: the document states `stated`, the rule computes `computed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsIssue {
    /// EN 16931 rule identifier, e.g. `BR-CO-10`.
    pub rule: &'static str,
    /// What the rule says, in words.
    pub description: &'static str,
    /// The value written in the document.
    pub stated: Decimal,
    /// The value the rule derives from other terms of the document.
    pub computed: Decimal,
}

/// Checks the EN 16931 sum rules, comparing decimals exactly (no tolerance).
///
/// Rules whose inputs a profile may omit (BT-106 in Factur-X MINIMUM, lines in MINIMUM and
/// BASIC WL) are skipped when those inputs are absent; absent BT-107, BT-108, BT-110, BT-113
/// and BT-114 count as zero, as EN 16931 defines.
pub fn check_totals(invoice: &Invoice) -> Vec<TotalsIssue> {
    let t = &invoice.totals;
    let zero = Decimal::ZERO;
    let allowances = t.allowance_total.unwrap_or(zero);
    let charges = t.charge_total.unwrap_or(zero);
    let vat_total = t.vat_total.unwrap_or(zero);
    let mut issues = Vec::new();
    let mut check = |rule, description, stated: Decimal, computed: Decimal| {
        if stated != computed {
            issues.push(TotalsIssue {
                rule,
                description,
                stated,
                computed,
            });
        }
    };
    if let Some(line_total) = t.line_total
        && !invoice.lines.is_empty()
    {
        let sum = invoice.lines.iter().map(|l| l.net_amount).sum();
        check(
            "BR-CO-10",
            "sum of invoice line net amounts (BT-106) = Σ BT-131",
            line_total,
            sum,
        );
    }
    let (doc_allowances, doc_charges): (Vec<_>, Vec<_>) = invoice
        .allowances_charges
        .iter()
        .partition(|ac| !ac.is_charge);
    if !doc_allowances.is_empty() || t.allowance_total.is_some() {
        let sum = doc_allowances.iter().map(|a| a.amount).sum();
        check(
            "BR-CO-11",
            "sum of allowances (BT-107) = Σ BT-92",
            allowances,
            sum,
        );
    }
    if !doc_charges.is_empty() || t.charge_total.is_some() {
        let sum = doc_charges.iter().map(|c| c.amount).sum();
        check(
            "BR-CO-12",
            "sum of charges (BT-108) = Σ BT-99",
            charges,
            sum,
        );
    }
    if let Some(line_total) = t.line_total {
        check(
            "BR-CO-13",
            "total without VAT (BT-109) = BT-106 − BT-107 + BT-108",
            t.total_without_vat,
            line_total - allowances + charges,
        );
    }
    if !invoice.vat_breakdown.is_empty() {
        let sum = invoice.vat_breakdown.iter().map(|v| v.tax_amount).sum();
        check("BR-CO-14", "VAT total (BT-110) = Σ BT-117", vat_total, sum);
    }
    check(
        "BR-CO-15",
        "total with VAT (BT-112) = BT-109 + BT-110",
        t.total_with_vat,
        t.total_without_vat + vat_total,
    );
    check(
        "BR-CO-16",
        "amount due (BT-115) = BT-112 − BT-113 + BT-114",
        t.amount_due,
        t.total_with_vat - t.prepaid.unwrap_or(zero) + t.rounding.unwrap_or(zero),
    );
    issues
}
