//! `TestApp`: spawns the auth, invoice, payment and askai services and the gateway on loopback port 0
//! against a fresh database, plus helpers to seed users and log in.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::audit::RequestContext;
use ap_test_support::{LogCapture, TestDb, capture_logs};
use ap_types::Role;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const PASSWORD: &str = "a-long-test-password";

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub auth: ap_auth::AuthApp,
    pub logs: LogCapture,
    pub private_key: SecretString,
    /// Where the invoice service stores documents in this test.
    pub storage_dir: std::path::PathBuf,
    _shutdown: watch::Sender<bool>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.storage_dir);
    }
}

pub async fn test_db() -> TestDb {
    TestDb::new("gateway", |url| async move {
        ap_auth::migrate(&url).await?;
        ap_invoice::migrate(&url).await?;
        ap_payment::migrate(&url).await?;
        ap_approval::migrate(&url).await?;
        // Last: its reporting views read the other services' tables.
        ap_askai::migrate(&url).await
    })
    .await
}

/// Config for a test: fresh keys, the test database, generous general rate limit.
pub fn test_config(db: &TestDb, extra: &[(&str, &str)]) -> (Config, SecretString) {
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let mut env: HashMap<String, String> = HashMap::from([
        ("APP_ENV".into(), "test".into()),
        ("DATABASE_URL".into(), db.url().to_owned()),
        ("JWT_PRIVATE_KEY".into(), private.expose_secret().to_owned()),
        ("JWT_PUBLIC_KEY".into(), public),
        ("RATE_LIMIT_GENERAL_PER_MIN".into(), "100000".into()),
        ("DATABASE_MAX_CONNECTIONS".into(), "8".into()),
        ("OUTBOX_POLL_MS".into(), "50".into()),
        (
            "DATA_ENCRYPTION_KEY".into(),
            ap_invoice::crypto::DataCipher::generate_key()
                .expose_secret()
                .to_owned(),
        ),
        (
            "STORAGE_URL".into(),
            format!(
                "file://{}",
                std::env::temp_dir()
                    .join(format!("ap-objects-{}", db.name()))
                    .display()
            ),
        ),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    (
        Config::from_lookup(|k| env.get(k).cloned()).expect("config"),
        private,
    )
}

async fn stop(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[], None).await
    }

    /// `extra_routes` are merged under the standard layers (to test e.g. panics).
    pub async fn spawn_with(
        extra_env: &[(&str, &str)],
        extra_routes: Option<axum::Router>,
    ) -> TestApp {
        let logs = capture_logs();
        // reqwest may be built with rustls (the LLM client needs it); one provider for all.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let db = test_db().await;
        let (mut config, private_key) = test_config(&db, extra_env);
        let (tx, rx) = watch::channel(false);

        let auth = ap_auth::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("auth service")
            .with_health_interval(Duration::from_millis(200));
        config.services.auth_url = format!("http://{}", auth.local_addr());
        tokio::spawn(auth.run_until(stop(rx.clone())));
        // Invoice and approval call each other: the approval listener is bound first.
        let approval_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind approval");
        config.services.approval_url =
            format!("http://{}", approval_listener.local_addr().expect("addr"));
        let invoice =
            ap_invoice::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("invoice service")
                .with_health_interval(Duration::from_millis(200));
        config.services.invoice_url = format!("http://{}", invoice.local_addr());
        tokio::spawn(invoice.run_until(stop(rx.clone())));
        let payment =
            ap_payment::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("payment service")
                .with_health_interval(Duration::from_millis(200));
        config.services.payment_url = format!("http://{}", payment.local_addr());
        tokio::spawn(payment.run_until(stop(rx.clone())));
        let approval = ap_approval::Application::build_on(&config, approval_listener)
            .await
            .expect("approval service")
            .with_health_interval(Duration::from_millis(200));
        tokio::spawn(approval.run_until(stop(rx.clone())));
        let askai = ap_askai::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("askai service")
            .with_health_interval(Duration::from_millis(200));
        config.services.askai_url = format!("http://{}", askai.local_addr());
        tokio::spawn(askai.run_until(stop(rx.clone())));

        let state = ap_gateway::build_state(&config).expect("gateway state");
        let mut routes = ap_gateway::routes(&state, config.api_docs_enabled);
        if let Some(extra) = extra_routes {
            routes = routes.merge(extra);
        }
        let router = ap_gateway::with_layers(routes, &config);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(ap_gateway::serve(listener, router, stop(rx)));

        let pool = ap_kit::db::connect_pool(db.url(), ap_auth::SCHEMA, 2).expect("pool");
        let auth = ap_auth::build_app(&config, pool).expect("auth app");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        let storage_dir =
            std::path::PathBuf::from(config.storage_url.trim_start_matches("file://"));
        let app = TestApp {
            addr,
            http,
            db,
            auth,
            logs,
            private_key,
            storage_dir,
            _shutdown: tx,
        };
        app.wait_healthy().await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until the auth service reports its database as reachable.
    pub async fn wait_healthy(&self) {
        for _ in 0..100 {
            if let Ok(r) = self.http.get(self.url("/health")).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gateway never became healthy");
    }

    /// Creates a user with `role` straight through the auth use-case layer.
    pub async fn seed_user(&self, role: Role) -> String {
        let email = format!(
            "{}-{}@example.com",
            role.as_str().to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        self.auth
            .create_user_unchecked(
                ap_auth::app::NewUser {
                    email: email.clone(),
                    name: format!("Test {role}"),
                    password: SecretString::from(PASSWORD.to_owned()),
                    role: role.as_str().to_owned(),
                },
                &RequestContext::default(),
            )
            .await
            .expect("seed user");
        email
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Logs in and returns the token pair as JSON.
    pub async fn tokens(&self, email: &str) -> Value {
        let r = self.login(email, PASSWORD).await;
        assert_eq!(r.status(), 200, "login of {email} failed");
        r.json().await.expect("json")
    }

    /// A user of `role` and their access token.
    pub async fn user_with_token(&self, role: Role) -> (String, String) {
        let email = self.seed_user(role).await;
        let tokens = self.tokens(&email).await;
        (
            email,
            tokens["access_token"].as_str().expect("token").to_owned(),
        )
    }

    /// The id of the user with `email`, read from the auth schema.
    pub async fn user_id(&self, email: &str) -> String {
        self.db
            .client()
            .await
            .query_one(
                "SELECT id::text FROM auth.users WHERE email = $1",
                &[&email],
            )
            .await
            .expect("user")
            .get(0)
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/auth/refresh"))
            .json(&serde_json::json!({"refresh_token": refresh_token}))
            .send()
            .await
            .expect("refresh request")
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Audit actions recorded in the auth schema for `entity_id` (or all when None), in order.
    pub async fn audit_actions(&self) -> Vec<String> {
        self.db
            .client()
            .await
            .query("SELECT action FROM auth.audit_log ORDER BY seq", &[])
            .await
            .expect("audit")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

/// Asserts an error body of the house format, with `detail` exactly as given.
pub async fn assert_error(resp: reqwest::Response, status: u16, detail: &str) -> Value {
    assert_eq!(resp.status(), status);
    let rid = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id on every response");
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["detail"], detail, "{body}");
    assert!(body["code"].is_string(), "{body}");
    assert_eq!(body["request_id"], rid.as_str(), "{body}");
    body
}

/// One JSON request with a bearer token.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

/// The JSON body, after asserting the status.
pub async fn ok_json(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(got, status, "{body}");
    body
}

/// A local SMTP sink: speaks enough SMTP for lettre and keeps every message it accepts.
pub async fn smtp_sink() -> (String, std::sync::Arc<tokio::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind smtp");
    let addr = listener.local_addr().expect("addr");
    let got = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            let _ = write.write_all(b"354 end with .\r\n").await;
                            let mut message = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                message.push_str(&l);
                                message.push('\n');
                            }
                            store.lock().await.push(message);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}
