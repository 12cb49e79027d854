//! Per-client-address rate limits (governor), answered with 429 and `Retry-After`. IPv6
//! clients are counted per /64 (`ap_kit::net::address_block`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::client_ip::ClientIp;
use crate::error::ApiError;

#[derive(Clone)]
pub struct Limiter {
    name: &'static str,
    inner: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiter {
    /// `per_minute` requests per minute per address, all of which may come in a burst.
    pub fn per_minute(name: &'static str, per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            name,
            inner: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Seconds to wait when `ip` (its /64, for IPv6) is over its budget.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let key = ap_kit::net::address_block(ip);
        self.inner.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Forgets addresses whose budget is full again, bounding memory.
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

pub async fn enforce(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0);
    match limiter.check(ip) {
        Ok(()) => next.run(req).await,
        Err(retry_after) => {
            tracing::warn!(limit = limiter.name, client.ip = %ip, retry_after, "rate limit exceeded");
            ApiError::rate_limited(retry_after.max(1)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_call_in_a_minute_is_refused_with_a_wait() {
        let limiter = Limiter::per_minute("login", 10);
        let ip = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..10 {
            assert!(limiter.check(ip).is_ok());
        }
        let wait = limiter.check(ip).expect_err("over budget");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(
            limiter.check(IpAddr::from([192, 0, 2, 2])).is_ok(),
            "other addresses unaffected"
        );
    }

    #[test]
    fn ipv6_clients_share_one_budget_per_slash_64() {
        let limiter = Limiter::per_minute("login", 3);
        let hosts: Vec<IpAddr> = (1..=3u16)
            .map(|n| IpAddr::from([0x2001, 0xdb8, 0, 7, n, n, n, n]))
            .collect();
        for ip in &hosts {
            assert!(limiter.check(*ip).is_ok());
        }
        // A fourth, never-seen address of the same /64 is over the shared budget.
        assert!(
            limiter
                .check(IpAddr::from([0x2001, 0xdb8, 0, 7, 9, 9, 9, 9]))
                .is_err()
        );
        assert!(
            limiter
                .check(IpAddr::from([0x2001, 0xdb8, 0, 8, 1, 1, 1, 1]))
                .is_ok(),
            "the next /64 has its own budget"
        );
    }
}
