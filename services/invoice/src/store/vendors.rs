//! Vendors, aliases and bank accounts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{vendor_aliases, vendor_bank_accounts, vendors};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = vendors, check_for_backend(diesel::pg::Pg))]
pub struct VendorRow {
    pub id: Uuid,
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub tax_id_normalized: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub currency: String,
    pub payment_terms: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub category: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub po_required: bool,
}

#[derive(Insertable, AsChangeset, Clone, Debug, PartialEq)]
#[diesel(table_name = vendors, treat_none_as_null = true)]
pub struct VendorData {
    pub name: String,
    pub legal_name: Option<String>,
    pub tax_id: Option<String>,
    pub tax_id_normalized: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub country: Option<String>,
    pub currency: String,
    pub payment_terms: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub category: Option<String>,
    pub is_active: bool,
}

impl VendorData {
    pub fn of(row: &VendorRow) -> Self {
        Self {
            name: row.name.clone(),
            legal_name: row.legal_name.clone(),
            tax_id: row.tax_id.clone(),
            tax_id_normalized: row.tax_id_normalized.clone(),
            email: row.email.clone(),
            address: row.address.clone(),
            country: row.country.clone(),
            currency: row.currency.clone(),
            payment_terms: row.payment_terms.clone(),
            payment_terms_days: row.payment_terms_days,
            category: row.category.clone(),
            is_active: row.is_active,
        }
    }
}

