//! diesel-async queries of the askai schema and the reporting views. Functions take the
//! caller's connection so the app layer owns transactions; SQL never leaves this module.

pub mod catalog;
pub mod query;
pub mod questions;
pub mod schema;
