//! Benchmark: a payment run of 10,000 approved invoices (500 vendors) with its NACHA file,
//! end to end against PostgreSQL and the invoice service over gRPC on loopback.
//!
//! ```sh
//! . scripts/postgres.sh
//! cargo run --release -p ap-payment --example bench_run [-- INVOICES]
//! ```
//!
//! It creates its own database `ap_bench_payment` (dropped first), seeds vendors with
//! encrypted US bank accounts and approved invoices with `generate_series`, then times:
//! - the selection and file kernels alone (no I/O);
//! - create (list payables, plan, store 10,000 items, schedule the invoices);
//! - approve (a second admin);
//! - execute (decrypt payees, write and encrypt the NACHA file, record 10,000 payments, mark
//!   the invoices paid through the invoice service).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Instant;

use ap_kit::audit::RequestContext;
use ap_kit::token::Principal;
use ap_payment::app::Caller;
use ap_payment::domain::files::{self, FileContext, PayeeDetails, Payout};
use ap_payment::domain::selection::{self, AccountKind, Payable, PayeeAccount, RunParams};
use ap_payment::domain::{FileFormat, Method};
use ap_types::{Role, SessionId, UserId};
use secrecy::ExposeSecret;
use uuid::Uuid;

const VENDORS: usize = 500;

fn admin(email: &str) -> Caller {
    Caller {
        principal: Principal {
            user_id: UserId::new(),
            role: Role::Admin,
            email: email.to_owned(),
            session_id: SessionId::new(),
            token_id: "bench".into(),
        },
        ctx: RequestContext::default(),
        idempotency_key: None,
    }
}

