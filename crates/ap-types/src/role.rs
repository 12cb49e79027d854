//! The five staff roles and what each may do at the coarsest level.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    ApClerk,
    ApAnalyst,
    Approver,
    Admin,
    Auditor,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl Role {
    pub const ALL: [Role; 5] = [
        Role::ApClerk,
        Role::ApAnalyst,
        Role::Approver,
        Role::Admin,
        Role::Auditor,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::ApClerk => "AP_CLERK",
            Role::ApAnalyst => "AP_ANALYST",
            Role::Approver => "APPROVER",
            Role::Admin => "ADMIN",
            Role::Auditor => "AUDITOR",
        }
    }

    /// Staff roles that may read invoices, vendors and exceptions.
    pub const STAFF: &'static [Role] = &Role::ALL;
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_from_its_own_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn lowercase_or_unknown_names_are_refused() {
        assert!("admin".parse::<Role>().is_err());
        assert!("ROOT".parse::<Role>().is_err());
    }
}
