//! Pure rules of Ask AI: what a question may ask, what the reporting schema looks like to the
//! model, which SQL may run, and how result cells become JSON. No tonic, diesel or axum here.

pub mod catalog;
pub mod guard;
pub mod question;
pub mod rows;
