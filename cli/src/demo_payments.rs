//! Demo data for payments (`apctl seed --demo`): three Acme Steel invoices (USD, "2/10 net
//! 30") uploaded as UBL through the real intake path, extracted, and brought to `approved`;
//! then a draft ACH payment run that can be previewed. One invoice is left out of the run
//! (not yet due, discount already expired): it is the one ready to pay on its own.
//!
//! The run is created through the payment service's use-case layer, which reaches the invoice
//! service over gRPC: the invoice service is started on a loopback port for the duration.

use std::net::SocketAddr;

use ap_invoice::app::intake::{UploadMeta, UploadPart};
use ap_invoice::app::{AppError, Caller, Identity, InvoiceApp};
use ap_kit::audit::RequestContext;
use ap_kit::token::Principal;
use ap_proto::invoice::v1 as pb;
use ap_types::{Role, SessionId, UserId};
use chrono::{Days, NaiveDate, Utc};
use uuid::Uuid;

/// (invoice number, days since issue, days until due, quantity, unit price, item)
const INVOICES: &[(&str, u64, i64, u32, &str, &str)] = &[
    // Overdue: due by any pay-by date from today.
    ("ACME-2026-0101", 40, -10, 20, "74.00", "Steel plate 10mm"),
    // Issued 5 days ago: its 2 % discount ends in 5 days, before the next run (7 days).
    ("ACME-2026-0102", 5, 25, 10, "74.00", "Steel plate 10mm"),
    // Discount gone, due in 15 days: not in today's run, ready to pay on its own.
    ("ACME-2026-0103", 15, 15, 5, "155.00", "Steel beam 6m"),
];

fn principal(id: Uuid, role: Role, email: &str) -> Principal {
    Principal {
        user_id: UserId::from_uuid(id),
        role,
        email: email.to_owned(),
        session_id: SessionId::new(),
        token_id: "seed".to_owned(),
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: Some("seed-demo".into()),
        ..Default::default()
    }
}

fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

fn date(days_from_today: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    if days_from_today >= 0 {
        today + Days::new(days_from_today.unsigned_abs())
    } else {
        today - Days::new(days_from_today.unsigned_abs())
    }
}

/// A UBL 2.1 invoice from Acme Steel (the demo vendor with verified bank details).
fn acme_ubl(
    number: &str,
    issued: NaiveDate,
    due: NaiveDate,
    qty: u32,
    price: &str,
    item: &str,
) -> String {
    let price: rust_decimal::Decimal = price.parse().unwrap_or_default();
    let total = (price * rust_decimal::Decimal::from(qty)).round_dp(2);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issued}</cbc:IssueDate>
  <cbc:DueDate>{due}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>USD</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>PO-2026-0042</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Acme Steel Inc.</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cbc:CityName>Pittsburgh</cbc:CityName><cac:Country><cbc:IdentificationCode>US</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>US-12-3456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Acme Steel Incorporated</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyName><cbc:Name>AP Automation Demo Ltd</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>US</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>AP Automation Demo Ltd</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentTerms><cbc:Note>2/10 net 30</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">0.00</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="USD">{total}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="USD">{total}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="USD">{total}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="USD">{total}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="EA">{qty}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="USD">{total}</cbc:LineExtensionAmount>
    <cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>{item}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>Z</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="USD">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"#
    )
}

/// Walks an invoice to `approved` along the lifecycle (the demo's stand-in for matching and
/// approval, recorded in the audit trail as transitions by the `apctl` tool: status changes
/// are internal-only, never accepted from a user, whatever the role).
async fn approve(app: &InvoiceApp, admin: &Caller, id: Uuid) -> anyhow::Result<String> {
    let admin = &Caller {
        identity: Identity::Service("apctl".to_owned()),
        ctx: admin.ctx.clone(),
    };
    for _ in 0..4 {
        let row = app.invoice_summary(admin, id).await.map_err(err)?;
        let event = match row.status.as_str() {
            "approved" | "scheduled" | "paid" => return Ok(row.status),
            "extracted" => "begin_matching",
            "matching" => "match_auto_approved",
            "pending_approval" => "approve",
            other => return Ok(other.to_owned()),
        };
        app.transition_status(
            admin,
            &pb::TransitionStatusRequest {
                id: id.to_string(),
                expected_status: row.status.clone(),
                event: event.into(),
                reason: "demo data".into(),
            },
        )
        .await
        .map_err(err)?;
    }
    Ok(app.invoice_summary(admin, id).await.map_err(err)?.status)
}

