//! Domain vocabulary shared by every service: typed ids, staff roles, money as text. No I/O.

mod id;
mod money;
mod role;

pub use id::{SessionId, UserId};
pub use money::{
    COLUMN_SCALE, amount_text, check_amount, column_limit, fits_column, minor_unit, money_text,
};
pub use role::{Role, UnknownRole};
