//! `apctl` as an operator runs it: the real binary against a real database.

use std::process::{Command, Output};

use ap_test_support::TestDb;

fn apctl(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_apctl"));
    cmd.env_clear().env("RUST_LOG", "warn").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run apctl")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn db() -> TestDb {
    TestDb::new("cli", |url| async move {
        ap_auth::migrate(&url).await?;
        ap_invoice::migrate(&url).await
    })
    .await
}

#[test]
fn production_with_default_or_missing_secrets_refuses_to_start_naming_the_variables() {
    let out = apctl(
        &["serve", "all"],
        &[
            ("APP_ENV", "production"),
            ("DATABASE_URL", "postgres://ap@db/ap"),
            (
                "SERVICE_TOKEN_SECRET",
                "dev-service-token-secret-not-for-production",
            ),
        ],
    );
    assert!(!out.status.success());
    let msg = text(&out);
    // The old shared secret is refused outright; each service's public key is required.
    for var in [
        "SERVICE_TOKEN_SECRET",
        "JWT_PUBLIC_KEY",
        "SERVICE_PUBLIC_KEY_INVOICE",
    ] {
        assert!(msg.contains(var), "{var} not named in: {msg}");
    }
    assert!(
        !msg.contains("dev-service-token-secret"),
        "the secret itself is not echoed: {msg}"
    );
}

#[test]
fn demo_seeding_is_refused_in_production() {
    let out = apctl(&["seed", "--demo"], &[("APP_ENV", "production")]);
    assert!(!out.status.success());
}

#[test]
fn keys_generate_writes_a_private_key_only_its_owner_reads_and_never_overwrites_silently() {
    let dir = std::env::temp_dir().join(format!("apctl-keys-{}", uuid::Uuid::new_v4().simple()));
    let dir_s = dir.to_string_lossy().to_string();
    let out = apctl(&["keys", "generate", "--out", &dir_s], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let private = std::fs::read_to_string(dir.join("jwt_private.pem")).expect("private");
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("jwt_private.pem"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "private key must not be group/world readable"
        );
    }
    let public = std::fs::read_to_string(dir.join("jwt_public.pem")).expect("public");
    ap_kit::token::TokenVerifier::from_pem(&public).expect("public key loads");
    // One service-token key pair per service, private halves for their owner only.
    let service_private = dir.join("service_payment.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&service_private)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "service key must not be group/world readable"
        );
    }
    let payment = ap_kit::token::ServiceTokens::new(
        "payment",
        &secrecy::SecretString::from(std::fs::read_to_string(&service_private).expect("key")),
        &[(
            "payment".to_owned(),
            std::fs::read_to_string(dir.join("public/service_payment.pub.pem")).expect("public"),
        )],
    )
    .expect("service keys load");
    let token = payment.issue("payment").expect("issue");
    assert_eq!(
        payment.verify(&token, &["payment"]).as_deref(),
        Ok("payment")
    );
    let again = apctl(&["keys", "generate", "--out", &dir_s], &[]);
    assert!(!again.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("jwt_private.pem")).expect("private"),
        private
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn seeding_is_idempotent_and_audit_verify_reports_a_row_altered_behind_the_triggers_back() {
    let db = db().await;
    let objects = std::env::temp_dir().join(format!("apctl-objects-{}", db.name()));
    let storage = format!("file://{}", objects.display());
    let env = [
        ("DATABASE_URL", db.url()),
        ("STORAGE_URL", storage.as_str()),
    ];
    let first = apctl(&["seed", "--demo"], &env);
    assert!(first.status.success(), "{}", text(&first));
    let second = apctl(&["seed", "--demo"], &env);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("exists  admin@example.com"));

    let client = db.client().await;
    let users: i64 = client
        .query_one("SELECT count(*) FROM auth.users", &[])
        .await
        .expect("n")
        .get(0);
    // One per role, plus the second admin who approves payment runs.
    assert_eq!(users, 6);

    let ok = apctl(&["audit", "verify"], &env);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("auth: intact (6 rows)"), "{}", text(&ok));
    assert!(text(&ok).contains("invoice: intact"), "{}", text(&ok));
    assert!(text(&ok).contains("payment: intact"), "{}", text(&ok));
    assert!(text(&ok).contains("askai: intact"), "{}", text(&ok));
    assert!(
        text(&second).contains("exists  demo payment run"),
        "{}",
        text(&second)
    );

    client
        .batch_execute(
            "SET session_replication_role = replica; \
             UPDATE auth.audit_log SET after_data = jsonb_set(after_data, '{role}', '\"ADMIN\"') WHERE seq = 4;",
        )
        .await
        .expect("tamper as superuser");
    let broken = apctl(&["audit", "verify"], &env);
    assert!(!broken.status.success());
    let msg = text(&broken);
    assert!(msg.contains("auth: BROKEN at row 4"), "{msg}");
    let _ = std::fs::remove_dir_all(objects);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_create_reads_the_password_from_the_environment_and_enforces_policy() {
    let db = db().await;
    let weak = apctl(
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
        ],
        &[("DATABASE_URL", db.url()), ("APCTL_PASSWORD", "short")],
    );
    assert!(!weak.status.success());
    let ok = apctl(
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
            "--role",
            "AUDITOR",
        ],
        &[
            ("DATABASE_URL", db.url()),
            ("APCTL_PASSWORD", "a-long-enough-password"),
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let role: String = db
        .client()
        .await
        .query_one(
            "SELECT role FROM auth.users WHERE email = 'ops@example.com'",
            &[],
        )
        .await
        .expect("user")
        .get(0);
    assert_eq!(role, "AUDITOR");
}

