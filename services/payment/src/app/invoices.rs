//! The invoice service as the payment service uses it: a gRPC client that carries this
//! service's token and the caller's request id, with calls batched to the RPCs' limits.

use std::collections::HashMap;

use ap_kit::outbox::SERVICE_TOKEN;
use ap_kit::token::ServiceTokens;
use ap_proto::invoice::v1 as pb;
use ap_proto::invoice::v1::invoice_service_client::InvoiceServiceClient;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use super::AppError;
use crate::domain::files::PayeeDetails;
use crate::domain::selection::{AccountKind, Payable, PayeeAccount};

type Intercepted = InterceptedService<
    Channel,
    fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
>;

/// Batch size of the invoice service's bulk RPCs.
pub const BATCH: usize = 2000;

#[derive(Clone)]
pub struct InvoiceClient {
    client: InvoiceServiceClient<Intercepted>,
    tokens: ServiceTokens,
}

/// One invoice's answer to a batched call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Changed now.
    Applied,
    /// Already where we asked (a retry of our own earlier call).
    Already,
    /// In another status (named).
    Refused(String),
    /// In a payable status but withheld (the invoice service's sentence): its payable amount,
    /// currency, vendor or bank account differ from what was approved, the amount offered is
    /// not the approved one, or a blocking exception is open.
    Withheld(String),
    NotFound,
}

impl Outcome {
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Applied | Outcome::Already)
    }
}

fn outcomes(results: Vec<pb::InvoiceOutcome>) -> HashMap<Uuid, Outcome> {
    results
        .into_iter()
        .filter_map(|r| {
            let id = r.id.parse().ok()?;
            let o = match r.outcome.as_str() {
                "applied" => Outcome::Applied,
                "already" => Outcome::Already,
                "not_found" => Outcome::NotFound,
                _ if !r.reason.is_empty() => Outcome::Withheld(r.reason),
                _ => Outcome::Refused(r.status),
            };
            Some((id, o))
        })
        .collect()
}

/// A status from the invoice service, as this service reports it.
fn upstream(status: tonic::Status) -> AppError {
    match status.code() {
        tonic::Code::NotFound => AppError::NotFound("invoice"),
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Cancelled => {
            AppError::Unavailable(anyhow::anyhow!("invoice service: {status}"))
        }
        _ => AppError::Unexpected(anyhow::anyhow!("invoice service: {status}")),
    }
}

fn decimal(s: &str) -> Option<Decimal> {
    s.parse().ok()
}

