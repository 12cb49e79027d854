//! Retry policy: which outcomes are retried and how long to wait before the next attempt.
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// 529 is Anthropic's "overloaded"; it is not a registered status, hence the raw number.
const OVERLOADED: u16 = 529;

/// Statuses that signal a temporary condition on the server side.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504 | OVERLOADED)
}

/// Reads `retry-after` as (possibly fractional) seconds, clamped to `cap`.
///
/// The HTTP-date form is ignored because Anthropic sends seconds, and trusting a remote clock
/// is worse than falling back to our own backoff.
pub(crate) fn retry_after(headers: &HeaderMap, cap: Duration) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = raw.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(cap.as_secs_f64())))
}

/// Exponential backoff with "equal jitter": half the step is fixed so waits never collapse to
/// zero, the other half is random so many clients hitting a 529 do not retry in lockstep.
pub(crate) fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let step = base.saturating_mul(1 << exponent).min(cap);
    let half = step / 2;
    let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    let jitter = Duration::from_millis(rand::rng().random_range(0..=jitter_ms));
    (half + jitter).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            RETRY_AFTER,
            HeaderValue::from_str(value).expect("valid test input"),
        );
        map
    }

    #[test]
    fn retry_after_accepts_seconds_and_is_capped() {
        let cap = Duration::from_secs(30);
        assert_eq!(
            retry_after(&headers("1"), cap),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            retry_after(&headers("0.5"), cap),
            Some(Duration::from_millis(500))
        );
        assert_eq!(retry_after(&headers("3600"), cap), Some(cap));
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), cap),
            None
        );
        assert_eq!(retry_after(&headers("-1"), cap), None);
        assert_eq!(retry_after(&HeaderMap::new(), cap), None);
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds_and_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        for _ in 0..50 {
            let first = backoff(1, base, cap);
            assert!(first >= Duration::from_millis(50) && first <= base);
            let third = backoff(3, base, cap);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(backoff(30, base, cap) <= cap);
        }
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for code in [429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(
                StatusCode::from_u16(code).expect("valid test input")
            ));
        }
        for code in [400, 401, 403, 404, 413, 501] {
            assert!(!is_retryable_status(
                StatusCode::from_u16(code).expect("valid test input")
            ));
        }
    }
}
