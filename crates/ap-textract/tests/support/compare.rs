//! Field-by-field comparison of an extraction against ground truth, with typed equality.

#![allow(dead_code)]

use ap_textract::{Field, Fields};

use crate::support::ground_truth::Truth;

pub const FIELD_NAMES: [&str; 12] = [
    "invoice_number",
    "invoice_date",
    "due_date",
    "po_number",
    "currency",
    "subtotal",
    "tax",
    "total",
    "amount_due",
    "seller_name",
    "seller_vat_id",
    "iban",
];

fn eq<T: PartialEq>(got: &Option<Field<T>>, want: &Option<T>) -> Option<bool> {
    want.as_ref()
        .map(|w| got.as_ref().is_some_and(|g| &g.value == w))
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// One entry per field in `FIELD_NAMES` order: `None` when the truth lacks the field.
pub fn compare(f: &Fields, t: &Truth) -> Vec<(&'static str, Option<bool>)> {
    let s = |got: &Option<Field<String>>, want: &Option<String>, fold: bool| {
        want.as_ref().map(|w| {
            got.as_ref().is_some_and(|g| {
                if fold {
                    norm(&g.value) == norm(w)
                } else {
                    g.value.trim() == w.trim()
                }
            })
        })
    };
    let results = [
        s(&f.invoice_number, &t.invoice_number, false),
        eq(&f.invoice_date, &t.invoice_date),
        eq(&f.due_date, &t.due_date),
        s(&f.po_number, &t.po_number, false),
        s(&f.currency, &t.currency, false),
        eq(&f.subtotal, &t.subtotal),
        eq(&f.tax, &t.tax),
        eq(&f.total, &t.total),
        eq(&f.amount_due, &t.amount_due),
        s(&f.seller_name, &t.seller_name, true),
        s(&f.seller_vat_id, &t.seller_vat_id, false),
        s(&f.iban, &t.iban, false),
    ];
    FIELD_NAMES.into_iter().zip(results).collect()
}
