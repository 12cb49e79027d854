//! REST routes under `/api/v1`, one module per resource.

pub mod approvals;
pub mod askai;
pub mod auth;
pub mod conventions;
pub mod created;
pub mod exceptions;
pub mod imports;
pub mod input;
pub mod invoices;
pub mod matching;
pub mod orders;
pub mod payments;
pub mod portal;
pub mod users;
pub mod vendors;

use serde::Serialize;

/// A keyset page: `{"items": [...], "next_cursor": "..."|null}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The paging parameters of a list that has no filters.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (opaque; a cursor from another list order is
    /// refused).
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page request for a service, with `limit` checked (1 to 200, default 50).
    pub fn request(self) -> Result<ap_proto::common::v1::PageRequest, crate::error::ApiError> {
        Ok(ap_proto::common::v1::PageRequest {
            limit: vendors::check_limit(self.limit)?,
            cursor: self.cursor.unwrap_or_default(),
        })
    }
}
