//! Typed field readers on top of the element tree, shared by the UBL and CII mappers.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::amount::{parse_cefact_date, parse_decimal, parse_iso_date};
use crate::error::{Error, Result};
use crate::model::PayeeAccount;
use crate::xml::Node;

/// Decimal at `path`; absent is `None`, present but unreadable is an error.
pub(crate) fn opt_decimal(
    node: Node<'_>,
    path: &[&str],
    field: &'static str,
) -> Result<Option<Decimal>> {
    node.text_at(path).map(|t| decimal(t, field)).transpose()
}

/// Decimal at `path` that the model requires.
pub(crate) fn req_decimal(node: Node<'_>, path: &[&str], field: &'static str) -> Result<Decimal> {
    opt_decimal(node, path, field)?.ok_or(Error::MissingField(field))
}

/// Reads the text of a node as a decimal.
pub(crate) fn decimal(text: &str, field: &'static str) -> Result<Decimal> {
    parse_decimal(text).ok_or_else(|| invalid(field, text))
}

/// Text at `path` that the model requires.
pub(crate) fn req_string(node: Node<'_>, path: &[&str], field: &'static str) -> Result<String> {
    node.string_at(path).ok_or(Error::MissingField(field))
}

/// ISO date (UBL) at `path`.
pub(crate) fn opt_iso_date(
    node: Node<'_>,
    path: &[&str],
    field: &'static str,
) -> Result<Option<NaiveDate>> {
    node.text_at(path)
        .map(|t| parse_iso_date(t).ok_or_else(|| invalid(field, t)))
        .transpose()
}

/// UN/CEFACT `DateTimeString` (CII) below `path`.
pub(crate) fn opt_cefact_date(
    node: Node<'_>,
    path: &[&str],
    field: &'static str,
) -> Result<Option<NaiveDate>> {
    let Some(holder) = node.path(path) else {
        return Ok(None);
    };
    let Some(dts) = holder.child("DateTimeString") else {
        return Ok(None);
    };
    let text = dts.text();
    if text.is_empty() {
        return Ok(None);
    }
    parse_cefact_date(text, dts.attr("format"))
        .map(Some)
        .ok_or_else(|| invalid(field, text))
}

/// Reads UBL/CII boolean indicators, which appear as `true`/`false` or `1`/`0`.
pub(crate) fn indicator(text: &str, field: &'static str) -> Result<bool> {
    match text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(invalid(field, other)),
    }
}

/// Joins the non-blank texts with newlines, `None` when there are none.
pub(crate) fn join_lines<'a>(texts: impl Iterator<Item = &'a str>) -> Option<String> {
    let parts: Vec<&str> = texts.map(str::trim).filter(|t| !t.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn invalid(field: &'static str, text: &str) -> Error {
    // Bound the echoed value so a hostile document cannot inflate error messages.
    let value: String = text.chars().take(64).collect();
    Error::InvalidValue { field, value }
}

/// Merges accounts that repeat the same identifier: producers often restate one account per
/// payment means, and a repeated account is still one account.
pub(crate) fn dedupe_accounts(accounts: impl Iterator<Item = PayeeAccount>) -> Vec<PayeeAccount> {
    let mut out: Vec<PayeeAccount> = Vec::new();
    for account in accounts {
        match out.iter_mut().find(|a| a.iban == account.iban) {
            Some(existing) => {
                existing.bic = existing.bic.take().or(account.bic);
                existing.account_name = existing.account_name.take().or(account.account_name);
            }
            None => out.push(account),
        }
    }
    out
}
