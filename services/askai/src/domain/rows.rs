//! Result cells to JSON. The store hands each cell over as PostgreSQL's JSON rendering (its
//! `json_typeof` and text); here numbers with a fraction or an exponent become decimal
//! strings, so money never passes through a float, and integers stay numbers when they fit.

use serde_json::Value;

/// One cell as the database rendered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCell {
    /// `json_typeof`: number, string, boolean, null, object or array.
    pub kind: String,
    /// The scalar's text (`#>> '{}'`), or the JSON text of an object or array.
    pub text: Option<String>,
}

pub fn cell_to_json(cell: &RawCell) -> Value {
    let Some(text) = &cell.text else {
        return Value::Null;
    };
    match cell.kind.as_str() {
        "null" => Value::Null,
        "boolean" => Value::Bool(text == "true"),
        "number" => match text.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(text.clone()),
        },
        "object" | "array" => serde_json::from_str(text).unwrap_or(Value::String(text.clone())),
        _ => Value::String(text.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(kind: &str, text: Option<&str>) -> RawCell {
        RawCell {
            kind: kind.into(),
            text: text.map(str::to_owned),
        }
    }

    #[test]
    fn decimals_stay_exact_strings_and_integers_stay_numbers() {
        assert_eq!(
            cell_to_json(&cell("number", Some("15420.0000"))),
            Value::String("15420.0000".into())
        );
        assert_eq!(
            cell_to_json(&cell("number", Some("0.1"))),
            Value::String("0.1".into())
        );
        assert_eq!(cell_to_json(&cell("number", Some("42"))), Value::from(42));
        assert_eq!(
            cell_to_json(&cell("number", Some("99999999999999999999"))),
            Value::String("99999999999999999999".into())
        );
    }

    #[test]
    fn dates_booleans_and_nulls_keep_their_json_shape() {
        assert_eq!(
            cell_to_json(&cell("string", Some("2026-01-31"))),
            Value::String("2026-01-31".into())
        );
        assert_eq!(
            cell_to_json(&cell("boolean", Some("true"))),
            Value::Bool(true)
        );
        assert_eq!(cell_to_json(&cell("null", None)), Value::Null);
    }
}
