//! What people are told: an in-app notification and an email per event, written in the
//! transaction of the change. Mail carries approve/reject links for a new assignment; its
//! body is never logged.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::{AppError, ApprovalApp};
use crate::domain::token::{Action, Claims};
use crate::store::mail::{self as mail_store, NewMail};
use crate::store::notifications::{self as notes, NewNotification};
use crate::store::tasks::{self as store, NewToken, RequestRow, TaskRow};

/// Kinds of notification.
pub const TASK_ASSIGNED: &str = "approval_task_assigned";
pub const TASK_REMINDER: &str = "approval_task_reminder";
pub const TASK_ESCALATED: &str = "approval_task_escalated";
pub const TASK_REASSIGNED_AWAY: &str = "approval_task_reassigned_away";

fn instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "INV-1042 from Acme Steel for 15,420.00 USD" in plain words.
pub fn describe(request: &RequestRow) -> String {
    format!(
        "invoice {} from {} for {} {}",
        request.invoice_number.as_deref().unwrap_or("(no number)"),
        request
            .vendor_name
            .as_deref()
            .unwrap_or("an unknown vendor"),
        ap_types::amount_text(
            request.amount,
            request.currency.as_deref().unwrap_or_default()
        ),
        request.currency.as_deref().unwrap_or("")
    )
    .trim_end()
    .to_owned()
}

fn levels(request: &RequestRow) -> usize {
    request.levels.as_array().map_or(1, Vec::len)
}

impl ApprovalApp {
    /// Queues one email: to be sent when mail is enabled, else held for its recipient to read
    /// (`to_user`: the platform user it is for; only they ever see its body).
    pub(crate) async fn queue_mail(
        &self,
        conn: &mut AsyncPgConnection,
        to: &str,
        to_user: Option<Uuid>,
        subject: &str,
        body: String,
    ) -> Result<(), AppError> {
        let status = if self.settings().mail.enabled {
            "pending"
        } else {
            "held"
        };
        mail_store::insert_mail(
            conn,
            &[NewMail {
                id: Uuid::now_v7(),
                to_address: to.to_owned(),
                subject: subject.to_owned(),
                body_text: body,
                status: status.to_owned(),
                to_user_id: to_user,
            }],
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn notify(
        &self,
        conn: &mut AsyncPgConnection,
        user: Uuid,
        kind: &str,
        title: String,
        body: String,
        task: &TaskRow,
    ) -> Result<(), AppError> {
        notes::insert_notifications(
            conn,
            &[NewNotification {
                id: Uuid::now_v7(),
                user_id: user,
                kind: kind.to_owned(),
                title,
                body,
                invoice_id: Some(task.invoice_id),
                task_id: Some(task.id),
            }],
        )
        .await?;
        Ok(())
    }

    /// A task has a new assignee: notification, and an email with single-use links bound to
    /// this task, this assignee and the invoice amount.
    pub(crate) async fn announce_assignment(
        &self,
        conn: &mut AsyncPgConnection,
        task: &TaskRow,
        request: &RequestRow,
        kind: &str,
    ) -> Result<(), AppError> {
        let (Some(assignee), Some(email)) = (task.assignee_id, task.assignee_email.as_deref())
        else {
            return Ok(());
        };
        let what = describe(request);
        let title = match kind {
            TASK_ESCALATED => format!("Escalated to you: approve {what}"),
            _ => format!("Approval needed: {what}"),
        };
        let body = format!(
            "Level {} of {}, due {}.",
            task.level,
            levels(request),
            instant(task.due_at)
        );
        self.notify(conn, assignee, kind, title.clone(), body.clone(), task)
            .await?;

        let expires_at = Utc::now()
            + chrono::Duration::from_std(self.settings().token_ttl)
                .map_err(|e| AppError::Unexpected(e.into()))?;
        let mut links = Vec::new();
        let mut rows = Vec::new();
        for action in [Action::Approve, Action::Reject] {
            let claims = Claims {
                token_id: Uuid::now_v7(),
                task_id: task.id,
                action,
                amount: request.amount,
                expires_at,
            };
            rows.push(NewToken {
                id: claims.token_id,
                task_id: task.id,
                action: action.as_str().to_owned(),
                assignee_id: assignee,
                amount: request.amount,
                currency: request.currency.clone(),
                expires_at,
            });
            links.push(format!(
                "{}/api/v1/approvals/email/{}",
                self.public_url(),
                self.signer().sign(&claims)
            ));
        }
        store::insert_tokens(conn, &rows).await?;
        let text = format!(
            "{title}\n\n{body}\n\nApprove: {}\nReject:  {}\n\n\
             Each link opens a confirmation page; nothing is decided until you confirm there. \
             The links work once and expire at {}. You can also decide in the app: {}/approvals\n",
            links[0],
            links[1],
            instant(expires_at),
            self.public_url(),
        );
        self.queue_mail(conn, email, Some(assignee), &title, text)
            .await
    }

    pub(crate) async fn announce_reminder(
        &self,
        conn: &mut AsyncPgConnection,
        task: &TaskRow,
        request: &RequestRow,
    ) -> Result<(), AppError> {
        let (Some(assignee), Some(email)) = (task.assignee_id, task.assignee_email.as_deref())
        else {
            return Ok(());
        };
        let title = format!("Reminder: approve {}", describe(request));
        let body = format!(
            "This approval is due {}; after that it escalates.",
            instant(task.due_at)
        );
        self.notify(
            conn,
            assignee,
            TASK_REMINDER,
            title.clone(),
            body.clone(),
            task,
        )
        .await?;
        let text = format!(
            "{title}\n\n{body}\n\nOpen your approvals: {}/approvals\n\
             (The links in the first email still work until they expire.)\n",
            self.public_url()
        );
        self.queue_mail(conn, email, Some(assignee), &title, text)
            .await
    }
}

impl ApprovalApp {
    pub async fn list_notifications(
        &self,
        caller: &super::Caller,
        unread_only: bool,
        limit: u32,
        cursor: &str,
    ) -> Result<(Vec<notes::NotificationRow>, i64, Option<String>), AppError> {
        let after = super::keyset_after(cursor, super::NEWEST_FIRST)?;
        let limit = super::page_limit(limit);
        let mut conn = self.conn().await?;
        let me = caller.user_id();
        let mut rows =
            notes::list_notifications(&mut conn, me, unread_only, after, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, super::NEWEST_FIRST, |r| {
            (r.created_at, r.id)
        });
        let unread = notes::count_unread(&mut conn, me).await?;
        Ok((rows, unread, next))
    }

    /// Someone else's notification is "not found", like a missing one.
    pub async fn mark_notification_read(
        &self,
        caller: &super::Caller,
        id: Uuid,
    ) -> Result<notes::NotificationRow, AppError> {
        let mut conn = self.conn().await?;
        notes::mark_read(&mut conn, caller.user_id(), id)
            .await?
            .ok_or(AppError::NotFound("notification"))
    }
}