pub async fn insert_vendor(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    data: &VendorData,
) -> QueryResult<VendorRow> {
    diesel::insert_into(vendors::table)
        .values((vendors::id.eq(id), data.clone()))
        .returning(VendorRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_vendor(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    data: &VendorData,
) -> QueryResult<VendorRow> {
    diesel::update(vendors::table.find(id))
        .set((data.clone(), vendors::updated_at.eq(Utc::now())))
        .returning(VendorRow::as_returning())
        .get_result(conn)
        .await
}

/// Whether the vendor's invoices need a PO (kept apart from `VendorData`: CSV imports do not
/// carry it and must not reset it).
pub async fn set_po_required(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    po_required: bool,
) -> QueryResult<()> {
    diesel::update(vendors::table.find(id))
        .set(vendors::po_required.eq(po_required))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn soft_delete_vendor(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(
        vendors::table
            .find(id)
            .filter(vendors::deleted_at.is_null()),
    )
    .set((
        vendors::deleted_at.eq(Utc::now()),
        vendors::is_active.eq(false),
    ))
    .execute(conn)
    .await
}

/// A live vendor; `for_update` locks it for a read-check-write.
pub async fn find_vendor(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    for_update: bool,
) -> QueryResult<Option<VendorRow>> {
    let q = vendors::table
        .find(id)
        .filter(vendors::deleted_at.is_null())
        .select(VendorRow::as_select());
    if for_update {
        q.for_update().first(conn).await.optional()
    } else {
        q.first(conn).await.optional()
    }
}

pub async fn find_vendor_by_tax_id(
    conn: &mut AsyncPgConnection,
    normalized: &str,
) -> QueryResult<Option<VendorRow>> {
    vendors::table
        .filter(vendors::tax_id_normalized.eq(normalized))
        .filter(vendors::deleted_at.is_null())
        .select(VendorRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Live vendors whose name matches exactly, ignoring case.
pub async fn find_vendors_by_name(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> QueryResult<Vec<VendorRow>> {
    vendors::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) = lower(")
                .bind::<diesel::sql_types::Text, _>(name)
                .sql(")"),
        )
        .filter(vendors::deleted_at.is_null())
        .select(VendorRow::as_select())
        .load(conn)
        .await
}

/// Live vendors other than `except` whose lower-cased name starts with `prefix`: the
/// candidates for a near-identical name, compared exactly by the caller.
pub async fn find_vendors_by_name_prefix(
    conn: &mut AsyncPgConnection,
    prefix: &str,
    except: Uuid,
    limit: i64,
) -> QueryResult<Vec<VendorRow>> {
    let pattern = format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    vendors::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern),
        )
        .filter(vendors::id.ne(except))
        .filter(vendors::deleted_at.is_null())
        .order(vendors::id)
        .limit(limit)
        .select(VendorRow::as_select())
        .load(conn)
        .await
}

/// Live vendors after `after` in id order, optionally filtered by a name substring.
pub async fn list_vendors(
    conn: &mut AsyncPgConnection,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    q: Option<&str>,
    is_active: Option<bool>,
) -> QueryResult<Vec<VendorRow>> {
    let mut query = vendors::table
        .filter(vendors::deleted_at.is_null())
        .select(VendorRow::as_select())
        .order((vendors::created_at.desc(), vendors::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            vendors::created_at
                .lt(at)
                .or(vendors::created_at.eq(at).and(vendors::id.lt(id))),
        );
    }
    if let Some(q) = q {
        query = query.filter(vendors::name.ilike(format!("%{}%", escape_like(q))));
    }
    if let Some(active) = is_active {
        query = query.filter(vendors::is_active.eq(active));
    }
    query.load(conn).await
}

/// `q` with LIKE wildcards escaped, so user input matches literally.
pub fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn aliases_of(
    conn: &mut AsyncPgConnection,
    vendor_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String)>> {
    vendor_aliases::table
        .filter(vendor_aliases::vendor_id.eq_any(vendor_ids))
        .order((vendor_aliases::vendor_id, vendor_aliases::alias))
        .select((vendor_aliases::vendor_id, vendor_aliases::alias))
        .load(conn)
        .await
}

pub async fn replace_aliases(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
    aliases: &[(String, String)],
) -> QueryResult<()> {
    diesel::delete(vendor_aliases::table.filter(vendor_aliases::vendor_id.eq(vendor_id)))
        .execute(conn)
        .await?;
    for (alias, normalized) in aliases {
        diesel::insert_into(vendor_aliases::table)
            .values((
                vendor_aliases::id.eq(Uuid::now_v7()),
                vendor_aliases::vendor_id.eq(vendor_id),
                vendor_aliases::alias.eq(alias),
                vendor_aliases::alias_normalized.eq(normalized),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = vendor_bank_accounts, check_for_backend(diesel::pg::Pg))]
pub struct BankAccountRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub kind: String,
    pub ciphertext: Vec<u8>,
    pub last4: String,
    pub bic: Option<String>,
    pub routing_number: Option<String>,
    pub fingerprint: String,
    pub status: String,
    pub is_current: bool,
    pub is_initial: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub verified_by: Option<Uuid>,
    pub verified_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = vendor_bank_accounts)]
pub struct NewBankAccount {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub kind: String,
    pub ciphertext: Vec<u8>,
    pub last4: String,
    pub bic: Option<String>,
    pub routing_number: Option<String>,
    pub fingerprint: String,
    pub status: String,
    pub is_current: bool,
    pub is_initial: bool,
    pub created_by: Option<Uuid>,
}

pub async fn current_bank_accounts(
    conn: &mut AsyncPgConnection,
    vendor_ids: &[Uuid],
) -> QueryResult<Vec<BankAccountRow>> {
    vendor_bank_accounts::table
        .filter(vendor_bank_accounts::vendor_id.eq_any(vendor_ids))
        .filter(vendor_bank_accounts::is_current.eq(true))
        .select(BankAccountRow::as_select())
        .load(conn)
        .await
}

pub async fn has_any_bank_account(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        vendor_bank_accounts::table.filter(vendor_bank_accounts::vendor_id.eq(vendor_id)),
    ))
    .get_result(conn)
    .await
}

/// Supersedes the current account (if any) and makes `new` current.
pub async fn replace_bank_account(
    conn: &mut AsyncPgConnection,
    new: NewBankAccount,
) -> QueryResult<BankAccountRow> {
    diesel::update(
        vendor_bank_accounts::table
            .filter(vendor_bank_accounts::vendor_id.eq(new.vendor_id))
            .filter(vendor_bank_accounts::is_current.eq(true)),
    )
    .set((
        vendor_bank_accounts::is_current.eq(false),
        vendor_bank_accounts::superseded_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    diesel::insert_into(vendor_bank_accounts::table)
        .values(new)
        .returning(BankAccountRow::as_returning())
        .get_result(conn)
        .await
}

/// Marks the current account verified by `verifier`; None when there is no unverified current
/// account. The table's check constraint refuses a verifier equal to the creator.
pub async fn verify_current_bank_account(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
    verifier: Uuid,
) -> QueryResult<Option<BankAccountRow>> {
    diesel::update(
        vendor_bank_accounts::table
            .filter(vendor_bank_accounts::vendor_id.eq(vendor_id))
            .filter(vendor_bank_accounts::is_current.eq(true))
            .filter(vendor_bank_accounts::status.eq("unverified")),
    )
    .set((
        vendor_bank_accounts::status.eq("verified"),
        vendor_bank_accounts::verified_by.eq(verifier),
        vendor_bank_accounts::verified_at.eq(Utc::now()),
    ))
    .returning(BankAccountRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn lock_current_bank_account(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> QueryResult<Option<BankAccountRow>> {
    vendor_bank_accounts::table
        .filter(vendor_bank_accounts::vendor_id.eq(vendor_id))
        .filter(vendor_bank_accounts::is_current.eq(true))
        .select(BankAccountRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The names of these vendors (deleted ones too: history still names them), in one query.
pub async fn names_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    vendors::table
        .filter(vendors::id.eq_any(ids))
        .select((vendors::id, vendors::name))
        .load(conn)
        .await
}
