//! Adapters between gRPC streams and the app layer: upload parts, CSV bytes, document chunks.

use ap_proto::invoice::v1 as pb;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tonic::{Status, Streaming};

use super::BoxStream;
use crate::app::AppError;
use crate::app::intake::{UploadMeta, UploadPart};
use crate::store::invoices::DocumentRow;

/// Chunk size of document downloads.
const DOWNLOAD_CHUNK: usize = 64 * 1024;

pub async fn upload_meta(stream: &mut Streaming<pb::UploadChunk>) -> Result<UploadMeta, Status> {
    match stream.next().await {
        Some(Ok(pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Meta(m)),
        })) => Ok(UploadMeta {
            filename: m.filename,
            declared_content_type: m.declared_content_type,
            source: m.source,
            vendor_id: if m.vendor_id.is_empty() {
                None
            } else {
                Some(
                    m.vendor_id
                        .parse()
                        .map_err(|_| Status::invalid_argument("Invalid vendor id."))?,
                )
            },
        }),
        Some(Err(e)) => Err(e),
        _ => Err(Status::invalid_argument(
            "An upload starts with its metadata.",
        )),
    }
}

pub fn upload_parts(
    stream: impl Stream<Item = Result<pb::UploadChunk, Status>> + Unpin,
) -> impl Stream<Item = Result<UploadPart, AppError>> + Unpin {
    stream.map(|chunk| match chunk {
        Ok(pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Data(d)),
        }) => Ok(UploadPart::Data(Bytes::from(d))),
        Ok(pb::UploadChunk {
            part: Some(pb::upload_chunk::Part::Finish(_)),
        }) => Ok(UploadPart::Finish),
        Ok(_) => Err(AppError::invalid("upload", "metadata may only come first")),
        Err(e) => {
            tracing::info!(error = %e, "upload stream broke off");
            Err(AppError::Interrupted)
        }
    })
}

pub async fn import_kind(stream: &mut Streaming<pb::ImportChunk>) -> Result<String, Status> {
    match stream.next().await {
        Some(Ok(pb::ImportChunk {
            part: Some(pb::import_chunk::Part::Kind(k)),
        })) => Ok(k),
        Some(Err(e)) => Err(e),
        _ => Err(Status::invalid_argument("An import starts with its kind.")),
    }
}

/// The CSV bytes; ends at the `finish` marker, and fails (Interrupted) if the stream stops
/// before it, so a cut-short file is never taken for a complete one.
pub fn import_bytes(
    stream: impl Stream<Item = Result<pb::ImportChunk, Status>> + Unpin + Send + 'static,
) -> impl Stream<Item = std::io::Result<Bytes>> + Unpin + Send {
    let interrupted =
        || std::io::Error::new(std::io::ErrorKind::Interrupted, "import stream ended early");
    let mut done = false;
    Box::pin(
        stream
            .chain(futures::stream::once(async {
                Err(Status::cancelled("end"))
            }))
            .map(move |chunk| match chunk {
                _ if done => None,
                Ok(pb::ImportChunk {
                    part: Some(pb::import_chunk::Part::Data(d)),
                }) => Some(Ok(Bytes::from(d))),
                Ok(pb::ImportChunk {
                    part: Some(pb::import_chunk::Part::Finish(_)),
                }) => {
                    done = true;
                    None
                }
                Ok(_) => Some(Err(interrupted())),
                Err(_) => Some(Err(interrupted())),
            })
            .take_while(|item| futures::future::ready(item.is_some()))
            .filter_map(futures::future::ready),
    )
}

pub fn document_chunks(
    doc: DocumentRow,
    bytes: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
) -> BoxStream<pb::DocumentChunk> {
    let mut first = Some(doc);
    Box::pin(
        bytes
            .flat_map(|r| {
                futures::stream::iter(match r {
                    Ok(b) => b
                        .chunks(DOWNLOAD_CHUNK)
                        .map(|c| Ok(Bytes::copy_from_slice(c)))
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            })
            .map(move |r| match r {
                Ok(data) => {
                    let mut chunk = pb::DocumentChunk {
                        data: data.to_vec(),
                        ..Default::default()
                    };
                    if let Some(doc) = first.take() {
                        chunk.content_type = doc.content_type;
                        chunk.filename = doc.filename;
                        chunk.size_bytes = doc.size_bytes;
                    }
                    Ok(chunk)
                }
                Err(e) => Err(ap_kit::grpc::internal(e)),
            }),
    )
}
