//! The one text form of instants and dates in every API response (docs/architecture.md, "API
//! conventions"): instants are RFC 3339 in UTC with a `Z` and exactly six fractional digits
//! (`2026-12-07T20:53:02.123456Z`, PostgreSQL's precision), dates are `YYYY-MM-DD`.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// `2026-12-07T20:53:02.123456Z`: UTC, `Z`, microseconds always written.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// An optional instant; empty when absent (protobuf's "not set").
pub fn opt_instant(t: Option<DateTime<Utc>>) -> String {
    t.map(instant).unwrap_or_default()
}

/// `2026-12-07`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Re-writes an instant given as RFC 3339 text (any offset, any precision) in the one form;
/// text that is not an instant is returned unchanged.
pub fn normalize_instant(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| instant(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_have_one_form() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 20, 53, 2).unwrap();
        assert_eq!(instant(t), "2026-12-07T20:53:02.000000Z");
        let t = t + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(instant(t), "2026-12-07T20:53:02.123456Z");
        assert_eq!(opt_instant(None), "");
        assert_eq!(
            normalize_instant("2026-12-07T21:53:02+01:00"),
            "2026-12-07T20:53:02.000000Z"
        );
        assert_eq!(normalize_instant("soon"), "soon");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()),
            "2026-01-02"
        );
    }
}
