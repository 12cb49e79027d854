//! Domain vocabulary shared by every service: typed ids, staff roles, money as text. No I/O.

mod id;
mod money;
mod role;

pub use id::{SessionId, UserId};
pub use money::money_text;
pub use role::{Role, UnknownRole};
