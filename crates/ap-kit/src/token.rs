//! Access tokens (JWT, EdDSA/Ed25519) into a typed principal, role guards, service tokens for
//! calls that act for no user, and Ed25519 key generation for `apctl keys generate`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ap_types::{Role, SessionId, UserId};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "ap-auth";
const ACCESS_AUDIENCE: &str = "ap-api";
const SERVICE_AUDIENCE: &str = "ap-internal";
/// Vendor-portal tokens: a different audience and claim set, so the staff verifier refuses
/// them and the vendor verifier refuses staff tokens.
const PORTAL_AUDIENCE: &str = "ap-portal";

/// Why a presented token was refused. Never shown to a client beyond "invalid token".
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Why a principal may not do something.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("role {role} may not perform this action")]
pub struct Forbidden {
    pub role: Role,
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    sub: String,
    role: String,
    email: String,
    jti: String,
    sid: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

/// The authenticated user behind a request, as proven by a verified access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub role: Role,
    pub email: String,
    pub session_id: SessionId,
    pub token_id: String,
}

impl Principal {
    /// Role guard: Ok when the principal holds one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), Forbidden> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(Forbidden { role: self.role })
        }
    }
}

/// Issues access tokens; only the auth service holds one.
pub struct TokenSigner {
    key: EncodingKey,
    ttl: Duration,
}

impl TokenSigner {
    pub fn from_pem(private_pem: &SecretString, ttl: Duration) -> anyhow::Result<Self> {
        let key = EncodingKey::from_ed_pem(private_pem.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("JWT_PRIVATE_KEY is not an Ed25519 PEM key: {e}"))?;
        Ok(Self { key, ttl })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        user_id: UserId,
        role: Role,
        email: &str,
        session_id: SessionId,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role: role.as_str().to_owned(),
            email: email.to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session_id.to_string(),
            iat: now,
            exp: now + i64::try_from(self.ttl.as_secs())?,
            iss: ISSUER.to_owned(),
            aud: ACCESS_AUDIENCE.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &self.key,
        )?)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct VendorClaims {
    sub: String,
    vendor_id: String,
    jti: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

/// A vendor proven by a verified portal access token: it may see that vendor's invoices only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorPrincipal {
    pub vendor_id: uuid::Uuid,
}

impl TokenSigner {
    /// A short-lived vendor access token, minted by the auth service after it checked the
    /// vendor's portal token (see docs/portal.md).
    pub fn issue_vendor(&self, vendor_id: uuid::Uuid, ttl: Duration) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = VendorClaims {
            sub: format!("vendor:{vendor_id}"),
            vendor_id: vendor_id.to_string(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            exp: now + i64::try_from(ttl.as_secs())?,
            iss: ISSUER.to_owned(),
            aud: PORTAL_AUDIENCE.to_owned(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &self.key,
        )?)
    }
}

