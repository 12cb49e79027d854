//! tonic implementation of `ap.invoice.v1.InvoiceService`: identify the caller, convert,
//! call the app layer, convert back. One exhaustive mapping from `AppError` to `Status`.

mod convert;
mod idempotent;
mod streams;

use std::pin::Pin;

use ap_kit::audit::RequestContext;
use ap_kit::outbox::SERVICE_TOKEN;
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_server::InvoiceService;
use futures::Stream;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use crate::app::{
    AppError, Caller, INTERNAL_CALLERS, Identity, InvoiceApp, optional_uuid, parse_uuid,
};
use crate::domain::csv_rows::ImportKind;
use crate::domain::sniff::SniffError;
use crate::domain::values::FieldError;

pub struct InvoiceGrpc {
    app: InvoiceApp,
}

impl InvoiceGrpc {
    pub fn new(app: InvoiceApp) -> Self {
        Self { app }
    }

    /// A staff user's access token, or another service's token on internal calls.
    fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let ctx = RequestContext::from_metadata(req.metadata());
        if let Some(token) = req
            .metadata()
            .get(SERVICE_TOKEN)
            .and_then(|v| v.to_str().ok())
        {
            let name = self
                .app
                .service_tokens()
                .verify(token, INTERNAL_CALLERS)
                .map_err(|e| {
                    tracing::info!(reason = %e, "service token refused");
                    Status::unauthenticated("Not authenticated.")
                })?;
            return Ok(Caller {
                identity: Identity::Service(name),
                ctx,
            });
        }
        let principal = ap_kit::grpc::authenticate(self.app.verifier(), req)?;
        Ok(Caller {
            identity: Identity::User(principal),
            ctx,
        })
    }
}

impl InvoiceGrpc {
    /// A vendor's access token (portal RPCs only): the vendor is the token's, never a field.
    fn vendor_caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        let header = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let vendor = self
            .app
            .vendor_verifier()
            .verify_bearer(header)
            .map_err(|e| {
                tracing::info!(reason = %e, "portal request refused: unauthenticated");
                Status::unauthenticated("Not authenticated.")
            })?;
        Ok(Caller {
            identity: Identity::Vendor(vendor.vendor_id),
            ctx: RequestContext::from_metadata(req.metadata()),
        })
    }

    /// Uploads come from staff or, through the portal, from a vendor.
    fn uploader<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        self.caller(req)
            .or_else(|staff| self.vendor_caller(req).map_err(|_| staff))
    }
}

/// Metadata a client (the gateway) may use to shape its HTTP answer.
pub const HTTP_STATUS_HINT: &str = "x-ap-http-status";
pub const FIELD_ERRORS: &str = "x-ap-field-errors-bin";
pub const EXISTING_INVOICE: &str = "x-ap-existing-invoice-id";
/// The existing record a creation collided with (a vendor with the same tax id).
pub const EXISTING_ID: &str = "x-ap-existing-id";
/// A specific error code for the HTTP body, replacing the generic one of the status.
pub const HTTP_CODE_HINT: &str = "x-ap-error-code";

