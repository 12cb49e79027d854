//! Typed configuration read from environment variables and validated at start.
//!
//! Every process reads the same variable names (see `.env.prod.example`). Outside production,
//! sensible local defaults apply; with `APP_ENV=production`, a missing, weak or well-known
//! secret stops the process with a message naming the variable.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

mod approval;
mod askai;
mod contract;
mod payment;
mod portal;
mod service_keys;
pub use approval::{ApprovalSettings, DEV_APPROVAL_TOKEN_SECRET, MailSettings};
pub use askai::AskAiSettings;
pub use contract::{LIBRARY_VARS, Process};
pub use payment::{AchOriginator, Pain001Debtor, PaymentSettings};
pub use portal::{MAX_VERIFY_CACHE, PortalSettings};
pub use service_keys::{SERVICE_KEY_VARS, ServiceKeys};

/// Where the process runs; decides defaults and how strict validation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl AppEnv {
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

impl FromStr for AppEnv {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Ok(AppEnv::Development),
            "test" => Ok(AppEnv::Test),
            "production" | "prod" => Ok(AppEnv::Production),
            other => Err(format!("unknown environment {other:?}")),
        }
    }
}

/// Log output format: JSON for machines, readable text for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A configuration problem, always naming the variable at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is required")]
    Missing { var: &'static str },
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
    #[error("{var} is weak or a known default; set a strong secret ({reason})")]
    Weak {
        var: &'static str,
        reason: &'static str,
    },
}

/// Several problems reported at once, so an operator fixes them in one go.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration: ")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Addresses of the gRPC services: where a server listens and where clients connect.
#[derive(Clone, Debug)]
pub struct ServiceAddrs {
    pub auth_listen: SocketAddr,
    pub auth_url: String,
    pub invoice_listen: SocketAddr,
    pub invoice_url: String,
    pub payment_listen: SocketAddr,
    pub payment_url: String,
    pub approval_listen: SocketAddr,
    pub approval_url: String,
    pub askai_listen: SocketAddr,
    pub askai_url: String,
}

/// Account lockout policy for password logins.
#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lockout: Duration,
}

/// Gateway rate limits, per client address.
#[derive(Clone, Copy, Debug)]
pub struct RateLimits {
    pub login_per_minute: u32,
    pub upload_per_minute: u32,
    pub askai_per_minute: u32,
    pub general_per_minute: u32,
}

#[derive(Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub database_url: SecretString,
    pub database_max_connections: usize,
    /// Ed25519 private key (PEM); only the auth service signs and only it requires one.
    pub jwt_private_key: Option<SecretString>,
    /// Ed25519 public key (PEM); every service verifies.
    pub jwt_public_key: Option<String>,
    /// Each service's own credential for service tokens, and every service's public key.
    pub service_keys: ServiceKeys,
    /// How often every verifier asks the auth service which sessions were revoked
    /// (`REVOCATION_POLL_MS`, at most 15 s).
    pub revocation_poll: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub lockout: LockoutPolicy,
    pub sentry_dsn: Option<SecretString>,
    pub sentry_traces_sample_rate: f32,
    pub otel_endpoint: Option<String>,
    pub log_format: LogFormat,
    pub cors_origins: Vec<String>,
    pub trusted_proxies: Vec<IpNet>,
    pub gateway_addr: SocketAddr,
    pub public_url: String,
    /// The built web app the gateway serves at `/` (`WEB_DIR`, default `web/dist`).
    pub web_dir: PathBuf,
    pub services: ServiceAddrs,
    pub rate_limits: RateLimits,
    pub api_docs_enabled: bool,
    pub grpc_request_timeout: Duration,
    pub data_dir: PathBuf,
    /// AES-256 key (base64) for data encrypted at rest (vendor bank accounts).
    pub data_encryption_key: Option<SecretString>,
    /// Object storage: `file:///abs/path` (default under DATA_DIR) or `s3://bucket/prefix`.
    pub storage_url: String,
    pub upload_max_bytes: u64,
    /// The payment service: run cadence and bank-file originator details.
    pub payment: PaymentSettings,
    /// The Ask-AI service: statement timeout and answer summaries.
    pub askai: AskAiSettings,
    pub extraction: ExtractionSettings,
    /// The optional LLM (Anthropic Messages API); `None` when `ANTHROPIC_API_KEY` is unset.
    pub llm: Option<LlmSettings>,
    pub matching: MatchingSettings,
    pub approval: ApprovalSettings,
    pub portal: PortalSettings,
    /// How often each service's outbox relay looks for undelivered events.
    pub outbox_poll: Duration,
}

