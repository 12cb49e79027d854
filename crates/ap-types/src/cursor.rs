//! The one keyset cursor every list uses: opaque to clients, versioned, and bound to the
//! order it was made for.
//!
//! A cursor carries the name of the sort it pages (`created_at`, `-due_date`, …) and the
//! sort-key values of the last row of the page it ends, ties broken by id. On the wire it is
//! base64url (no padding) of `v1`, the sort name and the keys, one per line. Decoding checks
//! the version, the sort and the number of keys, so a cursor from another list order (or
//! bytes that never were a cursor) is refused instead of silently paging from the wrong row.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

const VERSION: &str = "v1";
/// How a NULL key (an invoice without a due date) is written; no real key is empty.
const NULL: &str = "";
/// Longest cursor accepted, far above anything this codec writes.
const MAX_LEN: usize = 1024;

/// A decoded (or to-be-encoded) cursor: the sort it belongs to and its key values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    sort: String,
    keys: Vec<String>,
}

/// Why a cursor was refused. `Display` is the plain message shown to clients after the
/// parameter name `cursor`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("is not a cursor this API returned; start again without a cursor")]
    Malformed,
    #[error("was returned for the order {made_for}, not {wanted}; start again without a cursor")]
    OtherSort { made_for: String, wanted: String },
}

impl Cursor {
    /// A cursor for the list order `sort` (its name as the client gives it, e.g. `-amount`).
    pub fn new(sort: &str) -> Self {
        Self {
            sort: sort.to_owned(),
            keys: Vec::new(),
        }
    }

    /// Appends an instant key (microsecond precision, as PostgreSQL stores it).
    pub fn time(mut self, t: DateTime<Utc>) -> Self {
        self.keys.push(t.timestamp_micros().to_string());
        self
    }

    pub fn id(mut self, id: Uuid) -> Self {
        self.keys.push(id.simple().to_string());
        self
    }

    /// Appends a date key that may be absent (NULL sorts last in every order that uses it).
    pub fn date(mut self, d: Option<NaiveDate>) -> Self {
        self.keys
            .push(d.map_or_else(|| NULL.to_owned(), |d| d.to_string()));
        self
    }

    pub fn decimal(mut self, d: Option<Decimal>) -> Self {
        self.keys
            .push(d.map_or_else(|| NULL.to_owned(), |d| d.normalize().to_string()));
        self
    }

