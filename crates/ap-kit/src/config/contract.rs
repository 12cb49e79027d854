//! The configuration contract of each process: which variables it reads, and so which
//! problems stop it. Every process parses the same variable names, but a process validates
//! only the variables of its own contract: only auth needs the token-signing key, only
//! invoice and payment the data key, only approval SMTP, only payment the bank originator,
//! and the gateway needs no database at all. `apctl config check --service NAME` prints the
//! problems of one contract; `.env.prod.example` documents every variable, grouped by process
//! (a test keeps the two and the code in step).

use std::fmt;
use std::str::FromStr;

use super::{Config, ConfigError, ConfigErrors, SERVICE_KEY_VARS};

/// One deployable process (`apctl serve NAME`, or `apctl migrate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Process {
    /// `apctl migrate` (the migrate Job / init step): every schema, nothing else.
    Migrate,
    Auth,
    Invoice,
    Payment,
    Approval,
    Askai,
    Gateway,
}

/// Read by libraries rather than by [`Config`]: the log filter and the S3 client of the
/// invoice service. Documented with the rest; never validated here.
pub const LIBRARY_VARS: &[(&str, &[Process])] = &[
    (
        "RUST_LOG",
        &[
            Process::Auth,
            Process::Invoice,
            Process::Payment,
            Process::Approval,
            Process::Askai,
            Process::Gateway,
        ],
    ),
    ("AWS_ACCESS_KEY_ID", &[Process::Invoice]),
    ("AWS_SECRET_ACCESS_KEY", &[Process::Invoice]),
    ("AWS_REGION", &[Process::Invoice]),
    ("AWS_ENDPOINT", &[Process::Invoice]),
    ("AWS_ALLOW_HTTP", &[Process::Invoice]),
];

/// Read by every serving process (not by `apctl migrate`).
const SERVING: &[&str] = &[
    "APP_ENV",
    "LOG_FORMAT",
    "SENTRY_DSN",
    "SENTRY_TRACES_SAMPLE_RATE",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "GRPC_REQUEST_TIMEOUT_SECS",
    "JWT_PUBLIC_KEY",
    "ACCESS_TOKEN_TTL_SECS",
    "REVOCATION_POLL_MS",
    "AUTH_URL",
    // Refused when set: the shared secret it named was replaced by per-service keys.
    "SERVICE_TOKEN_SECRET",
];

/// Read by every process that owns a schema.
const DATABASE: &[&str] = &["DATABASE_URL", "DATABASE_MAX_CONNECTIONS"];

const AUTH: &[&str] = &[
    "AUTH_ADDR",
    "JWT_PRIVATE_KEY",
    "REFRESH_TOKEN_TTL_SECS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_FAILURE_WINDOW_SECS",
    "LOGIN_LOCKOUT_SECS",
    "PUBLIC_URL",
    "PORTAL_INVITE_TTL_DAYS",
];

const INVOICE: &[&str] = &[
    "INVOICE_ADDR",
    "APPROVAL_URL",
    "DATA_ENCRYPTION_KEY",
    "DATA_DIR",
    "STORAGE_URL",
    "UPLOAD_MAX_BYTES",
    "EXTRACTION_WORKERS",
    "EXTRACTION_POLL_MS",
    "EXTRACTION_MAX_ATTEMPTS",
    "EXTRACTION_LEASE_SECS",
    "AUTO_APPROVE_LIMIT",
    "RISK_FRAUD_THRESHOLD",
    "RISK_TOUCHLESS_MAX_SCORE",
    "RISK_ROUND_AMOUNT_MIN",
    "RISK_BANK_CHANGE_DAYS",
    "RISK_STALE_DAYS",
    "EXCEPTION_SLA_HOURS",
    "EXCEPTION_ROUTING_INTERVAL_SECS",
    "OUTBOX_POLL_MS",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_TIMEOUT_SECS",
];

