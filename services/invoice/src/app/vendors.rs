//! Vendor master data: create, read, update, soft delete, aliases, and bank details that are
//! encrypted at rest, shown masked, and unverified until a different person verifies them.

use std::collections::HashMap;

use ap_kit::audit::{self, AuditEvent};
use ap_proto::invoice::v1 as pb;
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use uuid::Uuid;

use super::{AppError, Caller, InvoiceApp, MASTER_WRITE, STAFF, page_limit};
use crate::domain::values::{
    Country, Currency, FieldError, TaxId, normalize_name, optional_text, parse_email, parse_text,
    terms_net_days, vendor_name_key,
};
use crate::store::vendors::{self as store, BankAccountRow, NewBankAccount, VendorData, VendorRow};

/// Vendors sharing the first word of a new vendor's name that are compared in full.
const SIMILAR_CANDIDATES: i64 = 200;

/// A vendor as clients see it; the bank account is masked.
#[derive(Clone, Debug)]
pub struct VendorView {
    pub row: VendorRow,
    pub aliases: Vec<String>,
    pub bank: Option<BankAccountRow>,
}

impl VendorView {
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "name": self.row.name, "legal_name": self.row.legal_name, "tax_id": self.row.tax_id,
            "email": self.row.email, "country": self.row.country, "currency": self.row.currency,
            "payment_terms": self.row.payment_terms, "payment_terms_days": self.row.payment_terms_days,
            "category": self.row.category, "is_active": self.row.is_active, "aliases": self.aliases,
        })
    }
}

/// Masked description of a bank account for audit rows: never the number.
fn bank_audit_json(b: &BankAccountRow) -> serde_json::Value {
    json!({"kind": b.kind, "account_last4": b.last4, "bic": b.bic, "status": b.status, "account_id": b.id.to_string()})
}

/// Validated bank details, in clear only inside this process and only until encrypted.
struct BankDetails {
    kind: &'static str,
    normalized: String,
    last4: String,
    bic: Option<String>,
    routing_number: Option<String>,
    plaintext: serde_json::Value,
}

fn parse_bank(input: &pb::BankAccountInput) -> Result<BankDetails, AppError> {
    let has_iban = !input.iban.trim().is_empty();
    let has_us = !input.routing_number.trim().is_empty() || !input.account_number.trim().is_empty();
    match (has_iban, has_us) {
        (true, false) => {
            let iban = ap_bankfile::Iban::parse(&input.iban)
                .map_err(|_| AppError::invalid("bank_account.iban", "is not a valid IBAN"))?;
            let bic = if input.bic.trim().is_empty() {
                None
            } else {
                let bic = ap_bankfile::Bic::parse(&input.bic)
                    .map_err(|_| AppError::invalid("bank_account.bic", "is not a valid BIC"))?;
                Some(bic.as_str().to_owned())
            };
            let normalized = iban.as_str().to_owned();
            let last4 = normalized[normalized.len().saturating_sub(4)..].to_owned();
            Ok(BankDetails {
                kind: "iban",
                plaintext: json!({"iban": normalized, "bic": bic}),
                normalized,
                last4,
                bic,
                routing_number: None,
            })
        }
        (false, true) => {
            let routing =
                ap_bankfile::RoutingNumber::parse(input.routing_number.trim()).map_err(|_| {
                    AppError::invalid(
                        "bank_account.routing_number",
                        "is not a valid ABA routing number",
                    )
                })?;
            let account = input.account_number.trim();
            if !(4..=17).contains(&account.len())
                || !account
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(AppError::invalid(
                    "bank_account.account_number",
                    "must be 4 to 17 letters or digits",
                ));
            }
            let account: String = account
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let routing = routing.as_str().to_owned();
            Ok(BankDetails {
                kind: "us",
                normalized: format!("{routing}:{account}"),
                last4: account[account.len().saturating_sub(4)..].to_owned(),
                plaintext: json!({"routing_number": routing, "account_number": account}),
                bic: None,
                routing_number: Some(routing),
            })
        }
        (true, true) => Err(AppError::invalid(
            "bank_account",
            "give either an IBAN or a US routing and account number, not both",
        )),
        (false, false) => Err(AppError::invalid("bank_account", "is empty")),
    }
}