/// The invoice service's rule engine: touchless limit, risk thresholds, exception SLA.
#[derive(Clone, Debug)]
pub struct MatchingSettings {
    /// Matched, clean invoices up to this total (in the invoice currency) are approved
    /// without a person.
    pub auto_approve_limit: rust_decimal::Decimal,
    /// A risk score at or above this raises FRAUD_SUSPECTED.
    pub risk_fraud_threshold: u32,
    /// The highest risk score that still allows a touchless approval.
    pub risk_touchless_max: u32,
    pub risk_round_amount_min: rust_decimal::Decimal,
    pub risk_bank_change_days: i64,
    pub risk_stale_days: i64,
    /// `critical:4,high:24,medium:48,low:120` (hours until an exception is due).
    pub exception_sla_hours: String,
    /// How often unassigned exceptions are routed again (when the auth service was away).
    pub routing_interval: Duration,
}

#[derive(Clone, Debug)]
pub struct LlmSettings {
    pub api_key: SecretString,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub timeout: Option<Duration>,
}

/// The invoice service's extraction workers.
#[derive(Clone, Copy, Debug)]
pub struct ExtractionSettings {
    /// Concurrent workers per process; 0 runs none (another replica does the work).
    pub workers: usize,
    pub poll: Duration,
    pub max_attempts: u32,
    /// A running job whose worker stopped answering is taken over after this long.
    pub lease: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are left out on purpose; only shapes that help an operator are shown.
        f.debug_struct("Config")
            .field("app_env", &self.app_env)
            .field("gateway_addr", &self.gateway_addr)
            .field("services", &self.services)
            .field("otel", &self.otel_endpoint.is_some())
            .field("sentry", &self.sentry_dsn.is_some())
            .finish_non_exhaustive()
    }
}

