//! Domain vocabulary shared by every service: typed ids and staff roles. No I/O.

mod id;
mod role;

pub use id::{SessionId, UserId};
pub use role::{Role, UnknownRole};
