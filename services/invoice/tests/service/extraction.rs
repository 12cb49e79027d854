//! Extraction end to end: real documents uploaded over gRPC, jobs claimed and run by the
//! worker code, results checked against what the e-invoice itself says.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ap_invoice::app::extraction::WorkerConfig;
use ap_proto::invoice::v1 as pb;
use ap_types::Role;
use rust_decimal::Decimal;

use crate::{Service, spawn_with};

fn corpus() -> PathBuf {
    std::env::var("AP_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

fn worker() -> WorkerConfig {
    WorkerConfig {
        workers: 1,
        poll: Duration::from_millis(10),
        max_attempts: 2,
        base_backoff: Duration::ZERO,
        ..WorkerConfig::default()
    }
}

async fn upload(svc: &Service, bytes: Vec<u8>, filename: &str) -> pb::Invoice {
    let chunks = vec![
        pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Meta(pb::UploadMeta {
                filename: filename.into(),
                ..Default::default()
            })),
        },
        pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Data(bytes)),
        },
        pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Finish(true)),
        },
    ];
    svc.client
        .clone()
        .upload_invoice(svc.as_user(Role::ApClerk, tokio_stream::iter(chunks)))
        .await
        .unwrap_or_else(|e| panic!("upload {filename}: {e}"))
        .into_inner()
}

/// Runs the worker until the queue is empty.
async fn drain(svc: &Service) {
    for _ in 0..500 {
        if !svc
            .app
            .extract_next(&worker())
            .await
            .expect("extraction pass")
        {
            return;
        }
    }
    panic!("the queue never drained");
}

async fn detail(svc: &Service, id: &str) -> pb::Invoice {
    svc.client
        .clone()
        .get_invoice(svc.as_user(Role::Auditor, pb::IdRequest { id: id.into() }))
        .await
        .expect("detail")
        .into_inner()
}

/// Extraction went through: matching runs right after it in the same transaction, so a read
/// invoice is past `extracted` (no PO or vendor in most of these tests: `exception`).
const READ: &[&str] = &["exception", "pending_approval", "approved"];

fn assert_read_named(got: &pb::Invoice, name: &str) {
    assert!(
        READ.contains(&got.status.as_str()) && got.failure_reason.is_empty(),
        "{name}: status {} ({})",
        got.status,
        got.failure_reason
    );
}

fn assert_read(got: &pb::Invoice) {
    assert_read_named(got, "invoice");
}

