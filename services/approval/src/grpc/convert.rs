//! Rows and views → protobuf messages.

use ap_kit::audit::AuditRow;
use ap_proto::approval::v1 as pb;
use chrono::{DateTime, Utc};

use crate::app::email::Preview;
use crate::app::mailer::HeldMail;
use crate::app::tasks::{TaskView, levels_of};
use crate::store::matrix::MatrixRuleRow;
use crate::store::notifications::NotificationRow;
use crate::store::tasks::DelegationRow;

pub use ap_types::money_text as money;

fn instant(t: Option<DateTime<Utc>>) -> String {
    ap_types::time::opt_instant(t)
}

fn user(id: Option<uuid::Uuid>, email: Option<String>) -> Option<pb::UserRef> {
    id.map(|id| pb::UserRef {
        id: id.to_string(),
        email: email.unwrap_or_default(),
    })
}

pub fn task(v: TaskView) -> pb::Task {
    let TaskView {
        task: t,
        request: r,
        delegated,
    } = v;
    pb::Task {
        id: t.id.to_string(),
        invoice_id: t.invoice_id.to_string(),
        invoice_number: r.invoice_number.clone().unwrap_or_default(),
        vendor_name: r.vendor_name.clone().unwrap_or_default(),
        vendor_id: r.vendor_id.map(|v| v.to_string()).unwrap_or_default(),
        currency: r.currency.clone().unwrap_or_default(),
        amount: ap_types::amount_text(r.amount, r.currency.as_deref().unwrap_or_default()),
        level: t.level,
        levels: i32::try_from(levels_of(&r).len()).unwrap_or(1),
        status: t.status,
        assignee: user(t.assignee_id, t.assignee_email),
        due_at: instant(Some(t.due_at)),
        created_at: instant(Some(t.created_at)),
        delegated,
        decided_by: user(t.decided_by, t.decided_by_email),
        decided_at: instant(t.decided_at),
        channel: t.channel.unwrap_or_default(),
        notes: t.notes.unwrap_or_default(),
        escalated_at: instant(t.escalated_at),
        cancel_reason: t.cancel_reason.unwrap_or_default(),
        invoice_due_date: r
            .invoice_due_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
    }
}

pub fn preview(p: Preview) -> pb::EmailPreview {
    let (task, request) = (p.task, p.request);
    pb::EmailPreview {
        valid: p.problem.is_none(),
        problem: p.problem.unwrap_or_default().to_owned(),
        action: p.action.as_str().to_owned(),
        invoice_number: request
            .as_ref()
            .and_then(|r| r.invoice_number.clone())
            .unwrap_or_default(),
        vendor_name: request
            .as_ref()
            .and_then(|r| r.vendor_name.clone())
            .unwrap_or_default(),
        currency: request
            .as_ref()
            .and_then(|r| r.currency.clone())
            .unwrap_or_default(),
        amount: request
            .as_ref()
            .map(|r| ap_types::amount_text(r.amount, r.currency.as_deref().unwrap_or_default()))
            .unwrap_or_default(),
        level: task.as_ref().map_or(0, |t| t.level),
        assignee_email: task.and_then(|t| t.assignee_email).unwrap_or_default(),
        expires_at: instant(Some(p.expires_at)),
    }
}

pub fn rule(r: MatrixRuleRow) -> pb::MatrixRule {
    let levels: Vec<crate::domain::matrix::Level> =
        serde_json::from_value(r.levels).unwrap_or_default();
    pb::MatrixRule {
        id: r.id.to_string(),
        name: r.name,
        amount_over: r.amount_over.map(money).unwrap_or_default(),
        amount_up_to: r.amount_up_to.map(money).unwrap_or_default(),
        department: r.department.unwrap_or_default(),
        vendor_category: r.vendor_category.unwrap_or_default(),
        levels: levels
            .into_iter()
            .map(|l| pb::MatrixLevel {
                level: l.level,
                role: l.role.unwrap_or_default(),
                user_id: l.user_id.map(|u| u.to_string()).unwrap_or_default(),
                approvers_required: l.approvers_required,
            })
            .collect(),
        created_at: instant(Some(r.created_at)),
        updated_at: instant(Some(r.updated_at)),
    }
}

pub fn delegation(d: DelegationRow) -> pb::Delegation {
    pb::Delegation {
        active: d.is_active(),
        user_id: d.user_id.to_string(),
        delegate: Some(pb::UserRef {
            id: d.delegate_id.to_string(),
            email: d.delegate_email,
        }),
        starts_at: instant(Some(d.starts_at)),
        ends_at: instant(Some(d.ends_at.min(d.ended_at.unwrap_or(d.ends_at)))),
        reason: d.reason.unwrap_or_default(),
    }
}

pub fn notification(n: NotificationRow) -> pb::Notification {
    pb::Notification {
        id: n.id.to_string(),
        kind: n.kind,
        title: n.title,
        body: n.body,
        invoice_id: n.invoice_id.map(|i| i.to_string()).unwrap_or_default(),
        task_id: n.task_id.map(|i| i.to_string()).unwrap_or_default(),
        created_at: instant(Some(n.created_at)),
        read_at: instant(n.read_at),
    }
}

pub fn mail(held: HeldMail) -> pb::HeldMail {
    let m = held.row;
    pb::HeldMail {
        id: m.id.to_string(),
        to: m.to_address,
        subject: m.subject,
        // Someone else's body never leaves this service (the app blanked it; belt and braces).
        body_text: if held.own { m.body_text } else { String::new() },
        created_at: instant(Some(m.created_at)),
        own: held.own,
        status: m.status,
        sent_at: instant(m.sent_at),
    }
}

pub fn audit_entry(r: AuditRow) -> pb::AuditEntry {
    pb::AuditEntry {
        id: r.id.to_string(),
        occurred_at: instant(Some(r.occurred_at)),
        service: crate::SCHEMA.to_owned(),
        actor: r.actor,
        action: r.action,
        entity_type: r.entity_type,
        entity_id: r.entity_id.unwrap_or_default(),
        before_json: r.before_data.map(|v| v.to_string()).unwrap_or_default(),
        after_json: r.after_data.map(|v| v.to_string()).unwrap_or_default(),
        request_id: r.request_id.unwrap_or_default(),
    }
}