fn with_hint(mut status: Status, http: &'static str) -> Status {
    status
        .metadata_mut()
        .insert(HTTP_STATUS_HINT, MetadataValue::from_static(http));
    status
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(what) => {
                Status::not_found(format!("{} not found.", capitalize(what)))
            }
            AppError::Forbidden => {
                Status::permission_denied("You do not have permission to perform this action.")
            }
            AppError::Invalid(errors) => {
                let text = errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut status = Status::invalid_argument(format!("Invalid input: {text}."));
                let json = serde_json::to_vec(
                    &errors
                        .iter()
                        .map(|e| serde_json::json!({"field": e.field, "message": e.message}))
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default();
                status.metadata_mut().insert_bin(
                    FIELD_ERRORS,
                    tonic::metadata::MetadataValue::from_bytes(&json),
                );
                status
            }
            AppError::Precondition(msg) => Status::failed_precondition(msg),
            AppError::Conflict(msg) => Status::already_exists(msg),
            AppError::DuplicateDocument(id) => {
                let mut status = Status::already_exists(format!(
                    "This document was already uploaded as invoice {id}."
                ));
                if let Ok(v) = id.to_string().parse() {
                    status.metadata_mut().insert(EXISTING_INVOICE, v);
                }
                status
            }
            AppError::DuplicateVendor(id) => {
                let mut status =
                    Status::already_exists("A vendor with this tax id already exists.");
                status.metadata_mut().insert(
                    HTTP_CODE_HINT,
                    MetadataValue::from_static("duplicate_vendor"),
                );
                if let Ok(v) = id.to_string().parse() {
                    status.metadata_mut().insert(EXISTING_ID, v);
                }
                status
            }
            AppError::StaleVersion => {
                Status::aborted("The invoice was changed by someone else; reload and retry.")
            }
            AppError::InvalidTransition(t) => {
                Status::failed_precondition(format!("{}.", capitalize(&t.to_string())))
            }
            AppError::TooLarge(max) => with_hint(
                Status::invalid_argument(format!(
                    "The file is larger than the {} MiB limit.",
                    max / (1024 * 1024)
                )),
                "413",
            ),
            AppError::Unsupported(SniffError::Empty) => {
                Status::invalid_argument("The file is empty.")
            }
            AppError::Unsupported(e @ (SniffError::Unsupported | SniffError::Mismatch { .. })) => {
                with_hint(Status::invalid_argument(e.to_string()), "415")
            }
            AppError::Unsupported(e @ SniffError::XmlDtd) => {
                Status::invalid_argument(e.to_string())
            }
            AppError::Interrupted => {
                Status::invalid_argument("The upload was interrupted; nothing was stored.")
            }
            AppError::Unavailable(e) => ap_kit::grpc::unavailable(e),
            AppError::Unexpected(e) => ap_kit::grpc::internal(e),
        }
    }
}

