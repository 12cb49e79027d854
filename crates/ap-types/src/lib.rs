//! Domain vocabulary shared by every service: typed ids, staff roles, money as text, the list
//! cursor. No I/O.

pub mod cursor;
mod id;
mod money;
mod role;
pub mod time;

pub use id::{SessionId, UserId};
pub use money::{
    COLUMN_SCALE, amount_text, check_amount, column_limit, fits_column, line_total_problem,
    minor_unit, money_text,
};
pub use role::{Role, UnknownRole};
