//! Money as text on the wire: exact decimals, never floats.

use rust_decimal::Decimal;

/// At least the two decimals of most currencies, more when the value has them:
/// `15420` → `"15420.00"`, `1.2345` → `"1.2345"`.
pub fn money_text(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}