    pub fn int(mut self, n: i64) -> Self {
        self.keys.push(n.to_string());
        self
    }

    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        let mut raw = String::with_capacity(64);
        raw.push_str(VERSION);
        raw.push('\n');
        raw.push_str(&self.sort);
        for k in &self.keys {
            raw.push('\n');
            raw.push_str(k);
        }
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a cursor a client sent back for the list order `sort` with `keys` key values.
    pub fn decode(raw: &str, sort: &str, keys: usize) -> Result<Self, CursorError> {
        if raw.len() > MAX_LEN {
            return Err(CursorError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim_end_matches('='))
            .map_err(|_| CursorError::Malformed)?;
        let text = String::from_utf8(bytes).map_err(|_| CursorError::Malformed)?;
        let mut parts = text.split('\n');
        if parts.next() != Some(VERSION) {
            return Err(CursorError::Malformed);
        }
        let made_for = parts.next().ok_or(CursorError::Malformed)?;
        let values: Vec<String> = parts.map(str::to_owned).collect();
        if made_for != sort {
            // Only a well-formed cursor earns the more specific message.
            if made_for.is_empty() || made_for.len() > 40 || !made_for.is_ascii() {
                return Err(CursorError::Malformed);
            }
            return Err(CursorError::OtherSort {
                made_for: made_for.to_owned(),
                wanted: sort.to_owned(),
            });
        }
        if values.len() != keys {
            return Err(CursorError::Malformed);
        }
        Ok(Self {
            sort: made_for.to_owned(),
            keys: values,
        })
    }

    /// Decodes `raw` when it is not empty (an empty cursor means the first page).
    pub fn decode_opt(raw: &str, sort: &str, keys: usize) -> Result<Option<Self>, CursorError> {
        let raw = raw.trim();
        if raw.is_empty() {
            Ok(None)
        } else {
            Self::decode(raw, sort, keys).map(Some)
        }
    }

    pub fn sort(&self) -> &str {
        &self.sort
    }

    fn key(&self, i: usize) -> Result<&str, CursorError> {
        self.keys
            .get(i)
            .map(String::as_str)
            .ok_or(CursorError::Malformed)
    }

    pub fn time_at(&self, i: usize) -> Result<DateTime<Utc>, CursorError> {
        let micros: i64 = self.key(i)?.parse().map_err(|_| CursorError::Malformed)?;
        Utc.timestamp_micros(micros)
            .single()
            .ok_or(CursorError::Malformed)
    }

    pub fn id_at(&self, i: usize) -> Result<Uuid, CursorError> {
        Uuid::try_parse(self.key(i)?).map_err(|_| CursorError::Malformed)
    }

    pub fn date_at(&self, i: usize) -> Result<Option<NaiveDate>, CursorError> {
        match self.key(i)? {
            NULL => Ok(None),
            k => k.parse().map(Some).map_err(|_| CursorError::Malformed),
        }
    }

    pub fn decimal_at(&self, i: usize) -> Result<Option<Decimal>, CursorError> {
        match self.key(i)? {
            NULL => Ok(None),
            k => k.parse().map(Some).map_err(|_| CursorError::Malformed),
        }
    }

    pub fn int_at(&self, i: usize) -> Result<i64, CursorError> {
        self.key(i)?.parse().map_err(|_| CursorError::Malformed)
    }

    /// The common keyset: `(created_at, id)` of the last row, for the order `sort`.
    pub fn time_id(&self) -> Result<(DateTime<Utc>, Uuid), CursorError> {
        Ok((self.time_at(0)?, self.id_at(1)?))
    }
}

/// Encodes the `(created_at, id)` keyset of the last row for the order `sort`.
pub fn encode_time_id(sort: &str, t: DateTime<Utc>, id: Uuid) -> String {
    Cursor::new(sort).time(t).id(id).encode()
}

/// Decodes an optional `(created_at, id)` cursor for the order `sort`.
pub fn decode_time_id(raw: &str, sort: &str) -> Result<Option<(DateTime<Utc>, Uuid)>, CursorError> {
    Cursor::decode_opt(raw, sort, 2)?
        .map(|c| c.time_id())
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_cursor_round_trips_its_sort_and_every_kind_of_key() {
        let t = at("2026-03-02T10:11:12.345678Z");
        let id = Uuid::now_v7();
        let due = NaiveDate::from_ymd_opt(2026, 4, 1);
        let amount = Some(Decimal::new(1542000, 2));
        let raw = Cursor::new("-due_date")
            .date(due)
            .decimal(amount)
            .date(None)
            .time(t)
            .id(id)
            .int(-7)
            .encode();
        assert!(
            raw.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let c = Cursor::decode(&raw, "-due_date", 6).expect("decodes");
        assert_eq!(c.sort(), "-due_date");
        assert_eq!(c.date_at(0), Ok(due));
        assert_eq!(c.decimal_at(1), Ok(amount));
        assert_eq!(c.date_at(2), Ok(None));
        assert_eq!(c.time_at(3), Ok(t));
        assert_eq!(c.id_at(4), Ok(id));
        assert_eq!(c.int_at(5), Ok(-7));
    }

    #[test]
    fn the_time_and_id_helpers_round_trip_and_an_empty_cursor_is_the_first_page() {
        let t = at("2026-01-01T00:00:00Z");
        let id = Uuid::now_v7();
        let raw = encode_time_id("created_at", t, id);
        assert_eq!(decode_time_id(&raw, "created_at"), Ok(Some((t, id))));
        assert_eq!(decode_time_id("", "created_at"), Ok(None));
        assert_eq!(decode_time_id("  ", "created_at"), Ok(None));
    }

    #[test]
    fn garbage_is_refused_as_malformed() {
        for raw in [
            "not a cursor!",
            "%%%",
            "AAAA",
            &URL_SAFE_NO_PAD.encode("v2\ncreated_at\n1\nx"),
            &URL_SAFE_NO_PAD
                .encode("v1\ncreated_at\nnot-a-number\n00000000000000000000000000000000"),
            &URL_SAFE_NO_PAD.encode("v1\ncreated_at\n1"),
            &URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]),
            // A bare uuid and the older "micros:uuid" form are not cursors any more.
            "0190f3a6-0000-7000-8000-000000000000",
            &URL_SAFE_NO_PAD.encode("1700000000000000:0190f3a6-0000-7000-8000-000000000000"),
            &"A".repeat(MAX_LEN + 1),
        ] {
            let got = Cursor::decode(raw, "created_at", 2).and_then(|c| c.time_id());
            assert_eq!(got, Err(CursorError::Malformed), "{raw:?}");
        }
    }

    #[test]
    fn a_cursor_made_for_another_order_is_refused_naming_both_orders() {
        let raw = Cursor::new("due_date").date(None).id(Uuid::nil()).encode();
        let err = Cursor::decode(&raw, "-amount", 2).expect_err("other sort");
        assert_eq!(
            err,
            CursorError::OtherSort {
                made_for: "due_date".into(),
                wanted: "-amount".into()
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("due_date") && text.contains("-amount"),
            "{text}"
        );
    }

    #[test]
    fn a_tampered_cursor_fails_on_its_keys() {
        let raw = URL_SAFE_NO_PAD.encode("v1\ncreated_at\n12x\n0190f3a6000070008000000000000000");
        let c = Cursor::decode(&raw, "created_at", 2).expect("shape is right");
        assert_eq!(c.time_id(), Err(CursorError::Malformed));
    }
}
