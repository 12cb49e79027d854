//! Approval rules without I/O: the matrix (bands, levels, which row applies), who may be
//! assigned a task, and the signed email-link tokens.

pub mod assign;
pub mod matrix;
pub mod token;