/// Verifies vendor access tokens (audience `ap-portal`) with the public key.
#[derive(Clone)]
pub struct VendorTokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl VendorTokenVerifier {
    pub fn from_pem(public_pem: &str) -> anyhow::Result<Self> {
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY is not an Ed25519 PEM key: {e}"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[PORTAL_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 5;
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<VendorPrincipal, TokenError> {
        let data = jsonwebtoken::decode::<VendorClaims>(token, &self.key, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let vendor_id = data
            .claims
            .vendor_id
            .parse()
            .map_err(|_| TokenError::Invalid("bad vendor_id claim".into()))?;
        Ok(VendorPrincipal { vendor_id })
    }

    /// Verifies the `authorization: Bearer …` value of a request.
    pub fn verify_bearer(&self, header: Option<&str>) -> Result<VendorPrincipal, TokenError> {
        let header = header.ok_or(TokenError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(TokenError::Missing)?;
        self.verify(token.trim())
    }
}

/// Verifies access tokens with the public key; every service holds one. With a revocation
/// cache attached, tokens of sessions the auth service reported dead are refused too.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    revocations: Option<Arc<crate::revocation::SessionRevocations>>,
}

impl TokenVerifier {
    pub fn from_pem(public_pem: &str) -> anyhow::Result<Self> {
        let key = DecodingKey::from_ed_pem(public_pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY is not an Ed25519 PEM key: {e}"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ACCESS_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // Tokens live 15 minutes; a few seconds of clock skew between hosts is enough.
        validation.leeway = 5;
        Ok(Self {
            key,
            validation,
            revocations: None,
        })
    }

    /// Refuses the sessions `revocations` knows to be dead (see [`crate::revocation`]).
    #[must_use]
    pub fn with_revocations(
        mut self,
        revocations: Arc<crate::revocation::SessionRevocations>,
    ) -> Self {
        self.revocations = Some(revocations);
        self
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.key, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let c = data.claims;
        let invalid = |what: &str| TokenError::Invalid(format!("bad {what} claim"));
        let principal = Principal {
            user_id: c.sub.parse().map_err(|_| invalid("sub"))?,
            role: c.role.parse().map_err(|_| invalid("role"))?,
            email: c.email,
            session_id: c.sid.parse().map_err(|_| invalid("sid"))?,
            token_id: c.jti,
        };
        if let Some(revocations) = &self.revocations
            && revocations.is_revoked(principal.session_id)
        {
            return Err(TokenError::Invalid("session revoked".into()));
        }
        Ok(principal)
    }

    /// Verifies the `authorization: Bearer …` value of a request.
    pub fn verify_bearer(&self, header: Option<&str>) -> Result<Principal, TokenError> {
        let header = header.ok_or(TokenError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(TokenError::Missing)?;
        self.verify(token.trim())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ServiceClaims {
    sub: String,
    aud: String,
    exp: i64,
}

/// Every service identity a token may carry. `apctl` is not one: it acts in-process and
/// never presents a token.
pub const SERVICE_NAMES: &[&str] = &["auth", "invoice", "payment", "approval", "askai", "gateway"];

/// Short-lived service tokens (EdDSA) naming the calling service, for relays, jobs and
/// internal RPCs. Each service signs with its own private key; a verifier holds only the
/// public keys of the services, so no process can mint a token in another service's name.
#[derive(Clone)]
pub struct ServiceTokens {
    name: String,
    signing: Arc<EncodingKey>,
    peers: Arc<HashMap<String, DecodingKey>>,
}

impl ServiceTokens {
    /// `name` signs with `signing_pem` (Ed25519 PKCS#8); `peers` are (service, public PEM).
    pub fn new(
        name: &str,
        signing_pem: &SecretString,
        peers: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let signing = EncodingKey::from_ed_pem(signing_pem.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("the service key of {name} is not an Ed25519 PEM: {e}"))?;
        let mut keys = HashMap::new();
        for (peer, pem) in peers {
            let key = DecodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| {
                anyhow::anyhow!("the public service key of {peer} is not an Ed25519 PEM: {e}")
            })?;
            keys.insert(peer.clone(), key);
        }
        Ok(Self {
            name: name.to_owned(),
            signing: Arc::new(signing),
            peers: Arc::new(keys),
        })
    }

    /// Development and test credentials: every key derived from a published seed, so
    /// `make run` and the tests need no setup. Production refuses these keys.
    pub fn development(name: &str) -> anyhow::Result<Self> {
        let (private, _) = development_service_key(name)?;
        let peers = SERVICE_NAMES
            .iter()
            .map(|peer| Ok(((*peer).to_owned(), development_service_key(peer)?.1)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Self::new(name, &private, &peers)
    }

    /// The service this process signs as.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A five-minute token naming `service`, which must be this process's own identity.
    pub fn issue(&self, service: &str) -> anyhow::Result<String> {
        if service != self.name {
            anyhow::bail!(
                "this process holds the credential of {}, not of {service}",
                self.name
            );
        }
        let claims = ServiceClaims {
            sub: format!("service:{service}"),
            aud: SERVICE_AUDIENCE.to_owned(),
            exp: chrono::Utc::now().timestamp() + 300,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(service.to_owned());
        Ok(jsonwebtoken::encode(&header, &claims, &self.signing)?)
    }

    /// The calling service's name, when the token is signed by the key of the service it
    /// names and that service is one of `allowed`.
    pub fn verify(&self, token: &str, allowed: &[&str]) -> Result<String, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let claimed = header
            .kid
            .ok_or_else(|| TokenError::Invalid("service token without kid".into()))?;
        if !allowed.contains(&claimed.as_str()) {
            return Err(TokenError::Invalid(format!(
                "service {claimed} not allowed here"
            )));
        }
        let key = self
            .peers
            .get(&claimed)
            .ok_or_else(|| TokenError::Invalid(format!("no public key for service {claimed}")))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[SERVICE_AUDIENCE]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<ServiceClaims>(token, key, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        // The signature is the named service's; the subject must name the same one.
        match data.claims.sub.strip_prefix("service:") {
            Some(name) if name == claimed => Ok(claimed),
            _ => Err(TokenError::Invalid("service token subject mismatch".into())),
        }
    }
}

/// The published development key pair of service `name` (private PEM, public PEM): derived
/// from a fixed seed so every process of `make run` agrees without configuration.
pub fn development_service_key(name: &str) -> anyhow::Result<(SecretString, String)> {
    use sha2::Digest;
    let seed = sha2::Sha256::digest(format!("ap-dev-service-key-not-for-production/{name}"));
    ed25519_pem_from_seed(&seed)
}

/// The Ed25519 key pair (PKCS#8 private PEM, SPKI public PEM) of a 32-byte seed.
fn ed25519_pem_from_seed(seed: &[u8]) -> anyhow::Result<(SecretString, String)> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let pair = Ed25519KeyPair::from_seed_unchecked(seed)
        .map_err(|_| anyhow::anyhow!("not an Ed25519 seed"))?;
    // PKCS#8 v1 for Ed25519 is a fixed 16-byte header plus the 32-byte seed.
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(seed);
    Ok((
        SecretString::from(pem("PRIVATE KEY", &pkcs8)),
        pem("PUBLIC KEY", &spki(pair.public_key().as_ref())),
    ))
}

/// The public key (SPKI PEM) of an Ed25519 private key (PKCS#8 PEM).
pub fn ed25519_public_pem(private_pem: &SecretString) -> anyhow::Result<String> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let body: String = private_pem
        .expose_secret()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|_| anyhow::anyhow!("not a PEM document"))?;
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
        .map_err(|_| anyhow::anyhow!("not an Ed25519 PKCS#8 key"))?;
    Ok(pem("PUBLIC KEY", &spki(pair.public_key().as_ref())))
}

/// SubjectPublicKeyInfo for Ed25519: a fixed 12-byte header plus the 32-byte key.
fn spki(public: &[u8]) -> Vec<u8> {
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(public);
    spki
}

/// A fresh Ed25519 key pair as (PKCS#8 private PEM, SPKI public PEM).
pub fn generate_ed25519_pem() -> anyhow::Result<(SecretString, String)> {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("keygen failed"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("generated key does not load"))?;
    Ok((
        SecretString::from(pem("PRIVATE KEY", pkcs8.as_ref())),
        pem("PUBLIC KEY", &spki(pair.public_key().as_ref())),
    ))
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TokenSigner, TokenVerifier) {
        let (private, public) = generate_ed25519_pem().expect("keygen");
        (
            TokenSigner::from_pem(&private, Duration::from_secs(900)).expect("signer"),
            TokenVerifier::from_pem(&public).expect("verifier"),
        )
    }

    #[test]
    fn an_issued_token_verifies_into_its_principal() {
        let (signer, verifier) = pair();
        let (user, session) = (UserId::new(), SessionId::new());
        let token = signer
            .issue(user, Role::Admin, "a@example.com", session)
            .expect("issue");
        let p = verifier
            .verify_bearer(Some(&format!("Bearer {token}")))
            .expect("valid");
        assert_eq!(
            (p.user_id, p.role, p.session_id),
            (user, Role::Admin, session)
        );
        assert!(p.require(&[Role::Admin]).is_ok());
        assert_eq!(
            p.require(&[Role::Auditor]),
            Err(Forbidden { role: Role::Admin })
        );
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let (signer, _) = pair();
        let (_, other) = pair();
        let token = signer
            .issue(UserId::new(), Role::Admin, "a@x", SessionId::new())
            .expect("issue");
        assert!(matches!(other.verify(&token), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let (signer, verifier) = pair();
        let token = signer
            .issue(UserId::new(), Role::ApClerk, "c@x", SessionId::new())
            .expect("issue");
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&parts[1])
            .expect("b64");
        let forged = String::from_utf8(claims)
            .expect("utf8")
            .replace("AP_CLERK", "ADMIN");
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
        assert!(verifier.verify(&parts.join(".")).is_err());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let (private, public) = generate_ed25519_pem().expect("keygen");
        let key = EncodingKey::from_ed_pem(private.expose_secret().as_bytes()).expect("key");
        let past = chrono::Utc::now().timestamp() - 3600;
        let claims = AccessClaims {
            sub: UserId::new().to_string(),
            role: "ADMIN".into(),
            email: "a@x".into(),
            jti: "j".into(),
            sid: SessionId::new().to_string(),
            iat: past - 900,
            exp: past,
            iss: ISSUER.into(),
            aud: ACCESS_AUDIENCE.into(),
        };
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).expect("encode");
        let verifier = TokenVerifier::from_pem(&public).expect("verifier");
        assert!(verifier.verify(&expired).is_err());
    }

    #[test]
    fn vendor_and_staff_tokens_are_not_interchangeable() {
        let (private, public) = generate_ed25519_pem().expect("keygen");
        let signer = TokenSigner::from_pem(&private, Duration::from_secs(900)).expect("signer");
        let staff = TokenVerifier::from_pem(&public).expect("verifier");
        let vendors = VendorTokenVerifier::from_pem(&public).expect("verifier");
        let vendor = uuid::Uuid::new_v4();
        let vendor_token = signer
            .issue_vendor(vendor, Duration::from_secs(60))
            .expect("issue");
        assert_eq!(
            vendors.verify(&vendor_token),
            Ok(VendorPrincipal { vendor_id: vendor })
        );
        assert!(staff.verify(&vendor_token).is_err());
        let staff_token = signer
            .issue(UserId::new(), Role::Admin, "a@x", SessionId::new())
            .expect("issue");
        assert!(vendors.verify(&staff_token).is_err());
    }

    #[test]
    fn service_tokens_name_their_service_and_respect_the_allow_list() {
        let tokens = ServiceTokens::development("invoice").expect("tokens");
        let t = tokens.issue("invoice").expect("issue");
        let approval = ServiceTokens::development("approval").expect("tokens");
        assert_eq!(approval.verify(&t, &["invoice"]).as_deref(), Ok("invoice"));
        assert!(approval.verify(&t, &["payment"]).is_err());
        assert!(
            tokens.issue("payment").is_err(),
            "a process signs only as itself"
        );
    }

    #[test]
    fn a_service_cannot_impersonate_another_service() {
        // The invoice service's own key, a token claiming to be the payment service.
        let (invoice_key, _) = development_service_key("invoice").expect("key");
        let key = EncodingKey::from_ed_pem(invoice_key.expose_secret().as_bytes()).expect("key");
        let claims = ServiceClaims {
            sub: "service:payment".into(),
            aud: SERVICE_AUDIENCE.into(),
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("payment".into());
        let forged = jsonwebtoken::encode(&header, &claims, &key).expect("encode");
        let verifier = ServiceTokens::development("approval").expect("tokens");
        assert!(verifier.verify(&forged, &["payment"]).is_err());
        // Naming itself in `kid` but another service in `sub` is refused too.
        header.kid = Some("invoice".into());
        let mixed = jsonwebtoken::encode(&header, &claims, &key).expect("encode");
        assert!(verifier.verify(&mixed, &["invoice", "payment"]).is_err());
        // A token under a key nobody configured (an HS256 shared secret of old) is refused.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"dev-service-token-secret-not-for-production").expect("key"),
        )
        .expect("encode");
        assert!(verifier.verify(&hs, &["payment"]).is_err());
    }

    #[test]
    fn a_private_key_yields_its_public_key() {
        let (private, public) = generate_ed25519_pem().expect("keygen");
        assert_eq!(ed25519_public_pem(&private).expect("public"), public);
        let (dev_private, dev_public) = development_service_key("payment").expect("dev");
        assert_eq!(
            ed25519_public_pem(&dev_private).expect("public"),
            dev_public
        );
    }
}