pub struct PaymentDemoUsers {
    pub admin: Uuid,
    pub clerk: Uuid,
}

pub async fn seed(
    config: &ap_kit::Config,
    invoices: &InvoiceApp,
    users: &PaymentDemoUsers,
) -> anyhow::Result<()> {
    let admin = Caller {
        identity: Identity::User(principal(users.admin, Role::Admin, "admin@example.com")),
        ctx: ctx(),
    };
    let clerk = Caller {
        identity: Identity::User(principal(users.clerk, Role::ApClerk, "clerk@example.com")),
        ctx: ctx(),
    };
    let payment_pool = ap_kit::db::connect_pool(config.database_url(), ap_payment::SCHEMA, 2)?;
    let mut conn = ap_kit::db::conn(&payment_pool).await?;
    let runs: i64 = {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM payment_runs")
            .get_result::<Count>(&mut conn)
            .await?
            .n
    };
    drop(conn);
    if runs > 0 {
        println!("exists  demo payment run");
        return Ok(());
    }
    let mut ids = Vec::new();
    for (number, age, due_in, qty, price, item) in INVOICES {
        let issued = date(-i64::try_from(*age).unwrap_or(0));
        let xml = acme_ubl(number, issued, date(*due_in), *qty, price, item);
        let meta = UploadMeta {
            filename: format!("{}.xml", number.to_lowercase()),
            declared_content_type: "application/xml".into(),
            source: "upload".into(),
            vendor_id: None,
        };
        let parts = futures::stream::iter([
            Ok(UploadPart::Data(xml.into_bytes().into())),
            Ok(UploadPart::Finish),
        ]);
        match invoices.upload_invoice(&clerk, meta, parts).await {
            Ok(v) => ids.push((number, v.row.id)),
            Err(AppError::DuplicateDocument(id)) => ids.push((number, id)),
            Err(e) => return Err(err(e)),
        }
    }
    // Extract now (the workers of `serve` would do it later) so the invoices can be approved.
    let workers = ap_invoice::worker_config(config);
    for _ in 0..50 {
        if !invoices.extract_next(&workers).await.map_err(err)? {
            break;
        }
    }
    for (number, id) in &ids {
        let status = approve(invoices, &admin, *id).await?;
        println!("created invoice {number} ({status})");
    }

    // The invoice service on a loopback port, so the payment service reaches it over gRPC.
    let mut config = config.clone();
    config.extraction.workers = 0;
    let server =
        ap_invoice::Application::build(&config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    config.services.invoice_url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(server.run_until(async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|v| *v).await;
    }));
    let payments = ap_payment::build_app(&config, payment_pool)?;
    let caller = ap_payment::app::Caller {
        principal: principal(users.admin, Role::Admin, "admin@example.com"),
        ctx: ctx(),
        idempotency_key: None,
    };
    let result = payments
        .create_run(
            &caller,
            &ap_proto::payment::v1::CreateRunRequest {
                pay_by_date: Utc::now().date_naive().to_string(),
                currency: "USD".into(),
                method: "ACH".into(),
            },
        )
        .await;
    let _ = stop.send(true);
    let _ = handle.await;
    match result {
        Ok(run) => println!(
            "created payment run {} (draft, {} invoices; approve it as a second admin to execute)",
            run.run.reference,
            run.items.len()
        ),
        Err(e) => println!("note    demo payment run not created: {e}"),
    }
    Ok(())
}