fn money(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_corpus_e_invoice_and_hybrid_pdf_is_extracted_exactly_from_its_xml() {
    use sha2::Digest;
    let svc = spawn_with(&[]).await;
    let mut uploaded = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for dir in [
        "einvoice/ubl",
        "einvoice/cii",
        "einvoice/peppol",
        "einvoice/facturx-xml",
        "pdf",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for path in files {
            let bytes = std::fs::read(&path).expect("read");
            // Orders are not invoices, and two PDFs carry no e-invoice: covered elsewhere.
            let Ok(expected) = ap_einvoice::parse(&bytes) else {
                continue;
            };
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let digest = sha2::Sha256::digest(&bytes);
            // The corpus holds a few byte-identical copies; intake refuses those as duplicates.
            if !seen.insert(digest) {
                continue;
            }
            let invoice = upload(&svc, bytes, &name).await;
            uploaded.push((name, invoice.id, expected));
        }
    }
    assert!(
        uploaded.len() >= 50,
        "only {} corpus documents",
        uploaded.len()
    );
    drain(&svc).await;
    for (name, id, expected) in uploaded {
        let got = detail(&svc, &id).await;
        assert_read_named(&got, &name);
        assert_eq!(got.invoice_number, expected.number.trim(), "{name}");
        assert_eq!(got.invoice_date, expected.issue_date.to_string(), "{name}");
        assert_eq!(got.currency, expected.currency, "{name}");
        let sign = if expected.kind == ap_einvoice::DocumentKind::CreditNote {
            -Decimal::ONE
        } else {
            Decimal::ONE
        };
        assert_eq!(
            got.total_amount,
            money(sign * expected.totals.total_with_vat),
            "{name}"
        );
        assert_eq!(
            got.amount_due,
            money(sign * expected.totals.amount_due),
            "{name}"
        );
        assert_eq!(got.lines.len(), expected.lines.len(), "{name}");
        assert_eq!(
            got.fields
                .get("invoice_number")
                .map(|f| (f.source.as_str(), f.confidence)),
            Some(("xml", 1.0)),
            "{name}"
        );
        if expected.due_date.is_some() {
            assert_eq!(
                got.due_date,
                expected.due_date.map(|d| d.to_string()).unwrap_or_default(),
                "{name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_note_carries_negative_amounts() {
    let svc = spawn_with(&[]).await;
    let bytes =
        std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-creditnote1.xml")).expect("read");
    let id = upload(&svc, bytes, "creditnote.xml").await.id;
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read(&got);
    assert!(got.total_amount.starts_with('-'), "{}", got.total_amount);
    assert!(got.lines.iter().all(|l| l.line_total.starts_with('-')));
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_documents_fail_visibly_with_a_reason_and_never_stay_extracting() {
    let svc = spawn_with(&[]).await;
    let ubl = std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example1.xml")).expect("read");
    let truncated = ubl[..ubl.len() / 2].to_vec();
    let cases = [
        (
            "pdf_plain.pdf",
            std::fs::read(corpus().join("pdf/pdf_plain.pdf")).expect("read"),
            // No e-invoice, no text layer: OCR is tried and finds nothing either.
            "OCR found no text",
        ),
        (
            "pdf_invalid.pdf",
            std::fs::read(corpus().join("pdf/pdf_invalid.pdf")).expect("read"),
            "no invoice fields",
        ),
        ("truncated.xml", truncated, "cannot be read"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, reason) in cases {
        ids.push((upload(&svc, bytes, name).await.id, name, reason));
    }
    drain(&svc).await;
    for (id, name, reason) in ids {
        let got = detail(&svc, &id).await;
        assert_eq!(got.status, "exception", "{name}");
        assert!(
            got.failure_reason.contains(reason),
            "{name}: {}",
            got.failure_reason
        );
        let open: Vec<_> = got
            .exceptions
            .iter()
            .filter(|e| e.status == "open")
            .collect();
        assert_eq!(open.len(), 1, "{name}");
        assert_eq!(open[0].code, "LOW_CONFIDENCE");
        assert!(open[0].message.contains("Extraction failed"));
    }
    let running: i64 = svc
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM invoice.extraction_jobs WHERE status <> 'failed'",
            &[],
        )
        .await
        .expect("jobs")
        .get(0);
    assert_eq!(running, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_worker_died_is_reclaimed_and_reruns_never_duplicate_lines() {
    let svc = spawn_with(&[]).await;
    let bytes = std::fs::read(corpus().join("einvoice/cii/CII_example1.xml")).expect("read");
    let lines = ap_einvoice::parse(&bytes).expect("parse").lines.len();
    let id = upload(&svc, bytes, "cii.xml").await.id;
    // A worker claimed the job and died an hour ago, leaving the invoice in `extracting`.
    let client = svc.db.client().await;
    client
        .batch_execute(&format!(
            "UPDATE invoice.extraction_jobs SET status = 'running', attempts = 1, locked_at = now() - interval '1 hour' \
             WHERE invoice_id = '{id}'; UPDATE invoice.invoices SET status = 'extracting' WHERE id = '{id}';"
        ))
        .await
        .expect("simulate crash");
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read(&got);
    assert_eq!(got.lines.len(), lines);

    // Extract again: the automatic results are replaced, not added to.
    svc.client
        .clone()
        .request_extraction(svc.as_user(Role::ApAnalyst, pb::IdRequest { id: id.clone() }))
        .await
        .expect("re-extract");
    drain(&svc).await;
    let again = detail(&svc, &id).await;
    assert_read(&again);
    assert_eq!(again.lines.len(), lines);
    let stored: i64 = client
        .query_one(
            "SELECT count(*) FROM invoice.invoice_lines WHERE invoice_id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("lines")
        .get(0);
    assert_eq!(stored, i64::try_from(lines).expect("count"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_never_overwrites_a_manual_correction() {
    let svc = spawn_with(&[]).await;
    let bytes = std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example2.xml")).expect("read");
    let id = upload(&svc, bytes, "ubl2.xml").await.id;
    drain(&svc).await;
    let mut client = svc.client.clone();
    client
        .update_invoice(svc.as_user(
            Role::ApAnalyst,
            pb::UpdateInvoiceRequest {
                id: id.clone(),
                invoice_number: Some("CORRECTED-7".into()),
                ..Default::default()
            },
        ))
        .await
        .expect("correct");
    client
        .request_extraction(svc.as_user(Role::ApAnalyst, pb::IdRequest { id: id.clone() }))
        .await
        .expect("re-extract");
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read(&got);
    assert_eq!(got.invoice_number, "CORRECTED-7");
    assert_eq!(got.fields["invoice_number"].source, "manual");
    assert_eq!(got.fields["currency"].source, "xml");
}

#[tokio::test(flavor = "multi_thread")]
async fn reextraction_is_refused_once_an_invoice_is_settled() {
    let svc = spawn_with(&[]).await;
    let bytes = std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example3.xml")).expect("read");
    let id = upload(&svc, bytes, "ubl3.xml").await.id;
    svc.db
        .client()
        .await
        .execute(
            "UPDATE invoice.invoices SET status = 'approved' WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("approve");
    let err = svc
        .client
        .clone()
        .request_extraction(svc.as_user(Role::ApAnalyst, pb::IdRequest { id }))
        .await
        .expect_err("settled");
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test(flavor = "multi_thread")]
async fn inconsistent_sums_raise_an_arithmetic_exception_and_unknown_sellers_vendor_unknown() {
    let svc = spawn_with(&[]).await;
    // This sample states a total of 110.00 and an amount due of 100.00 with nothing prepaid.
    let bytes = std::fs::read(corpus().join("pdf/pdf_fx_minimum_1.pdf")).expect("read");
    let id = upload(&svc, bytes, "minimum.pdf").await.id;
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read(&got);
    let codes: Vec<&str> = got.exceptions.iter().map(|e| e.code.as_str()).collect();
    assert!(codes.contains(&"ARITHMETIC_ERROR"), "{codes:?}");
    assert!(codes.contains(&"VENDOR_UNKNOWN"), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_trouble_is_retried_then_shown_as_a_failure_after_the_last_attempt() {
    let svc = spawn_with(&[]).await;
    let bytes = std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example4.xml")).expect("read");
    let id = upload(&svc, bytes, "ubl4.xml").await.id;
    std::fs::remove_dir_all(&svc.storage_dir).expect("lose the stored object");
    assert!(
        svc.app
            .extract_next(&worker())
            .await
            .expect("first attempt")
    );
    assert_eq!(
        detail(&svc, &id).await.status,
        "extracting",
        "retrying, still visible as in progress"
    );
    assert!(
        svc.app
            .extract_next(&worker())
            .await
            .expect("second attempt")
    );
    let got = detail(&svc, &id).await;
    assert_eq!(got.status, "exception");
    assert!(
        got.failure_reason.contains("gave up after 2 attempts"),
        "{}",
        got.failure_reason
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vendors_are_resolved_by_tax_id_then_iban_then_alias() {
    let svc = spawn_with(&[]).await;
    let parse = |rel: &str| {
        let bytes = std::fs::read(corpus().join(rel)).expect("read");
        let inv = ap_einvoice::parse(&bytes).expect("parse");
        (bytes, inv)
    };
    let (by_tax, tax_inv) = parse("einvoice/ubl/ubl-tc434-example1.xml");
    let (by_alias, alias_inv) = parse("einvoice/peppol/base-example.xml");
    let tax_id = tax_inv.seller.vat_id.clone().expect("seller VAT id");
    // A sample paid to a valid IBAN, from a seller unlike the other two.
    let (by_iban, iban) = [
        "einvoice/cii/CII_example1.xml",
        "einvoice/cii/CII_example4.xml",
        "einvoice/ubl/ubl-tc434-example2.xml",
        "einvoice/ubl/ubl-tc434-example5.xml",
        "einvoice/peppol/Allowance-example.xml",
        "pdf/pdf_zf_xrechnung_1.pdf",
    ]
    .iter()
    .map(|rel| parse(rel))
    .find_map(|(bytes, inv)| {
        let iban = inv.payee_accounts.first()?.iban.clone();
        let other =
            inv.seller.vat_id != tax_inv.seller.vat_id && inv.seller.name != alias_inv.seller.name;
        (other && ap_bankfile::Iban::parse(&iban).is_ok()).then_some((bytes, iban))
    })
    .expect("a corpus sample with a valid payee IBAN");
    let mut client = svc.client.clone();
    let create =
        |name: &str, tax: &str, aliases: Vec<String>, iban: Option<String>| pb::VendorInput {
            name: name.into(),
            tax_id: tax.into(),
            currency: "EUR".into(),
            aliases,
            bank_account: iban.map(|i| pb::BankAccountInput {
                iban: i,
                ..Default::default()
            }),
            ..Default::default()
        };
    let v_tax = client
        .create_vendor(svc.as_user(
            Role::ApAnalyst,
            create("Tax Id Vendor", &tax_id, vec![], None),
        ))
        .await
        .expect("v1")
        .into_inner();
    let v_iban = client
        .create_vendor(svc.as_user(
            Role::ApAnalyst,
            create("Iban Vendor", "", vec![], Some(iban)),
        ))
        .await
        .expect("v2")
        .into_inner();
    let v_alias = client
        .create_vendor(svc.as_user(
            Role::ApAnalyst,
            create(
                "Alias Vendor",
                "",
                vec![alias_inv.seller.name.clone()],
                None,
            ),
        ))
        .await
        .expect("v3")
        .into_inner();
    let a = upload(&svc, by_tax, "tax.xml").await.id;
    let b = upload(&svc, by_iban, "iban-sample").await.id;
    let c = upload(&svc, by_alias, "alias.xml").await.id;
    drain(&svc).await;
    for (id, vendor, method) in [
        (a, &v_tax, "tax_id"),
        (b, &v_iban, "iban"),
        (c, &v_alias, "name"),
    ] {
        let got = detail(&svc, &id).await;
        assert_eq!(
            got.vendor.as_ref().map(|v| v.id.as_str()),
            Some(vendor.id.as_str()),
            "{method}"
        );
        assert!(
            !got.exceptions.iter().any(|e| e.code == "VENDOR_UNKNOWN"),
            "{method}"
        );
        let meta: i64 = svc
            .db
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM invoice.invoices WHERE id = $1::text::uuid AND fields->'vendor_id'->>'method' = $2",
                &[&id, &method],
            )
            .await
            .expect("fields")
            .get(0);
        assert_eq!(meta, 1, "{method}");
    }
}

/// A minimal one-page PDF whose text layer holds `lines` (Helvetica, top to bottom).
fn text_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 14 TL 56 780 Td\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_without_an_e_invoice_is_read_from_its_text_layer() {
    let svc = spawn_with(&[]).await;
    let pdf = text_pdf(&[
        "Nordwind Handels GmbH",
        "USt-IdNr.: DE123456789",
        "RECHNUNG",
        "Rechnungsnummer: RE-2026-0815",
        "Rechnungsdatum: 02.03.2026",
        "Bestellnummer: PO-77",
        "Nettobetrag: 1.000,00 EUR",
        "MwSt 19 %: 190,00 EUR",
        "Gesamtbetrag: 1.190,00 EUR",
        "IBAN: DE89 3704 0044 0532 0130 00",
    ]);
    let id = upload(&svc, pdf, "scan-free.pdf").await.id;
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read(&got);
    assert_eq!(got.invoice_number, "RE-2026-0815");
    assert_eq!(got.invoice_date, "2026-03-02");
    assert_eq!(got.currency, "EUR");
    assert_eq!(got.total_amount, "1190.00");
    assert_eq!(got.subtotal, "1000.00");
    assert_eq!(got.tax_amount, "190.00");
    assert_eq!(got.po_number, "PO-77");
    let meta = &got.fields["invoice_number"];
    assert_eq!(meta.source, "text");
    assert!(meta.confidence > 0.0 && meta.confidence <= 1.0);
    let method: String = svc
        .db
        .client()
        .await
        .query_one(
            "SELECT method FROM invoice.extraction_jobs WHERE invoice_id = $1::text::uuid",
            &[&id],
        )
        .await
        .expect("job")
        .get(0);
    assert_eq!(method, "text");
}

/// A stand-in for the Anthropic Messages API on loopback: answers every call with a forced
/// tool call carrying `fields`, and counts the calls.
async fn fake_anthropic(
    fields: serde_json::Value,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/v1/messages",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
            let fields = fields.clone();
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                assert_eq!(headers.get("x-api-key").and_then(|v| v.to_str().ok()), Some("test-key"));
                assert_eq!(body["tool_choice"]["name"], "record_invoice_fields");
                let prompt = body["messages"][0]["content"].to_string();
                assert!(prompt.contains("RE-2026-0815"), "the document text is sent");
                axum::Json(serde_json::json!({
                    "id": "msg_1", "type": "message", "role": "assistant", "model": "fake",
                    "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_invoice_fields", "input": fields}],
                    "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 10}
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_llm_that_disagrees_lowers_confidence_and_flags_the_field() {
    let (url, calls) = fake_anthropic(serde_json::json!({
        "invoice_number": "RE-2026-0815",
        "invoice_date": "2026-03-02",
        "total_amount": "1209.00",
        "due_date": "2026-04-01",
        "currency": "EUR"
    }))
    .await;
    let svc = spawn_with(&[
        ("ANTHROPIC_API_KEY", "test-key"),
        ("ANTHROPIC_BASE_URL", url.as_str()),
    ])
    .await;
    let pdf = text_pdf(&[
        "Nordwind Handels GmbH",
        "Rechnungsnummer: RE-2026-0815",
        "Rechnungsdatum: 02.03.2026",
        "Nettobetrag: 1.000,00 EUR",
        "MwSt 19 %: 190,00 EUR",
        "Gesamtbetrag: 1.190,00 EUR",
    ]);
    let id = upload(&svc, pdf, "text.pdf").await.id;
    drain(&svc).await;
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    let got = detail(&svc, &id).await;
    assert_read(&got);
    // The deterministic reading stands, but is no longer trusted.
    assert_eq!(got.total_amount, "1190.00");
    assert!(
        got.fields["total_amount"].confidence < 0.5,
        "{:?}",
        got.fields["total_amount"]
    );
    assert!(
        got.fields["invoice_number"].confidence > 0.5,
        "agreement keeps confidence"
    );
    // A field only the LLM read is taken, marked as such.
    assert_eq!(got.due_date, "2026-04-01");
    assert_eq!(got.fields["due_date"].source, "llm");
    let flagged: Vec<&pb::ExceptionRef> = got
        .exceptions
        .iter()
        .filter(|e| e.message.contains("disagree"))
        .collect();
    assert_eq!(flagged.len(), 1, "{:?}", got.exceptions);
    assert!(flagged[0].message.contains("total_amount"));
}

#[tokio::test(flavor = "multi_thread")]
async fn structured_e_invoices_are_not_sent_to_the_llm() {
    let (url, calls) = fake_anthropic(serde_json::json!({})).await;
    let svc = spawn_with(&[
        ("ANTHROPIC_API_KEY", "test-key"),
        ("ANTHROPIC_BASE_URL", url.as_str()),
    ])
    .await;
    let bytes = std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example1.xml")).expect("read");
    let id = upload(&svc, bytes, "ubl.xml").await.id;
    drain(&svc).await;
    assert_read(&detail(&svc, &id).await);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scanned_image_is_read_by_ocr_with_lower_confidence() {
    if std::env::var("AP_SKIP_OCR").is_ok() {
        eprintln!("skipped: AP_SKIP_OCR is set");
        return;
    }
    let svc = spawn_with(&[]).await;
    let pdf = text_pdf(&[
        "Nordwind Handels GmbH",
        "Rechnungsnummer: RE-2026-0815",
        "Rechnungsdatum: 02.03.2026",
        "Nettobetrag: 1.000,00 EUR",
        "MwSt 19 %: 190,00 EUR",
        "Gesamtbetrag: 1.190,00 EUR",
    ]);
    // The "scan": the page rendered to an image, so only OCR can read it.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("page.pdf"), &pdf).expect("write");
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-singlefile"])
        .arg(dir.path().join("page.pdf"))
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (Debian poppler-utils) is required");
    assert!(status.success());
    let png = std::fs::read(dir.path().join("page.png")).expect("png");
    let id = upload(&svc, png, "scan.png").await.id;
    drain(&svc).await;
    let got = detail(&svc, &id).await;
    assert_read_named(&got, "scan.png (tesseract-ocr installed?)");
    assert_eq!(got.invoice_number, "RE-2026-0815");
    assert_eq!(got.invoice_date, "2026-03-02");
    assert_eq!(got.currency, "EUR");
    assert_eq!(got.total_amount, "1190.00");
    let meta = &got.fields["total_amount"];
    assert_eq!(meta.source, "ocr");
    assert!(meta.confidence < 1.0 && meta.confidence > 0.3, "{meta:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_are_flagged_and_a_cancelled_original_does_not_count() {
    let svc = spawn_with(&[]).await;
    let original =
        std::fs::read(corpus().join("einvoice/ubl/ubl-tc434-example1.xml")).expect("read");
    let inv = ap_einvoice::parse(&original).expect("parse");
    let mut client = svc.client.clone();
    client
        .create_vendor(svc.as_user(
            Role::ApAnalyst,
            pb::VendorInput {
                name: inv.seller.name.clone(),
                tax_id: inv.seller.vat_id.clone().expect("seller VAT id"),
                currency: inv.currency.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("vendor");
    let text = String::from_utf8(original.clone()).expect("utf8");
    // The same invoice sent again as different bytes (a comment after the declaration)...
    let copy = text.replacen("?>", "?><!-- sent again -->", 1).into_bytes();
    // ...and one with another number but the same vendor, amount and date.
    let renumbered = text
        .replace(&format!(">{}<", inv.number), &format!(">{}-B<", inv.number))
        .into_bytes();
    let first = upload(&svc, original, "first.xml").await.id;
    let second = upload(&svc, copy, "second.xml").await.id;
    let third = upload(&svc, renumbered, "third.xml").await.id;
    drain(&svc).await;

    let dup = |got: &pb::Invoice| {
        got.exceptions
            .iter()
            .find(|e| e.code == "DUPLICATE_INVOICE" && e.status != "resolved")
            .cloned()
    };
    assert!(
        dup(&detail(&svc, &first).await).is_none(),
        "the first one is the original"
    );
    let exact = dup(&detail(&svc, &second).await).expect("exact duplicate");
    assert_eq!(exact.severity, "high");
    assert!(
        exact
            .message
            .contains(&format!("Same number as {}", inv.number)),
        "{}",
        exact.message
    );
    let suspected = dup(&detail(&svc, &third).await).expect("suspected duplicate");
    assert_eq!(suspected.severity, "medium");
    assert!(
        suspected.message.contains("within 0.1 %"),
        "{}",
        suspected.message
    );

    // Cancelled invoices are not duplicates of anything.
    svc.db
        .client()
        .await
        .execute(
            "UPDATE invoice.invoices SET status = 'cancelled' WHERE id::text IN ($1, $2)",
            &[&first, &second],
        )
        .await
        .expect("cancel");
    client
        .request_extraction(svc.as_user(Role::ApAnalyst, pb::IdRequest { id: third.clone() }))
        .await
        .expect("re-extract");
    drain(&svc).await;
    let again = detail(&svc, &third).await;
    assert_read(&again);
    // The earlier finding is closed by the re-run, with a note saying why.
    assert!(dup(&again).is_none(), "{:?}", again.exceptions);
    assert!(
        again
            .exceptions
            .iter()
            .any(|e| e.code == "DUPLICATE_INVOICE"
                && e.status == "resolved"
                && e.resolution_note.contains("No longer found"))
    );
}
