//! The extraction worker: claims queued jobs (SKIP LOCKED, so several workers and replicas
//! share the queue), reads the stored document, extracts fields, resolves the vendor, checks
//! the sums, and applies the result atomically. Transient failures retry with backoff; after
//! the last attempt, or on a document that cannot be read, the invoice shows a visible
//! failure (status `exception`, a reason and a LOW_CONFIDENCE exception) and is never left in
//! `extracting`. A re-run replaces earlier automatic results and never a manual correction.

use std::collections::HashSet;
use std::time::Duration;

use ap_kit::audit::{self, AuditEvent, RequestContext};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures::TryStreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{AppError, CORRECT, Caller, Identity, InvoiceApp};
use crate::domain::extraction::{self, Extracted, Field, Source};
use crate::domain::status::{InvoiceEvent, InvoiceStatus};
use crate::store::exceptions::{self as exception_store, NewException};
use crate::store::extraction::{self as store, ClaimedJob, NewLine};
use crate::store::invoices::{self as invoice_store, InvoiceChanges};
use crate::store::vendors as vendor_store;

/// Knobs of the worker, from configuration.
#[derive(Clone, Copy, Debug)]
pub struct WorkerConfig {
    pub workers: usize,
    pub poll: Duration,
    pub lease: Duration,
    pub max_attempts: i32,
    pub base_backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(300),
            max_attempts: 5,
            base_backoff: Duration::from_secs(2),
        }
    }
}

/// Similarity at or above which a vendor name (or alias) is taken as a match.
const NAME_MATCH: f64 = 0.8;
/// Fields below this confidence raise LOW_CONFIDENCE.
const LOW_CONFIDENCE: f64 = 0.8;

/// Why a run did not produce a result.
enum Failure {
    /// The document cannot be read this way; retrying will not help.
    Permanent(String),
    /// Storage or database trouble; worth another attempt.
    Transient(anyhow::Error),
}

#[derive(Debug)]
struct Resolution {
    vendor_id: Uuid,
    vendor_name: String,
    method: &'static str,
    confidence: f64,
}

fn system_caller(job: Uuid) -> Caller {
    Caller {
        identity: Identity::Service("extraction".into()),
        ctx: RequestContext {
            request_id: Some(format!("extraction-{job}")),
            ..Default::default()
        },
    }
}

