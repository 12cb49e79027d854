//! Invoice intake: the upload is streamed into object storage while its SHA-256 is computed;
//! the type is decided by content; the size limit holds while streaming. On success the
//! invoice, its document and an extraction job are created in one transaction. On any
//! failure nothing is kept: no object, no row.

use ap_kit::audit::{self, AuditEvent};
use bytes::Bytes;
use diesel_async::AsyncConnection;
use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::invoices::InvoiceView;
use super::{AppError, Caller, Identity, InvoiceApp, UPLOAD};
use crate::domain::sniff::{self, DocumentKind, SNIFF_LEN};
use crate::domain::status::InvoiceStatus;
use crate::store::invoices::{self as store, NewDocument, NewInvoice};
use crate::store::vendors as vendor_store;

/// One piece of an upload stream.
pub enum UploadPart {
    Data(Bytes),
    /// The sender finished; a stream that ends without it was cut short.
    Finish,
}

pub struct UploadMeta {
    pub filename: String,
    pub declared_content_type: String,
    pub source: String,
    pub vendor_id: Option<Uuid>,
}

/// What was written to storage, before any row exists.
struct Stored {
    key: String,
    kind: DocumentKind,
    size: u64,
    sha256: String,
}

impl InvoiceApp {
    #[tracing::instrument(skip_all)]
    pub async fn upload_invoice<S>(
        &self,
        caller: &Caller,
        meta: UploadMeta,
        parts: S,
    ) -> Result<InvoiceView, AppError>
    where
        S: Stream<Item = Result<UploadPart, AppError>> + Unpin,
    {
        // A vendor uploads through the portal: the vendor and the source come from its token,
        // whatever the request says.
        let (user, source, vendor_id) = match &caller.identity {
            Identity::Vendor(v) => (None, "portal", Some(*v)),
            _ => {
                let user = caller.require(UPLOAD)?.user_id.as_uuid();
                let source = match meta.source.as_str() {
                    "" | "upload" => "upload",
                    "api" => "api",
                    _ => return Err(AppError::invalid("source", "must be upload or api")),
                };
                (Some(user), source, meta.vendor_id)
            }
        };
        let filename = sniff::sanitize_filename(&meta.filename);
        let stored = self
            .store_stream(&filename, &meta.declared_content_type, parts)
            .await?;
        match self
            .register_upload(caller, user, &filename, source, vendor_id, &stored)
            .await
        {
            Ok(view) => Ok(view),
            Err(e) => {
                // The rows were rolled back; the bytes must go too.
                self.storage().delete(&stored.key).await;
                Err(e)
            }
        }
    }

    async fn store_stream<S>(
        &self,
        filename: &str,
        declared: &str,
        mut parts: S,
    ) -> Result<Stored, AppError>
    where
        S: Stream<Item = Result<UploadPart, AppError>> + Unpin,
    {
        let max = self.upload_max_bytes();
        // Collect just enough of the beginning to decide the type before storing anything.
        let mut head: Vec<u8> = Vec::new();
        let mut finished = false;
        while head.len() < SNIFF_LEN && !finished {
            match parts.next().await {
                Some(Ok(UploadPart::Data(b))) => head.extend_from_slice(&b),
                Some(Ok(UploadPart::Finish)) => finished = true,
                Some(Err(e)) => return Err(e),
                None => return Err(AppError::Interrupted),
            }
            if head.len() as u64 > max {
                return Err(AppError::TooLarge(max));
            }
        }
        let kind = sniff::sniff(&head)?;
        sniff::check_declared(kind, declared, filename)?;

        let now = chrono::Utc::now();
        let key = format!(
            "documents/{}/{}.{}",
            now.format("%Y/%m"),
            Uuid::now_v7(),
            kind.extension()
        );
        let upload = self
            .storage()
            .inner()
            .put_multipart(&Path::from(key.as_str()))
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Sha256::new();
        let mut size = head.len() as u64;
        hasher.update(&head);
        writer.write(&head);
        let outcome: Result<(), AppError> = async {
            while !finished {
                match parts.next().await {
                    Some(Ok(UploadPart::Data(b))) => {
                        size += b.len() as u64;
                        if size > max {
                            return Err(AppError::TooLarge(max));
                        }
                        hasher.update(&b);
                        // Bounded memory: wait while more than two parts are in flight.
                        writer
                            .wait_for_capacity(2)
                            .await
                            .map_err(|e| AppError::Unexpected(e.into()))?;
                        writer.put(b);
                    }
                    Some(Ok(UploadPart::Finish)) => finished = true,
                    Some(Err(e)) => return Err(e),
                    None => return Err(AppError::Interrupted),
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "aborting the partial upload failed");
            }
            return Err(e);
        }
        writer
            .finish()
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?;
        Ok(Stored {
            key,
            kind,
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    async fn register_upload(
        &self,
        caller: &Caller,
        user: Option<Uuid>,
        filename: &str,
        source: &str,
        vendor_id: Option<Uuid>,
        stored: &Stored,
    ) -> Result<InvoiceView, AppError> {
        let mut conn = self.conn().await?;
        let id = conn
            .transaction::<_, AppError, _>(async |conn| {
                store::lock_document_hash(conn, &stored.sha256).await?;
                if let Some(existing) = store::find_live_invoice_with_document(conn, &stored.sha256).await? {
                    return Err(AppError::DuplicateDocument(existing));
                }
                let vendor = match vendor_id {
                    Some(v) => Some(vendor_store::find_vendor(conn, v, false).await?.ok_or_else(|| AppError::invalid("vendor_id", "no such vendor"))?),
                    None => None,
                };
                let invoice = store::insert_invoice(
                    conn,
                    NewInvoice {
                        id: Uuid::now_v7(),
                        status: InvoiceStatus::Received.as_str().to_owned(),
                        vendor_id: vendor.as_ref().map(|v| v.id),
                        vendor_name: vendor.map(|v| v.name),
                        source: source.to_owned(),
                        uploaded_by: user,
                    },
                )
                .await?;
                let doc = store::insert_document(
                    conn,
                    NewDocument {
                        id: Uuid::now_v7(),
                        invoice_id: invoice.id,
                        storage_key: stored.key.clone(),
                        filename: filename.to_owned(),
                        content_type: stored.kind.content_type().to_owned(),
                        size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
                        sha256: stored.sha256.clone(),
                    },
                )
                .await?;
                let job = store::insert_extraction_job(conn, invoice.id).await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(caller.actor(), "invoice_received", "invoice", Some(invoice.id.to_string())).after(json!({
                        "status": invoice.status, "source": source, "document_id": doc.id.to_string(),
                        "filename": filename, "content_type": doc.content_type, "size_bytes": doc.size_bytes,
                        "sha256": doc.sha256, "extraction_job_id": job.to_string(),
                    })),
                )
                .await?;
                Ok(invoice.id)
            })
            .await?;
        tracing::info!(invoice.id = %id, size = stored.size, "invoice received");
        self.invoice_view(&mut conn, id).await
    }
}
