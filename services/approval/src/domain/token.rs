//! Email-link tokens: `base64url(claims) "." base64url(HMAC-SHA256(claims))`. The claims bind
//! the link to one token row (single use), one task, one action and the invoice amount at
//! sending time, and carry their expiry. Only a token this service signed verifies.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

const VERSION: &str = "v1";
/// Longer input is not a token this service made; refuse it before any work.
pub const MAX_TOKEN_LEN: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Action::Approve),
            "reject" => Some(Action::Reject),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub token_id: Uuid,
    pub task_id: Uuid,
    pub action: Action,
    pub amount: Decimal,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
}

pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    pub fn sign(&self, c: &Claims) -> String {
        let claims = format!(
            "{VERSION}|{}|{}|{}|{}|{}",
            c.token_id,
            c.task_id,
            c.action.as_str(),
            c.amount.normalize(),
            c.expires_at.timestamp()
        );
        let tag = hmac::sign(&self.key, claims.as_bytes());
        format!("{}.{}", B64.encode(claims), B64.encode(tag.as_ref()))
    }

    /// The claims of a token this signer made, whatever their expiry (the caller decides
    /// what an expired link shows).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (claims, tag) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let claims = B64.decode(claims).map_err(|_| TokenError::Malformed)?;
        let tag = B64.decode(tag).map_err(|_| TokenError::Malformed)?;
        hmac::verify(&self.key, &claims, &tag).map_err(|_| TokenError::BadSignature)?;
        let text = String::from_utf8(claims).map_err(|_| TokenError::Malformed)?;
        let parts: Vec<&str> = text.split('|').collect();
        let [VERSION, token_id, task_id, action, amount, expires] = parts.as_slice() else {
            return Err(TokenError::Malformed);
        };
        Ok(Claims {
            token_id: token_id.parse().map_err(|_| TokenError::Malformed)?,
            task_id: task_id.parse().map_err(|_| TokenError::Malformed)?,
            action: Action::parse(action).ok_or(TokenError::Malformed)?,
            amount: amount.parse().map_err(|_| TokenError::Malformed)?,
            expires_at: expires
                .parse::<i64>()
                .ok()
                .and_then(|s| Utc.timestamp_opt(s, 0).single())
                .ok_or(TokenError::Malformed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            token_id: Uuid::now_v7(),
            task_id: Uuid::now_v7(),
            action: Action::Approve,
            amount: Decimal::new(1_542_000, 2),
            expires_at: Utc
                .timestamp_opt(1_900_000_000, 0)
                .single()
                .expect("instant"),
        }
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let s = Signer::new(b"k");
        let c = claims();
        assert_eq!(s.verify(&s.sign(&c)), Ok(c));
    }

    #[test]
    fn a_token_with_changed_claims_or_another_key_is_refused() {
        let s = Signer::new(b"k");
        let token = s.sign(&claims());
        let (head, tag) = token.split_once('.').expect("two parts");
        let text = String::from_utf8(B64.decode(head).expect("b64")).expect("utf8");
        let forged = format!(
            "{}.{tag}",
            B64.encode(text.replace("|approve|", "|reject|"))
        );
        assert_eq!(s.verify(&forged), Err(TokenError::BadSignature));
        assert_eq!(
            Signer::new(b"other").verify(&token),
            Err(TokenError::BadSignature)
        );
        assert_eq!(s.verify("garbage"), Err(TokenError::Malformed));
        assert_eq!(s.verify(&"a".repeat(600)), Err(TokenError::Malformed));
    }
}
