//! `POST /invoices/upload`: type by content, size limit while streaming, SHA-256, duplicates,
//! roles, and that a refused upload stores nothing; plus the document and audit routes.

use std::path::{Path, PathBuf};

use ap_types::Role;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_error};

/// The shared corpus: `AP_CORPUS_DIR`, else `../shared/corpus` beside the checkout.
fn corpus_root() -> String {
    std::env::var("AP_CORPUS_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").to_owned())
}
const MIB: usize = 1024 * 1024;
const LIMIT: usize = 20 * MIB;

fn corpus(rel: &str) -> Vec<u8> {
    let path = Path::new(&corpus_root()).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A small, distinct, PDF-by-content file.
fn pdf_bytes(tag: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid 1×1 grayscale PNG whose single pixel is `pixel` (so each call can differ).
fn png_bytes(pixel: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    // width 1, height 1, bit depth 8, colour type 0 (grey), compression, filter, interlace.
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    // zlib, one stored block holding the scanline [filter 0, pixel], then Adler-32.
    let a = 1 + u32::from(pixel);
    let b = 1 + a;
    let adler = (b << 16) | a;
    let mut idat = vec![0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, pixel];
    idat.extend_from_slice(&adler.to_be_bytes());
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn form(filename: &str, content_type: &str, bytes: Vec<u8>) -> Form {
    let part = Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str(content_type)
        .expect("mime");
    Form::new().part("file", part)
}

async fn upload_form(app: &TestApp, token: Option<&str>, form: Form) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/api/v1/invoices/upload"))
        .timeout(std::time::Duration::from_secs(120))
        .multipart(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("upload request")
}

async fn upload(
    app: &TestApp,
    token: &str,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    upload_form(app, Some(token), form(filename, content_type, bytes)).await
}

async fn created(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 201, "{body}");
    body
}

/// (invoices, documents, extraction jobs) in the test database.
async fn row_counts(app: &TestApp) -> (i64, i64, i64) {
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT (SELECT count(*) FROM invoice.invoices),
                    (SELECT count(*) FROM invoice.documents),
                    (SELECT count(*) FROM invoice.extraction_jobs)",
            &[],
        )
        .await
        .expect("counts");
    (row.get(0), row.get(1), row.get(2))
}

/// Every file (not directory) under `dir`, recursively; none when `dir` does not exist.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let path = e.expect("dir entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

async fn assert_nothing_stored(app: &TestApp, case: &str) {
    assert_eq!(row_counts(app).await, (0, 0, 0), "rows left by {case}");
    assert_eq!(
        files_under(&app.storage_dir),
        Vec::<PathBuf>::new(),
        "objects left by {case}"
    );
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(&[("RATE_LIMIT_UPLOAD_PER_MIN", "1000")], None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clerk_uploads_a_hybrid_pdf_and_gets_it_back_byte_for_byte() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let bytes = corpus("pdf/pdf_zf_en16931_1.pdf");
    let request_id = format!("intake-{}", uuid::Uuid::new_v4().simple());

    // Act
    let resp = app
        .http
        .post(app.url("/api/v1/invoices/upload"))
        .bearer_auth(&clerk)
        .header("x-request-id", &request_id)
        .multipart(form("zugferd.pdf", "application/pdf", bytes.clone()))
        .send()
        .await
        .expect("upload");

    // Assert: the answer
    let invoice = created(resp).await;
    let id = invoice["id"].as_str().expect("id").to_owned();
    assert_eq!(invoice["status"], "received");
    assert_eq!(invoice["source"], "upload");
    let doc = &invoice["document"];
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["filename"], "zugferd.pdf");
    assert_eq!(doc["size_bytes"], json!(bytes.len()));
    assert_eq!(doc["sha256"], sha256_hex(&bytes));

    // Assert: the rows, all from one intake
    let db = app.db.client().await;
    assert_eq!(row_counts(&app).await, (1, 1, 1));
    let job = db
        .query_one(
            "SELECT status, invoice_id::text FROM invoice.extraction_jobs",
            &[],
        )
        .await
        .expect("job");
    // The gateway's invoice service runs extraction workers: the job may already be taken.
    let status = job.get::<_, String>(0);
    assert!(
        ["queued", "running", "done"].contains(&status.as_str()),
        "{status}"
    );
    assert_eq!(job.get::<_, String>(1), id);
    let audit = db
        .query(
            "SELECT request_id FROM invoice.audit_log
             WHERE action = 'invoice_received' AND entity_type = 'invoice' AND entity_id = $1",
            &[&id],
        )
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].get::<_, Option<String>>(0).as_deref(),
        Some(request_id.as_str())
    );

    // Assert: the object, under the storage directory, exactly the bytes sent
    let key: String = db
        .query_one("SELECT storage_key FROM invoice.documents", &[])
        .await
        .expect("doc")
        .get(0);
    let object = app.storage_dir.join(&key);
    assert_eq!(std::fs::read(&object).expect("stored object"), bytes);
    assert_eq!(files_under(&app.storage_dir), vec![object]);

    // Assert: the document route streams the same bytes back
    let got = app
        .get_authed(&format!("/api/v1/invoices/{id}/document"), &clerk)
        .await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.expect("body").as_ref(), bytes.as_slice());
}

