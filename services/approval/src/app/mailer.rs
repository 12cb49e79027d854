//! Sends queued mail over SMTP (lettre) when `MAIL_ENABLED=true`. Claims rows with `FOR UPDATE
//! SKIP LOCKED` (safe with replicas), retries with backoff, gives up after a few attempts.
//! Logs name the mail id and the SMTP error, never the recipient's body or links. Held mail is
//! read by its recipient only; an ADMIN sees the others' metadata, never a body.

use std::time::Duration;

use diesel_async::AsyncConnection;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::{AppError, ApprovalApp};
use crate::store::mail::{self as store, MailRow};

const BATCH: i64 = 20;
const MAX_ATTEMPTS: i32 = 6;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The SMTP transport `SMTP_URL` describes (`smtp://` plain or `?tls=required`, `smtps://`).
pub fn transport(url: &str) -> anyhow::Result<Transport> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

fn message(from: &str, row: &MailRow) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.parse()?)
        .to(row.to_address.parse()?)
        .subject(row.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(row.body_text.clone())?)
}

impl ApprovalApp {
    /// Sends what is due; returns how many were sent.
    pub async fn send_mail_once(&self, transport: &Transport) -> Result<usize, AppError> {
        let from = self.settings().mail.from.clone();
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let due = store::claim_pending(conn, BATCH).await?;
            let mut sent = 0;
            for row in due {
                let result = match message(&from, &row) {
                    Ok(m) => transport.send(m).await.map(|_| ()).map_err(anyhow::Error::from),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {
                        store::mark_sent(conn, row.id).await?;
                        sent += 1;
                    }
                    Err(e) => {
                        let wait = 2f64.powi(row.attempts.clamp(0, 10)) * 5.0;
                        tracing::warn!(mail.id = %row.id, attempts = row.attempts + 1, error = %e, "sending mail failed");
                        store::mark_failed_attempt(conn, row.id, &e.to_string(), wait, MAX_ATTEMPTS).await?;
                    }
                }
            }
            Ok(sent)
        })
        .await
    }

    /// The mailer loop; does nothing unless mail is enabled.
    pub async fn run_mailer(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let settings = self.settings().mail.clone();
        let Some(url) = settings.smtp_url.filter(|_| settings.enabled) else {
            return;
        };
        let transport = match transport(url.expose_secret()) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "SMTP_URL is not usable; mail stays queued");
                return;
            }
        };
        loop {
            match self.send_mail_once(&transport).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mailer pass failed"),
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = tokio::time::sleep(settings.poll) => {}
            }
        }
    }

    /// Held mail: the caller's own messages in full; an ADMIN also gets everyone else's, whose
    /// body is blanked here (it holds live approval links) — the metadata only.
    pub async fn held_mail(
        &self,
        caller: &super::Caller,
        limit: u32,
        cursor: &str,
    ) -> Result<(Vec<HeldMail>, Option<String>), AppError> {
        caller.require(ap_types::Role::STAFF)?;
        let me = caller.user_id();
        let after = super::keyset_after(cursor, super::NEWEST_FIRST)?;
        let limit = super::page_limit(limit);
        let mut conn = self.conn().await?;
        let mut rows = store::list_held(&mut conn, me, caller.is_admin(), after, limit + 1).await?;
        let next = super::split_page(&mut rows, limit, super::NEWEST_FIRST, |r| {
            (r.created_at, r.id)
        });
        let items = rows
            .into_iter()
            .map(|mut row| {
                let own = row.to_user_id == Some(me);
                if !own {
                    row.body_text = String::new();
                }
                HeldMail { row, own }
            })
            .collect();
        Ok((items, next))
    }
}

/// One held mail as a caller may see it: `own` is false for someone else's, whose body is empty.
#[derive(Clone, Debug)]
pub struct HeldMail {
    pub row: MailRow,
    pub own: bool,
}