fn kernels(n: usize, config: &ap_kit::Config) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let payables: Vec<Payable> = (0..n)
        .map(|i| Payable {
            invoice_id: Uuid::now_v7(),
            invoice_number: Some(format!("INV-{i:06}")),
            vendor_id: Some(Uuid::from_u128((i % VENDORS) as u128 + 1)),
            vendor_name: format!("Vendor {:04}", i % VENDORS),
            currency: "USD".into(),
            amount_due: Some(rust_decimal::Decimal::new(10_000 + i as i64, 2)),
            invoice_date: today.checked_sub_days(chrono::Days::new(5 + (i % 40) as u64)),
            due_date: None,
            payment_terms: Some("2/10 net 30".into()),
            blocking_exceptions: 0,
            account: Some(PayeeAccount {
                id: Uuid::from_u128((i % VENDORS) as u128 + 1),
                kind: AccountKind::Us,
                verified: true,
                is_initial: true,
            }),
        })
        .collect();
    let params = RunParams {
        currency: "USD",
        method: Method::Ach,
        pay_by_date: today,
        payment_date: today,
        next_run_date: today + chrono::Days::new(7),
    };
    let t = Instant::now();
    let plan = selection::plan(&params, &payables, &HashSet::new());
    let planned = t.elapsed();
    let payees: HashMap<Uuid, PayeeDetails> = (0..VENDORS)
        .map(|v| {
            let id = Uuid::from_u128(v as u128 + 1);
            (
                id,
                PayeeDetails {
                    vendor_id: id,
                    account_id: id,
                    iban: None,
                    bic: None,
                    routing_number: Some("026009593".into()),
                    account_number: Some(format!("{:012}", v + 1000)),
                },
            )
        })
        .collect();
    let payouts: Vec<Payout> = plan
        .items
        .iter()
        .enumerate()
        .map(|(i, p)| Payout {
            seq: i as u32 + 1,
            payment_id: Uuid::now_v7(),
            vendor_id: p.vendor_id,
            vendor_name: p.vendor_name.clone(),
            invoice_number: p.invoice_number.clone(),
            amount: p.net,
        })
        .collect();
    let originator = files::Originator::from_settings(&config.payment)?;
    let t = Instant::now();
    let file = files::build(
        FileFormat::Nacha,
        &FileContext {
            run_reference: "RUN-BENCH",
            currency: "USD",
            payment_date: today,
            created_at: chrono::Utc::now().naive_utc(),
        },
        &originator,
        &payouts,
        &payees,
    )?;
    let written = t.elapsed();
    println!(
        "kernels: plan {} invoices {:>8.1} ms ({} selected); NACHA file {:>8.1} ms ({} KiB)",
        n,
        planned.as_secs_f64() * 1e3,
        plan.items.len(),
        written.as_secs_f64() * 1e3,
        file.content.len() / 1024
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/ap".into());
    let url = format!(
        "{}/ap_bench_payment",
        base.rsplit_once('/').map_or(base.as_str(), |(h, _)| h)
    );
    let admin_url = format!(
        "{}/postgres",
        base.rsplit_once('/').map_or(base.as_str(), |(h, _)| h)
    );
    let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .execute("DROP DATABASE IF EXISTS ap_bench_payment WITH (FORCE)", &[])
        .await?;
    client
        .execute("CREATE DATABASE ap_bench_payment", &[])
        .await?;
    ap_invoice::migrate(&url).await?;
    ap_payment::migrate(&url).await?;

    let key = ap_invoice::crypto::DataCipher::generate_key();
    let (_, public) = ap_kit::token::generate_ed25519_pem()?;
    let env: HashMap<&str, String> = HashMap::from([
        ("APP_ENV", "test".to_owned()),
        ("DATABASE_URL", url.clone()),
        ("JWT_PUBLIC_KEY", public),
        ("DATA_ENCRYPTION_KEY", key.expose_secret().to_owned()),
        ("EXTRACTION_WORKERS", "0".to_owned()),
        ("GRPC_REQUEST_TIMEOUT_SECS", "300".to_owned()),
    ]);
    let mut config = ap_kit::Config::from_lookup(|k| env.get(k).cloned())?;
    kernels(n, &config)?;

    // Seed: vendors with encrypted US accounts, approved invoices due yesterday.
    let cipher = ap_invoice::crypto::DataCipher::from_base64(&key)?;
    let (db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let t = Instant::now();
    for v in 0..VENDORS {
        let id = Uuid::now_v7();
        let account = format!("{:012}", v + 1000);
        let plain = serde_json::json!({"routing_number": "026009593", "account_number": account})
            .to_string();
        let ct = cipher.encrypt(plain.as_bytes(), id.as_bytes())?;
        db.execute(
            "INSERT INTO invoice.vendors (id, name, currency, payment_terms) VALUES ($1::text::uuid, $2, 'USD', 'net 30')",
            &[&id.to_string(), &format!("Vendor {v:04}")],
        )
        .await?;
        db.execute(
            "INSERT INTO invoice.vendor_bank_accounts (id, vendor_id, kind, ciphertext, last4, routing_number, \
             fingerprint, status, is_current, is_initial) VALUES (gen_random_uuid(), $1::text::uuid, 'us', $2, \
             right($3, 4), '026009593', md5($3), 'verified', true, true)",
            &[&id.to_string(), &ct, &account],
        )
        .await?;
    }
    db.execute(
        "INSERT INTO invoice.invoices (id, status, invoice_number, invoice_number_normalized, vendor_id, vendor_name, \
         invoice_date, due_date, currency, subtotal, tax_amount, total_amount, amount_due, payment_terms, source) \
         SELECT gen_random_uuid(), 'approved', 'INV-' || lpad(g::text, 6, '0'), 'INV' || lpad(g::text, 6, '0'), v.id, v.name, \
         current_date - 40, current_date - 10, 'USD', 100 + g / 100.0, 0, 100 + g / 100.0, 100 + g / 100.0, \
         '2/10 net 30', 'api' \
         FROM generate_series(1, $1::int) g \
         JOIN (SELECT id, name, row_number() OVER (ORDER BY id) - 1 AS k FROM invoice.vendors) v \
           ON v.k = g % $2::int",
        &[&(n as i32), &(VENDORS as i32)],
    )
    .await?;
    println!(
        "seeded {n} approved invoices over {VENDORS} vendors in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let server =
        ap_invoice::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    config.services.invoice_url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(server.run_until(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|v| *v).await;
    }));
    let pool = ap_kit::db::connect_pool(&url, ap_payment::SCHEMA, 8)?;
    let app = ap_payment::build_app(&config, pool)?;
    let (first, second) = (admin("first@bench"), admin("second@bench"));

    let total = Instant::now();
    let t = Instant::now();
    let run = app
        .create_run(
            &first,
            &ap_proto::payment::v1::CreateRunRequest {
                pay_by_date: chrono::Utc::now().date_naive().to_string(),
                currency: "USD".into(),
                method: "ACH".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let created = t.elapsed();
    let t = Instant::now();
    app.approve_run(&second, run.run.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let approved = t.elapsed();
    let t = Instant::now();
    let done = app
        .execute_run(&second, run.run.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let executed = t.elapsed();
    let all = total.elapsed();
    let paid: i64 = db
        .query_one(
            "SELECT count(*) FROM invoice.invoices WHERE status = 'paid'",
            &[],
        )
        .await?
        .get(0);
    let completed = done
        .payments
        .values()
        .filter(|p| p.status == "completed")
        .count();
    println!(
        "run of {} invoices: create {:.2} s, approve {:.2} s, execute (file + payments + invoices paid) {:.2} s; total {:.2} s",
        run.items.len(),
        created.as_secs_f64(),
        approved.as_secs_f64(),
        executed.as_secs_f64(),
        all.as_secs_f64()
    );
    println!(
        "check: {completed} payments completed, {paid} invoices paid, file sha256 {}",
        done.file_sha256.unwrap_or_default()
    );
    let _ = stop.send(true);
    let _ = handle.await;
    Ok(())
}