#[tokio::test(flavor = "multi_thread")]
async fn ubl_and_cii_xml_and_png_are_accepted_and_typed_by_content() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let cases = [
        (
            "ubl.xml",
            "application/xml",
            corpus("einvoice/ubl/ubl-tc434-example1.xml"),
            "application/xml",
        ),
        (
            "cii.xml",
            "text/xml",
            corpus("einvoice/cii/CII_example1.xml"),
            "application/xml",
        ),
        ("scan.png", "image/png", png_bytes(1), "image/png"),
        (
            "scan",
            "application/octet-stream",
            png_bytes(2),
            "image/png",
        ),
        (
            "scan.png",
            "application/octet-stream",
            png_bytes(3),
            "image/png",
        ),
    ];

    for (filename, declared, bytes, expected) in cases {
        // Act
        let resp = upload(&app, &clerk, filename, declared, bytes.clone()).await;

        // Assert
        let invoice = created(resp).await;
        assert_eq!(invoice["status"], "received", "{filename}");
        assert_eq!(
            invoice["document"]["content_type"], expected,
            "{filename} sent as {declared}"
        );
        assert_eq!(invoice["document"]["sha256"], sha256_hex(&bytes));
        let id = invoice["id"].as_str().expect("id");
        let back = app
            .get_authed(&format!("/api/v1/invoices/{id}/document"), &clerk)
            .await;
        assert_eq!(back.headers()["content-type"], expected);
        assert_eq!(back.bytes().await.expect("body").as_ref(), bytes.as_slice());
    }
    assert_eq!(row_counts(&app).await, (5, 5, 5));
}

