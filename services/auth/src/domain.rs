//! Pure rules of the auth service: email and password policy, password hashing, refresh
//! token material. No tonic, diesel or axum here.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

pub const MIN_PASSWORD_LEN: usize = 10;
/// Hashing is deliberately slow; an unbounded input would make it a denial-of-service lever.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Passwords refused whatever their length: the most common long-enough choices.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "qwertyuiop",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "1q2w3e4r5t",
    "qwerty1234",
    "qwerty12345",
    "1qaz2wsx3edc",
    "abcdefghij",
    "abc1234567",
    "letmein123",
    "welcome123",
    "administrator",
    "changeme123",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "trustno1234",
    "aaaaaaaaaa",
    "1111111111",
    "0000000000",
    "zaq12wsxcde",
    "superman123",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("Password must be at least {MIN_PASSWORD_LEN} characters.")]
    PasswordTooShort,
    #[error("Password must be at most {MAX_PASSWORD_LEN} characters.")]
    PasswordTooLong,
    #[error("Password is too common; choose another.")]
    PasswordCommon,
    #[error("Email address is not valid.")]
    InvalidEmail,
    #[error("Name must not be empty.")]
    EmptyName,
}

/// A syntactically plausible, normalised (trimmed, lowercase) email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, PolicyError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                    && email.matches('@').count() == 1
            });
        if valid {
            Ok(Self(email))
        } else {
            Err(PolicyError::InvalidEmail)
        }
    }

    /// Normalised form of whatever was typed at login, valid or not (for throttling keys).
    pub fn login_key(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn check_name(name: &str) -> Result<String, PolicyError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(PolicyError::EmptyName);
    }
    Ok(name.to_owned())
}

pub fn check_password(password: &SecretString) -> Result<(), PolicyError> {
    let p = password.expose_secret();
    let chars = p.chars().count();
    if chars < MIN_PASSWORD_LEN {
        return Err(PolicyError::PasswordTooShort);
    }
    if chars > MAX_PASSWORD_LEN {
        return Err(PolicyError::PasswordTooLong);
    }
    let lowered = p.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(PolicyError::PasswordCommon);
    }
    Ok(())
}

/// argon2id with the crate's defaults (19 MiB, 2 passes). CPU-heavy: call off the executor.
pub fn hash_password(password: &SecretString) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// True when `password` matches `hash`. A malformed stored hash is an error, not a mismatch.
pub fn verify_password(password: &SecretString, hash: &str) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(hash)
        .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
    Ok(Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

/// A hash of a random password, verified against when the user does not exist so that an
/// unknown email costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&SecretString::from(uuid::Uuid::new_v4().to_string()))
            .unwrap_or_else(|_| "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$invalid".to_owned())
    })
}

/// A new opaque refresh token (256 random bits) and the hash under which it is stored.
pub fn new_refresh_token() -> (SecretString, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!(
        "rt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = refresh_token_hash(&token);
    (SecretString::from(token), hash)
}

/// Prefix of portal tokens: recognisable in a secret scanner and told apart from JWTs at once.
pub const PORTAL_TOKEN_PREFIX: &str = "apv_";

/// A new vendor-portal token (256 random bits) and the hash under which it is stored.
pub fn new_portal_token() -> (SecretString, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!(
        "{PORTAL_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = refresh_token_hash(&token);
    (SecretString::from(token), hash)
}

/// SHA-256 (hex) of an opaque token: refresh and portal tokens are stored only so.
pub fn refresh_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").expect("valid").as_str(),
            "ada@example.com"
        );
        for bad in ["", "no-at", "@x.com", "a@", "a b@x.com", "a@@x.com", "a@.x"] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn passwords_shorter_than_ten_or_common_are_refused() {
        let p = |s: &str| check_password(&SecretString::from(s.to_owned()));
        assert_eq!(p("short"), Err(PolicyError::PasswordTooShort));
        assert_eq!(p("Password123"), Err(PolicyError::PasswordCommon));
        assert_eq!(p(&"x".repeat(300)), Err(PolicyError::PasswordTooLong));
        assert_eq!(p("demo-password"), Ok(()));
        assert_eq!(p("correct horse battery"), Ok(()));
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let pw = SecretString::from("correct horse battery".to_owned());
        let hash = hash_password(&pw).expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &hash).expect("verify"));
        assert!(
            !verify_password(&SecretString::from("wrong password!".to_owned()), &hash)
                .expect("verify")
        );
        assert!(verify_password(&pw, "not-a-hash").is_err());
    }

    #[test]
    fn portal_tokens_carry_256_random_bits_behind_their_prefix() {
        let (a, ha) = new_portal_token();
        let (b, _) = new_portal_token();
        assert_ne!(a.expose_secret(), b.expose_secret());
        let body = a
            .expose_secret()
            .strip_prefix(PORTAL_TOKEN_PREFIX)
            .expect("prefix");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .expect("base64url");
        assert_eq!(raw.len(), 32);
        assert_eq!(refresh_token_hash(a.expose_secret()), ha);
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(refresh_token_hash(a.expose_secret()), ha);
        assert!(!ha.contains(a.expose_secret()));
    }
}
