//! Demo master data and invoices for `apctl seed --demo`: vendors, purchase orders and goods
//! receipts derived from real public e-invoices in the corpus, and those documents uploaded
//! through the real intake path, so every later step has coherent data to work on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ap_invoice::app::intake::{UploadMeta, UploadPart};
use ap_invoice::app::{AppError, Caller, Identity, InvoiceApp};
use ap_kit::audit::RequestContext;
use ap_kit::token::Principal;
use ap_proto::invoice::v1 as pb;
use ap_types::{Role, SessionId, UserId};
use uuid::Uuid;

/// Corpus documents the demo is built from (relative to the corpus root).
const DOCUMENTS: &[&str] = &[
    "pdf/pdf_zf_en16931_1.pdf",
    "pdf/pdf_zf_en16931_3.pdf",
    "pdf/pdf_zf_xrechnung_1.pdf",
    "pdf/facturx_invoice_EN16931.pdf",
    "einvoice/ubl/ubl-tc434-example1.xml",
    "einvoice/cii/CII_example2.xml",
];

/// Where the shared corpus is: `AP_CORPUS_DIR`, else `../shared/corpus` beside the checkout.
fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var("AP_CORPUS_DIR").ok().map(PathBuf::from),
        Some(PathBuf::from("../shared/corpus")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_dir())
}

fn caller(id: Uuid, role: Role, email: &str) -> Caller {
    Caller {
        identity: Identity::User(Principal {
            user_id: UserId::from_uuid(id),
            role,
            email: email.to_owned(),
            session_id: SessionId::new(),
            token_id: "seed".to_owned(),
        }),
        ctx: RequestContext {
            request_id: Some("seed-demo".into()),
            ..Default::default()
        },
    }
}

pub struct DemoUsers {
    pub admin: Uuid,
    pub analyst: Uuid,
    pub clerk: Uuid,
}