const PAYMENT: &[&str] = &[
    "PAYMENT_ADDR",
    "INVOICE_URL",
    "DATA_ENCRYPTION_KEY",
    "PAYMENT_RUN_INTERVAL_DAYS",
    "PAYMENT_SETTLE_INTERVAL_SECS",
    "ACH_IMMEDIATE_DESTINATION",
    "ACH_IMMEDIATE_DESTINATION_NAME",
    "ACH_IMMEDIATE_ORIGIN",
    "ACH_IMMEDIATE_ORIGIN_NAME",
    "ACH_ODFI_ROUTING",
    "ACH_COMPANY_NAME",
    "ACH_COMPANY_ID",
    "ACH_SEC_CODE",
    "ACH_ENTRY_DESCRIPTION",
    "PAIN001_DEBTOR_NAME",
    "PAIN001_DEBTOR_IBAN",
    "PAIN001_DEBTOR_BIC",
];

const APPROVAL: &[&str] = &[
    "APPROVAL_ADDR",
    "INVOICE_URL",
    "PUBLIC_URL",
    "OUTBOX_POLL_MS",
    "APPROVAL_DUE_HOURS",
    "APPROVAL_TOKEN_SECRET",
    "APPROVAL_TOKEN_TTL_HOURS",
    "APPROVAL_ESCALATION_ROLE",
    "APPROVAL_SLA_INTERVAL_SECS",
    "MAIL_ENABLED",
    "SMTP_URL",
    "MAIL_FROM",
    "MAIL_POLL_MS",
];

const ASKAI: &[&str] = &[
    "ASKAI_ADDR",
    "ASKAI_STATEMENT_TIMEOUT_MS",
    "ASKAI_WORK_MEM_KB",
    "ASKAI_SUMMARIES",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_TIMEOUT_SECS",
];

const GATEWAY: &[&str] = &[
    "GATEWAY_ADDR",
    "INVOICE_URL",
    "PAYMENT_URL",
    "APPROVAL_URL",
    "ASKAI_URL",
    "WEB_DIR",
    "API_DOCS_ENABLED",
    "CORS_ORIGINS",
    "TRUSTED_PROXIES",
    "UPLOAD_MAX_BYTES",
    "RATE_LIMIT_LOGIN_PER_MIN",
    "RATE_LIMIT_UPLOAD_PER_MIN",
    "RATE_LIMIT_ASKAI_PER_MIN",
    "RATE_LIMIT_GENERAL_PER_MIN",
    "PORTAL_VERIFY_CACHE_SECS",
];

impl Process {
    pub const ALL: [Process; 7] = [
        Process::Migrate,
        Process::Auth,
        Process::Invoice,
        Process::Payment,
        Process::Approval,
        Process::Askai,
        Process::Gateway,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Process::Migrate => "migrate",
            Process::Auth => "auth",
            Process::Invoice => "invoice",
            Process::Payment => "payment",
            Process::Approval => "approval",
            Process::Askai => "askai",
            Process::Gateway => "gateway",
        }
    }

    /// The service identity whose `SERVICE_KEY_<NAME>` this process signs with.
    fn identity(self) -> Option<&'static str> {
        (self != Process::Migrate).then(|| self.name())
    }

    /// Every variable [`Config`] reads for this process (libraries' own: [`LIBRARY_VARS`]).
    pub fn vars(self) -> Vec<&'static str> {
        let own: &[&[&str]] = match self {
            Process::Migrate => &[&["APP_ENV"], DATABASE],
            Process::Auth => &[SERVING, DATABASE, AUTH],
            Process::Invoice => &[SERVING, DATABASE, INVOICE],
            Process::Payment => &[SERVING, DATABASE, PAYMENT],
            Process::Approval => &[SERVING, DATABASE, APPROVAL],
            Process::Askai => &[SERVING, DATABASE, ASKAI],
            Process::Gateway => &[SERVING, GATEWAY],
        };
        let mut vars: Vec<&'static str> = own.iter().flat_map(|v| v.iter().copied()).collect();
        if let Some(me) = self.identity() {
            for (name, private_var, public_var) in SERVICE_KEY_VARS {
                if *name == me {
                    vars.push(private_var);
                }
                vars.push(public_var);
            }
        }
        let mut seen = std::collections::HashSet::new();
        vars.retain(|v| seen.insert(*v));
        vars
    }

    /// Whether this process reads `var` (through [`Config`] or a library).
    pub fn reads(self, var: &str) -> bool {
        self.vars().contains(&var)
            || LIBRARY_VARS
                .iter()
                .any(|(v, procs)| *v == var && procs.contains(&self))
    }
}

impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Process {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Process::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<_> = Process::ALL.iter().map(|p| p.name()).collect();
                format!("unknown process {s:?} (one of {})", names.join(", "))
            })
    }
}

