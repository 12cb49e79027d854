//! Per-service credentials: each service signs its service tokens with its own Ed25519 key
//! (`SERVICE_KEY_<NAME>`, given only to that service's process) and every process verifies
//! with the public keys (`SERVICE_PUBLIC_KEY_<NAME>`). Outside production, keys missing from
//! the environment are derived from a published seed, so `make run` and the tests need no
//! setup; production requires them and refuses the derived ones.

use std::collections::HashMap;

use secrecy::SecretString;

use super::ConfigError;
use crate::token::{ServiceTokens, development_service_key, ed25519_public_pem};

/// (service, private-key variable, public-key variable) for every service identity.
pub const SERVICE_KEY_VARS: &[(&str, &str, &str)] = &[
    ("auth", "SERVICE_KEY_AUTH", "SERVICE_PUBLIC_KEY_AUTH"),
    (
        "invoice",
        "SERVICE_KEY_INVOICE",
        "SERVICE_PUBLIC_KEY_INVOICE",
    ),
    (
        "payment",
        "SERVICE_KEY_PAYMENT",
        "SERVICE_PUBLIC_KEY_PAYMENT",
    ),
    (
        "approval",
        "SERVICE_KEY_APPROVAL",
        "SERVICE_PUBLIC_KEY_APPROVAL",
    ),
    ("askai", "SERVICE_KEY_ASKAI", "SERVICE_PUBLIC_KEY_ASKAI"),
    (
        "gateway",
        "SERVICE_KEY_GATEWAY",
        "SERVICE_PUBLIC_KEY_GATEWAY",
    ),
];

/// The service keys this process was given.
#[derive(Clone, Default)]
pub struct ServiceKeys {
    production: bool,
    private: HashMap<&'static str, SecretString>,
    public: HashMap<&'static str, String>,
}

impl ServiceKeys {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        prod: bool,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        let mut keys = Self {
            production: prod,
            ..Self::default()
        };
        for (name, private_var, public_var) in SERVICE_KEY_VARS {
            let dev_public = development_service_key(name).ok().map(|(_, p)| p);
            if let Some(pem) = super::read_private_pem(get, private_var, errors) {
                let private = SecretString::from(pem);
                match ed25519_public_pem(&private) {
                    Ok(public) if prod && Some(&public) == dev_public.as_ref() => {
                        errors.push(ConfigError::Weak {
                            var: private_var,
                            reason: "the published development key",
                        });
                    }
                    // Its public half serves when SERVICE_PUBLIC_KEY_<NAME> is not given.
                    Ok(public) => {
                        keys.public.insert(name, public);
                    }
                    Err(e) => errors.push(ConfigError::Invalid {
                        var: private_var,
                        reason: e.to_string(),
                    }),
                }
                keys.private.insert(name, private);
            }
            match super::read_pem(get, public_var, errors) {
                Some(public) => {
                    if prod && Some(&public) == dev_public.as_ref() {
                        errors.push(ConfigError::Weak {
                            var: public_var,
                            reason: "the published development key",
                        });
                    }
                    keys.public.insert(name, public);
                }
                None if prod => errors.push(ConfigError::Missing { var: public_var }),
                None => {}
            }
        }
        keys
    }

    /// Whether service `name`'s own signing key was given.
    pub fn has_private(&self, name: &str) -> bool {
        self.private.contains_key(name)
    }

    /// These keys without any private key but `name`'s.
    #[must_use]
    pub fn only(&self, name: &str) -> ServiceKeys {
        let mut keys = self.clone();
        keys.private.retain(|n, _| *n == name);
        keys
    }

    /// The credential of service `name`: its own signing key and every service's public key.
    /// In production the service's `SERVICE_KEY_<NAME>` must have been given.
    pub fn tokens_for(&self, name: &str) -> anyhow::Result<ServiceTokens> {
        let (_, private_var, _) = SERVICE_KEY_VARS
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| anyhow::anyhow!("unknown service identity {name}"))?;
        let private = match self.private.get(name) {
            Some(key) => key.clone(),
            None if self.production => {
                anyhow::bail!("{private_var} is required: the {name} service signs with it")
            }
            None => development_service_key(name)?.0,
        };
        let mut peers = Vec::with_capacity(SERVICE_KEY_VARS.len());
        for (peer, _, _) in SERVICE_KEY_VARS {
            let public = match self.public.get(peer) {
                Some(public) => public.clone(),
                None if self.production => continue,
                None => development_service_key(peer)?.1,
            };
            peers.push(((*peer).to_owned(), public));
        }
        ServiceTokens::new(name, &private, &peers)
    }
}