/// Validates a full vendor input into the row data and alias list.
fn vendor_data(input: &pb::VendorInput) -> Result<(VendorData, Vec<(String, String)>), AppError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut take =
        |r: Result<Option<String>, FieldError>| r.map_err(|e| errors.push(e)).ok().flatten();
    let name = take(parse_text("name", &input.name, 200).map(Some));
    let legal_name = take(optional_text("legal_name", &input.legal_name, 200));
    let address = take(optional_text("address", &input.address, 500));
    let category = take(optional_text("category", &input.category, 100));
    let payment_terms = take(optional_text("payment_terms", &input.payment_terms, 100));
    let email = if input.email.trim().is_empty() {
        None
    } else {
        take(parse_email("email", &input.email).map(Some))
    };
    let country = if input.country.trim().is_empty() {
        None
    } else {
        take(Country::parse("country", &input.country).map(|c| Some(c.as_str().to_owned())))
    };
    let currency =
        take(Currency::parse("currency", &input.currency).map(|c| Some(c.as_str().to_owned())));
    let tax = if input.tax_id.trim().is_empty() {
        None
    } else {
        TaxId::parse("tax_id", &input.tax_id)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let days = match input.payment_terms_days {
        Some(d) if !(0..=365).contains(&d) => {
            errors.push(FieldError::new(
                "payment_terms_days",
                "must be from 0 to 365",
            ));
            None
        }
        Some(d) => Some(d),
        None => payment_terms.as_deref().and_then(terms_net_days),
    };
    let aliases = input
        .aliases
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .map(|a| (a.to_owned(), normalize_name(a)))
        .collect::<Vec<_>>();
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (Some(name), Some(currency)) = (name, currency) else {
        return Err(AppError::invalid("name", "is required"));
    };
    Ok((
        VendorData {
            name,
            legal_name,
            tax_id: tax.as_ref().map(|t| t.raw.clone()),
            tax_id_normalized: tax.map(|t| t.normalized),
            email,
            address,
            country,
            currency,
            payment_terms,
            payment_terms_days: days,
            category,
            is_active: true,
        },
        aliases,
    ))
}

