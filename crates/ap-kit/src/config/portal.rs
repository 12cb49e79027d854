//! Settings of the vendor portal: how long an invitation token lives, how long the gateway
//! may trust a verified portal token before asking the auth service again (at most 60 s, so a
//! revocation takes effect within a minute), and the lifetime of the vendor access token.

use std::time::Duration;

use super::ConfigError;

/// The longest the gateway may cache a portal-token verification.
pub const MAX_VERIFY_CACHE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug)]
pub struct PortalSettings {
    /// Lifetime of an invitation (the vendor's portal token).
    pub invite_ttl: Duration,
    /// How long the gateway reuses a verification; never more than [`MAX_VERIFY_CACHE`].
    pub verify_cache: Duration,
    /// Lifetime of the short vendor access token the auth service mints per verification.
    pub access_ttl: Duration,
}

impl PortalSettings {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let days: u64 = super::parse_or(get, "PORTAL_INVITE_TTL_DAYS", 30, errors);
        if !(1..=365).contains(&days) {
            errors.push(ConfigError::Invalid {
                var: "PORTAL_INVITE_TTL_DAYS",
                reason: "must be between 1 and 365".into(),
            });
        }
        let cache: u64 = super::parse_or(get, "PORTAL_VERIFY_CACHE_SECS", 60, errors);
        if cache > MAX_VERIFY_CACHE.as_secs() {
            errors.push(ConfigError::Invalid {
                var: "PORTAL_VERIFY_CACHE_SECS",
                reason: "must be at most 60 (a revocation must take effect within a minute)".into(),
            });
        }
        Self {
            invite_ttl: Duration::from_secs(days.clamp(1, 365) * 24 * 3600),
            verify_cache: Duration::from_secs(cache.min(MAX_VERIFY_CACHE.as_secs())),
            // Outlives the cache entry that carries it by a safe margin.
            access_ttl: Duration::from_secs(300),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_cache_is_bounded_by_a_minute() {
        let mut errors = Vec::new();
        let s = PortalSettings::from_lookup(&|_| None, &mut errors);
        assert!(errors.is_empty());
        assert_eq!(s.verify_cache, MAX_VERIFY_CACHE);
        assert_eq!(s.invite_ttl, Duration::from_secs(30 * 24 * 3600));
        let s = PortalSettings::from_lookup(
            &|k| (k == "PORTAL_VERIFY_CACHE_SECS").then(|| "600".to_owned()),
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(s.verify_cache, MAX_VERIFY_CACHE);
    }
}
