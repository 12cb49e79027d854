//! `Idempotency-Key` on the invoice service's creating RPCs, through `ap_kit::idempotency`:
//! the key belongs to the calling user, or to the vendor on portal calls. Streamed requests
//! (uploads, CSV imports) are read whole, within the upload limit, before they are hashed:
//! the key must be claimed before anything is stored.

use std::future::Future;

use ap_kit::idempotency::{self, Keyed, Message, RequestHasher};
use ap_proto::invoice::v1 as pb;
use futures::StreamExt;
use tonic::metadata::MetadataMap;
use tonic::{Status, Streaming};
use uuid::Uuid;

use super::InvoiceGrpc;
use crate::app::intake::UploadMeta;
use crate::app::{AppError, Caller, Identity};

/// A streamed request already read into memory, replayable to the app layer as a stream.
pub type Buffered<T> = futures::stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// Whose key it is: a user's or a vendor's; internal service calls carry none.
fn scope(caller: &Caller) -> Option<Uuid> {
    match &caller.identity {
        Identity::User(p) => Some(p.user_id.as_uuid()),
        Identity::Vendor(v) => Some(*v),
        Identity::Service(_) => None,
    }
}

impl InvoiceGrpc {
    /// Runs `work` once per key of the caller; a repeat with the same request gets the
    /// stored response.
    pub(super) async fn once<Resp, Fut>(
        &self,
        caller: &Caller,
        key: Option<&str>,
        operation: &str,
        request_hash: &str,
        work: impl FnOnce() -> Fut,
    ) -> Result<Resp, Status>
    where
        Resp: Message + Default,
        Fut: Future<Output = Result<Resp, Status>>,
    {
        let keyed = key.zip(scope(caller)).map(|(key, scope)| Keyed {
            key,
            scope,
            operation,
            request_hash,
        });
        idempotency::run(self.app.pool(), keyed, work).await
    }
}

/// The request's key, if any.
pub fn key(md: &MetadataMap) -> Result<Option<String>, Status> {
    Ok(idempotency::key_from_metadata(md)?)
}

/// Reads a whole upload stream (bounded by `max_bytes` of data) and hashes it.
pub async fn buffer_upload(
    mut stream: Streaming<pb::UploadChunk>,
    meta: &UploadMeta,
    operation: &str,
    max_bytes: u64,
) -> Result<(Buffered<pb::UploadChunk>, String), Status> {
    let mut hash = RequestHasher::new(operation);
    let vendor = meta.vendor_id.map(|v| v.to_string()).unwrap_or_default();
    hash.part(meta.filename.as_bytes())
        .part(meta.declared_content_type.as_bytes())
        .part(meta.source.as_bytes())
        .part(vendor.as_bytes());
    let mut chunks = Vec::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        if let Ok(pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Data(d)),
        }) = &chunk
        {
            size += d.len() as u64;
            if size > max_bytes {
                return Err(AppError::TooLarge(max_bytes).into());
            }
            hash.part(d);
        }
        let done = matches!(
            &chunk,
            Ok(pb::UploadChunk {
                part: Some(pb::upload_chunk::Part::Finish(_)),
            }) | Err(_)
        );
        chunks.push(chunk);
        if done {
            break;
        }
    }
    Ok((futures::stream::iter(chunks), hash.finish()))
}

/// Reads a whole CSV import stream (bounded by `max_bytes`) and hashes kind and bytes.
pub async fn buffer_import(
    mut stream: Streaming<pb::ImportChunk>,
    kind: &str,
    operation: &str,
    max_bytes: u64,
) -> Result<(Buffered<pb::ImportChunk>, String), Status> {
    let mut hash = RequestHasher::new(operation);
    hash.part(kind.as_bytes());
    let mut chunks = Vec::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        if let Ok(pb::ImportChunk {
            part: Some(pb::import_chunk::Part::Data(d)),
        }) = &chunk
        {
            size += d.len() as u64;
            if size > max_bytes {
                return Err(Status::invalid_argument(format!(
                    "The file is larger than the {} MiB limit.",
                    max_bytes / (1024 * 1024)
                )));
            }
            hash.part(d);
        }
        let done = matches!(
            &chunk,
            Ok(pb::ImportChunk {
                part: Some(pb::import_chunk::Part::Finish(_)),
            }) | Err(_)
        );
        chunks.push(chunk);
        if done {
            break;
        }
    }
    Ok((futures::stream::iter(chunks), hash.finish()))
}