fn err(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

pub async fn seed(app: &InvoiceApp, users: &DemoUsers) -> anyhow::Result<()> {
    let analyst = caller(users.analyst, Role::ApAnalyst, "analyst@example.com");
    let admin = caller(users.admin, Role::Admin, "admin@example.com");
    let clerk = caller(users.clerk, Role::ApClerk, "clerk@example.com");
    let (existing, _) = app
        .list_vendors(&analyst, None, 1, None, None)
        .await
        .map_err(err)?;
    if !existing.is_empty() {
        println!("exists  demo vendors, purchase orders and invoices");
        return Ok(());
    }
    let acme = us_vendors(app, &analyst, &admin).await?;
    acme_invoices(app, &clerk, acme).await?;
    let Some(corpus) = corpus_dir() else {
        println!("note    corpus not found (set AP_CORPUS_DIR); demo invoices skipped");
        return Ok(());
    };
    let mut vendors: HashMap<String, Uuid> = HashMap::new();
    for (n, rel) in DOCUMENTS.iter().enumerate() {
        let path = corpus.join(rel);
        let Ok(bytes) = std::fs::read(&path) else {
            println!("note    {rel} missing; skipped");
            continue;
        };
        let invoice = match ap_einvoice::parse(&bytes) {
            Ok(i) => i,
            Err(e) => {
                println!("note    {rel} does not parse ({e}); skipped");
                continue;
            }
        };
        let vendor_id = vendor_for(app, &analyst, &admin, &invoice, &mut vendors).await?;
        purchase_order_for(app, &analyst, &invoice, vendor_id, n).await?;
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = UploadMeta {
            filename,
            declared_content_type: String::new(),
            source: "upload".into(),
            vendor_id: None,
        };
        let parts =
            futures::stream::iter([Ok(UploadPart::Data(bytes.into())), Ok(UploadPart::Finish)]);
        match app.upload_invoice(&clerk, meta, parts).await {
            Ok(v) => println!("created invoice {} from {rel}", v.row.id),
            Err(AppError::DuplicateDocument(id)) => println!("exists  invoice {id} from {rel}"),
            Err(e) => return Err(err(e)),
        }
    }
    Ok(())
}

/// The seller of a corpus invoice as a vendor (one per VAT id), bank details verified by a
/// second person as the four-eyes rule requires.
async fn vendor_for(
    app: &InvoiceApp,
    analyst: &Caller,
    admin: &Caller,
    invoice: &ap_einvoice::Invoice,
    seen: &mut HashMap<String, Uuid>,
) -> anyhow::Result<Uuid> {
    let key = invoice
        .seller
        .vat_id
        .clone()
        .unwrap_or_else(|| invoice.seller.name.clone());
    if let Some(id) = seen.get(&key) {
        return Ok(*id);
    }
    let terms: String = invoice
        .payment_terms
        .clone()
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect();
    let input = pb::VendorInput {
        name: invoice.seller.name.chars().take(200).collect(),
        tax_id: invoice.seller.vat_id.clone().unwrap_or_default(),
        email: invoice.seller.email.clone().unwrap_or_default(),
        country: invoice.seller.country.clone().unwrap_or_default(),
        currency: invoice.currency.clone(),
        payment_terms: terms,
        category: "goods".into(),
        bank_account: invoice
            .payee_accounts
            .first()
            .map(|a| pb::BankAccountInput {
                iban: a.iban.clone(),
                bic: a.bic.clone().unwrap_or_default(),
                ..Default::default()
            }),
        ..Default::default()
    };
    let vendor = match app.create_vendor(analyst, input.clone()).await {
        Ok(v) => v,
        // Bank details the validator refuses (some samples use made-up IBANs): keep the vendor.
        Err(AppError::Invalid(_)) => app
            .create_vendor(
                analyst,
                pb::VendorInput {
                    bank_account: None,
                    ..input
                },
            )
            .await
            .map_err(err)?,
        Err(e) => return Err(err(e)),
    };
    if vendor.bank.is_some() {
        app.verify_bank_account(admin, vendor.row.id)
            .await
            .map_err(err)?;
    }
    println!("created vendor {}", vendor.row.name);
    seen.insert(key, vendor.row.id);
    Ok(vendor.row.id)
}

/// A purchase order with the invoice's lines, fully received.
async fn purchase_order_for(
    app: &InvoiceApp,
    analyst: &Caller,
    invoice: &ap_einvoice::Invoice,
    vendor_id: Uuid,
    n: usize,
) -> anyhow::Result<()> {
    let po_number = invoice
        .purchase_order_reference
        .clone()
        .unwrap_or_else(|| format!("PO-DEMO-{:04}", n + 1));
    let lines: Vec<pb::PurchaseOrderLineInput> = invoice
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.quantity > rust_decimal::Decimal::ZERO)
        .map(|(i, l)| pb::PurchaseOrderLineInput {
            line_number: i32::try_from(i + 1).unwrap_or(i32::MAX),
            description: l
                .name
                .clone()
                .or(l.description.clone())
                .unwrap_or_else(|| format!("Line {}", i + 1))
                .chars()
                .take(500)
                .collect(),
            quantity: l.quantity.to_string(),
            unit_price: l
                .net_price
                .unwrap_or_else(|| (l.net_amount / l.quantity).round_dp(4))
                .to_string(),
            unit: l.unit_code.clone().unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let po = match app
        .create_purchase_order(
            analyst,
            pb::PurchaseOrderInput {
                po_number: po_number.clone(),
                vendor_id: vendor_id.to_string(),
                currency: invoice.currency.clone(),
                status: "open".into(),
                order_date: invoice.issue_date.to_string(),
                lines: lines.clone(),
                match_type: "3way".into(),
            },
        )
        .await
    {
        Ok(po) => po,
        Err(AppError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(err(e)),
    };
    app.create_goods_receipt(
        analyst,
        pb::GoodsReceiptInput {
            receipt_number: format!("GR-{po_number}"),
            po_id: po.po.id.to_string(),
            received_at: String::new(),
            received_on: invoice.issue_date.to_string(),
            lines: lines
                .iter()
                .map(|l| pb::GoodsReceiptLineInput {
                    po_line_number: l.line_number,
                    quantity: l.quantity.clone(),
                })
                .collect(),
        },
    )
    .await
    .map_err(err)?;
    println!("created purchase order {po_number} with its goods receipt");
    Ok(())
}

/// Two US vendors paid by ACH: one with verified bank details, one whose change awaits review.
async fn us_vendors(app: &InvoiceApp, analyst: &Caller, admin: &Caller) -> anyhow::Result<Uuid> {
    let acme = app
        .create_vendor(
            analyst,
            pb::VendorInput {
                name: "Acme Steel Inc.".into(),
                legal_name: "Acme Steel Incorporated".into(),
                tax_id: "US-12-3456789".into(),
                email: "ar@acme-steel.example".into(),
                country: "US".into(),
                currency: "USD".into(),
                payment_terms: "2/10 net 30".into(),
                category: "raw materials".into(),
                aliases: vec!["ACME STEEL INC.".into(), "Acme Steel".into()],
                bank_account: Some(pb::BankAccountInput {
                    routing_number: "021000021".into(),
                    account_number: "000123456789".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    app.verify_bank_account(admin, acme.row.id)
        .await
        .map_err(err)?;
    let po = app
        .create_purchase_order(
            analyst,
            pb::PurchaseOrderInput {
                po_number: "PO-2026-0042".into(),
                vendor_id: acme.row.id.to_string(),
                currency: "USD".into(),
                status: "open".into(),
                order_date: "2026-03-01".into(),
                lines: vec![
                    pb::PurchaseOrderLineInput {
                        line_number: 1,
                        description: "Steel plate 10mm".into(),
                        quantity: "200".into(),
                        unit_price: "74.00".into(),
                        unit: "EA".into(),
                        gl_account: "5000".into(),
                        cost_centre: "PLANT-1".into(),
                    },
                    pb::PurchaseOrderLineInput {
                        line_number: 2,
                        description: "Steel beam 6m".into(),
                        quantity: "40".into(),
                        unit_price: "155.00".into(),
                        unit: "EA".into(),
                        gl_account: "5000".into(),
                        cost_centre: "PLANT-1".into(),
                    },
                ],
                match_type: "3way".into(),
            },
        )
        .await
        .map_err(err)?;
    app.create_goods_receipt(
        analyst,
        pb::GoodsReceiptInput {
            receipt_number: "GR-2026-0042-1".into(),
            po_id: po.po.id.to_string(),
            received_at: String::new(),
            received_on: "2026-03-05".into(),
            lines: vec![pb::GoodsReceiptLineInput {
                po_line_number: 1,
                quantity: "200".into(),
            }],
        },
    )
    .await
    .map_err(err)?;
    app.create_vendor(
        analyst,
        pb::VendorInput {
            name: "Globex Corporation".into(),
            tax_id: "US-98-7654321".into(),
            country: "US".into(),
            currency: "USD".into(),
            payment_terms: "net 45".into(),
            category: "services".into(),
            bank_account: Some(pb::BankAccountInput {
                routing_number: "026009593".into(),
                account_number: "4455667788".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    println!(
        "created vendors Acme Steel Inc. (verified bank) and Globex Corporation (bank change awaiting review)"
    );
    Ok(acme.row.id)
}

/// Three Acme e-invoices against PO-2026-0042, dated today, one per outcome once extraction
/// and matching have run: 50 plates (received, 3,700.00 ≤ the 5,000.00 limit) → approved
/// touchless; 100 plates (received, 7,400.00) → pending approval; 10 beams (nothing received)
/// → exception GRN_NOT_FOUND.
async fn acme_invoices(app: &InvoiceApp, clerk: &Caller, acme: Uuid) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let invoices = [
        ("ACME-1001", "Steel plate 10mm", 1, "50", "74.00"),
        ("ACME-1002", "Steel plate 10mm", 1, "100", "74.00"),
        ("ACME-1003", "Steel beam 6m", 2, "10", "155.00"),
    ];
    for (number, item, po_line, qty, price) in invoices {
        let xml = demo_ubl(number, today, "PO-2026-0042", item, po_line, qty, price)?;
        let meta = UploadMeta {
            filename: format!("{number}.xml"),
            declared_content_type: String::new(),
            source: "upload".into(),
            vendor_id: Some(acme),
        };
        let parts = futures::stream::iter([
            Ok(UploadPart::Data(xml.into_bytes().into())),
            Ok(UploadPart::Finish),
        ]);
        match app.upload_invoice(clerk, meta, parts).await {
            Ok(v) => println!("created invoice {} ({number}, Acme Steel)", v.row.id),
            Err(AppError::DuplicateDocument(id)) => println!("exists  invoice {id} ({number})"),
            Err(e) => return Err(err(e)),
        }
    }
    Ok(())
}

/// A minimal, arithmetically consistent UBL 2.1 invoice with one line (zero-rated, as US
/// invoices carry no VAT).
fn demo_ubl(
    number: &str,
    date: chrono::NaiveDate,
    po: &str,
    item: &str,
    po_line: i32,
    qty: &str,
    price: &str,
) -> anyhow::Result<String> {
    let amount = (qty.parse::<rust_decimal::Decimal>()?
        * price.parse::<rust_decimal::Decimal>()?)
    .round_dp(2);
    let amount = format!("{amount:.2}");
    Ok(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{date}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>USD</cbc:DocumentCurrencyCode>
  <cac:OrderReference><cbc:ID>{po}</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>US</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Acme Steel Inc.</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PostalAddress><cac:Country><cbc:IdentificationCode>US</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Demo Buyer LLC</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentTerms><cbc:Note>2/10 net 30</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="USD">0.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="USD">{amount}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="USD">0.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>Z</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="USD">{amount}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="USD">{amount}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="USD">{amount}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="USD">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="EA">{qty}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="USD">{amount}</cbc:LineExtensionAmount>
    <cac:OrderLineReference><cbc:LineID>{po_line}</cbc:LineID></cac:OrderLineReference>
    <cac:Item><cbc:Name>{item}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>Z</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="USD">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"#
    ))
}