#[tokio::test(flavor = "multi_thread")]
async fn only_clerks_analysts_and_admins_may_upload_and_refusals_store_nothing() {
    // Arrange
    let app = spawn().await;

    // Act + Assert: refused first, so anything stored would show
    for role in [Role::Approver, Role::Auditor] {
        let (_, token) = app.user_with_token(role).await;
        let r = upload(
            &app,
            &token,
            "inv.pdf",
            "application/pdf",
            pdf_bytes(role.as_str()),
        )
        .await;
        assert_error(r, 403, "You do not have permission to perform this action.").await;
        assert_nothing_stored(&app, role.as_str()).await;
    }
    let anonymous = upload_form(
        &app,
        None,
        form("inv.pdf", "application/pdf", pdf_bytes("anon")),
    )
    .await;
    assert_error(anonymous, 401, "Not authenticated.").await;
    assert_nothing_stored(&app, "no token").await;

    for role in [Role::ApClerk, Role::ApAnalyst, Role::Admin] {
        let (_, token) = app.user_with_token(role).await;
        let r = upload(
            &app,
            &token,
            "inv.pdf",
            "application/pdf",
            pdf_bytes(role.as_str()),
        )
        .await;
        assert_eq!(r.status(), 201, "{role}");
    }
    assert_eq!(row_counts(&app).await, (3, 3, 3));
    assert_eq!(files_under(&app.storage_dir).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_upload_is_refused_with_a_clear_4xx_and_stores_nothing() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let too_large = "The file is larger than the 20 MiB limit.";

    // Empty file.
    let r = upload(&app, &clerk, "empty.pdf", "application/pdf", Vec::new()).await;
    assert_error(r, 400, "The file is empty.").await;
    assert_nothing_stored(&app, "empty file").await;

    // 20 MiB + 1 byte of PDF.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(LIMIT + 1, 0);
    let r = upload(&app, &clerk, "big.pdf", "application/pdf", big).await;
    assert_error(r, 413, too_large).await;
    assert_nothing_stored(&app, "20 MiB + 1").await;

    // PNG bytes declared as a PDF.
    let r = upload(&app, &clerk, "invoice.pdf", "application/pdf", png_bytes(9)).await;
    assert_error(
        r,
        415,
        "The file's content (png) does not match its declared type (pdf).",
    )
    .await;
    assert_nothing_stored(&app, "png as pdf").await;

    // Unsupported types: a ZIP, plain text.
    let unsupported =
        "Unsupported file type; upload a PDF, PNG, JPEG, TIFF, or UBL/CII XML invoice.";
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00invoice.pdf".to_vec();
    let r = upload(&app, &clerk, "invoices.zip", "application/zip", zip).await;
    assert_error(r, 415, unsupported).await;
    assert_nothing_stored(&app, "zip").await;
    let r = upload(
        &app,
        &clerk,
        "notes.txt",
        "text/plain",
        b"Invoice 42: please pay 100 EUR".to_vec(),
    )
    .await;
    assert_error(r, 415, unsupported).await;
    assert_nothing_stored(&app, "text").await;

    // XML with a DTD (billion laughs).
    let lol = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"#;
    let r = upload(&app, &clerk, "lol.xml", "application/xml", lol.to_vec()).await;
    assert_error(
        r,
        400,
        "XML with a document type declaration (DTD) is not accepted.",
    )
    .await;
    assert_nothing_stored(&app, "billion laughs").await;

    // More than 20 MiB of (otherwise acceptable) UBL XML.
    let mut xml =
        br#"<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">"#
            .to_vec();
    let note = b"<Note>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</Note>";
    while xml.len() <= LIMIT {
        xml.extend_from_slice(note);
    }
    xml.extend_from_slice(b"</Invoice>");
    let r = upload(&app, &clerk, "huge.xml", "application/xml", xml).await;
    assert_error(r, 413, too_large).await;
    assert_nothing_stored(&app, "huge xml").await;

    // Multipart without a `file` field.
    let r = upload_form(
        &app,
        Some(&clerk),
        Form::new().text("note", "no file here").part(
            "attachment",
            Part::bytes(pdf_bytes("wrong field"))
                .file_name("inv.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        ),
    )
    .await;
    let body = assert_error(r, 400, "file: a multipart field named file is required").await;
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
    assert_nothing_stored(&app, "no file field").await;

    // A path in the filename: accepted, but only the last component is kept.
    let bytes = pdf_bytes("traversal");
    let r = upload(
        &app,
        &clerk,
        "../../etc/passwd",
        "application/pdf",
        bytes.clone(),
    )
    .await;
    let invoice = created(r).await;
    assert_eq!(invoice["document"]["filename"], "passwd");
    let row = app
        .db
        .client()
        .await
        .query_one("SELECT filename, storage_key FROM invoice.documents", &[])
        .await
        .expect("document");
    assert_eq!(row.get::<_, String>(0), "passwd");
    let key: String = row.get(1);
    assert!(!key.contains(".."), "{key}");
    assert!(!key.contains("passwd"), "{key}");
    let object = app.storage_dir.join(&key);
    assert_eq!(files_under(&app.storage_dir), vec![object.clone()]);
    assert_eq!(std::fs::read(&object).expect("object"), bytes);
    let root = app.storage_dir.canonicalize().expect("storage dir");
    assert!(object.canonicalize().expect("object").starts_with(&root));
    // Nothing named passwd next to the storage directory either.
    let parent = root.parent().expect("parent");
    assert!(!parent.join("etc/passwd").exists());
    assert!(!root.join("etc").exists());
    assert_eq!(row_counts(&app).await, (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_bytes_twice_are_a_409_naming_the_first_invoice_until_it_is_cancelled() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let bytes = corpus("pdf/facturx_invoice_EN16931.pdf");
    let first =
        created(upload(&app, &clerk, "a.pdf", "application/pdf", bytes.clone()).await).await;
    let first_id = first["id"].as_str().expect("id").to_owned();

    // Act: same bytes, different name
    let again = upload(
        &app,
        &clerk,
        "copy-of-a.pdf",
        "application/pdf",
        bytes.clone(),
    )
    .await;

    // Assert
    let body = assert_error(
        again,
        409,
        &format!("This document was already uploaded as invoice {first_id}."),
    )
    .await;
    assert_eq!(body["existing_invoice_id"], first_id.as_str());
    assert_eq!(row_counts(&app).await, (1, 1, 1));
    assert_eq!(files_under(&app.storage_dir).len(), 1);

    // Act: cancel the first, then upload the same bytes again
    let cancelled = app
        .http
        .post(app.url(&format!("/api/v1/invoices/{first_id}/cancel")))
        .bearer_auth(&admin)
        .json(&json!({"reason": "uploaded by mistake"}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.expect("json");
    assert_eq!(cancelled["status"], "cancelled");
    let third =
        created(upload(&app, &clerk, "a.pdf", "application/pdf", bytes.clone()).await).await;

    // Assert
    assert_ne!(third["id"], first_id.as_str());
    assert_eq!(third["status"], "received");
    assert_eq!(third["document"]["sha256"], sha256_hex(&bytes));
    assert_eq!(row_counts(&app).await, (2, 2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn five_concurrent_uploads_of_the_same_bytes_make_exactly_one_invoice() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let bytes = corpus("pdf/pdf_zf_en16931_3.pdf");

    // Act
    let answers = futures::future::join_all((0..5).map(|i| {
        let (app, clerk, bytes) = (&app, &clerk, bytes.clone());
        async move {
            let r = upload(
                app,
                clerk,
                &format!("copy-{i}.pdf"),
                "application/pdf",
                bytes,
            )
            .await;
            let status = r.status().as_u16();
            let body: Value = r.json().await.expect("json");
            (status, body)
        }
    }))
    .await;

    // Assert
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let id = winners[0]["id"].as_str().expect("id");
    let conflicts: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(conflicts.len(), 4, "{answers:?}");
    for c in conflicts {
        assert_eq!(c["existing_invoice_id"], id, "{c}");
    }
    assert_eq!(row_counts(&app).await, (1, 1, 1));
    assert_eq!(files_under(&app.storage_dir).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_timeline_starts_with_invoice_received_and_unknown_ids_are_404() {
    // Arrange
    let app = spawn().await;
    let (_, clerk) = app.user_with_token(Role::ApClerk).await;
    let (_, auditor) = app.user_with_token(Role::Auditor).await;
    let invoice = created(
        upload(
            &app,
            &clerk,
            "inv.pdf",
            "application/pdf",
            pdf_bytes("audit"),
        )
        .await,
    )
    .await;
    let id = invoice["id"].as_str().expect("id");

    // Act
    let r = app
        .get_authed(&format!("/api/v1/invoices/{id}/audit"), &auditor)
        .await;

    // Assert
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    let items = body["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{body}");
    let received = items
        .iter()
        .find(|e| e["action"] == "invoice_received")
        .unwrap_or_else(|| panic!("no invoice_received in {body}"));
    assert_eq!(received["entity_type"], "invoice");
    assert_eq!(received["entity_id"], id);
    assert_eq!(received["after"]["status"], "received");
    assert_eq!(
        received["after"]["sha256"],
        invoice["document"]["sha256"].clone()
    );
    assert!(received["request_id"].is_string(), "{received}");
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = items
        .iter()
        .map(|e| {
            chrono::DateTime::parse_from_rfc3339(e["occurred_at"].as_str().expect("occurred_at"))
                .expect("rfc3339")
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {body}"
    );
    assert_eq!(items[0]["action"], "invoice_received");

    // Unknown and malformed ids.
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/api/v1/invoices/{unknown}/audit"),
        "/api/v1/invoices/not-a-uuid/audit".to_owned(),
        format!("/api/v1/invoices/{unknown}/document"),
        "/api/v1/invoices/not-a-uuid/document".to_owned(),
    ] {
        let r = app.get_authed(&path, &auditor).await;
        assert_error(r, 404, "Invoice not found.").await;
    }
}
