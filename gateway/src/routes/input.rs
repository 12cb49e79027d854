//! Small input and output helpers shared by the REST routes.

use serde::{Deserialize, Deserializer};

/// A decimal given as a JSON string (`"74.50"`, preferred: exact) or number (`74.5`).
#[derive(Debug, Default, Clone, utoipa::ToSchema)]
#[schema(value_type = String, example = "74.50")]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(DecimalText(s)),
            // Integers arrive exactly. A fraction arrives as an f64, which keeps at most 15
            // significant digits for certain: more could be a silently different amount.
            serde_json::Value::Number(n)
                if n.is_f64() && significant_digits(&n.to_string()) > 15 =>
            {
                Err(serde::de::Error::custom(
                    "a number with more than 15 significant digits must be sent as a string",
                ))
            }
            serde_json::Value::Number(n) => Ok(DecimalText(n.to_string())),
            _ => Err(serde::de::Error::custom(
                "expected a decimal number or string",
            )),
        }
    }
}

/// Digits of a number's text without sign, point and leading zeros (`"0.0125"` → 3).
fn significant_digits(text: &str) -> usize {
    text.chars()
        .filter(char::is_ascii_digit)
        .skip_while(|c| *c == '0')
        .count()
}

/// `None` for the empty strings protobuf uses for "absent".
pub fn opt(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// A path id that is not a UUID cannot name anything: 404 like any unknown id, with the
/// `id` field named so a client sees why.
pub fn path_id(raw: &str, what: &str) -> Result<String, crate::error::ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(|u| u.to_string())
        .map_err(|_| {
            let mut e = crate::error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found."),
            );
            e.errors = Some(vec![crate::error::FieldError {
                field: "id".to_owned(),
                message: "must be a UUID such as 0b6f1c1e-8d0a-4c55-9a59-5d0c1c1f8a10".to_owned(),
            }]);
            e
        })
}