impl InvoiceApp {
    /// Runs `config.workers` loops until `shutdown` flips to true.
    pub async fn run_extraction_workers(
        &self,
        config: WorkerConfig,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..config.workers.max(1) {
            let app = self.clone();
            let mut stop = shutdown.clone();
            tasks.spawn(async move {
                loop {
                    let worked = match app.extract_next(&config).await {
                        Ok(worked) => worked,
                        Err(e) => {
                            tracing::warn!(error = ?e, "extraction pass failed");
                            false
                        }
                    };
                    if *stop.borrow() {
                        return;
                    }
                    if !worked {
                        tokio::select! {
                            _ = stop.changed() => return,
                            () = tokio::time::sleep(config.poll) => {}
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Claims and processes one job; false when none was due.
    pub async fn extract_next(&self, config: &WorkerConfig) -> Result<bool, AppError> {
        let lease = i32::try_from(config.lease.as_secs()).unwrap_or(i32::MAX);
        let mut conn = self.conn().await?;
        let claimed = conn
            .transaction::<_, AppError, _>(async |conn| {
                let Some(job) = store::claim_job(conn, lease).await? else {
                    return Ok(None);
                };
                let caller = system_caller(job.id);
                let row = invoice_store::find_invoice(conn, job.invoice_id, true).await?;
                match row {
                    Some(row) if row.status == InvoiceStatus::Received.as_str() => {
                        self.apply_event(conn, &caller, &row, InvoiceEvent::BeginExtraction, None)
                            .await?;
                        Ok(Some(job))
                    }
                    // A job reclaimed from a worker that died mid-run.
                    Some(row) if row.status == InvoiceStatus::Extracting.as_str() => Ok(Some(job)),
                    _ => {
                        store::finish_job(
                            conn,
                            job.id,
                            "done",
                            None,
                            Some("invoice no longer awaits extraction"),
                        )
                        .await?;
                        Ok(None)
                    }
                }
            })
            .await?;
        let Some(job) = claimed else { return Ok(false) };
        tracing::info!(invoice.id = %job.invoice_id, job.id = %job.id, attempt = job.attempts, "extracting");
        match self.extract_document(job.invoice_id).await {
            Ok((extracted, method)) => self.apply_extraction(&job, extracted, method).await?,
            Err(Failure::Permanent(reason)) => self.fail_extraction(&job, &reason).await?,
            Err(Failure::Transient(e)) if job.attempts >= config.max_attempts => {
                tracing::warn!(invoice.id = %job.invoice_id, error = ?e, "extraction attempts exhausted");
                self.fail_extraction(&job, &format!("gave up after {} attempts", job.attempts))
                    .await?;
            }
            Err(Failure::Transient(e)) => {
                let exp =
                    2u32.saturating_pow(u32::try_from(job.attempts.clamp(0, 16)).unwrap_or(16));
                let delay = config
                    .base_backoff
                    .saturating_mul(exp)
                    .min(Duration::from_secs(600));
                tracing::warn!(invoice.id = %job.invoice_id, error = ?e, retry_in_s = delay.as_secs_f64(), "extraction will retry");
                let mut conn = self.conn().await?;
                store::retry_job(&mut conn, job.id, delay.as_secs_f64(), &e.to_string()).await?;
            }
        }
        Ok(true)
    }

    /// Reads the stored document and extracts it with the best method that applies.
    async fn extract_document(
        &self,
        invoice_id: Uuid,
    ) -> Result<(Extracted, &'static str), Failure> {
        let doc = {
            let mut conn = self
                .conn()
                .await
                .map_err(|e| Failure::Transient(anyhow::anyhow!("{e}")))?;
            invoice_store::document_of(&mut conn, invoice_id)
                .await
                .map_err(|e| Failure::Transient(e.into()))?
                .ok_or_else(|| Failure::Permanent("the invoice has no document".into()))?
        };
        let stream = self
            .storage()
            .get(&doc.storage_key)
            .await
            .map_err(Failure::Transient)?
            .into_stream();
        let chunks: Vec<bytes::Bytes> = stream
            .try_collect()
            .await
            .map_err(|e| Failure::Transient(e.into()))?;
        let bytes = chunks.concat();
        let content_type = doc.content_type.clone();
        // Parsing is CPU work on up to 20 MiB: keep it off the async workers.
        let (mut extracted, method, text) =
            tokio::task::spawn_blocking(move || extract_bytes(&bytes, &content_type))
                .await
                .map_err(|e| Failure::Transient(e.into()))??;
        // A structured e-invoice is exact; text and OCR readings get a second opinion.
        if let (Some(llm), Some(text)) = (self.llm(), text) {
            self.cross_check(llm, &text, &mut extracted).await;
        }
        Ok((extracted, method))
    }

    /// Asks the LLM for the same fields and reconciles. An LLM failure is logged and the
    /// deterministic reading stands: the LLM helps, it never blocks.
    async fn cross_check(&self, llm: &ap_llm::Client, text: &str, e: &mut Extracted) {
        let excerpt: String = text.chars().take(20_000).collect();
        let user = format!(
            "{}\n\nRead this invoice and record its header fields. Use null for anything not printed.\n\n{}",
            ap_llm::prompt::untrusted_notice(&["document"]),
            ap_llm::prompt::document(&excerpt)
        );
        let system = "You read supplier invoices for an accounts-payable team. Copy values exactly as printed; never guess.";
        match llm
            .extract_structured::<extraction::LlmFields>(
                system,
                &user,
                "record_invoice_fields",
                "Record the invoice's header fields.",
                extraction::llm_schema(),
            )
            .await
        {
            Ok(read) => extraction::reconcile(e, &read.value),
            Err(err) => tracing::warn!(error = %err, "LLM cross-check skipped"),
        }
    }

    async fn apply_extraction(
        &self,
        job: &ClaimedJob,
        mut e: Extracted,
        method: &'static str,
    ) -> Result<(), AppError> {
        let caller = system_caller(job.id);
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let Some(row) = invoice_store::find_invoice(conn, job.invoice_id, true).await? else {
                store::finish_job(conn, job.id, "done", Some(method), Some("invoice deleted")).await?;
                return Ok(());
            };
            if row.status != InvoiceStatus::Extracting.as_str() {
                store::finish_job(conn, job.id, "done", Some(method), Some("invoice moved on during extraction")).await?;
                return Ok(());
            }
            let manual: HashSet<String> = row
                .fields
                .as_object()
                .map(|m| m.iter().filter(|(_, v)| v.get("source").and_then(Value::as_str) == Some("manual")).map(|(k, _)| k.clone()).collect())
                .unwrap_or_default();
            // A portal upload's vendor is the token's: the document never moves it to another one.
            let vendor_fixed = manual.contains("vendor_id") || row.source == "portal";
            let resolution = if vendor_fixed { None } else { self.resolve_extracted_vendor(conn, &e).await? };
            let vendor_days = match resolution.as_ref().map(|r| r.vendor_id).or(row.vendor_id) {
                Some(v) => vendor_store::find_vendor(conn, v, false).await?.and_then(|v| v.payment_terms_days),
                None => None,
            };
            if e.due_date.is_none()
                && let Some(date) = e.invoice_date.as_ref()
                && let Some(due) = extraction::due_from_terms(date.value, e.payment_terms.as_ref().map(|t| t.value.as_str()), vendor_days)
            {
                // Derived, not read: a little less certain than the fields it comes from.
                e.due_date = Some(Field { value: due, confidence: date.confidence * 0.9 });
            }
            let base_source = e.source.unwrap_or(Source::Text).as_str();
            let llm_fields = e.llm_fields.clone();
            let mut fields = row.fields.as_object().cloned().unwrap_or_default();
            let mut changes = InvoiceChanges::default();
            let mut low = Vec::new();
            macro_rules! set {
                ($name:literal, $field:expr, $slot:ident, $conv:expr) => {
                    if !manual.contains($name) {
                        match &$field {
                            Some(f) => {
                                changes.$slot = Some(Some($conv(&f.value)));
                                let source = if llm_fields.contains(&$name) { "llm" } else { base_source };
                                fields.insert($name.into(), json!({"source": source, "confidence": f.confidence}));
                                if f.confidence < LOW_CONFIDENCE {
                                    low.push($name);
                                }
                            }
                            None => {
                                changes.$slot = Some(None);
                                fields.remove($name);
                            }
                        }
                    }
                };
            }
            set!("invoice_number", e.invoice_number, invoice_number, |v: &String| v.clone());
            set!("invoice_date", e.invoice_date, invoice_date, |v: &chrono::NaiveDate| *v);
            set!("due_date", e.due_date, due_date, |v: &chrono::NaiveDate| *v);
            set!("currency", e.currency, currency, |v: &String| v.clone());
            set!("subtotal", e.subtotal, subtotal, |v: &rust_decimal::Decimal| *v);
            set!("tax_amount", e.tax_amount, tax_amount, |v: &rust_decimal::Decimal| *v);
            set!("total_amount", e.total_amount, total_amount, |v: &rust_decimal::Decimal| *v);
            set!("amount_due", e.amount_due, amount_due, |v: &rust_decimal::Decimal| *v);
            set!("po_number", e.po_number, po_number, |v: &String| v.clone());
            set!("payment_terms", e.payment_terms, payment_terms, |v: &String| v.clone());
            set!("vendor_name_raw", e.seller_name, vendor_name_raw, |v: &String| v.clone());
            set!("payee_iban", e.payee_iban, payee_iban, |v: &String| v.clone());
            if let Some(number) = &changes.invoice_number {
                changes.invoice_number_normalized = Some(number.as_deref().map(crate::domain::values::normalize_invoice_number));
            }
            if let Some(r) = &resolution {
                changes.vendor_id = Some(Some(r.vendor_id));
                changes.vendor_name = Some(Some(r.vendor_name.clone()));
                fields.insert("vendor_id".into(), json!({"source": base_source, "confidence": r.confidence, "method": r.method}));
            }
            // The payable amount the invoice would carry: one the database's rule refuses
            // (outside 0 .. total, beyond a rounding) is not stored, so the invoice pays at
            // most its total, and the high exception below sends it to a person.
            let mut payable_issues = e.payable_issues.clone();
            let total_after = changes.total_amount.unwrap_or(row.total_amount);
            let due_after = changes.amount_due.unwrap_or(row.amount_due);
            if !crate::domain::payable::storable_amount_due(total_after, due_after) {
                if payable_issues.is_empty() {
                    payable_issues.push(format!(
                        "the amount due {} lies outside 0 .. total {}",
                        due_after.unwrap_or_default(),
                        total_after.unwrap_or_default()
                    ));
                }
                changes.amount_due = Some(None);
                fields.remove("amount_due");
            }
            changes.fields = Some(Value::Object(fields));
            invoice_store::update_invoice(conn, row.id, changes).await?;
            let lines: Vec<NewLine> = e
                .lines
                .iter()
                .map(|l| NewLine {
                    line_number: l.line_number,
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit: l.unit.clone(),
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                    tax_rate: l.tax_rate,
                    po_line_number: l.po_line_number,
                    source: base_source.to_owned(),
                })
                .collect();
            store::replace_automatic_lines(conn, row.id, &lines).await?;

            let mut raised = Vec::new();
            let arithmetic: Vec<String> = e.arithmetic_issues.iter().cloned().chain(extraction::check_sums(&e)).collect();
            if !arithmetic.is_empty() {
                raised.push(NewException {
                    code: "ARITHMETIC_ERROR",
                    severity: "medium",
                    message: format!("The invoice's amounts do not add up: {}.", arithmetic.join("; ")),
                    details: json!({"issues": arithmetic}),
                    key: None,
                });
            }
            if !payable_issues.is_empty() {
                // Severity high (ARITHMETIC_ERROR is medium otherwise): a payable the document
                // cannot justify is about how much money leaves, so it blocks approval and
                // touchless approval and waits for a person, like any high exception.
                raised.push(NewException {
                    code: "ARITHMETIC_ERROR",
                    severity: "high",
                    message: format!(
                        "The amount to pay is not justified by the document: {}. Correct the amount due or reject the invoice.",
                        payable_issues.join("; ")
                    ),
                    details: json!({"issues": payable_issues, "stated_amount_due": e.amount_due.as_ref().map(|f| f.value.normalize().to_string())}),
                    key: Some("payable".into()),
                });
            }
            let has_vendor = resolution.is_some() || (manual.contains("vendor_id") && row.vendor_id.is_some()) || row.vendor_id.is_some();
            if !has_vendor {
                raised.push(NewException {
                    code: "VENDOR_UNKNOWN",
                    severity: "high",
                    message: format!(
                        "No vendor matches the seller {} (tax id {}).",
                        e.seller_name.as_ref().map_or("(none)", |f| f.value.as_str()),
                        e.seller_tax_id.as_ref().map_or("(none)", |f| f.value.as_str())
                    ),
                    details: json!({"seller_name": e.seller_name.as_ref().map(|f| &f.value), "seller_tax_id": e.seller_tax_id.as_ref().map(|f| &f.value)}),
                    key: None,
                });
            }
            let missing: Vec<&str> = extraction::missing_fields(&e).into_iter().filter(|f| !manual.contains(*f)).collect();
            if !e.disagreements.is_empty() {
                raised.push(NewException {
                    code: "LOW_CONFIDENCE",
                    severity: "medium",
                    message: format!("The text reading and the LLM disagree: {}.", e.disagreements.join("; ")),
                    details: json!({"disagreements": e.disagreements}),
                    key: Some("llm".into()),
                });
            }
            if !missing.is_empty() || !low.is_empty() {
                raised.push(NewException {
                    code: "LOW_CONFIDENCE",
                    severity: "medium",
                    message: format!(
                        "Check these fields: {}.",
                        missing.iter().map(|m| format!("{m} (missing)")).chain(low.iter().map(|l| format!("{l} (uncertain)"))).collect::<Vec<_>>().join(", ")
                    ),
                    details: json!({"missing": missing, "uncertain": low}),
                    key: Some("fields".into()),
                });
            }
            let sla = self.match_policy().sla;
            let now = chrono::Utc::now();
            let exceptions = exception_store::reconcile(conn, row.id, "extraction", &raised, |sev| now + sla.for_severity(sev)).await?;
            let row = invoice_store::find_invoice(conn, row.id, true).await?.ok_or(AppError::NotFound("invoice"))?;
            let row = self.apply_event(conn, &caller, &row, InvoiceEvent::ExtractionSucceeded, None).await?;
            store::finish_job(conn, job.id, "done", Some(method), None).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(caller.actor(), "invoice_extracted", "invoice", Some(row.id.to_string())).after(json!({
                    "method": method, "lines": lines.len(),
                    "vendor": resolution.as_ref().map(|r| json!({"id": r.vendor_id.to_string(), "method": r.method, "confidence": r.confidence})),
                    "exceptions": exceptions.iter().map(|x| x.code.clone()).collect::<Vec<_>>(),
                    "kept_manual": manual.iter().collect::<Vec<_>>(),
                })),
            )
            .await?;
            // Straight on to matching, in the same transaction: never left in `extracted`.
            self.evaluate(conn, &caller, &row).await?;
            Ok(())
        })
        .await?;
        self.route_soon();
        tracing::info!(invoice.id = %job.invoice_id, method, "extracted");
        Ok(())
    }

    /// Vendor by tax id, then payee IBAN, then name or alias similarity.
    async fn resolve_extracted_vendor(
        &self,
        conn: &mut AsyncPgConnection,
        e: &Extracted,
    ) -> Result<Option<Resolution>, AppError> {
        if let Some(tax) = &e.seller_tax_id {
            let normalized = crate::domain::values::normalize_tax_id(&tax.value);
            if let Some(v) = vendor_store::find_vendor_by_tax_id(conn, &normalized).await? {
                return Ok(Some(Resolution {
                    vendor_id: v.id,
                    vendor_name: v.name,
                    method: "tax_id",
                    confidence: tax.confidence,
                }));
            }
        }
        if let Some(iban) = &e.payee_iban {
            let ids =
                store::vendors_with_account(conn, &self.cipher().fingerprint(&iban.value)).await?;
            // The same account on two vendors resolves nothing (and is a fraud signal later).
            if let [id] = ids.as_slice()
                && let Some(v) = vendor_store::find_vendor(conn, *id, false).await?
            {
                return Ok(Some(Resolution {
                    vendor_id: v.id,
                    vendor_name: v.name,
                    method: "iban",
                    confidence: iban.confidence * 0.95,
                }));
            }
        }
        if let Some(name) = &e.seller_name {
            let mut best: Option<(f64, Uuid)> = None;
            let mut tie = false;
            for c in store::vendor_name_candidates(conn, &name.value).await? {
                let score = extraction::name_similarity(&c.name, &name.value);
                match best {
                    Some((b, id)) if (score - b).abs() < 1e-9 && id != c.vendor_id => tie = true,
                    Some((b, _)) if score <= b => {}
                    _ => {
                        best = Some((score, c.vendor_id));
                        tie = false;
                    }
                }
            }
            if let Some((score, id)) = best
                && score >= NAME_MATCH
                && !tie
                && let Some(v) = vendor_store::find_vendor(conn, id, false).await?
            {
                return Ok(Some(Resolution {
                    vendor_id: v.id,
                    vendor_name: v.name,
                    method: "name",
                    confidence: name.confidence * score,
                }));
            }
        }
        Ok(None)
    }

    /// The visible failure: status `exception`, the reason, and a LOW_CONFIDENCE exception.
    async fn fail_extraction(&self, job: &ClaimedJob, reason: &str) -> Result<(), AppError> {
        let caller = system_caller(job.id);
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            store::finish_job(conn, job.id, "failed", None, Some(reason)).await?;
            let Some(row) = invoice_store::find_invoice(conn, job.invoice_id, true).await? else {
                return Ok(());
            };
            if row.status != InvoiceStatus::Extracting.as_str() {
                return Ok(());
            }
            let sla = self.match_policy().sla;
            let now = chrono::Utc::now();
            exception_store::reconcile(
                conn,
                row.id,
                "extraction",
                &[NewException {
                    code: "LOW_CONFIDENCE",
                    severity: "medium",
                    message: format!(
                        "Extraction failed: {reason}. Enter the fields by hand or re-extract."
                    ),
                    details: json!({"reason": reason}),
                    key: Some("failed".into()),
                }],
                |sev| now + sla.for_severity(sev),
            )
            .await?;
            let updated = self
                .apply_event(
                    conn,
                    &caller,
                    &row,
                    InvoiceEvent::ExtractionFailed,
                    Some(reason),
                )
                .await?;
            invoice_store::set_failure_reason(conn, updated.id, Some(reason)).await?;
            Ok(())
        })
        .await?;
        tracing::warn!(invoice.id = %job.invoice_id, reason, "extraction failed");
        Ok(())
    }

    /// `POST /invoices/{id}/extract`: queue extraction again (refused once settled).
    #[tracing::instrument(skip_all, fields(invoice.id = %id))]
    pub async fn request_extraction(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<super::invoices::InvoiceView, AppError> {
        caller.require(CORRECT)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let row = invoice_store::find_invoice(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("invoice"))?;
            if row.status != InvoiceStatus::Received.as_str() {
                self.apply_event(
                    conn,
                    caller,
                    &row,
                    InvoiceEvent::Reextract,
                    Some("re-extraction requested"),
                )
                .await?;
            }
            invoice_store::insert_extraction_job(conn, id).await?;
            self.invoice_view(conn, id).await
        })
        .await
    }
}

/// The extraction methods in order of preference: a structured e-invoice (XML, or embedded
/// in a hybrid PDF) first.
fn extract_bytes(
    bytes: &[u8],
    content_type: &str,
) -> Result<(Extracted, &'static str, Option<String>), Failure> {
    let limits = ap_einvoice::Limits {
        max_input_bytes: 25 * 1024 * 1024,
        ..ap_einvoice::Limits::default()
    };
    match ap_einvoice::parse_with(bytes, &limits) {
        Ok(invoice) => {
            let method = if content_type == "application/pdf" {
                "xml_embedded"
            } else {
                "xml"
            };
            Ok((extraction::from_einvoice(&invoice), method, None))
        }
        // No structured e-invoice inside: read the text layer, or OCR a page without one.
        Err(ap_einvoice::Error::NoEmbeddedXml) => {
            match ap_textract::pdf_to_text(bytes, &ap_textract::PdfToTextConfig::default()) {
                Ok(text) => {
                    let read = ap_textract::extract_text(&text);
                    let f = &read.fields;
                    if f.invoice_number.is_none()
                        && f.total.is_none()
                        && f.subtotal.is_none()
                        && f.invoice_date.is_none()
                    {
                        return Err(Failure::Permanent(
                            "no invoice fields were found in the PDF's text".into(),
                        ));
                    }
                    Ok((
                        extraction::from_text(&read, Source::Text),
                        "text",
                        Some(text),
                    ))
                }
                Err(ap_textract::ExtractError::NoTextLayer) => ocr(bytes, true),
                Err(ap_textract::ExtractError::ToolMissing(tool)) => {
                    Err(Failure::Permanent(format!(
                        "the PDF carries no structured e-invoice and text extraction needs {tool}, which is not installed"
                    )))
                }
                Err(e) => Err(Failure::Permanent(format!(
                    "the PDF's text cannot be read ({e})"
                ))),
            }
        }
        // A decompression bomb, or an absurd page or object count: refused before any
        // parser or helper inflated it, with the bound in words.
        Err(ap_einvoice::Error::PdfLimit(limit)) => Err(Failure::Permanent(limit.to_string())),
        Err(_) if content_type.starts_with("image/") => ocr(bytes, false),
        Err(e) => Err(Failure::Permanent(format!(
            "the document cannot be read ({e})"
        ))),
    }
}

/// OCR of an image or of a PDF without a text layer; the recognised text is kept for the
/// LLM cross-check. Missing tools are named, never a silent empty result.
fn ocr(bytes: &[u8], is_pdf: bool) -> Result<(Extracted, &'static str, Option<String>), Failure> {
    let config = ap_textract::OcrConfig::default();
    let recognised = if is_pdf {
        ap_textract::ocr_pdf(bytes, &config)
    } else {
        ap_textract::ocr_image(bytes, &config)
    };
    let text = match recognised {
        Ok(text) => text,
        Err(ap_textract::ExtractError::ToolMissing(tool)) => {
            return Err(Failure::Permanent(format!(
                "OCR needs {tool}, which is not installed"
            )));
        }
        Err(ap_textract::ExtractError::NoTextLayer) => {
            return Err(Failure::Permanent("OCR found no text on the page".into()));
        }
        Err(
            e @ (ap_textract::ExtractError::ImageTooLarge { .. }
            | ap_textract::ExtractError::TooManyPages(_)),
        ) => return Err(Failure::Permanent(e.to_string())),
        Err(e) => {
            return Err(Failure::Permanent(format!(
                "OCR could not read the document ({e})"
            )));
        }
    };
    match ap_textract::extract_ocr_text(&text) {
        Ok(read) => Ok((
            extraction::from_text(&read, Source::Ocr),
            "ocr",
            Some(text.text),
        )),
        Err(ap_textract::ExtractError::NoInvoiceData) => Err(Failure::Permanent(
            "no invoice fields were found by OCR".into(),
        )),
        Err(e) => Err(Failure::Permanent(format!(
            "OCR could not read the document ({e})"
        ))),
    }
}