/// Secrets that ship in examples and docs; refused in production.
const KNOWN_DEFAULTS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "password",
    "dev-approval-token-secret-not-for-production",
    "replace-me",
];

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/ap";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigErrors> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup(|k| vars.get(k).cloned())
    }

    /// Reads from any key/value source; tests use a map.
    /// Every process's variables at once (`apctl serve all`, tests): each problem counts.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigErrors> {
        let (config, errors) = Self::load(get);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// Reads every variable; problems are collected, not returned early, so that a process
    /// can keep those of its own contract (see [`Process`]).
    fn load(get: impl Fn(&str) -> Option<String>) -> (Self, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let app_env = parse_or(&get, "APP_ENV", AppEnv::Development, &mut errors);
        let prod = app_env.is_production();

        let database_url = match get("DATABASE_URL") {
            Some(url) => SecretString::from(url),
            None if prod => {
                errors.push(ConfigError::Missing {
                    var: "DATABASE_URL",
                });
                SecretString::from(String::new())
            }
            None => SecretString::from(DEFAULT_DATABASE_URL.to_owned()),
        };
        let jwt_private_key =
            read_private_pem(&get, "JWT_PRIVATE_KEY", &mut errors).map(SecretString::from);
        let jwt_public_key = read_pem(&get, "JWT_PUBLIC_KEY", &mut errors);
        // The private key is checked by the auth service, the only process that loads it.
        if prod && jwt_public_key.is_none() {
            errors.push(ConfigError::Missing {
                var: "JWT_PUBLIC_KEY",
            });
        }
        let service_keys = ServiceKeys::from_lookup(&get, prod, &mut errors);
        if prod && get("SERVICE_TOKEN_SECRET").is_some() {
            errors.push(ConfigError::Invalid {
                var: "SERVICE_TOKEN_SECRET",
                reason: "no longer used: give each service its SERVICE_KEY_<NAME> \
                         (see docs/configuration.md)"
                    .into(),
            });
        }
        let revocation_poll_ms: u64 = parse_or(&get, "REVOCATION_POLL_MS", 10_000, &mut errors);
        if !(50..=15_000).contains(&revocation_poll_ms) {
            errors.push(ConfigError::Invalid {
                var: "REVOCATION_POLL_MS",
                reason: "must be between 50 and 15000 (revocation must reach every service \
                         within a minute)"
                    .into(),
            });
        }

        let cors_origins: Vec<String> = get("CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if prod && cors_origins.iter().any(|o| o == "*") {
            errors.push(ConfigError::Invalid {
                var: "CORS_ORIGINS",
                reason: "a wildcard origin is not allowed in production".into(),
            });
        }
        let mut trusted_proxies = Vec::new();
        for item in get("TRUSTED_PROXIES").unwrap_or_default().split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let parsed = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from));
            match parsed {
                Ok(net) => trusted_proxies.push(net),
                Err(_) => errors.push(ConfigError::Invalid {
                    var: "TRUSTED_PROXIES",
                    reason: format!("{item:?} is not an address or CIDR block"),
                }),
            }
        }

        let sentry_dsn = get("SENTRY_DSN").map(SecretString::from);
        let sentry_traces_sample_rate: f32 =
            parse_or(&get, "SENTRY_TRACES_SAMPLE_RATE", 0.0, &mut errors);
        if !(0.0..=1.0).contains(&sentry_traces_sample_rate) {
            errors.push(ConfigError::Invalid {
                var: "SENTRY_TRACES_SAMPLE_RATE",
                reason: "must be between 0 and 1".into(),
            });
        }
        let log_format = match get("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty" | "text") => LogFormat::Pretty,
            Some(other) => {
                errors.push(ConfigError::Invalid {
                    var: "LOG_FORMAT",
                    reason: format!("{other:?} is neither json nor pretty"),
                });
                LogFormat::Pretty
            }
            None if prod => LogFormat::Json,
            None => LogFormat::Pretty,
        };

        let gateway_addr = parse_or(
            &get,
            "GATEWAY_ADDR",
            ([0, 0, 0, 0], 8080).into(),
            &mut errors,
        );
        let auth_listen = parse_or(
            &get,
            "AUTH_ADDR",
            ([127, 0, 0, 1], 50051).into(),
            &mut errors,
        );
        let auth_url = get("AUTH_URL").unwrap_or_else(|| format!("http://{auth_listen}"));
        let invoice_listen = parse_or(
            &get,
            "INVOICE_ADDR",
            ([127, 0, 0, 1], 50052).into(),
            &mut errors,
        );
        let invoice_url = get("INVOICE_URL").unwrap_or_else(|| format!("http://{invoice_listen}"));
        let payment_listen = parse_or(
            &get,
            "PAYMENT_ADDR",
            ([127, 0, 0, 1], 50054).into(),
            &mut errors,
        );
        let payment_url = get("PAYMENT_URL").unwrap_or_else(|| format!("http://{payment_listen}"));
        let approval_listen = parse_or(
            &get,
            "APPROVAL_ADDR",
            ([127, 0, 0, 1], 50053).into(),
            &mut errors,
        );
        let approval_url =
            get("APPROVAL_URL").unwrap_or_else(|| format!("http://{approval_listen}"));
        let payment = PaymentSettings::from_lookup(&get, prod, &mut errors);
        let approval = ApprovalSettings::from_lookup(&get, prod, &mut errors);
        let askai_listen = parse_or(
            &get,
            "ASKAI_ADDR",
            ([127, 0, 0, 1], 50055).into(),
            &mut errors,
        );
        let askai_url = get("ASKAI_URL").unwrap_or_else(|| format!("http://{askai_listen}"));
        let askai = AskAiSettings::from_lookup(&get, &mut errors);
        let portal = PortalSettings::from_lookup(&get, &mut errors);
        let data_dir = get("DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".data"));
        let data_encryption_key = match get("DATA_ENCRYPTION_KEY") {
            Some(key) => {
                check_data_key(&key, prod, &mut errors);
                Some(SecretString::from(key))
            }
            None if prod => {
                errors.push(ConfigError::Missing {
                    var: "DATA_ENCRYPTION_KEY",
                });
                None
            }
            None => None,
        };
        let storage_url = get("STORAGE_URL").unwrap_or_else(|| {
            let dir = std::path::absolute(data_dir.join("objects"))
                .unwrap_or_else(|_| data_dir.join("objects"));
            format!("file://{}", dir.display())
        });
        let public_url = get("PUBLIC_URL").unwrap_or_else(|| "http://localhost:8080".to_owned());

        let config = Config {
            app_env,
            database_url,
            database_max_connections: parse_or(&get, "DATABASE_MAX_CONNECTIONS", 10, &mut errors),
            jwt_private_key,
            jwt_public_key,
            service_keys,
            revocation_poll: Duration::from_millis(revocation_poll_ms.clamp(50, 15_000)),
            access_token_ttl: secs(&get, "ACCESS_TOKEN_TTL_SECS", 900, &mut errors),
            refresh_token_ttl: secs(&get, "REFRESH_TOKEN_TTL_SECS", 14 * 24 * 3600, &mut errors),
            lockout: LockoutPolicy {
                max_failures: parse_or(&get, "LOGIN_MAX_FAILURES", 5, &mut errors),
                window: secs(&get, "LOGIN_FAILURE_WINDOW_SECS", 900, &mut errors),
                lockout: secs(&get, "LOGIN_LOCKOUT_SECS", 900, &mut errors),
            },
            sentry_dsn,
            sentry_traces_sample_rate,
            otel_endpoint: get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            log_format,
            cors_origins,
            trusted_proxies,
            gateway_addr,
            public_url,
            web_dir: get("WEB_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("web/dist")),
            services: ServiceAddrs {
                auth_listen,
                auth_url,
                invoice_listen,
                invoice_url,
                payment_listen,
                payment_url,
                approval_listen,
                approval_url,
                askai_listen,
                askai_url,
            },
            rate_limits: RateLimits {
                login_per_minute: parse_or(&get, "RATE_LIMIT_LOGIN_PER_MIN", 10, &mut errors),
                upload_per_minute: parse_or(&get, "RATE_LIMIT_UPLOAD_PER_MIN", 30, &mut errors),
                askai_per_minute: parse_or(&get, "RATE_LIMIT_ASKAI_PER_MIN", 20, &mut errors),
                general_per_minute: parse_or(&get, "RATE_LIMIT_GENERAL_PER_MIN", 1200, &mut errors),
            },
            api_docs_enabled: parse_or(&get, "API_DOCS_ENABLED", !prod, &mut errors),
            grpc_request_timeout: secs(&get, "GRPC_REQUEST_TIMEOUT_SECS", 30, &mut errors),
            data_dir,
            data_encryption_key,
            storage_url,
            upload_max_bytes: parse_or(&get, "UPLOAD_MAX_BYTES", 20 * 1024 * 1024, &mut errors),
            payment,
            askai,
            portal,
            llm: get("ANTHROPIC_API_KEY").map(|key| LlmSettings {
                api_key: SecretString::from(key),
                base_url: get("ANTHROPIC_BASE_URL"),
                model: get("ANTHROPIC_MODEL"),
                timeout: get("ANTHROPIC_TIMEOUT_SECS")
                    .map(|_| secs(&get, "ANTHROPIC_TIMEOUT_SECS", 60, &mut errors)),
            }),
            extraction: ExtractionSettings {
                workers: parse_or(&get, "EXTRACTION_WORKERS", 2, &mut errors),
                poll: Duration::from_millis(parse_or(&get, "EXTRACTION_POLL_MS", 500, &mut errors)),
                max_attempts: parse_or(&get, "EXTRACTION_MAX_ATTEMPTS", 5, &mut errors),
                lease: secs(&get, "EXTRACTION_LEASE_SECS", 300, &mut errors),
            },
            matching: MatchingSettings {
                auto_approve_limit: parse_or(
                    &get,
                    "AUTO_APPROVE_LIMIT",
                    rust_decimal::Decimal::new(5_000, 0),
                    &mut errors,
                ),
                risk_fraud_threshold: parse_or(&get, "RISK_FRAUD_THRESHOLD", 60, &mut errors),
                risk_touchless_max: parse_or(&get, "RISK_TOUCHLESS_MAX_SCORE", 10, &mut errors),
                risk_round_amount_min: parse_or(
                    &get,
                    "RISK_ROUND_AMOUNT_MIN",
                    rust_decimal::Decimal::new(10_000, 0),
                    &mut errors,
                ),
                risk_bank_change_days: parse_or(&get, "RISK_BANK_CHANGE_DAYS", 30, &mut errors),
                risk_stale_days: parse_or(&get, "RISK_STALE_DAYS", 90, &mut errors),
                exception_sla_hours: get("EXCEPTION_SLA_HOURS").unwrap_or_default(),
                routing_interval: secs(&get, "EXCEPTION_ROUTING_INTERVAL_SECS", 30, &mut errors),
            },
            approval,
            outbox_poll: Duration::from_millis(parse_or(&get, "OUTBOX_POLL_MS", 500, &mut errors)),
        };
        (config, errors)
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    /// The configuration as service `name` may see it: the token-signing private key only
    /// for the auth service, and no other service's private service key. `apctl serve`
    /// hands each service its own view, also when all run in one process.
    #[must_use]
    pub fn for_service(&self, name: &str) -> Config {
        let mut view = self.clone();
        if name != "auth" {
            view.jwt_private_key = None;
        }
        view.service_keys = self.service_keys.only(name);
        view
    }

    /// The service-token credential of service `name` (one of [`SERVICE_KEY_VARS`]).
    pub fn service_tokens(&self, name: &str) -> anyhow::Result<crate::token::ServiceTokens> {
        self.service_keys.tokens_for(name)
    }
}

fn parse_or<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
    errors: &mut Vec<ConfigError>,
) -> T
where
    T::Err: fmt::Display,
{
    match get(var) {
        None => default,
        Some(raw) => raw.trim().parse().unwrap_or_else(|e: T::Err| {
            errors.push(ConfigError::Invalid {
                var,
                reason: e.to_string(),
            });
            default
        }),
    }
}