impl InvoiceApp {
    async fn vendor_views(
        &self,
        conn: &mut AsyncPgConnection,
        rows: Vec<VendorRow>,
    ) -> Result<Vec<VendorView>, AppError> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut aliases: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (vendor, alias) in store::aliases_of(conn, &ids).await? {
            aliases.entry(vendor).or_default().push(alias);
        }
        let mut banks: HashMap<Uuid, BankAccountRow> = store::current_bank_accounts(conn, &ids)
            .await?
            .into_iter()
            .map(|b| (b.vendor_id, b))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| VendorView {
                aliases: aliases.remove(&row.id).unwrap_or_default(),
                bank: banks.remove(&row.id),
                row,
            })
            .collect())
    }

    async fn vendor_view(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<VendorView, AppError> {
        let row = store::find_vendor(conn, id, false)
            .await?
            .ok_or(AppError::NotFound("vendor"))?;
        Ok(self.vendor_views(conn, vec![row]).await?.remove(0))
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_vendor(
        &self,
        caller: &Caller,
        input: pb::VendorInput,
    ) -> Result<VendorView, AppError> {
        let user = caller.require(MASTER_WRITE)?.user_id.as_uuid();
        let (data, aliases) = vendor_data(&input)?;
        let bank = input
            .bank_account
            .as_ref()
            .filter(|b| !is_blank(b))
            .map(parse_bank)
            .transpose()?;
        let mut conn = self.conn().await?;
        let tax_id = data.tax_id_normalized.clone();
        let created = conn
            .transaction::<_, AppError, _>(async |conn| {
                let id = Uuid::now_v7();
                store::insert_vendor(conn, id, &data).await?;
                if input.po_required == Some(false) {
                    store::set_po_required(conn, id, false).await?;
                }
                store::replace_aliases(conn, id, &aliases).await?;
                if let Some(bank) = &bank {
                    self.store_bank_account(conn, caller, id, bank, user)
                        .await?;
                }
                let view = self.vendor_view(conn, id).await?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "vendor_created",
                        "vendor",
                        Some(id.to_string()),
                    )
                    .after(view.audit_json()),
                )
                .await?;
                Ok(view)
            })
            .await;
        // The unique index on the normalised tax id decides races; name the vendor that won.
        match (created, tax_id) {
            (Err(AppError::Conflict(msg)), Some(tax_id)) => {
                match store::find_vendor_by_tax_id(&mut conn, &tax_id).await? {
                    Some(existing) => Err(AppError::DuplicateVendor(existing.id)),
                    None => Err(AppError::Conflict(msg)),
                }
            }
            (created, _) => created,
        }
    }

    /// Live vendors, other than `vendor`, whose name is near-identical to its name (case,
    /// punctuation and legal form ignored): a likely duplicate the creator should look at.
    pub async fn similar_vendors(
        &self,
        vendor: &VendorRow,
    ) -> Result<Vec<(Uuid, String)>, AppError> {
        let Some(key) = vendor_name_key(&vendor.name) else {
            return Ok(Vec::new());
        };
        let prefix = key.split(' ').next().unwrap_or_default();
        let mut conn = self.conn().await?;
        let candidates =
            store::find_vendors_by_name_prefix(&mut conn, prefix, vendor.id, SIMILAR_CANDIDATES)
                .await?;
        Ok(candidates
            .into_iter()
            .filter(|c| vendor_name_key(&c.name).as_deref() == Some(key.as_str()))
            .map(|c| (c.id, c.name))
            .collect())
    }

    pub async fn get_vendor(&self, caller: &Caller, id: Uuid) -> Result<VendorView, AppError> {
        caller.require(STAFF)?;
        let mut conn = self.conn().await?;
        self.vendor_view(&mut conn, id).await
    }

    pub async fn list_vendors(
        &self,
        caller: &Caller,
        after: Option<super::Keyset>,
        limit: u32,
        q: Option<String>,
        is_active: Option<bool>,
    ) -> Result<(Vec<VendorView>, Option<super::Keyset>), AppError> {
        caller.require(STAFF)?;
        let limit = page_limit(limit);
        let mut conn = self.conn().await?;
        let mut rows =
            store::list_vendors(&mut conn, after, limit + 1, q.as_deref(), is_active).await?;
        let next = if rows.len() as i64 > limit {
            rows.pop();
            rows.last().map(|r| (r.created_at, r.id))
        } else {
            None
        };
        Ok((self.vendor_views(&mut conn, rows).await?, next))
    }

    #[tracing::instrument(skip_all, fields(vendor.id = %req.id))]
    pub async fn update_vendor(
        &self,
        caller: &Caller,
        req: pb::UpdateVendorRequest,
    ) -> Result<VendorView, AppError> {
        caller.require(MASTER_WRITE)?;
        let id = super::parse_uuid("id", &req.id)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let row = store::find_vendor(conn, id, true)
                .await?
                .ok_or(AppError::NotFound("vendor"))?;
            let before = self.vendor_views(conn, vec![row.clone()]).await?.remove(0);
            // Merge the patch over the current values, then validate the whole as on create.
            let input = pb::VendorInput {
                name: req.name.clone().unwrap_or(row.name.clone()),
                legal_name: req
                    .legal_name
                    .clone()
                    .unwrap_or(row.legal_name.clone().unwrap_or_default()),
                tax_id: req
                    .tax_id
                    .clone()
                    .unwrap_or(row.tax_id.clone().unwrap_or_default()),
                email: req
                    .email
                    .clone()
                    .unwrap_or(row.email.clone().unwrap_or_default()),
                address: req
                    .address
                    .clone()
                    .unwrap_or(row.address.clone().unwrap_or_default()),
                country: req
                    .country
                    .clone()
                    .unwrap_or(row.country.clone().unwrap_or_default()),
                currency: req.currency.clone().unwrap_or(row.currency.clone()),
                payment_terms: req
                    .payment_terms
                    .clone()
                    .unwrap_or(row.payment_terms.clone().unwrap_or_default()),
                payment_terms_days: req.payment_terms_days.or(if req.payment_terms.is_some() {
                    None
                } else {
                    row.payment_terms_days
                }),
                category: req
                    .category
                    .clone()
                    .unwrap_or(row.category.clone().unwrap_or_default()),
                aliases: req
                    .aliases
                    .as_ref()
                    .map_or(before.aliases.clone(), |a| a.aliases.clone()),
                bank_account: None,
                po_required: None,
            };
            let (mut data, aliases) = vendor_data(&input)?;
            data.is_active = req.is_active.unwrap_or(row.is_active);
            store::update_vendor(conn, id, &data).await?;
            if let Some(p) = req.po_required {
                store::set_po_required(conn, id, p).await?;
            }
            if req.aliases.is_some() {
                store::replace_aliases(conn, id, &aliases).await?;
            }
            let after = self.vendor_view(conn, id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "vendor_updated",
                    "vendor",
                    Some(id.to_string()),
                )
                .before(before.audit_json())
                .after(after.audit_json()),
            )
            .await?;
            Ok(after)
        })
        .await
    }

    pub async fn delete_vendor(&self, caller: &Caller, id: Uuid) -> Result<(), AppError> {
        caller.require(MASTER_WRITE)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let before = self.vendor_view(conn, id).await?;
            store::soft_delete_vendor(conn, id).await?;
            audit::record(
                conn,
                &caller.ctx,
                AuditEvent::new(
                    caller.actor(),
                    "vendor_deleted",
                    "vendor",
                    Some(id.to_string()),
                )
                .before(before.audit_json()),
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn store_bank_account(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        vendor_id: Uuid,
        bank: &BankDetails,
        user: Uuid,
    ) -> Result<BankAccountRow, AppError> {
        let previous = store::lock_current_bank_account(conn, vendor_id).await?;
        // After the account lock, which a claim share-locks: a claim either committed before
        // (and is seen here) or starts after this change (and sees the new account).
        super::claims::refuse_bank_change_if_claimed(conn, vendor_id).await?;
        let is_initial = !store::has_any_bank_account(conn, vendor_id).await?;
        let ciphertext = self
            .cipher()
            .encrypt(bank.plaintext.to_string().as_bytes(), vendor_id.as_bytes())?;
        let row = store::replace_bank_account(
            conn,
            NewBankAccount {
                id: Uuid::now_v7(),
                vendor_id,
                kind: bank.kind.to_owned(),
                ciphertext,
                last4: bank.last4.clone(),
                bic: bank.bic.clone(),
                routing_number: bank.routing_number.clone(),
                fingerprint: self.cipher().fingerprint(&bank.normalized),
                status: "unverified".to_owned(),
                is_current: true,
                is_initial,
                created_by: Some(user),
            },
        )
        .await?;
        let mut event = AuditEvent::new(
            caller.actor(),
            "vendor_bank_account_changed",
            "vendor",
            Some(vendor_id.to_string()),
        )
        .after(bank_audit_json(&row));
        if let Some(prev) = &previous {
            event = event.before(bank_audit_json(prev));
        }
        audit::record(conn, &caller.ctx, event).await?;
        Ok(row)
    }

    /// Sets or replaces the vendor's bank details; they stay unverified until another person verifies.
    #[tracing::instrument(skip_all, fields(vendor.id = %req.vendor_id))]
    pub async fn set_bank_account(
        &self,
        caller: &Caller,
        req: pb::SetBankAccountRequest,
    ) -> Result<VendorView, AppError> {
        let user = caller.require(MASTER_WRITE)?.user_id.as_uuid();
        let vendor_id = super::parse_uuid("vendor_id", &req.vendor_id)?;
        let input = req
            .bank_account
            .ok_or_else(|| AppError::invalid("bank_account", "is required"))?;
        let bank = parse_bank(&input)?;
        let mut conn = self.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            store::find_vendor(conn, vendor_id, true)
                .await?
                .ok_or(AppError::NotFound("vendor"))?;
            self.store_bank_account(conn, caller, vendor_id, &bank, user)
                .await?;
            self.vendor_view(conn, vendor_id).await
        })
        .await
    }

    /// Verifies the current bank details. The person who entered them cannot.
    #[tracing::instrument(skip_all, fields(vendor.id = %vendor_id))]
    pub async fn verify_bank_account(
        &self,
        caller: &Caller,
        vendor_id: Uuid,
    ) -> Result<VendorView, AppError> {
        let user = caller.require(MASTER_WRITE)?.user_id.as_uuid();
        let mut conn = self.conn().await?;
        let view = conn
            .transaction::<_, AppError, _>(async |conn| {
                store::find_vendor(conn, vendor_id, true)
                    .await?
                    .ok_or(AppError::NotFound("vendor"))?;
                let current = store::lock_current_bank_account(conn, vendor_id)
                    .await?
                    .ok_or_else(|| {
                        AppError::Precondition("This vendor has no bank details to verify.".into())
                    })?;
                if current.status == "verified" {
                    return Err(AppError::Precondition(
                        "These bank details are already verified.".into(),
                    ));
                }
                if current.created_by == Some(user) {
                    return Err(AppError::Forbidden);
                }
                let row = store::verify_current_bank_account(conn, vendor_id, user)
                    .await?
                    .ok_or_else(|| {
                        AppError::Precondition("These bank details are already verified.".into())
                    })?;
                audit::record(
                    conn,
                    &caller.ctx,
                    AuditEvent::new(
                        caller.actor(),
                        "vendor_bank_account_verified",
                        "vendor",
                        Some(vendor_id.to_string()),
                    )
                    .before(bank_audit_json(&current))
                    .after(bank_audit_json(&row)),
                )
                .await?;
                // From now on the vendor is paid to this account: an approved invoice whose
                // approval saw another one goes back to approval (a scheduled one when its run
                // releases it). Here, not when the account is entered: until a second person
                // verifies it nothing is paid to it, and no approval round is opened for it.
                let sent_back = self
                    .reapprove_vendor_invoices(conn, caller, vendor_id)
                    .await?;
                Ok((
                    self.vendor_view(conn, vendor_id).await?,
                    !sent_back.is_empty(),
                ))
            })
            .await?;
        if view.1 {
            self.route_soon();
        }
        Ok(view.0)
    }
}

fn is_blank(b: &pb::BankAccountInput) -> bool {
    [&b.iban, &b.bic, &b.routing_number, &b.account_number]
        .iter()
        .all(|s| s.trim().is_empty())
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    ap_types::time::instant(t)
}

impl InvoiceApp {
    /// The names of these vendors, to reference them as `{id, name}` (one query).
    pub async fn vendor_names(&self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, AppError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut conn = self.conn().await?;
        Ok(store::names_of(&mut conn, &ids).await?)
    }
}
