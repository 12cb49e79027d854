//! Domain and row types → protobuf messages. Money is written as a decimal string with two
//! decimals at least (the stored scale is kept when it is larger).

use ap_kit::audit::AuditRow;
use ap_proto::invoice::v1 as pb;
use rust_decimal::Decimal;

use crate::app::imports::ImportReport;
use crate::app::invoices::InvoiceView;
use crate::app::matching::{MatchView, RuleSetView};
use crate::app::orders::{PoView, ReceiptView};
use crate::app::vendors::{VendorView, timestamp};
use crate::domain::csv_rows::ImportKind;
use crate::store::exceptions::{CommentRow, ExceptionRow};
use crate::store::invoices::{DocumentRow, InvoiceRow};
use crate::store::matching::RuleSetRow;

use ap_types::amount_text;
pub use ap_types::money_text as money;

/// Quantities without trailing zeros: `200.0000` → `"200"`.
pub fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

fn s(v: Option<String>) -> String {
    v.unwrap_or_default()
}

pub fn vendor(v: VendorView) -> pb::Vendor {
    let bank = v.bank.map(|b| pb::BankAccount {
        kind: b.kind,
        account_last4: b.last4,
        bic: s(b.bic),
        routing_number: s(b.routing_number),
        status: b.status,
        changed_by: b.created_by.map(|u| u.to_string()).unwrap_or_default(),
        changed_at: timestamp(b.created_at),
        verified_by: b.verified_by.map(|u| u.to_string()).unwrap_or_default(),
        verified_at: b.verified_at.map(timestamp).unwrap_or_default(),
    });
    let r = v.row;
    pb::Vendor {
        id: r.id.to_string(),
        name: r.name,
        legal_name: s(r.legal_name),
        tax_id: s(r.tax_id),
        email: s(r.email),
        address: s(r.address),
        country: s(r.country),
        currency: r.currency,
        payment_terms: s(r.payment_terms),
        payment_terms_days: r.payment_terms_days,
        category: s(r.category),
        is_active: r.is_active,
        po_required: r.po_required,
        aliases: v.aliases,
        bank_account: bank,
        created_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
        warnings: Vec::new(),
    }
}

pub fn purchase_order(v: PoView) -> pb::PurchaseOrder {
    let total: Decimal = v.lines.iter().map(|(l, _)| l.quantity * l.unit_price).sum();
    let cur = v.po.currency.clone();
    pb::PurchaseOrder {
        id: v.po.id.to_string(),
        po_number: v.po.po_number,
        vendor_id: v.po.vendor_id.to_string(),
        currency: v.po.currency,
        status: v.po.status,
        order_date: v.po.order_date.map(|d| d.to_string()).unwrap_or_default(),
        total_amount: amount_text(total, &cur),
        lines: v
            .lines
            .into_iter()
            .map(|(l, received)| pb::PurchaseOrderLine {
                id: l.id.to_string(),
                line_number: l.line_number,
                line_total: amount_text(l.quantity * l.unit_price, &cur),
                description: l.description,
                quantity: qty(l.quantity),
                unit_price: amount_text(l.unit_price, &cur),
                unit: s(l.unit),
                gl_account: s(l.gl_account),
                cost_centre: s(l.cost_centre),
                received_quantity: qty(received),
            })
            .collect(),
        created_at: timestamp(v.po.created_at),
        updated_at: timestamp(v.po.updated_at),
        match_type: v.po.match_type,
        vendor: None,
    }
}

/// Names the vendors of purchase orders (`names` from one query).
pub fn with_vendor(mut po: pb::PurchaseOrder, names: &[(uuid::Uuid, String)]) -> pb::PurchaseOrder {
    po.vendor = names
        .iter()
        .find(|(id, _)| id.to_string() == po.vendor_id)
        .map(|(id, name)| pb::VendorRef {
            id: id.to_string(),
            name: name.clone(),
        });
    po
}

pub fn goods_receipt(v: ReceiptView) -> pb::GoodsReceipt {
    pb::GoodsReceipt {
        id: v.receipt.id.to_string(),
        receipt_number: v.receipt.receipt_number,
        po_id: v.receipt.po_id.to_string(),
        po_number: v.po_number,
        received_at: v.receipt.received_at.to_string(),
        lines: v
            .lines
            .into_iter()
            .map(|(l, n)| pb::GoodsReceiptLine {
                id: l.id.to_string(),
                po_line_id: l.po_line_id.to_string(),
                po_line_number: n,
                quantity: qty(l.quantity),
            })
            .collect(),
        created_at: timestamp(v.receipt.created_at),
    }
}

