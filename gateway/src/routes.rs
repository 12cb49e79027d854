//! REST routes under `/api/v1`, one module per resource.

pub mod approvals;
pub mod askai;
pub mod auth;
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
    pub next_cursor: Option<String>,
}
