//! Pure rules of the invoice service: lifecycle, content sniffing, value types, CSV rows.
//! No tonic, diesel or axum here.

pub mod csv_rows;
pub mod exceptions;
pub mod extraction;
pub mod matching;
pub mod payable;
pub mod portal;
pub mod risk;
pub mod sniff;
pub mod status;
pub mod values;
