//! Settings of the approval service: due times, email-link tokens, SLA job, escalation, mail.
//! Outside production the token secret and mail sender have development defaults; in
//! production the secret must be set and strong, and enabled mail needs its server.

use std::time::Duration;

use secrecy::SecretString;

use super::ConfigError;

pub const DEV_APPROVAL_TOKEN_SECRET: &str = "dev-approval-token-secret-not-for-production";

#[derive(Clone, Debug)]
pub struct ApprovalSettings {
    /// Hours until a task of level 1, 2, … is due; the last entry applies to deeper levels.
    pub due_hours: Vec<u32>,
    /// HMAC key of email-approval links.
    pub token_secret: SecretString,
    /// How long an email link stays usable.
    pub token_ttl: Duration,
    /// Role that overdue tasks escalate to.
    pub escalation_role: String,
    /// How often the SLA job looks for tasks to remind or escalate.
    pub sla_interval: Duration,
    pub mail: MailSettings,
}

/// Outgoing mail: SMTP when enabled, otherwise held in the `mail_outbox` table.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub enabled: bool,
    /// `smtp://host:port` (plain or STARTTLS when offered), `smtps://host:port` (TLS), with
    /// optional `user:password@`.
    pub smtp_url: Option<SecretString>,
    pub from: String,
    /// How often queued mail is sent.
    pub poll: Duration,
}

impl ApprovalSettings {
    /// Due time of a task at `level` (1-based).
    pub fn due_after(&self, level: i32) -> Duration {
        let idx = usize::try_from(level.max(1) - 1).unwrap_or(0);
        let hours = self
            .due_hours
            .get(idx)
            .or(self.due_hours.last())
            .copied()
            .unwrap_or(48);
        Duration::from_secs(u64::from(hours) * 3600)
    }

    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        prod: bool,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let due_hours = match get("APPROVAL_DUE_HOURS") {
            None => vec![48],
            Some(raw) => {
                let parsed: Result<Vec<u32>, _> =
                    raw.split(',').map(|h| h.trim().parse::<u32>()).collect();
                match parsed {
                    Ok(v) if !v.is_empty() && v.iter().all(|h| (1..=2160).contains(h)) => v,
                    _ => {
                        errors.push(ConfigError::Invalid {
                            var: "APPROVAL_DUE_HOURS",
                            reason: "hours per level, comma-separated, each 1 to 2160".into(),
                        });
                        vec![48]
                    }
                }
            }
        };
        let token_secret = match get("APPROVAL_TOKEN_SECRET") {
            Some(s) => {
                if prod {
                    super::check_strong("APPROVAL_TOKEN_SECRET", &s, errors);
                }
                SecretString::from(s)
            }
            None if prod => {
                errors.push(ConfigError::Missing {
                    var: "APPROVAL_TOKEN_SECRET",
                });
                SecretString::from(String::new())
            }
            None => SecretString::from(DEV_APPROVAL_TOKEN_SECRET.to_owned()),
        };
        let hours = |var: &'static str, default: u64, errors: &mut Vec<ConfigError>| match get(var)
            .map(|v| v.trim().parse::<u64>())
        {
            None => Duration::from_secs(default * 3600),
            Some(Ok(h)) if (1..=2160).contains(&h) => Duration::from_secs(h * 3600),
            Some(_) => {
                errors.push(ConfigError::Invalid {
                    var,
                    reason: "must be a whole number of hours from 1 to 2160".into(),
                });
                Duration::from_secs(default * 3600)
            }
        };
        let token_ttl = hours("APPROVAL_TOKEN_TTL_HOURS", 48, errors);
        let escalation_role = get("APPROVAL_ESCALATION_ROLE")
            .map_or_else(|| "ADMIN".to_owned(), |r| r.trim().to_uppercase());
        if escalation_role.parse::<ap_types::Role>().is_err() {
            errors.push(ConfigError::Invalid {
                var: "APPROVAL_ESCALATION_ROLE",
                reason: format!("{escalation_role:?} is not a role"),
            });
        }
        let positive_secs =
            |var: &'static str, default: u64, errors: &mut Vec<ConfigError>| match get(var)
                .map(|v| v.trim().parse::<u64>())
            {
                None => Duration::from_secs(default),
                Some(Ok(s)) if s > 0 => Duration::from_secs(s),
                Some(_) => {
                    errors.push(ConfigError::Invalid {
                        var,
                        reason: "must be a positive number of seconds".into(),
                    });
                    Duration::from_secs(default)
                }
            };
        let sla_interval = positive_secs("APPROVAL_SLA_INTERVAL_SECS", 60, errors);
        let enabled = match get("MAIL_ENABLED").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" => false,
            Some(_) => {
                errors.push(ConfigError::Invalid {
                    var: "MAIL_ENABLED",
                    reason: "must be true or false".into(),
                });
                false
            }
        };
        let smtp_url = get("SMTP_URL").map(SecretString::from);
        if enabled && smtp_url.is_none() {
            errors.push(ConfigError::Missing { var: "SMTP_URL" });
        }
        let from = match get("MAIL_FROM") {
            Some(f) => f.trim().to_owned(),
            None if prod && enabled => {
                errors.push(ConfigError::Missing { var: "MAIL_FROM" });
                String::new()
            }
            None => "AP Automation <ap-noreply@localhost>".to_owned(),
        };
        let poll = Duration::from_millis(match get("MAIL_POLL_MS").map(|v| v.trim().parse()) {
            None => 1000,
            Some(Ok(ms)) if ms > 0 => ms,
            Some(_) => {
                errors.push(ConfigError::Invalid {
                    var: "MAIL_POLL_MS",
                    reason: "must be a positive number of milliseconds".into(),
                });
                1000
            }
        });
        Self {
            due_hours,
            token_secret,
            token_ttl,
            escalation_role,
            sla_interval,
            mail: MailSettings {
                enabled,
                smtp_url,
                from,
                poll,
            },
        }
    }
}
