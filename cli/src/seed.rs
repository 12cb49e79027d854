//! Demo data and user creation from the command line.

use ap_kit::audit::RequestContext;
use secrecy::SecretString;

pub const DEMO_PASSWORD: &str = "demo-password";

/// The five demo accounts, one per role.
pub const DEMO_USERS: &[(&str, &str, &str)] = &[
    ("admin@example.com", "Ada Admin", "ADMIN"),
    // Payment runs need a second admin to approve what the first one created.
    ("admin2@example.com", "Second Admin", "ADMIN"),
    ("analyst@example.com", "Ana Analyst", "AP_ANALYST"),
    ("approver@example.com", "Abe Approver", "APPROVER"),
    ("clerk@example.com", "Cleo Clerk", "AP_CLERK"),
    ("auditor@example.com", "Audrey Auditor", "AUDITOR"),
];

fn auth_app(config: &ap_kit::Config) -> anyhow::Result<ap_auth::AuthApp> {
    let pool = ap_kit::db::connect_pool(config.database_url(), ap_auth::SCHEMA, 2)?;
    ap_auth::build_app(config, pool)
}

/// Idempotent: accounts that already exist are left as they are.
pub async fn demo(config: &ap_kit::Config) -> anyhow::Result<()> {
    let app = auth_app(config)?;
    let ctx = RequestContext {
        request_id: Some("seed-demo".into()),
        ..Default::default()
    };
    for (email, name, role) in DEMO_USERS {
        let new = ap_auth::app::NewUser {
            email: (*email).to_owned(),
            name: (*name).to_owned(),
            password: SecretString::from(DEMO_PASSWORD.to_owned()),
            role: (*role).to_owned(),
        };
        match app.create_user_unchecked(new, &ctx).await {
            Ok(_) => println!("created {email} ({role})"),
            Err(ap_auth::app::AppError::DuplicateEmail) => println!("exists  {email} ({role})"),
            Err(e) => return Err(anyhow::anyhow!("seeding {email}: {e}")),
        }
    }
    let id = |email: &'static str| {
        let app = app.clone();
        async move {
            app.find_user_id(email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .ok_or_else(|| anyhow::anyhow!("demo user {email} missing"))
        }
    };
    let users = crate::demo::DemoUsers {
        admin: id("admin@example.com").await?,
        analyst: id("analyst@example.com").await?,
        clerk: id("clerk@example.com").await?,
    };
    // The matrix first: invoices awaiting approval are routed by it once the services start.
    crate::demo_approvals::seed(config, users.admin).await?;
    let pool = ap_kit::db::connect_pool(config.database_url(), ap_invoice::SCHEMA, 2)?;
    let invoices = ap_invoice::build_app(config, pool)?;
    crate::demo::seed(&invoices, &users).await?;
    let payment_users = crate::demo_payments::PaymentDemoUsers {
        admin: users.admin,
        clerk: users.clerk,
    };
    crate::demo_payments::seed(config, &invoices, &payment_users).await
}

pub async fn create_user(
    config: &ap_kit::Config,
    email: String,
    name: String,
    role: String,
) -> anyhow::Result<()> {
    let password = match std::env::var("APCTL_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("password (read from standard input):");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let app = auth_app(config)?;
    let ctx = RequestContext {
        request_id: Some("apctl-user-create".into()),
        ..Default::default()
    };
    let user = app
        .create_user_unchecked(
            ap_auth::app::NewUser {
                email,
                name,
                password: SecretString::from(password),
                role,
            },
            &ctx,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created user {} ({}) id {}", user.email, user.role, user.id);
    Ok(())
}