pub fn import_report(kind: ImportKind, r: ImportReport) -> pb::ImportReport {
    pb::ImportReport {
        kind: kind.as_str().to_owned(),
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        failed: r.failed(),
        errors: r
            .errors
            .into_iter()
            .map(|(row, e)| pb::RowError {
                row,
                field: e.field,
                message: e.message,
            })
            .collect(),
    }
}

fn document(d: DocumentRow) -> pb::DocumentInfo {
    pb::DocumentInfo {
        id: d.id.to_string(),
        filename: d.filename,
        content_type: d.content_type,
        size_bytes: d.size_bytes,
        sha256: d.sha256,
    }
}

/// A list item: the scalar fields of the detail.
pub fn invoice_row(r: InvoiceRow) -> pb::Invoice {
    let fields = r
        .fields
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        pb::FieldMeta {
                            source: v
                                .get("source")
                                .and_then(|s| s.as_str())
                                .unwrap_or("")
                                .to_owned(),
                            confidence: v
                                .get("confidence")
                                .and_then(serde_json::Value::as_f64)
                                .unwrap_or(0.0),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let cur = r.currency.clone().unwrap_or_default();
    pb::Invoice {
        id: r.id.to_string(),
        status: r.status,
        invoice_number: s(r.invoice_number),
        invoice_date: r.invoice_date.map(|d| d.to_string()).unwrap_or_default(),
        due_date: r.due_date.map(|d| d.to_string()).unwrap_or_default(),
        currency: s(r.currency),
        subtotal: opt_amount(r.subtotal, &cur),
        tax_amount: opt_amount(r.tax_amount, &cur),
        total_amount: opt_amount(r.total_amount, &cur),
        amount_due: opt_amount(r.amount_due, &cur),
        po_number: s(r.po_number),
        payment_terms: s(r.payment_terms),
        vendor: r.vendor_id.map(|id| pb::VendorRef {
            id: id.to_string(),
            name: r.vendor_name.clone().unwrap_or_default(),
        }),
        vendor_name_raw: s(r.vendor_name_raw),
        fields,
        lines: Vec::new(),
        payment_status: s(r.payment_status),
        payment_date: r.payment_date.map(|d| d.to_string()).unwrap_or_default(),
        payment_method: s(r.payment_method),
        payment_reference: s(r.payment_reference),
        source: r.source,
        document: None,
        created_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
        version: r.version,
        failure_reason: s(r.failure_reason),
        exceptions: Vec::new(),
        r#match: None,
        touchless: r.touchless,
        unread_messages: 0,
        ..Default::default()
    }
}

pub fn invoice(v: InvoiceView) -> pb::Invoice {
    let facts = crate::store::exceptions::ExceptionInvoice {
        id: v.row.id,
        invoice_number: v.row.invoice_number.clone(),
        vendor_id: v.row.vendor_id,
        vendor_name: v.row.vendor_name.clone(),
        total_amount: v.row.total_amount,
        currency: v.row.currency.clone(),
    };
    let mut out = invoice_row(v.row);
    out.lines = v
        .lines
        .into_iter()
        .map(|l| pb::InvoiceLine {
            line_number: l.line_number,
            description: s(l.description),
            quantity: l.quantity.map(qty).unwrap_or_default(),
            unit: s(l.unit),
            unit_price: l.unit_price.map(money).unwrap_or_default(),
            line_total: l.line_total.map(money).unwrap_or_default(),
            tax_rate: l.tax_rate.map(qty).unwrap_or_default(),
            po_line_number: l.po_line_number.map(|n| n.to_string()).unwrap_or_default(),
        })
        .collect();
    out.document = v.document.map(document);
    out.exceptions = v
        .exceptions
        .into_iter()
        .map(|e| exception_with(e, std::slice::from_ref(&facts)))
        .collect();
    out.touchless = v.matching.as_ref().is_some_and(|m| m.head.touchless);
    out.r#match = v.matching.map(match_result);
    out
}

fn uuid_s(v: Option<uuid::Uuid>) -> String {
    v.map(|u| u.to_string()).unwrap_or_default()
}

fn time_s(v: Option<chrono::DateTime<chrono::Utc>>) -> String {
    v.map(timestamp).unwrap_or_default()
}

pub fn exception(e: ExceptionRow) -> pb::ExceptionRef {
    pb::ExceptionRef {
        id: e.id.to_string(),
        code: e.code,
        severity: e.severity,
        status: e.status,
        message: e.message,
        created_at: timestamp(e.created_at),
        invoice_id: e.invoice_id.to_string(),
        assigned_to: uuid_s(e.assigned_to),
        assigned_role: s(e.assigned_role),
        due_at: time_s(e.due_at),
        resolution_note: s(e.resolution_note),
        resolved_by: uuid_s(e.resolved_by),
        resolved_at: time_s(e.resolved_at),
        escalated_at: time_s(e.escalated_at),
        updated_at: timestamp(e.updated_at),
        details_json: e.details.to_string(),
        source: e.source,
        ..Default::default()
    }
}

/// Adds what paid the invoice (payment id, amount paid, discount taken) when it was paid.
pub fn with_payment(
    mut out: pb::Invoice,
    paid: &[crate::store::payables::PaidAmounts],
) -> pb::Invoice {
    let Some(p) = out
        .id
        .parse::<uuid::Uuid>()
        .ok()
        .and_then(|id| paid.iter().find(|p| p.id == id))
    else {
        return out;
    };
    out.payment_id = uuid_s(p.payment_id);
    out.amount_paid = opt_amount(p.amount_paid, &out.currency);
    out.discount_taken = opt_amount(p.discount_taken, &out.currency);
    out
}

/// An exception-queue row: the exception with its invoice's number, vendor and total.
pub fn exception_with(
    e: ExceptionRow,
    invoices: &[crate::store::exceptions::ExceptionInvoice],
) -> pb::ExceptionRef {
    let invoice = invoices.iter().find(|i| i.id == e.invoice_id).cloned();
    let mut out = exception(e);
    if let Some(i) = invoice {
        let cur = i.currency.clone().unwrap_or_default();
        out.invoice_number = s(i.invoice_number);
        out.vendor = i.vendor_id.map(|id| pb::VendorRef {
            id: id.to_string(),
            name: i.vendor_name.clone().unwrap_or_default(),
        });
        out.invoice_amount = opt_amount(i.total_amount, &cur);
        out.invoice_currency = cur;
    }
    out
}

pub fn comment(c: CommentRow) -> pb::ExceptionComment {
    pb::ExceptionComment {
        id: c.id.to_string(),
        exception_id: c.exception_id.to_string(),
        author_id: uuid_s(c.author_id),
        author_email: s(c.author_email),
        body: c.body,
        created_at: timestamp(c.created_at),
    }
}

pub fn match_result(m: MatchView) -> pb::MatchResult {
    let h = m.head;
    pb::MatchResult {
        r#type: h.kind,
        status: h.status,
        rule_version: h.rule_version,
        po_number: s(h.po_number),
        tolerance_json: h.tolerance.to_string(),
        header_json: h.header.to_string(),
        risk_score: h.risk_score,
        risk_reasons_json: h.risk_reasons.to_string(),
        outcome: h.outcome,
        touchless: h.touchless,
        runs: h.runs,
        matched_at: timestamp(h.matched_at),
        lines: m
            .lines
            .into_iter()
            .map(|l| pb::MatchLine {
                invoice_line: l.invoice_line,
                po_line: l.po_line.unwrap_or(0),
                quantity: l.quantity.map(qty).unwrap_or_default(),
                unit_price: l.unit_price.map(money).unwrap_or_default(),
                po_unit_price: l.po_unit_price.map(money).unwrap_or_default(),
                price_variance: l.price_variance.map(money).unwrap_or_default(),
                qty_variance: l.qty_variance.map(qty).unwrap_or_default(),
                matched: l.matched,
            })
            .collect(),
    }
}

fn fraction(d: Decimal) -> String {
    d.normalize().to_string()
}

pub fn rule_set(v: RuleSetView) -> pb::RuleSet {
    let mut out = rule_set_row(v.row);
    out.overrides = v
        .overrides
        .into_iter()
        .map(|o| pb::VendorTolerance {
            vendor_id: o.vendor_id.to_string(),
            price_pct: fraction(o.price_pct),
            price_abs: money(o.price_abs),
            qty_pct: fraction(o.qty_pct),
        })
        .collect();
    out
}

pub fn rule_set_row(r: RuleSetRow) -> pb::RuleSet {
    pb::RuleSet {
        version: r.version,
        status: r.status,
        price_pct: fraction(r.price_pct),
        price_abs: money(r.price_abs),
        qty_pct: fraction(r.qty_pct),
        note: s(r.note),
        created_by: uuid_s(r.created_by),
        created_at: timestamp(r.created_at),
        published_by: uuid_s(r.published_by),
        published_at: time_s(r.published_at),
        overrides: Vec::new(),
        over_receipt_pct: fraction(r.over_receipt_pct),
    }
}

pub fn summary(r: InvoiceRow) -> pb::InvoiceSummary {
    let cur = r.currency.clone().unwrap_or_default();
    pb::InvoiceSummary {
        id: r.id.to_string(),
        status: r.status,
        invoice_number: s(r.invoice_number),
        vendor_id: r.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
        vendor_name: s(r.vendor_name),
        currency: s(r.currency),
        total_amount: opt_amount(r.total_amount, &cur),
        amount_due: opt_amount(r.amount_due, &cur),
        payable_amount: crate::domain::payable::payable(r.total_amount, r.amount_due)
            .map(|d| amount_text(d, &cur))
            .unwrap_or_default(),
        due_date: r.due_date.map(|d| d.to_string()).unwrap_or_default(),
        invoice_date: r.invoice_date.map(|d| d.to_string()).unwrap_or_default(),
        payment_terms: s(r.payment_terms),
        uploaded_by: r.uploaded_by.map(|u| u.to_string()).unwrap_or_default(),
        last_corrected_by: r
            .last_corrected_by
            .map(|u| u.to_string())
            .unwrap_or_default(),
        payment_status: s(r.payment_status),
        version: r.version,
        // Filled by GetInvoiceSummary only (the approval service's separation-of-duties facts).
        barred_approvers: Vec::new(),
        open_blocking_exceptions: 0,
    }
}

pub fn audit_entry(r: AuditRow, service: &str) -> pb::AuditEntry {
    pb::AuditEntry {
        id: r.id.to_string(),
        occurred_at: timestamp(r.occurred_at),
        service: service.to_owned(),
        actor: r.actor,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: s(r.entity_id),
        before_json: r.before_data.map(|v| v.to_string()).unwrap_or_default(),
        after_json: r.after_data.map(|v| v.to_string()).unwrap_or_default(),
        request_id: s(r.request_id),
    }
}

pub fn message(m: crate::store::messages::MessageRow) -> pb::InvoiceMessage {
    pb::InvoiceMessage {
        id: m.id.to_string(),
        invoice_id: m.invoice_id.to_string(),
        internal: m.internal,
        author: match m.direction.as_str() {
            crate::store::messages::INBOUND => "vendor".to_owned(),
            _ => s(m.author_email),
        },
        direction: m.direction,
        body: m.body,
        created_at: timestamp(m.created_at),
        read_at: time_s(m.read_at),
    }
}

/// A message as the vendor sees it: the staff author's address is not shown.
pub fn vendor_message(m: crate::store::messages::MessageRow) -> pb::InvoiceMessage {
    let mut out = message(m);
    if out.direction != crate::store::messages::INBOUND {
        out.author = "accounts payable".to_owned();
    }
    out.read_at = String::new();
    out
}

pub fn portal_invoice(v: crate::app::portal::PortalInvoiceView) -> pb::PortalInvoice {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let r = v.row;
    let cur = r.currency.clone().unwrap_or_default();
    pb::PortalInvoice {
        id: r.id.to_string(),
        status: v.status.to_owned(),
        invoice_number: s(r.invoice_number),
        invoice_date: date(r.invoice_date),
        due_date: date(r.due_date),
        currency: s(r.currency).trim().to_owned(),
        total_amount: opt_amount(r.total_amount, &cur),
        amount_due: opt_amount(r.amount_due, &cur),
        expected_payment_date: date(v.payment.expected_date),
        payment_date: date(v.payment.paid_date),
        amount_paid: v
            .payment
            .amount_paid
            .map(|d| amount_text(d, &cur))
            .unwrap_or_default(),
        remittance_reference: s(v.payment.remittance_reference),
        disputed: r.disputed,
        submitted_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
    }
}

pub fn dispute(d: crate::app::portal::DisputeView) -> pb::PortalDispute {
    pb::PortalDispute {
        id: d.exception.id.to_string(),
        invoice_id: d.exception.invoice_id.to_string(),
        reason: d.reason,
        description: d.description,
        status: d.exception.status,
        created_at: timestamp(d.exception.created_at),
    }
}

/// An optional amount in the currency's scale, or empty when absent.
fn opt_amount(d: Option<Decimal>, currency: &str) -> String {
    d.map(|d| amount_text(d, currency)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_two_decimals_at_least_and_exact_digits() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(money(d("15420")), "15420.00");
        assert_eq!(money(d("15420.0000")), "15420.00");
        assert_eq!(money(d("74.5")), "74.50");
        assert_eq!(money(d("1.2345")), "1.2345");
        assert_eq!(money(d("-12.5")), "-12.50");
        assert_eq!(qty(d("200.0000")), "200");
    }
}