/// A local S3 (moto, from PyPI) on a free loopback port, stopped when dropped.
struct FakeS3 {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for FakeS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fake_s3() -> Option<FakeS3> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(FakeS3 { child, endpoint });
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    None
}

/// Minimal HTTP/1.1 call to the fake (plain TCP, no client library involved in the check).
fn http(endpoint: &str, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect fake s3");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("read");
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_go_to_s3_through_the_real_client_when_storage_is_s3() {
    if std::env::var("AP_SKIP_S3").is_ok() {
        eprintln!("skipped: AP_SKIP_S3 is set");
        return;
    }
    let s3 = fake_s3()
        .expect("moto_server is required (pip install 'moto[server]'), or set AP_SKIP_S3=1");
    assert!(http(&s3.endpoint, "PUT", "/ap-documents").starts_with("HTTP/1.1 200"));
    let db = db().await;
    let env = [
        ("DATABASE_URL", db.url()),
        ("STORAGE_URL", "s3://ap-documents/demo"),
        ("AWS_ENDPOINT", s3.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let out = apctl(&["seed", "--demo"], &env);
    assert!(out.status.success(), "{}", text(&out));
    let client = db.client().await;
    let documents: i64 = client
        .query_one("SELECT count(*) FROM invoice.documents", &[])
        .await
        .expect("n")
        .get(0);
    assert!(documents >= 4);
    let listing = http(
        &s3.endpoint,
        "GET",
        "/ap-documents?list-type=2&prefix=demo/documents/",
    );
    let stored = listing.matches("<Key>demo/documents/").count();
    assert_eq!(
        i64::try_from(stored).expect("count"),
        documents,
        "{listing} / {}",
        text(&out)
    );
}

#[test]
fn config_check_names_what_each_process_lacks_and_nothing_else() {
    let env = [
        ("APP_ENV", "production"),
        ("DATABASE_URL", "postgres://ap@db/ap"),
    ];
    let out = apctl(&["config", "check", "--service", "migrate"], &env);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("migrate: ok"), "{}", text(&out));

    let out = apctl(&["config", "check", "--service", "gateway"], &env);
    assert!(!out.status.success(), "{}", text(&out));
    let gateway = text(&out);
    for var in [
        "JWT_PUBLIC_KEY",
        "SERVICE_PUBLIC_KEY_AUTH",
        "SERVICE_KEY_GATEWAY",
    ] {
        assert!(gateway.contains(var), "{var} missing from {gateway}");
    }
    for var in [
        "DATABASE_URL",
        "DATA_ENCRYPTION_KEY",
        "SMTP_URL",
        "JWT_PRIVATE_KEY",
    ] {
        assert!(
            !gateway.contains(var),
            "the gateway does not read {var}: {gateway}"
        );
    }

    let out = apctl(&["config", "check", "--service", "invoice"], &env);
    let invoice = text(&out);
    assert!(!out.status.success() && invoice.contains("invoice: DATA_ENCRYPTION_KEY is required"));
    assert!(!invoice.contains("APPROVAL_TOKEN_SECRET"), "{invoice}");

    // Every process at once: each problem under the process that has it.
    let out = apctl(&["config", "check"], &env);
    let all = text(&out);
    assert!(!out.status.success());
    assert!(all.contains("migrate: ok"), "{all}");
    assert!(
        all.contains("approval: APPROVAL_TOKEN_SECRET is required"),
        "{all}"
    );
    assert!(all.contains("auth: JWT_PRIVATE_KEY is required"), "{all}");

    let out = apctl(&["config", "vars", "--service", "gateway"], &[]);
    let vars = text(&out);
    assert!(vars.lines().any(|l| l == "GATEWAY_ADDR"), "{vars}");
    assert!(!vars.lines().any(|l| l == "DATABASE_URL"), "{vars}");
}
