//! Rows and views → protobuf messages.

use ap_kit::audit::AuditRow;
use ap_proto::payment::v1 as pb;
use chrono::{DateTime, NaiveDate, Utc};

use crate::app::runs::{RunSummary, RunView, row_to_planned};
use crate::domain::selection::{self, FLAG_FIRST_PAYMENT_TO_CHANGED_ACCOUNT};
use crate::store::payments::PaymentRow;
use crate::store::runs::RunRow;

use ap_types::amount_text;
pub use ap_types::money_text as money;

fn instant(t: Option<DateTime<Utc>>) -> String {
    ap_types::time::opt_instant(t)
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

pub fn payment(r: PaymentRow) -> pb::Payment {
    pb::Payment {
        id: r.id.to_string(),
        invoice_id: r.invoice_id.to_string(),
        invoice_number: r.invoice_number.unwrap_or_default(),
        vendor_id: r.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
        vendor_name: r.vendor_name.unwrap_or_default(),
        status: r.status,
        payment_method: r.method,
        payment_date: r.payment_date.to_string(),
        payment_reference: r.reference.unwrap_or_default(),
        amount: amount_text(r.amount, &r.currency),
        discount_amount: amount_text(r.discount_amount, &r.currency),
        currency: r.currency,
        run_id: r.run_id.map(|v| v.to_string()).unwrap_or_default(),
        created_by: r.created_by.to_string(),
        created_at: instant(Some(r.created_at)),
        completed_at: instant(r.completed_at),
        failure_reason: r.failure_reason.unwrap_or_default(),
    }
}

fn run_header(run: &RunRow) -> pb::PaymentRun {
    pb::PaymentRun {
        id: run.id.to_string(),
        reference: run.reference.clone(),
        status: run.status.clone(),
        currency: run.currency.clone(),
        method: run.method.clone(),
        pay_by_date: run.pay_by_date.to_string(),
        payment_date: run.payment_date.to_string(),
        next_run_date: run.next_run_date.to_string(),
        file_format: run.file_format.clone(),
        created_by: run.created_by_email.clone(),
        approved_by: run.approved_by_email.clone().unwrap_or_default(),
        executed_by: run.executed_by.map(|v| v.to_string()).unwrap_or_default(),
        cancelled_by: run.cancelled_by.map(|v| v.to_string()).unwrap_or_default(),
        cancel_reason: run.cancel_reason.clone().unwrap_or_default(),
        created_at: instant(Some(run.created_at)),
        approved_at: instant(run.approved_at),
        executed_at: instant(run.executed_at),
        cancelled_at: instant(run.cancelled_at),
        ..Default::default()
    }
}

fn flags(first_payment_to_changed_account: bool) -> Vec<String> {
    if first_payment_to_changed_account {
        vec![FLAG_FIRST_PAYMENT_TO_CHANGED_ACCOUNT.to_owned()]
    } else {
        Vec::new()
    }
}

pub fn run(v: RunView) -> pb::PaymentRun {
    let cur = v.run.currency.clone();
    let mut out = run_header(&v.run);
    let planned: Vec<_> = v.items.iter().map(row_to_planned).collect();
    let t = selection::totals(&planned);
    let lines = selection::vendor_lines(&planned);
    out.totals = Some(pb::RunTotals {
        invoice_count: i32::try_from(t.invoice_count).unwrap_or(i32::MAX),
        vendor_count: i32::try_from(lines.len()).unwrap_or(i32::MAX),
        gross: amount_text(t.gross, &cur),
        discount: amount_text(t.discount, &cur),
        net: amount_text(t.net, &cur),
        excluded_count: i32::try_from(v.exclusions.len()).unwrap_or(i32::MAX),
        flagged_count: i32::try_from(t.flagged).unwrap_or(i32::MAX),
    });
    out.vendors = lines
        .into_iter()
        .map(|l| pb::RunVendorLine {
            vendor_id: l.vendor_id.to_string(),
            vendor_name: l.vendor_name,
            invoice_count: i32::try_from(l.totals.invoice_count).unwrap_or(i32::MAX),
            gross: amount_text(l.totals.gross, &cur),
            discount: amount_text(l.totals.discount, &cur),
            net: amount_text(l.totals.net, &cur),
            flags: flags(l.totals.flagged > 0),
        })
        .collect();
    out.items = v
        .items
        .into_iter()
        .map(|i| {
            let payment = v.payments.get(&i.invoice_id);
            pb::RunItem {
                invoice_id: i.invoice_id.to_string(),
                invoice_number: i.invoice_number.unwrap_or_default(),
                vendor_id: i.vendor_id.to_string(),
                vendor_name: i.vendor_name,
                invoice_date: date(i.invoice_date),
                due_date: date(i.due_date),
                payment_terms: i.payment_terms.unwrap_or_default(),
                gross_amount: amount_text(i.gross_amount, &cur),
                discount_amount: amount_text(i.discount_amount, &cur),
                net_amount: amount_text(i.net_amount, &cur),
                discount_deadline: date(i.discount_deadline),
                reason: i.reason,
                flags: flags(i.first_payment_to_changed_account),
                payment_id: payment.map(|p| p.id.to_string()).unwrap_or_default(),
                payment_status: payment.map(|p| p.status.clone()).unwrap_or_default(),
            }
        })
        .collect();
    out.exclusions = v
        .exclusions
        .into_iter()
        .map(|e| pb::RunExclusion {
            invoice_id: e.invoice_id.to_string(),
            invoice_number: e.invoice_number.unwrap_or_default(),
            vendor_id: e.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
            vendor_name: e.vendor_name.unwrap_or_default(),
            amount: e.amount.map(|d| amount_text(d, &cur)).unwrap_or_default(),
            reason: e.reason,
        })
        .collect();
    out.file_sha256 = v.file_sha256.unwrap_or_default();
    out
}

pub fn run_summary(s: RunSummary) -> pb::PaymentRun {
    let cur = s.run.currency.clone();
    let mut out = run_header(&s.run);
    out.totals = Some(pb::RunTotals {
        invoice_count: i32::try_from(s.count).unwrap_or(i32::MAX),
        gross: amount_text(s.gross, &cur),
        discount: amount_text(s.discount, &cur),
        net: amount_text(s.net, &cur),
        ..Default::default()
    });
    out.file_sha256 = s.file_sha256.unwrap_or_default();
    out
}

pub fn audit_entry(r: AuditRow) -> pb::AuditEntry {
    pb::AuditEntry {
        id: r.id.to_string(),
        occurred_at: instant(Some(r.occurred_at)),
        service: "payment".to_owned(),
        actor: r.actor,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id.unwrap_or_default(),
        before_json: r.before_data.map(|v| v.to_string()).unwrap_or_default(),
        after_json: r.after_data.map(|v| v.to_string()).unwrap_or_default(),
        request_id: r.request_id.unwrap_or_default(),
    }
}
