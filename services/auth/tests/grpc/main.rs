//! The auth service over real gRPC (no gateway in front): it authenticates and authorizes
//! every call itself, maps outcomes to the right codes, and serves health and reflection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ap_kit::Config;
use ap_kit::audit::RequestContext;
use ap_proto::auth::v1 as pb;
use ap_proto::auth::v1::auth_service_client::AuthServiceClient;
use ap_test_support::TestDb;
use secrecy::{ExposeSecret, SecretString};
use tonic::Code;
use tonic::transport::Channel;

struct Service {
    client: AuthServiceClient<Channel>,
    channel: Channel,
    app: ap_auth::AuthApp,
    _db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn spawn(extra: &[(&str, &str)]) -> Service {
    let db = TestDb::new("auth", |url| async move { ap_auth::migrate(&url).await }).await;
    let (private, public) = ap_kit::token::generate_ed25519_pem().expect("keys");
    let mut env: HashMap<String, String> = HashMap::from([
        ("APP_ENV".into(), "test".into()),
        ("DATABASE_URL".into(), db.url().to_owned()),
        ("JWT_PRIVATE_KEY".into(), private.expose_secret().to_owned()),
        ("JWT_PUBLIC_KEY".into(), public),
    ]);
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("config");
    let server = ap_auth::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("build")
        .with_health_interval(Duration::from_millis(100));
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let channel =
        ap_kit::grpc::channel(&format!("http://{addr}"), Duration::from_secs(10)).expect("channel");
    let pool = ap_kit::db::connect_pool(db.url(), ap_auth::SCHEMA, 2).expect("pool");
    let app = ap_auth::build_app(&config, pool).expect("app");
    Service {
        client: AuthServiceClient::new(channel.clone()),
        channel,
        app,
        _db: db,
        _stop: tx,
    }
}

impl Service {
    async fn user(&self, role: &str) -> (String, String) {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        self.app
            .create_user_unchecked(
                ap_auth::app::NewUser {
                    email: email.clone(),
                    name: "T".into(),
                    password: SecretString::from("a-long-test-password".to_owned()),
                    role: role.into(),
                },
                &RequestContext::default(),
            )
            .await
            .expect("user");
        let tokens = self
            .client
            .clone()
            .login(pb::LoginRequest {
                email: email.clone(),
                password: "a-long-test-password".into(),
            })
            .await
            .expect("login")
            .into_inner();
        (email, tokens.access_token)
    }
}

fn with_token<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("meta"),
    );
    req
}

fn new_user() -> pb::CreateUserRequest {
    pb::CreateUserRequest {
        email: "someone@example.com".into(),
        name: "Someone".into(),
        password: "a-long-test-password".into(),
        role: "ADMIN".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_refuses_admin_calls_without_a_valid_admin_token_even_past_the_gateway() {
    let svc = spawn(&[]).await;
    let mut client = svc.client.clone();

    let err = client.create_user(new_user()).await.expect_err("no token");
    assert_eq!(err.code(), Code::Unauthenticated);

    let (_, clerk) = svc.user("AP_CLERK").await;
    let err = client
        .create_user(with_token(new_user(), &clerk))
        .await
        .expect_err("clerk");
    assert_eq!(err.code(), Code::PermissionDenied);

    // A role header is not a credential.
    let mut req = with_token(new_user(), &clerk);
    req.metadata_mut()
        .insert("x-role", "ADMIN".parse().expect("meta"));
    assert_eq!(
        client.create_user(req).await.expect_err("header").code(),
        Code::PermissionDenied
    );

    let (_, admin) = svc.user("ADMIN").await;
    let created = client
        .create_user(with_token(new_user(), &admin))
        .await
        .expect("admin")
        .into_inner();
    assert_eq!(created.role, "ADMIN");
    let dup = client
        .create_user(with_token(new_user(), &admin))
        .await
        .expect_err("dup");
    assert_eq!(dup.code(), Code::AlreadyExists);
}

#[tokio::test(flavor = "multi_thread")]
async fn lockout_policy_is_configurable() {
    let svc = spawn(&[("LOGIN_MAX_FAILURES", "2"), ("LOGIN_LOCKOUT_SECS", "1")]).await;
    let (email, _) = svc.user("AP_CLERK").await;
    let mut client = svc.client.clone();
    let bad = || pb::LoginRequest {
        email: email.clone(),
        password: "wrong-password!".into(),
    };
    assert_eq!(
        client.login(bad()).await.expect_err("1").code(),
        Code::Unauthenticated
    );
    assert_eq!(
        client.login(bad()).await.expect_err("2").code(),
        Code::Unauthenticated
    );
    let good = pb::LoginRequest {
        email: email.clone(),
        password: "a-long-test-password".into(),
    };
    assert_eq!(
        client.login(good.clone()).await.expect_err("locked").code(),
        Code::ResourceExhausted
    );
    // The lock lapses after its duration.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.login(good).await.expect("lock lapsed");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_reflection_are_served() {
    let svc = spawn(&[]).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(svc.channel.clone());
    let mut status = -1;
    for _ in 0..50 {
        if let Ok(r) = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: "ap.auth.v1.AuthService".into(),
            })
            .await
        {
            status = r.into_inner().status;
            if status == 1 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 1, "SERVING");

    use tokio_stream::StreamExt;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(svc.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .expect("reflection")
        .into_inner();
    let resp = stream.next().await.expect("one").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("list")
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "ap.auth.v1.AuthService")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_and_hashes_never_reach_the_logs() {
    let logs = ap_test_support::capture_logs();
    let svc = spawn(&[]).await;
    let (_, admin) = svc.user("ADMIN").await;
    let mut client = svc.client.clone();
    let _ = client
        .login(pb::LoginRequest {
            email: "x@example.com".into(),
            password: "my-secret-attempt".into(),
        })
        .await;
    client
        .create_user(with_token(new_user(), &admin))
        .await
        .expect("create");
    let text = logs.contents();
    assert!(!text.contains("my-secret-attempt"));
    assert!(!text.contains("a-long-test-password"));
    assert!(!text.contains("$argon2"));
    assert!(!text.contains(&admin), "access tokens are not logged");
}