/// A path id that is not a UUID names nothing: `NotFound`, exactly like an unknown one.
/// A decimal field; a bad value is recorded in `errors` (all are reported at once).
fn decimal_field(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> rust_decimal::Decimal {
    raw.trim().parse().unwrap_or_else(|_| {
        errors.push(FieldError::new(field, "must be a decimal number"));
        rust_decimal::Decimal::ZERO
    })
}

fn known_id(raw: &str, what: &str) -> Result<Uuid, Status> {
    parse_uuid("id", raw).map_err(|_| Status::not_found(format!("{what} not found.")))
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A newest-first page request: the `(created_at, id)` to continue after, and the limit.
fn page(
    p: Option<ap_proto::common::v1::PageRequest>,
) -> Result<(Option<crate::app::Keyset>, u32), Status> {
    let p = p.unwrap_or_default();
    let after = crate::app::keyset_after(&p.cursor, crate::app::NEWEST_FIRST)?;
    Ok((after, p.limit))
}

/// The cursor of a newest-first page that has a next page.
fn cursor(next: Option<crate::app::Keyset>) -> String {
    next.map(|(t, id)| ap_types::cursor::encode_time_id(crate::app::NEWEST_FIRST, t, id))
        .unwrap_or_default()
}

#[tonic::async_trait]
impl InvoiceService for InvoiceGrpc {
    async fn create_vendor(
        &self,
        req: Request<pb::VendorInput>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let input = req.into_inner();
        let hash = ap_kit::idempotency::message_hash("CreateVendor", &input);
        let vendor = self
            .once(&caller, key.as_deref(), "CreateVendor", &hash, || async {
                let view = self.app.create_vendor(&caller, input).await?;
                let similar = self.app.similar_vendors(&view.row).await?;
                let mut vendor = convert::vendor(view);
                vendor.warnings = similar
                    .into_iter()
                    .map(|(id, name)| pb::VendorWarning {
                        code: "similar_vendor_name".into(),
                        existing_id: id.to_string(),
                        message: format!("A vendor with a near-identical name exists: {name}."),
                    })
                    .collect();
                Ok(vendor)
            })
            .await?;
        Ok(Response::new(vendor))
    }

    async fn get_vendor(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        Ok(Response::new(convert::vendor(
            self.app.get_vendor(&caller, id).await?,
        )))
    }

    async fn list_vendors(
        &self,
        req: Request<pb::ListVendorsRequest>,
    ) -> Result<Response<pb::ListVendorsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let q = Some(b.q.trim().to_owned()).filter(|q| !q.is_empty());
        let (items, next) = self
            .app
            .list_vendors(&caller, after, limit, q, b.is_active)
            .await?;
        Ok(Response::new(pb::ListVendorsResponse {
            items: items.into_iter().map(convert::vendor).collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn update_vendor(
        &self,
        req: Request<pb::UpdateVendorRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::vendor(
            self.app.update_vendor(&caller, req.into_inner()).await?,
        )))
    }

    async fn delete_vendor(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Empty>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        self.app.delete_vendor(&caller, id).await?;
        Ok(Response::new(pb::Empty {}))
    }

    async fn set_bank_account(
        &self,
        req: Request<pb::SetBankAccountRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::vendor(
            self.app.set_bank_account(&caller, req.into_inner()).await?,
        )))
    }

    async fn verify_bank_account(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Vendor>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Vendor")?;
        Ok(Response::new(convert::vendor(
            self.app.verify_bank_account(&caller, id).await?,
        )))
    }

    async fn create_purchase_order(
        &self,
        req: Request<pb::PurchaseOrderInput>,
    ) -> Result<Response<pb::PurchaseOrder>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let input = req.into_inner();
        let hash = ap_kit::idempotency::message_hash("CreatePurchaseOrder", &input);
        let po = self
            .once(
                &caller,
                key.as_deref(),
                "CreatePurchaseOrder",
                &hash,
                || async {
                    let po = self.app.create_purchase_order(&caller, input).await?;
                    let names = self.app.vendor_names(&[po.po.vendor_id]).await?;
                    Ok(convert::with_vendor(convert::purchase_order(po), &names))
                },
            )
            .await?;
        Ok(Response::new(po))
    }

    async fn get_purchase_order(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PurchaseOrder>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Purchase order")?;
        let po = self.app.get_purchase_order(&caller, id).await?;
        let names = self.app.vendor_names(&[po.po.vendor_id]).await?;
        Ok(Response::new(convert::with_vendor(
            convert::purchase_order(po),
            &names,
        )))
    }

    async fn list_purchase_orders(
        &self,
        req: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListPurchaseOrdersResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let vendor = optional_uuid("vendor_id", &b.vendor_id)?;
        let statuses =
            crate::app::status_list("status", &b.status, crate::app::orders::PO_STATUSES)?;
        let (items, next) = self
            .app
            .list_purchase_orders(&caller, after, limit, vendor, statuses)
            .await?;
        let vendor_ids: Vec<uuid::Uuid> = items.iter().map(|v| v.po.vendor_id).collect();
        let names = self.app.vendor_names(&vendor_ids).await?;
        Ok(Response::new(pb::ListPurchaseOrdersResponse {
            items: items
                .into_iter()
                .map(|v| convert::with_vendor(convert::purchase_order(v), &names))
                .collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn create_goods_receipt(
        &self,
        req: Request<pb::GoodsReceiptInput>,
    ) -> Result<Response<pb::GoodsReceipt>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let input = req.into_inner();
        let hash = ap_kit::idempotency::message_hash("CreateGoodsReceipt", &input);
        let receipt = self
            .once(
                &caller,
                key.as_deref(),
                "CreateGoodsReceipt",
                &hash,
                || async {
                    Ok(convert::goods_receipt(
                        self.app.create_goods_receipt(&caller, input).await?,
                    ))
                },
            )
            .await?;
        Ok(Response::new(receipt))
    }

    async fn get_goods_receipt(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::GoodsReceipt>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Goods receipt")?;
        Ok(Response::new(convert::goods_receipt(
            self.app.get_goods_receipt(&caller, id).await?,
        )))
    }

    async fn list_goods_receipts(
        &self,
        req: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListGoodsReceiptsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let (after, limit) = page(b.page)?;
        let (items, next) = self
            .app
            .list_goods_receipts(&caller, after, limit, None)
            .await?;
        Ok(Response::new(pb::ListGoodsReceiptsResponse {
            items: items.into_iter().map(convert::goods_receipt).collect(),
            next_cursor: cursor(next),
        }))
    }

    async fn import_csv(
        &self,
        req: Request<Streaming<pb::ImportChunk>>,
    ) -> Result<Response<pb::ImportReport>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let mut stream = req.into_inner();
        let raw_kind = streams::import_kind(&mut stream).await?;
        let kind = ImportKind::parse(&raw_kind)
            .ok_or_else(|| Status::invalid_argument("Unknown import kind."))?;
        let Some(key) = key else {
            let report = self
                .app
                .import_csv(&caller, kind, streams::import_bytes(stream))
                .await?;
            return Ok(Response::new(convert::import_report(kind, report)));
        };
        let (chunks, hash) =
            idempotent::buffer_import(stream, &raw_kind, "ImportCsv", self.app.upload_max_bytes())
                .await?;
        let report = self
            .once(&caller, Some(&key), "ImportCsv", &hash, || async {
                let report = self
                    .app
                    .import_csv(&caller, kind, streams::import_bytes(chunks))
                    .await?;
                Ok(convert::import_report(kind, report))
            })
            .await?;
        Ok(Response::new(report))
    }

    async fn upload_invoice(
        &self,
        req: Request<Streaming<pb::UploadChunk>>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.uploader(&req)?;
        let key = idempotent::key(req.metadata())?;
        let mut stream = req.into_inner();
        let meta = streams::upload_meta(&mut stream).await?;
        let Some(key) = key else {
            let view = self
                .app
                .upload_invoice(&caller, meta, streams::upload_parts(stream))
                .await?;
            return Ok(Response::new(convert::invoice(view)));
        };
        let (chunks, hash) =
            idempotent::buffer_upload(stream, &meta, "UploadInvoice", self.app.upload_max_bytes())
                .await?;
        let invoice = self
            .once(&caller, Some(&key), "UploadInvoice", &hash, || async {
                let view = self
                    .app
                    .upload_invoice(&caller, meta, streams::upload_parts(chunks))
                    .await?;
                Ok(convert::invoice(view))
            })
            .await?;
        Ok(Response::new(invoice))
    }

    async fn list_invoices(
        &self,
        req: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        let (rows, next) = self.app.list_invoices(&caller, req.get_ref()).await?;
        let paid_ids: Vec<uuid::Uuid> = rows
            .iter()
            .filter(|(r, _)| r.payment_status.is_some())
            .map(|(r, _)| r.id)
            .collect();
        let paid = self.app.paid_amounts(&paid_ids).await?;
        let ids: Vec<uuid::Uuid> = rows.iter().map(|(r, _)| r.id).collect();
        let risk = self.app.risk_scores(&ids).await?;
        Ok(Response::new(pb::ListInvoicesResponse {
            items: rows
                .into_iter()
                .map(|(row, unread)| {
                    convert::with_payment(
                        pb::Invoice {
                            unread_messages: i32::try_from(unread).unwrap_or(i32::MAX),
                            risk_score: risk.get(&row.id).copied(),
                            ..convert::invoice_row(row)
                        },
                        &paid,
                    )
                })
                .collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let view = self.app.get_invoice(&caller, id).await?;
        let paid = if view.row.payment_status.is_some() {
            self.app.paid_amounts(&[id]).await?
        } else {
            Vec::new()
        };
        Ok(Response::new(convert::with_payment(
            convert::invoice(view),
            &paid,
        )))
    }

    type GetDocumentStream = BoxStream<pb::DocumentChunk>;

    async fn get_document(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<Self::GetDocumentStream>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let (doc, bytes) = self.app.open_document(&caller, id).await?;
        Ok(Response::new(streams::document_chunks(doc, bytes)))
    }

    async fn get_invoice_audit(
        &self,
        req: Request<pb::AuditPageRequest>,
    ) -> Result<Response<pb::AuditTimeline>, Status> {
        let caller = self.caller(&req)?;
        let r = req.get_ref();
        let id = known_id(&r.id, "Invoice")?;
        let (rows, next) = self
            .app
            .invoice_audit(&caller, id, &r.cursor, r.limit)
            .await?;
        Ok(Response::new(pb::AuditTimeline {
            items: rows
                .into_iter()
                .map(|r| convert::audit_entry(r, "invoice"))
                .collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn update_invoice(
        &self,
        req: Request<pb::UpdateInvoiceRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::invoice(
            self.app.correct_invoice(&caller, req.into_inner()).await?,
        )))
    }

    async fn cancel_invoice(
        &self,
        req: Request<pb::CancelInvoiceRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Invoice")?;
        Ok(Response::new(convert::invoice(
            self.app.cancel_invoice(&caller, id, &b.reason).await?,
        )))
    }

    async fn request_extraction(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(convert::invoice(
            self.app.request_extraction(&caller, id).await?,
        )))
    }

    async fn match_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::Invoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        self.app.rematch(&caller, id).await?;
        Ok(Response::new(convert::invoice(
            self.app.get_invoice(&caller, id).await?,
        )))
    }

    async fn get_match(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::MatchResult>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let view = self
            .app
            .match_view(&caller, id)
            .await?
            .ok_or_else(|| Status::not_found("This invoice has not been matched yet."))?;
        Ok(Response::new(convert::match_result(view)))
    }

    async fn get_matching_stats(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::MatchingStats>, Status> {
        let caller = self.caller(&req)?;
        let outcomes = self.app.matching_stats(&caller).await?;
        Ok(Response::new(pb::MatchingStats {
            outcomes: outcomes
                .into_iter()
                .map(|o| pb::OutcomeCount {
                    outcome: o.outcome,
                    touchless: o.touchless,
                    count: o.n,
                })
                .collect(),
        }))
    }

    async fn list_rule_sets(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::ListRuleSetsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ListRuleSetsResponse {
            items: self
                .app
                .rule_sets(&caller)
                .await?
                .into_iter()
                .map(convert::rule_set_row)
                .collect(),
        }))
    }

    async fn get_rule_set(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::rule_set(
            self.app.rule_set(&caller, req.get_ref().version).await?,
        )))
    }

    async fn create_rule_set_draft(
        &self,
        req: Request<pb::Empty>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let hash = ap_kit::idempotency::message_hash("CreateRuleSetDraft", req.get_ref());
        let draft = self
            .once(
                &caller,
                key.as_deref(),
                "CreateRuleSetDraft",
                &hash,
                || async {
                    Ok(convert::rule_set(
                        self.app.create_rule_set_draft(&caller).await?,
                    ))
                },
            )
            .await?;
        Ok(Response::new(draft))
    }

    async fn update_rule_set_draft(
        &self,
        req: Request<pb::RuleSetInput>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let mut errors = Vec::new();
        let price_pct = decimal_field("price_pct", &b.price_pct, &mut errors);
        let price_abs = decimal_field("price_abs", &b.price_abs, &mut errors);
        let qty_pct = decimal_field("qty_pct", &b.qty_pct, &mut errors);
        let over_receipt_pct = (!b.over_receipt_pct.trim().is_empty())
            .then(|| decimal_field("over_receipt_pct", &b.over_receipt_pct, &mut errors));
        let mut overrides = Vec::new();
        for (i, o) in b.overrides.iter().enumerate() {
            let at = |f: &str| format!("overrides[{i}].{f}");
            let p = decimal_field(&at("price_pct"), &o.price_pct, &mut errors);
            let a = decimal_field(&at("price_abs"), &o.price_abs, &mut errors);
            let q = decimal_field(&at("qty_pct"), &o.qty_pct, &mut errors);
            match o.vendor_id.parse::<Uuid>() {
                Ok(v) => overrides.push((v, p, a, q)),
                Err(_) => errors.push(FieldError::new(&at("vendor_id"), "must be a UUID")),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors).into());
        }
        let input = crate::app::matching::RuleSetInput {
            price_pct,
            price_abs,
            qty_pct,
            over_receipt_pct,
            note: Some(b.note).filter(|n| !n.trim().is_empty()),
            overrides,
        };
        Ok(Response::new(convert::rule_set(
            self.app
                .update_rule_set_draft(&caller, b.version, input)
                .await?,
        )))
    }

    async fn publish_rule_set(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::RuleSet>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::rule_set(
            self.app
                .publish_rule_set(&caller, req.get_ref().version)
                .await?,
        )))
    }

    async fn discard_rule_set_draft(
        &self,
        req: Request<pb::RuleSetRequest>,
    ) -> Result<Response<pb::Empty>, Status> {
        let caller = self.caller(&req)?;
        self.app
            .discard_rule_set_draft(&caller, req.get_ref().version)
            .await?;
        Ok(Response::new(pb::Empty {}))
    }

    async fn list_exceptions(
        &self,
        req: Request<pb::ListExceptionsRequest>,
    ) -> Result<Response<pb::ListExceptionsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let p = b.page.unwrap_or_default();
        let after = crate::app::keyset_after(&p.cursor, crate::app::NEWEST_FIRST)?;
        let text = |v: String| Some(v).filter(|v| !v.is_empty());
        let (assigned_to, unassigned) = match b.assigned_to.as_str() {
            "" => (None, false),
            "none" => (None, true),
            raw => (Some(parse_uuid("assigned_to", raw)?), false),
        };
        let filter = crate::store::exceptions::ExceptionFilter {
            statuses: crate::app::status_list(
                "status",
                &b.status,
                crate::domain::exceptions::STATUSES,
            )?,
            code: text(b.code),
            severity: text(b.severity),
            assigned_to,
            unassigned,
            invoice_id: optional_uuid("invoice_id", &b.invoice_id)?,
            after,
        };
        let (items, next) = self.app.list_exceptions(&caller, filter, p.limit).await?;
        let invoices = self.app.exception_invoices(&items).await?;
        Ok(Response::new(pb::ListExceptionsResponse {
            items: items
                .into_iter()
                .map(|e| convert::exception_with(e, &invoices))
                .collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn get_exception(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::ExceptionRef>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Exception")?;
        let row = self.app.get_exception(&caller, id).await?;
        let invoices = self
            .app
            .exception_invoices(std::slice::from_ref(&row))
            .await?;
        Ok(Response::new(convert::exception_with(row, &invoices)))
    }

    async fn update_exception(
        &self,
        req: Request<pb::UpdateExceptionRequest>,
    ) -> Result<Response<pb::ExceptionRef>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Exception")?;
        let assigned_to = match b.assigned_to.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(raw) => Some(Some(parse_uuid("assigned_to", raw)?)),
        };
        let patch = crate::app::exceptions::ExceptionPatch {
            status: b.status.filter(|s| !s.is_empty()),
            assigned_to,
            resolution_note: b.resolution_note,
        };
        let row = self.app.update_exception(&caller, id, patch).await?;
        let invoices = self
            .app
            .exception_invoices(std::slice::from_ref(&row))
            .await?;
        Ok(Response::new(convert::exception_with(row, &invoices)))
    }

    async fn list_exception_comments(
        &self,
        req: Request<pb::ListByIdRequest>,
    ) -> Result<Response<pb::ListExceptionCommentsResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Exception")?;
        let (rows, next) = self
            .app
            .exception_comments(&caller, id, b.page.unwrap_or_default())
            .await?;
        Ok(Response::new(pb::ListExceptionCommentsResponse {
            items: rows.into_iter().map(convert::comment).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn add_exception_comment(
        &self,
        req: Request<pb::AddExceptionCommentRequest>,
    ) -> Result<Response<pb::ExceptionComment>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Exception")?;
        let key = idempotent::key(req.metadata())?;
        let hash = ap_kit::idempotency::message_hash("AddExceptionComment", req.get_ref());
        let comment = self
            .once(
                &caller,
                key.as_deref(),
                "AddExceptionComment",
                &hash,
                || async {
                    Ok(convert::comment(
                        self.app
                            .add_exception_comment(&caller, id, &req.get_ref().body)
                            .await?,
                    ))
                },
            )
            .await?;
        Ok(Response::new(comment))
    }

    async fn list_invoice_messages(
        &self,
        req: Request<pb::ListByIdRequest>,
    ) -> Result<Response<pb::ListInvoiceMessagesResponse>, Status> {
        let caller = self.caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Invoice")?;
        let (rows, next) = self
            .app
            .invoice_messages(&caller, id, b.page.unwrap_or_default())
            .await?;
        Ok(Response::new(pb::ListInvoiceMessagesResponse {
            items: rows.into_iter().map(convert::message).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn post_invoice_message(
        &self,
        req: Request<pb::PostInvoiceMessageRequest>,
    ) -> Result<Response<pb::InvoiceMessage>, Status> {
        let caller = self.caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let hash = ap_kit::idempotency::message_hash("PostInvoiceMessage", &b);
        let message = self
            .once(
                &caller,
                key.as_deref(),
                "PostInvoiceMessage",
                &hash,
                || async {
                    let row = self
                        .app
                        .post_invoice_message(&caller, id, &b.body, b.internal)
                        .await?;
                    Ok(convert::message(row))
                },
            )
            .await?;
        Ok(Response::new(message))
    }

    async fn portal_list_invoices(
        &self,
        req: Request<pb::PortalListInvoicesRequest>,
    ) -> Result<Response<pb::PortalListInvoicesResponse>, Status> {
        let caller = self.vendor_caller(&req)?;
        let page = req.into_inner().page.unwrap_or_default();
        let (items, next) = self
            .app
            .portal_invoices(&caller, &page.cursor, page.limit)
            .await?;
        Ok(Response::new(pb::PortalListInvoicesResponse {
            items: items.into_iter().map(convert::portal_invoice).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn portal_get_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PortalInvoice>, Status> {
        let caller = self.vendor_caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(convert::portal_invoice(
            self.app.portal_invoice(&caller, id).await?,
        )))
    }

    async fn portal_dispute_invoice(
        &self,
        req: Request<pb::PortalDisputeRequest>,
    ) -> Result<Response<pb::PortalDispute>, Status> {
        let caller = self.vendor_caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let hash = ap_kit::idempotency::message_hash("PortalDisputeInvoice", &b);
        let dispute = self
            .once(
                &caller,
                key.as_deref(),
                "PortalDisputeInvoice",
                &hash,
                || async {
                    let d = self
                        .app
                        .portal_dispute(&caller, id, &b.reason, &b.description)
                        .await?;
                    Ok(convert::dispute(d))
                },
            )
            .await?;
        Ok(Response::new(dispute))
    }

    async fn portal_list_messages(
        &self,
        req: Request<pb::ListByIdRequest>,
    ) -> Result<Response<pb::ListInvoiceMessagesResponse>, Status> {
        let caller = self.vendor_caller(&req)?;
        let b = req.into_inner();
        let id = known_id(&b.id, "Invoice")?;
        let (rows, next) = self
            .app
            .portal_messages(&caller, id, b.page.unwrap_or_default())
            .await?;
        Ok(Response::new(pb::ListInvoiceMessagesResponse {
            items: rows.into_iter().map(convert::vendor_message).collect(),
            next_cursor: next.unwrap_or_default(),
        }))
    }

    async fn portal_post_message(
        &self,
        req: Request<pb::PortalPostMessageRequest>,
    ) -> Result<Response<pb::InvoiceMessage>, Status> {
        let caller = self.vendor_caller(&req)?;
        let key = idempotent::key(req.metadata())?;
        let b = req.into_inner();
        let id = known_id(&b.invoice_id, "Invoice")?;
        let hash = ap_kit::idempotency::message_hash("PortalPostMessage", &b);
        let message = self
            .once(
                &caller,
                key.as_deref(),
                "PortalPostMessage",
                &hash,
                || async {
                    let row = self.app.portal_post_message(&caller, id, &b.body).await?;
                    Ok(convert::vendor_message(row))
                },
            )
            .await?;
        Ok(Response::new(message))
    }

    async fn get_invoice_summary(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        let (row, facts) = self.app.summary_for_approval(&caller, id).await?;
        let mut summary = convert::summary(row);
        summary.barred_approvers = facts.barred.iter().map(Uuid::to_string).collect();
        summary.open_blocking_exceptions =
            i32::try_from(facts.open_blocking_exceptions).unwrap_or(i32::MAX);
        Ok(Response::new(summary))
    }

    async fn transition_status(
        &self,
        req: Request<pb::TransitionStatusRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::summary(
            self.app.transition_status(&caller, req.get_ref()).await?,
        )))
    }

    async fn attach_payment(
        &self,
        req: Request<pb::AttachPaymentRequest>,
    ) -> Result<Response<pb::InvoiceSummary>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(convert::summary(
            self.app.attach_payment(&caller, req.get_ref()).await?,
        )))
    }

    async fn list_payable_invoices(
        &self,
        req: Request<pb::ListPayableInvoicesRequest>,
    ) -> Result<Response<pb::ListPayableInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        let (rows, next) = self.app.list_payables(&caller, req.get_ref()).await?;
        Ok(Response::new(pb::ListPayableInvoicesResponse {
            items: rows
                .into_iter()
                .map(crate::app::payables::payable)
                .collect(),
            // An internal batch walk: the next page starts after this id (`after_id`).
            next_cursor: next.map(|n| n.to_string()).unwrap_or_default(),
        }))
    }

    async fn get_payable_invoice(
        &self,
        req: Request<pb::IdRequest>,
    ) -> Result<Response<pb::PayableInvoice>, Status> {
        let caller = self.caller(&req)?;
        let id = known_id(&req.get_ref().id, "Invoice")?;
        Ok(Response::new(crate::app::payables::payable(
            self.app.get_payable(&caller, id).await?,
        )))
    }

    async fn transition_invoices(
        &self,
        req: Request<pb::TransitionInvoicesRequest>,
    ) -> Result<Response<pb::TransitionInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::TransitionInvoicesResponse {
            results: self.app.transition_invoices(&caller, req.get_ref()).await?,
        }))
    }

    async fn pay_invoices(
        &self,
        req: Request<pb::PayInvoicesRequest>,
    ) -> Result<Response<pb::PayInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::PayInvoicesResponse {
            results: self.app.pay_invoices(&caller, req.get_ref()).await?,
        }))
    }

    async fn get_payee_bank_details(
        &self,
        req: Request<pb::PayeeBankDetailsRequest>,
    ) -> Result<Response<pb::PayeeBankDetailsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::PayeeBankDetailsResponse {
            items: self.app.payee_bank_details(&caller, req.get_ref()).await?,
        }))
    }

    async fn claim_invoices_for_payment(
        &self,
        req: Request<pb::ClaimInvoicesRequest>,
    ) -> Result<Response<pb::ClaimInvoicesResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ClaimInvoicesResponse {
            outcomes: self.app.claim_for_payment(&caller, req.get_ref()).await?,
        }))
    }

    async fn release_payment_claims(
        &self,
        req: Request<pb::ReleaseClaimsRequest>,
    ) -> Result<Response<pb::ReleaseClaimsResponse>, Status> {
        let caller = self.caller(&req)?;
        Ok(Response::new(pb::ReleaseClaimsResponse {
            released: self.app.release_claims(&caller, req.get_ref()).await?,
        }))
    }
}

/// Receives the approval service's outbox events (service token "approval" only).
pub struct InvoiceSink {
    app: InvoiceApp,
}

impl InvoiceSink {
    pub fn new(app: InvoiceApp) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl ap_proto::common::v1::event_sink_server::EventSink for InvoiceSink {
    async fn deliver(
        &self,
        req: Request<ap_proto::common::v1::Event>,
    ) -> Result<Response<ap_proto::common::v1::EventAck>, Status> {
        let name = ap_kit::outbox::verify_sender(
            self.app.service_tokens(),
            req.metadata(),
            &["approval"],
        )?;
        let caller = Caller {
            identity: Identity::Service(name),
            ctx: RequestContext::from_metadata(req.metadata()),
        };
        let fresh = self
            .app
            .handle_approval_event(&caller, req.get_ref())
            .await?;
        Ok(Response::new(ap_proto::common::v1::EventAck {
            duplicate: !fresh,
        }))
    }
}
