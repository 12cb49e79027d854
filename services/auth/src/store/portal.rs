//! Vendor-portal invitations: insert, revoke the live one of a vendor, find a live token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::portal_invites;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = portal_invites, check_for_backend(diesel::pg::Pg))]
pub struct InviteRow {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub token_hash: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = portal_invites)]
pub struct NewInvite<'a> {
    pub id: Uuid,
    pub vendor_id: Uuid,
    pub token_hash: &'a str,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_invite(
    conn: &mut AsyncPgConnection,
    row: NewInvite<'_>,
) -> QueryResult<InviteRow> {
    diesel::insert_into(portal_invites::table)
        .values(row)
        .returning(InviteRow::as_returning())
        .get_result(conn)
        .await
}

/// Revokes the vendor's live invitation; returns it when there was one.
pub async fn revoke_vendor_invite(
    conn: &mut AsyncPgConnection,
    vendor_id: Uuid,
) -> QueryResult<Option<InviteRow>> {
    diesel::update(
        portal_invites::table
            .filter(portal_invites::vendor_id.eq(vendor_id))
            .filter(portal_invites::revoked_at.is_null()),
    )
    .set(portal_invites::revoked_at.eq(Utc::now()))
    .returning(InviteRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// The invitation with this token hash, when it is neither revoked nor expired.
pub async fn find_live_invite(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
) -> QueryResult<Option<InviteRow>> {
    portal_invites::table
        .filter(portal_invites::token_hash.eq(token_hash))
        .filter(portal_invites::revoked_at.is_null())
        .filter(portal_invites::expires_at.gt(Utc::now()))
        .select(InviteRow::as_select())
        .first(conn)
        .await
        .optional()
}