fn secs(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u64,
    errors: &mut Vec<ConfigError>,
) -> Duration {
    Duration::from_secs(parse_or(get, var, default, errors))
}

/// A private key, read like [`read_pem`] except that a file that does not exist counts as
/// unset: a private key is mounted only into the process that uses it, while every process
/// may share one environment file naming its path. The process that needs the key then
/// refuses to start, naming the variable.
fn read_private_pem(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let raw = get(var)?;
    if !raw.trim_start().starts_with("-----BEGIN") && !std::path::Path::new(raw.trim()).exists() {
        return None;
    }
    read_pem(get, var, errors)
}

/// A PEM is given inline (`-----BEGIN ...`) or as the path of a file holding it.
fn read_pem(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let raw = get(var)?;
    let pem = if raw.trim_start().starts_with("-----BEGIN") {
        raw.replace("\\n", "\n")
    } else {
        match std::fs::read_to_string(raw.trim()) {
            Ok(pem) => pem,
            Err(e) => {
                errors.push(ConfigError::Invalid {
                    var,
                    reason: format!("neither a PEM nor a readable file: {e}"),
                });
                return None;
            }
        }
    };
    if !pem.contains("-----BEGIN") {
        errors.push(ConfigError::Invalid {
            var,
            reason: "not a PEM document".into(),
        });
        return None;
    }
    Some(pem)
}

