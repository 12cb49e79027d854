//! Hostile documents stay bounded (issue 14, item 7): a PDF decompression bomb, an image that
//! declares gigapixels and a PDF with 100,000 pages, uploaded through the gateway, each end as
//! a failed extraction with a clear reason on the invoice, while the invoice service (running
//! in this test process) keeps its memory and keeps extracting other documents.

use std::time::{Duration, Instant};

use ap_test_support::hostile::{Bomb, MIB, pdf_bomb, pdf_with_pages, png_declaring};
use ap_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{corpus_bytes, portal_token, upload_to};
use crate::helpers::{TestApp, call, ok_json};

async fn upload(app: &TestApp, token: &str, name: &str, mime: &str, bytes: Vec<u8>) -> String {
    upload_to(app, "/api/v1/invoices/upload", token, name, mime, bytes).await
}

/// Polls the invoice until extraction has finished (it left `received` and `extracting`).
async fn extracted(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let resp = app
            .get_authed(&format!("/api/v1/invoices/{id}"), token)
            .await;
        assert_eq!(resp.status(), 200);
        let invoice: Value = resp.json().await.expect("json");
        let status = invoice["status"].as_str().unwrap_or_default();
        if status != "received" && status != "extracting" {
            return invoice;
        }
        assert!(
            Instant::now() < deadline,
            "extraction never ended: {invoice}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Peak resident memory of this process (`VmHWM`), which hosts every service of the test.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

fn assert_failed_with(invoice: &Value, reason: &str) {
    assert_eq!(invoice["status"], "exception", "{invoice}");
    assert_eq!(invoice["failure_reason"], reason, "{invoice}");
    let exceptions = invoice["exceptions"].as_array().expect("exceptions");
    assert!(
        exceptions.iter().any(|x| x["code"] == "LOW_CONFIDENCE"
            && x["message"].as_str().is_some_and(|m| m.contains(reason))),
        "{invoice}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_bomb_fails_extraction_and_the_service_survives() {
    // Arrange: 512 MiB of zeros under two FlateDecode filters in an object stream, which a
    // PDF reader inflates while loading the file, in this very process.
    let app = TestApp::spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let bomb = pdf_bomb(Bomb::ObjectStream, 512 * MIB);
    assert!(bomb.len() < 512 * 1024, "the bomb is {} bytes", bomb.len());
    let attachment = pdf_bomb(Bomb::Attachment, 512 * MIB);

    // Act
    let id = upload(&app, &clerk, "bomb.pdf", "application/pdf", bomb).await;
    let invoice = extracted(&app, &clerk, &id).await;
    let id2 = upload(&app, &clerk, "bomb2.pdf", "application/pdf", attachment).await;
    let invoice2 = extracted(&app, &clerk, &id2).await;

    // Assert: the inflated bytes never lived in this process, and the reason is clear.
    let peak = peak_rss();
    eprintln!("peak resident memory: {} MiB", peak / MIB);
    assert!(
        peak < 400 * MIB,
        "peak memory {} MiB: the bomb was inflated in memory",
        peak / MIB
    );
    assert_failed_with(&invoice, "the PDF expands beyond the 64 MiB limit");
    assert_failed_with(&invoice2, "the PDF expands beyond the 64 MiB limit");
    // The service still answers and still extracts a genuine Factur-X invoice.
    let good = upload(
        &app,
        &clerk,
        "facturx.pdf",
        "application/pdf",
        corpus_bytes("pdf/facturx_invoice_EN16931.pdf"),
    )
    .await;
    let good = extracted(&app, &clerk, &good).await;
    assert!(good["failure_reason"].is_null(), "{good}");
    assert!(!good["invoice_number"].is_null(), "{good}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_image_fails_ocr_with_a_clear_reason() {
    // Arrange: a PNG of a few kilobytes whose header declares 10 gigapixels.
    let app = TestApp::spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let png = png_declaring(100_000, 100_000);
    assert!(png.len() < 64 * 1024);

    // Act
    let id = upload(&app, &clerk, "scan.png", "image/png", png).await;
    let invoice = extracted(&app, &clerk, &id).await;

    // Assert
    assert_failed_with(
        &invoice,
        "the image is 100000 × 100000 pixels, beyond the 64-megapixel limit",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_with_an_absurd_page_count_fails_extraction_with_a_clear_reason() {
    // Arrange: a page tree listing the same page 100,000 times (under 1 MB).
    let app = TestApp::spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let pdf = pdf_with_pages(100_000);
    assert!(pdf.len() < MIB as usize);

    // Act
    let id = upload(&app, &clerk, "pages.pdf", "application/pdf", pdf).await;
    let invoice = extracted(&app, &clerk, &id).await;

    // Assert
    assert_failed_with(&invoice, "the PDF has more than 1000 pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vendor_uploaded_pdf_bomb_fails_extraction_with_a_clear_reason() {
    // Arrange: a vendor with a portal invitation.
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let body = json!({"name": "Bomb Vendor", "currency": "USD", "po_required": false});
    let vendor = ok_json(
        call(&app, Method::POST, "/api/v1/vendors", &admin, Some(body)).await,
        201,
    )
    .await["id"]
        .as_str()
        .expect("vendor id")
        .to_owned();
    let portal = portal_token(&app, &admin, &vendor).await;

    // Act: 512 MiB of zeros behind stacked filters with /DecodeParms, through the portal.
    let id = upload_to(
        &app,
        "/api/v1/portal/invoices/upload",
        &portal,
        "invoice.pdf",
        "application/pdf",
        pdf_bomb(Bomb::DecodeParms, 512 * MIB),
    )
    .await;
    let invoice = extracted(&app, &admin, &id).await;

    // Assert
    assert_failed_with(&invoice, "the PDF expands beyond the 64 MiB limit");
    assert!(peak_rss() < 400 * MIB, "peak {} MiB", peak_rss() / MIB);
}