impl ConfigError {
    /// The variable at fault.
    pub fn var(&self) -> &'static str {
        match self {
            ConfigError::Missing { var }
            | ConfigError::Invalid { var, .. }
            | ConfigError::Weak { var, .. } => var,
        }
    }
}

impl Config {
    /// The process environment, validated against `process`'s contract.
    pub fn from_env_for(process: Process) -> Result<Self, ConfigErrors> {
        let vars: std::collections::HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup_for(process, |k| vars.get(k).cloned())
    }

    /// Any key/value source, validated against `process`'s contract: problems with
    /// variables this process does not read are left to the processes that do.
    pub fn from_lookup_for(
        process: Process,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigErrors> {
        let (config, errors) = Self::load(get);
        let errors = config.contract_errors(process, errors);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    fn contract_errors(&self, process: Process, errors: Vec<ConfigError>) -> Vec<ConfigError> {
        let vars = process.vars();
        let mut errors: Vec<ConfigError> = errors
            .into_iter()
            .filter(|e| vars.contains(&e.var()))
            .collect();
        if !self.app_env.is_production() {
            return errors;
        }
        // Keys that only their own process must have (the shared loader cannot know whose
        // they are: a private key that is not mounted counts as unset).
        if process == Process::Auth && self.jwt_private_key.is_none() {
            errors.push(ConfigError::Missing {
                var: "JWT_PRIVATE_KEY",
            });
        }
        if let Some(me) = process.identity()
            && !self.service_keys.has_private(me)
            && let Some((_, private_var, _)) = SERVICE_KEY_VARS.iter().find(|(n, _, _)| *n == me)
            && !errors.iter().any(|e| e.var() == *private_var)
        {
            errors.push(ConfigError::Missing { var: private_var });
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    /// A complete, strong production environment for every process.
    fn production() -> HashMap<String, String> {
        let mut env: HashMap<String, String> = [
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://ap:pw@db:5432/ap"),
            (
                "APPROVAL_TOKEN_SECRET",
                "q8Zr3Vx1Lm7Np0Ws5Ty2Hk9Bd4Fg6Jc-xyz",
            ),
            (
                "DATA_ENCRYPTION_KEY",
                "m4J8k2L0p9Q7r5S3t1U6v8W0x2Y4z6A8b0C2d4E6f8g=",
            ),
            ("MAIL_ENABLED", "true"),
            ("SMTP_URL", "smtp://mail:25"),
            ("MAIL_FROM", "AP <ap@example.com>"),
            ("ACH_IMMEDIATE_DESTINATION", "021000021"),
            ("ACH_IMMEDIATE_DESTINATION_NAME", "BANK"),
            ("ACH_IMMEDIATE_ORIGIN", "011000015"),
            ("ACH_IMMEDIATE_ORIGIN_NAME", "CO"),
            ("ACH_ODFI_ROUTING", "021000021"),
            ("ACH_COMPANY_NAME", "CO"),
            ("ACH_COMPANY_ID", "1234567890"),
            ("PAIN001_DEBTOR_NAME", "Co Ltd"),
            ("PAIN001_DEBTOR_IBAN", "DE89370400440532013000"),
            ("PAIN001_DEBTOR_BIC", "COBADEFFXXX"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let (private, public) = crate::token::generate_ed25519_pem().expect("jwt");
        env.insert("JWT_PRIVATE_KEY".into(), private.expose_secret().to_owned());
        env.insert("JWT_PUBLIC_KEY".into(), public);
        for (_, private_var, public_var) in SERVICE_KEY_VARS {
            let (private, public) = crate::token::generate_ed25519_pem().expect("keys");
            env.insert((*private_var).into(), private.expose_secret().to_owned());
            env.insert((*public_var).into(), public);
        }
        env
    }

    fn check(process: Process, env: &HashMap<String, String>) -> Vec<&'static str> {
        match Config::from_lookup_for(process, |k| env.get(k).cloned()) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(ConfigError::var).collect(),
        }
    }

    /// `env` with only `process`'s variables left, as its manifests give it.
    fn only(process: Process, env: &HashMap<String, String>) -> HashMap<String, String> {
        env.iter()
            .filter(|(k, _)| process.reads(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    #[test]
    fn every_process_starts_with_exactly_its_own_contract() {
        let env = production();
        for process in Process::ALL {
            assert_eq!(
                check(process, &only(process, &env)),
                Vec::<&str>::new(),
                "{process}"
            );
        }
        assert!(Config::from_lookup(|k| env.get(k).cloned()).is_ok());
    }

    #[test]
    fn secrets_are_required_only_where_they_are_used() {
        let mut env = production();
        for var in [
            "JWT_PRIVATE_KEY",
            "DATA_ENCRYPTION_KEY",
            "SMTP_URL",
            "APPROVAL_TOKEN_SECRET",
            "ACH_COMPANY_ID",
        ] {
            env.remove(var);
        }
        assert_eq!(check(Process::Auth, &env), ["JWT_PRIVATE_KEY"]);
        assert_eq!(check(Process::Invoice, &env), ["DATA_ENCRYPTION_KEY"]);
        assert_eq!(
            check(Process::Payment, &env),
            ["ACH_COMPANY_ID", "DATA_ENCRYPTION_KEY"]
        );
        assert_eq!(
            check(Process::Approval, &env),
            ["APPROVAL_TOKEN_SECRET", "SMTP_URL"]
        );
        assert_eq!(check(Process::Askai, &env), Vec::<&str>::new());
        assert_eq!(check(Process::Gateway, &env), Vec::<&str>::new());
        env.remove("DATABASE_URL");
        assert_eq!(
            check(Process::Gateway, &env),
            Vec::<&str>::new(),
            "no database"
        );
        assert_eq!(check(Process::Migrate, &env), ["DATABASE_URL"]);
    }

    #[test]
    fn each_service_needs_its_own_signing_key_and_every_public_key() {
        let mut env = production();
        env.remove("SERVICE_KEY_PAYMENT");
        env.remove("SERVICE_PUBLIC_KEY_ASKAI");
        assert_eq!(
            check(Process::Payment, &env),
            ["SERVICE_PUBLIC_KEY_ASKAI", "SERVICE_KEY_PAYMENT"]
        );
        assert_eq!(check(Process::Invoice, &env), ["SERVICE_PUBLIC_KEY_ASKAI"]);
        assert_eq!(check(Process::Migrate, &env), Vec::<&str>::new());
    }

    #[test]
    fn weak_secrets_are_reported_by_the_process_that_uses_them() {
        let mut env = production();
        env.insert("APPROVAL_TOKEN_SECRET".into(), "change-me".into());
        assert_eq!(check(Process::Approval, &env), ["APPROVAL_TOKEN_SECRET"]);
        assert_eq!(check(Process::Invoice, &env), Vec::<&str>::new());
    }

    /// Variables read outside `Config` and the libraries: the `apctl` tools' own.
    const APCTL_VARS: &[&str] = &["APCTL_PASSWORD"];
    /// Read only by tests, benchmarks or demo seeding (refused in production).
    const NOT_DEPLOYMENT: &[&str] = &["UPDATE_OPENAPI", "AP_CORPUS_DIR"];

    fn workspace() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// Every `"UPPER_CASE"` literal of a Rust file, up to its test module.
    fn names_in(path: &std::path::Path, out: &mut std::collections::BTreeSet<String>) {
        let text = std::fs::read_to_string(path).expect("source");
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, _) in text.match_indices('"') {
            let rest = &text[i + 1..];
            let Some(end) = rest.find('"') else { break };
            let word = &rest[..end];
            if word.len() > 3
                && word.contains('_')
                && word.starts_with(|c: char| c.is_ascii_uppercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                out.insert(word.to_owned());
            }
        }
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// What the code reads: the names in the configuration loader, and every
    /// `std::env::var("...")` in the processes' own sources.
    fn read_by_code() -> std::collections::BTreeSet<String> {
        let root = workspace();
        let mut names = std::collections::BTreeSet::new();
        let config = root.join("crates/ap-kit/src/config");
        names_in(&root.join("crates/ap-kit/src/config.rs"), &mut names);
        for entry in std::fs::read_dir(&config).expect("config dir").flatten() {
            if entry.file_name() != "contract.rs" {
                names_in(&entry.path(), &mut names);
            }
        }
        let mut files = Vec::new();
        for dir in ["cli/src", "gateway/src", "services", "crates/ap-kit/src"] {
            rust_files(&root.join(dir), &mut files);
        }
        for file in files {
            let path = file.to_string_lossy();
            if path.contains("/tests/")
                || path.contains("/examples/")
                || path.contains("/benches/")
                || path.ends_with("config/contract.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("source");
            for (i, _) in text.match_indices("env::var(\"") {
                let rest = &text[i + "env::var(\"".len()..];
                if let Some(end) = rest.find('"') {
                    names.insert(rest[..end].to_owned());
                }
            }
        }
        for skip in NOT_DEPLOYMENT {
            names.remove(*skip);
        }
        names
    }

    /// `.env.prod.example`: variable -> the processes of its `== for: ... ==` section, and
    /// any variable without a one-line meaning right above it.
    fn documented() -> (std::collections::BTreeMap<String, Vec<String>>, Vec<String>) {
        let text = std::fs::read_to_string(workspace().join(".env.prod.example")).expect("example");
        let mut section: Option<Vec<String>> = None;
        let mut meaning_above = false;
        let mut vars = std::collections::BTreeMap::new();
        let mut unexplained = Vec::new();
        for line in text.lines() {
            if let Some(list) = line
                .strip_prefix("# == for: ")
                .and_then(|l| l.strip_suffix(" =="))
            {
                section = Some(list.split(',').map(|p| p.trim().to_owned()).collect());
                meaning_above = false;
                continue;
            }
            let assignment = line.strip_prefix("# ").unwrap_or(line);
            let name = assignment.split_once('=').map(|(n, _)| n).filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            });
            match name {
                Some(name) => {
                    let processes = section.clone().expect("every variable is under a section");
                    assert!(
                        vars.insert(name.to_owned(), processes).is_none(),
                        "{name} is documented twice"
                    );
                    if !meaning_above {
                        unexplained.push(name.to_owned());
                    }
                    meaning_above = false;
                }
                None => meaning_above = line.starts_with("# "),
            }
        }
        (vars, unexplained)
    }

    #[test]
    fn the_example_env_documents_exactly_what_the_code_reads_grouped_by_process() {
        let read = read_by_code();
        let mut contracts: std::collections::BTreeSet<String> = Process::ALL
            .iter()
            .flat_map(|p| p.vars())
            .map(str::to_owned)
            .collect();
        // The loader reads what the contracts list, and nothing more.
        let loader_only: Vec<_> = read
            .iter()
            .filter(|v| !contracts.contains(*v) && !APCTL_VARS.contains(&v.as_str()))
            .collect();
        assert!(
            loader_only.is_empty(),
            "read but in no process contract: {loader_only:?}"
        );
        let never_read: Vec<_> = contracts.iter().filter(|v| !read.contains(*v)).collect();
        assert!(
            never_read.is_empty(),
            "in a contract but never read: {never_read:?}"
        );

        let (docs, unexplained) = documented();
        assert!(
            unexplained.is_empty(),
            "no one-line meaning above: {unexplained:?}"
        );
        contracts.extend(LIBRARY_VARS.iter().map(|(v, _)| (*v).to_owned()));
        contracts.extend(APCTL_VARS.iter().map(|v| (*v).to_owned()));
        let undocumented: Vec<_> = contracts
            .iter()
            .filter(|v| !docs.contains_key(*v))
            .collect();
        assert!(
            undocumented.is_empty(),
            "read but not documented: {undocumented:?}"
        );
        let unread: Vec<_> = docs.keys().filter(|v| !contracts.contains(*v)).collect();
        assert!(unread.is_empty(), "documented but never read: {unread:?}");
        for (var, listed) in &docs {
            let mut readers: Vec<String> = Process::ALL
                .iter()
                .filter(|p| p.reads(var))
                .map(|p| p.name().to_owned())
                .collect();
            if APCTL_VARS.contains(&var.as_str()) {
                readers.push("apctl".into());
            }
            let mut listed = listed.clone();
            listed.sort();
            readers.sort();
            assert_eq!(
                listed, readers,
                "{var}: documented for {listed:?}, read by {readers:?}"
            );
        }
    }

    #[test]
    fn process_names_parse() {
        for p in Process::ALL {
            assert_eq!(p.name().parse::<Process>(), Ok(p));
        }
        assert!("all".parse::<Process>().is_err());
    }
}