/// A data key is 32 random bytes, base64-encoded.
fn check_data_key(key: &str, prod: bool, errors: &mut Vec<ConfigError>) {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(key.trim()) {
        Ok(bytes) if bytes.len() == 32 => {
            let distinct = bytes.iter().collect::<std::collections::HashSet<_>>().len();
            if prod && distinct < 16 {
                errors.push(ConfigError::Weak {
                    var: "DATA_ENCRYPTION_KEY",
                    reason: "not random enough",
                });
            }
        }
        _ => errors.push(ConfigError::Invalid {
            var: "DATA_ENCRYPTION_KEY",
            reason: "must be 32 bytes, base64-encoded (apctl keys generate writes one)".into(),
        }),
    }
}

pub(crate) fn check_strong(var: &'static str, value: &str, errors: &mut Vec<ConfigError>) {
    let lowered = value.to_ascii_lowercase();
    if KNOWN_DEFAULTS.iter().any(|d| lowered == *d) || lowered.contains("not-for-production") {
        errors.push(ConfigError::Weak {
            var,
            reason: "a published default",
        });
    } else if value.len() < 32 {
        errors.push(ConfigError::Weak {
            var,
            reason: "shorter than 32 characters",
        });
    } else if value
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len()
        < 8
    {
        errors.push(ConfigError::Weak {
            var,
            reason: "too few distinct characters",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn development_defaults_need_no_variables() {
        let config = load(&[]).expect("defaults load");
        assert_eq!(config.app_env, AppEnv::Development);
        assert_eq!(config.database_url(), DEFAULT_DATABASE_URL);
        assert_eq!(config.lockout.max_failures, 5);
        assert!(config.api_docs_enabled);
    }

    #[test]
    fn production_without_secrets_names_every_missing_variable() {
        let err = load(&[("APP_ENV", "production")]).expect_err("must refuse");
        let text = err.to_string();
        for var in [
            "DATABASE_URL",
            "JWT_PUBLIC_KEY",
            "SERVICE_PUBLIC_KEY_INVOICE",
            "SERVICE_PUBLIC_KEY_PAYMENT",
        ] {
            assert!(text.contains(var), "{var} missing from {text}");
        }
        assert!(
            !text.contains("JWT_PRIVATE_KEY"),
            "only the auth service needs the signing key: {text}"
        );
    }

    #[test]
    fn production_refuses_the_published_development_service_keys() {
        let (private, public) = crate::token::development_service_key("payment").expect("dev key");
        let err = load(&[
            ("APP_ENV", "production"),
            ("SERVICE_KEY_PAYMENT", private.expose_secret()),
            ("SERVICE_PUBLIC_KEY_PAYMENT", &public),
        ])
        .expect_err("must refuse");
        assert!(err.0.contains(&ConfigError::Weak {
            var: "SERVICE_KEY_PAYMENT",
            reason: "the published development key"
        }));
        assert!(err.0.contains(&ConfigError::Weak {
            var: "SERVICE_PUBLIC_KEY_PAYMENT",
            reason: "the published development key"
        }));
    }

    #[test]
    fn production_refuses_the_old_shared_service_secret_and_wildcard_cors() {
        let err = load(&[
            ("APP_ENV", "production"),
            ("SERVICE_TOKEN_SECRET", "abc123"),
            ("CORS_ORIGINS", "*"),
        ])
        .expect_err("must refuse");
        let text = err.to_string();
        assert!(text.contains("SERVICE_TOKEN_SECRET"));
        assert!(text.contains("CORS_ORIGINS"));
    }

    #[test]
    fn a_production_service_without_its_own_key_does_not_start() {
        let mut env: HashMap<String, String> = HashMap::new();
        for (name, private_var, public_var) in SERVICE_KEY_VARS {
            let (private, public) = crate::token::generate_ed25519_pem().expect("keys");
            env.insert((*public_var).into(), public);
            if ["invoice", "approval"].contains(name) {
                env.insert((*private_var).into(), private.expose_secret().to_owned());
            }
        }
        let mut errors = Vec::new();
        let keys = ServiceKeys::from_lookup(&|k: &str| env.get(k).cloned(), true, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let invoice = keys.tokens_for("invoice").expect("its own key");
        let token = invoice.issue("invoice").expect("issue");
        // Another process verifies it with the public key alone and cannot sign as invoice.
        let approval_view = keys.only("approval");
        let approval = approval_view.tokens_for("approval").expect("its own key");
        assert_eq!(
            approval.verify(&token, &["invoice"]).as_deref(),
            Ok("invoice")
        );
        assert!(
            approval_view.tokens_for("invoice").is_err(),
            "no other view holds the invoice key"
        );
        let err = keys.tokens_for("payment").err().expect("no key");
        assert!(err.to_string().contains("SERVICE_KEY_PAYMENT"), "{err}");
    }

    #[test]
    fn a_private_key_not_mounted_in_this_process_counts_as_unset() {
        let config = load(&[
            ("JWT_PRIVATE_KEY", "/nonexistent/jwt_private.pem"),
            ("SERVICE_KEY_INVOICE", "/nonexistent/service_invoice.pem"),
        ])
        .expect("loads");
        assert!(config.jwt_private_key.is_none());
        // A public key must be there, wherever it is named.
        let err = load(&[("JWT_PUBLIC_KEY", "/nonexistent/jwt_public.pem")]).expect_err("public");
        assert!(err.to_string().contains("JWT_PUBLIC_KEY"));
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        assert!(load(&[]).expect("loads").trusted_proxies.is_empty());
    }

    #[test]
    fn the_revocation_poll_is_bounded_to_fifteen_seconds() {
        assert_eq!(
            load(&[]).expect("loads").revocation_poll,
            Duration::from_secs(10)
        );
        let err = load(&[("REVOCATION_POLL_MS", "60000")]).expect_err("too slow");
        assert!(err.to_string().contains("REVOCATION_POLL_MS"));
    }

    #[test]
    fn malformed_values_are_reported_with_their_variable() {
        let err = load(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, nonsense"),
            ("GATEWAY_ADDR", "x"),
        ])
        .expect_err("must refuse");
        let text = err.to_string();
        assert!(text.contains("TRUSTED_PROXIES"));
        assert!(text.contains("GATEWAY_ADDR"));
    }

    #[test]
    fn data_keys_must_be_32_base64_bytes() {
        let err = load(&[("DATA_ENCRYPTION_KEY", "c2hvcnQ=")]).expect_err("short key");
        assert!(err.to_string().contains("DATA_ENCRYPTION_KEY"));
        let zeros = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert!(
            load(&[("DATA_ENCRYPTION_KEY", zeros)]).is_ok(),
            "fine outside production"
        );
        let err =
            load(&[("APP_ENV", "production"), ("DATA_ENCRYPTION_KEY", zeros)]).expect_err("weak");
        assert!(err.to_string().contains("DATA_ENCRYPTION_KEY is weak"));
    }

    #[test]
    fn trusted_proxies_accept_single_addresses_and_blocks() {
        let config = load(&[("TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")]).expect("loads");
        assert_eq!(config.trusted_proxies.len(), 2);
    }
}
