//! The conventions every response follows (docs/architecture.md, "API conventions"): how a
//! person (`{id, email, name}`) and a vendor (`{id, name}`) are referenced, and instants in the
//! one RFC 3339 form. Names come from the auth service in one `LookupUsers` call per response.

use std::collections::HashMap;

use ap_proto::auth::v1 as pb;
use serde::Serialize;

use crate::extract::Forward;
use crate::state::AppState;

/// A person as responses reference them. `name` is null when the user has none; `email` is
/// null only when the directory could not be reached.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct UserRef {
    #[schema(format = Uuid)]
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// A vendor as responses reference it.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct VendorRef {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
}

impl VendorRef {
    /// None without an id (an unidentified vendor).
    pub fn of(id: &str, name: &str) -> Option<Self> {
        (!id.is_empty()).then(|| Self {
            id: id.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// The people one response names, looked up together.
#[derive(Default)]
pub struct People {
    by_id: HashMap<String, pb::PersonRef>,
    by_email: HashMap<String, pb::PersonRef>,
}

impl People {
    /// Looks up every non-empty id and email in one call. When the directory cannot answer the
    /// response still goes out, with the ids and emails it has and no names. The ids and
    /// emails are read before the call, so the future holds no borrow of them.
    pub fn lookup<'a>(
        state: &AppState,
        forward: &Forward,
        ids: impl IntoIterator<Item = &'a str>,
        emails: impl IntoIterator<Item = &'a str>,
    ) -> impl std::future::Future<Output = Self> + Send + 'static {
        let mut ids: Vec<String> = ids
            .into_iter()
            .filter(|i| !i.is_empty())
            .map(str::to_owned)
            .collect();
        let mut emails: Vec<String> = emails
            .into_iter()
            .filter(|e| !e.is_empty())
            .map(str::to_lowercase)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(500);
        emails.sort_unstable();
        emails.dedup();
        emails.truncate(500);
        let call = (!ids.is_empty() || !emails.is_empty()).then(|| {
            (
                state.auth.clone(),
                forward.request(pb::LookupUsersRequest { ids, emails }),
            )
        });
        async move {
            let Some((mut client, req)) = call else {
                return Self::default();
            };
            let items = match client.lookup_users(req).await {
                Ok(r) => r.into_inner().items,
                Err(status) => {
                    tracing::warn!(%status, "user lookup failed; people shown without names");
                    Vec::new()
                }
            };
            let mut out = Self::default();
            for p in items {
                out.by_email.insert(p.email.to_lowercase(), p.clone());
                out.by_id.insert(p.id.clone(), p);
            }
            out
        }
    }

    fn person(p: &pb::PersonRef) -> UserRef {
        UserRef {
            id: p.id.clone(),
            email: Some(p.email.clone()).filter(|e| !e.is_empty()),
            name: Some(p.name.clone()).filter(|n| !n.trim().is_empty()),
        }
    }

    /// The person with this id (None for an empty id).
    pub fn by_id(&self, id: &str) -> Option<UserRef> {
        if id.is_empty() {
            return None;
        }
        Some(self.by_id.get(id).map_or_else(
            || UserRef {
                id: id.to_owned(),
                email: None,
                name: None,
            },
            Self::person,
        ))
    }

    /// The person with this id, else the one with this email (a record that kept only the
    /// email); None when both are empty or the email names nobody known.
    pub fn by_id_or_email(&self, id: &str, email: &str) -> Option<UserRef> {
        if !id.is_empty() {
            let mut r = self.by_id(id)?;
            if r.email.is_none() && !email.is_empty() {
                r.email = Some(email.to_owned());
            }
            return Some(r);
        }
        self.by_email.get(&email.to_lowercase()).map(Self::person)
    }
}

/// Re-writes, in place, every string under a key ending in `_at` that is an RFC 3339 instant
/// in the one form (`2026-12-07T20:53:02.123456Z`): JSON the services recorded earlier (audit
/// before/after, exception details) may hold other offsets or precisions.
pub fn normalize_instants(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k.ends_with("_at")
                    && let serde_json::Value::String(s) = x
                {
                    *s = ap_types::time::normalize_instant(s);
                } else {
                    normalize_instants(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(normalize_instants),
        _ => {}
    }
}

/// `normalize_instants` on an owned value.
pub fn instants_normalized(mut v: serde_json::Value) -> serde_json::Value {
    normalize_instants(&mut v);
    v
}