fn date(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

fn text(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// An invoice as a payable, from the invoice service's answer.
pub fn payable(p: pb::PayableInvoice) -> Option<(Payable, String)> {
    let account = p.bank_account.and_then(|a| {
        Some(PayeeAccount {
            id: a.account_id.parse().ok()?,
            kind: if a.kind == "iban" {
                AccountKind::Iban
            } else {
                AccountKind::Us
            },
            verified: a.status == "verified",
            is_initial: a.is_initial,
        })
    });
    let amount_due = decimal(&p.amount_due).or_else(|| decimal(&p.total_amount));
    Some((
        Payable {
            invoice_id: p.id.parse().ok()?,
            invoice_number: text(p.invoice_number),
            vendor_id: p.vendor_id.parse().ok(),
            vendor_name: p.vendor_name,
            currency: p.currency,
            amount_due,
            invoice_date: date(&p.invoice_date),
            due_date: date(&p.due_date),
            payment_terms: text(p.payment_terms),
            blocking_exceptions: p.blocking_exceptions,
            account,
        },
        p.status,
    ))
}

impl InvoiceClient {
    pub fn new(channel: Channel, tokens: ServiceTokens) -> Self {
        Self {
            client: InvoiceServiceClient::new(InterceptedService::new(
                channel,
                ap_kit::request_id::propagate as fn(_) -> _,
            ))
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024),
            tokens,
        }
    }

    fn request<T>(&self, msg: T) -> Result<tonic::Request<T>, AppError> {
        let mut req = tonic::Request::new(msg);
        let token = self.tokens.issue("payment")?;
        req.metadata_mut().insert(
            SERVICE_TOKEN,
            token
                .parse()
                .map_err(|_| AppError::Unexpected(anyhow::anyhow!("service token is not ASCII")))?,
        );
        Ok(req)
    }

    /// One invoice with its status, blocking exceptions and payee account.
    pub async fn get_payable(&self, id: Uuid) -> Result<(Payable, String), AppError> {
        let (payable, status, _) = self.get_approved_payable(id).await?;
        Ok((payable, status))
    }

    /// One invoice as `get_payable`, with the amount its approval approved (None when it has
    /// no approval record).
    pub async fn get_approved_payable(
        &self,
        id: Uuid,
    ) -> Result<(Payable, String, Option<Decimal>), AppError> {
        let resp = self
            .client
            .clone()
            .get_payable_invoice(self.request(pb::IdRequest { id: id.to_string() })?)
            .await
            .map_err(upstream)?
            .into_inner();
        let approved = decimal(&resp.approved_amount);
        let (payable, status) = payable(resp)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("malformed payable")))?;
        Ok((payable, status, approved))
    }

    /// Every approved invoice in `currency`.
    pub async fn list_payables(&self, currency: &str) -> Result<Vec<Payable>, AppError> {
        let mut out = Vec::new();
        let mut after = String::new();
        loop {
            let resp = self
                .client
                .clone()
                .list_payable_invoices(self.request(pb::ListPayableInvoicesRequest {
                    currency: currency.to_owned(),
                    limit: 5000,
                    after_id: after.clone(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner();
            out.extend(resp.items.into_iter().filter_map(payable).map(|(p, _)| p));
            if resp.next_cursor.is_empty() {
                return Ok(out);
            }
            after = resp.next_cursor;
        }
    }

    /// Compare-and-set of many invoices by a lifecycle event.
    pub async fn transition(
        &self,
        ids: &[Uuid],
        expected: &str,
        event: &str,
        reason: &str,
    ) -> Result<HashMap<Uuid, Outcome>, AppError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let resp = self
                .client
                .clone()
                .transition_invoices(self.request(pb::TransitionInvoicesRequest {
                    ids: chunk.iter().map(Uuid::to_string).collect(),
                    expected_status: expected.to_owned(),
                    event: event.to_owned(),
                    reason: reason.to_owned(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner();
            out.extend(outcomes(resp.results));
        }
        Ok(out)
    }

    /// Marks invoices paid (idempotent by payment id).
    pub async fn pay(
        &self,
        items: Vec<pb::PayInvoiceItem>,
    ) -> Result<HashMap<Uuid, Outcome>, AppError> {
        let mut out = HashMap::with_capacity(items.len());
        for chunk in items.chunks(BATCH) {
            let resp = self
                .client
                .clone()
                .pay_invoices(self.request(pb::PayInvoicesRequest {
                    items: chunk.to_vec(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner();
            out.extend(outcomes(resp.results));
        }
        Ok(out)
    }

    /// Claims the run's invoices that are still payable as the run was approved: for each
    /// invoice, `Ok` when claimed, else why it was refused (a code and a sentence).
    pub async fn claim(
        &self,
        run_id: Uuid,
        run_reference: &str,
        items: Vec<pb::ClaimItem>,
    ) -> Result<HashMap<Uuid, Result<(), (String, String)>>, AppError> {
        let mut out = HashMap::with_capacity(items.len());
        for chunk in items.chunks(BATCH) {
            let resp = self
                .client
                .clone()
                .claim_invoices_for_payment(self.request(pb::ClaimInvoicesRequest {
                    run_id: run_id.to_string(),
                    run_reference: run_reference.to_owned(),
                    items: chunk.to_vec(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner();
            out.extend(resp.outcomes.into_iter().filter_map(|o| {
                let id = o.invoice_id.parse().ok()?;
                Some((
                    id,
                    if o.claimed {
                        Ok(())
                    } else {
                        Err((o.code, o.reason))
                    },
                ))
            }));
        }
        Ok(out)
    }

    /// Drops the run's claims on `invoice_ids` (every claim of the run when empty).
    pub async fn release_claims(
        &self,
        run_id: Uuid,
        invoice_ids: &[Uuid],
    ) -> Result<u32, AppError> {
        let mut released = 0;
        let mut chunks: Vec<&[Uuid]> = invoice_ids.chunks(BATCH).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for chunk in chunks {
            released += self
                .client
                .clone()
                .release_payment_claims(self.request(pb::ReleaseClaimsRequest {
                    run_id: run_id.to_string(),
                    invoice_ids: chunk.iter().map(Uuid::to_string).collect(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner()
                .released;
        }
        Ok(released)
    }

    /// Decrypted current bank accounts by vendor: only to write a bank file.
    pub async fn bank_details(
        &self,
        vendor_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (PayeeDetails, bool)>, AppError> {
        let mut out = HashMap::with_capacity(vendor_ids.len());
        for chunk in vendor_ids.chunks(BATCH) {
            let resp = self
                .client
                .clone()
                .get_payee_bank_details(self.request(pb::PayeeBankDetailsRequest {
                    vendor_ids: chunk.iter().map(Uuid::to_string).collect(),
                })?)
                .await
                .map_err(upstream)?
                .into_inner();
            for d in resp.items {
                let (Ok(vendor_id), Ok(account_id)) = (d.vendor_id.parse(), d.account_id.parse())
                else {
                    continue;
                };
                let verified = d.status == "verified";
                out.insert(
                    vendor_id,
                    (
                        PayeeDetails {
                            vendor_id,
                            account_id,
                            iban: text(d.iban),
                            bic: text(d.bic),
                            routing_number: text(d.routing_number),
                            account_number: text(d.account_number),
                        },
                        verified,
                    ),
                );
            }
        }
        Ok(out)
    }
}
