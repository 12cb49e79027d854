//! The approval matrix: an amount band, optional department and vendor category → ordered
//! levels, each naming a role or a person and how many distinct approvers it needs.
//!
//! A band is `amount_over < total <= amount_up_to` ("over 10,000 up to 50,000"), either side
//! unbounded when absent. Two rows of the same department and category may not overlap, so
//! exactly one row (or none) decides an invoice; a row naming a department or category beats
//! a catch-all row.

use ap_types::Role;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most approvers one level may require.
pub const MAX_APPROVERS: i32 = 5;
/// Most levels of one row.
pub const MAX_LEVELS: usize = 10;

/// Who decides one level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub level: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    pub approvers_required: i32,
}

impl Level {
    /// A role level is assigned to active users of the role; a user level to that person.
    pub fn assignee(&self) -> LevelAssignee {
        match (&self.role, self.user_id) {
            (_, Some(user)) => LevelAssignee::User(user),
            (Some(role), None) => LevelAssignee::Role(role.clone()),
            (None, None) => LevelAssignee::Role(Role::Admin.as_str().to_owned()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LevelAssignee {
    Role(String),
    User(Uuid),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Band {
    pub over: Option<Decimal>,
    pub up_to: Option<Decimal>,
}

impl Band {
    pub fn contains(&self, amount: Decimal) -> bool {
        self.over.is_none_or(|o| amount > o) && self.up_to.is_none_or(|u| amount <= u)
    }

    /// Half-open on the left, closed on the right: (a_over, a_up_to] ∩ (b_over, b_up_to] ≠ ∅.
    pub fn overlaps(&self, other: &Band) -> bool {
        let lower_below = |lo: Option<Decimal>, hi: Option<Decimal>| match (lo, hi) {
            (Some(lo), Some(hi)) => lo < hi,
            _ => true,
        };
        lower_below(self.over, other.up_to) && lower_below(other.over, self.up_to)
    }
}

/// A matrix row as the selection sees it.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: Uuid,
    pub band: Band,
    pub department: Option<String>,
    pub vendor_category: Option<String>,
    pub levels: Vec<Level>,
}

/// What is being approved, as far as the matrix cares.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub amount: Decimal,
    pub department: Option<&'a str>,
    pub vendor_category: Option<&'a str>,
}

fn same_key(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// The row that decides `subject`: matching band, department and category (a row without a
/// department or category matches any); the most specific wins.
pub fn select<'r>(rules: &'r [Rule], subject: &Subject<'_>) -> Option<&'r Rule> {
    let fits = |want: Option<&str>, have: Option<&str>| {
        want.is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
    };
    rules
        .iter()
        .filter(|r| r.band.contains(subject.amount))
        .filter(|r| fits(r.department.as_deref(), subject.department))
        .filter(|r| fits(r.vendor_category.as_deref(), subject.vendor_category))
        .max_by_key(|r| {
            (
                u8::from(r.department.is_some()),
                u8::from(r.vendor_category.is_some()),
            )
        })
}

/// Why a row cannot be saved; `field` names the offending input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Checks the band and the levels of a row; levels come back numbered 1, 2, … in order.
pub fn validate(band: &Band, levels: &[Level]) -> Result<Vec<Level>, RuleError> {
    if let (Some(o), Some(u)) = (band.over, band.up_to)
        && o >= u
    {
        return Err(err("amount_up_to", "must be greater than amount_over"));
    }
    if levels.is_empty() {
        return Err(err("levels", "at least one level is required"));
    }
    if levels.len() > MAX_LEVELS {
        return Err(err("levels", format!("at most {MAX_LEVELS} levels")));
    }
    let mut out = Vec::with_capacity(levels.len());
    for (i, l) in levels.iter().enumerate() {
        let field = format!("levels[{i}]");
        let role = l
            .role
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.to_ascii_uppercase()
                    .parse::<Role>()
                    .map_err(|_| err(&field, format!("role {r:?} is not a role")))
            })
            .transpose()?;
        if matches!(role, Some(Role::Auditor | Role::ApClerk)) {
            return Err(err(&field, "that role cannot approve invoices"));
        }
        match (role, l.user_id) {
            (Some(_), Some(_)) => return Err(err(&field, "name a role or a user, not both")),
            (None, None) => return Err(err(&field, "name a role or a user")),
            _ => {}
        }
        if l.user_id.is_some() && l.approvers_required != 1 {
            return Err(err(
                &field,
                "a level naming one user needs exactly one approver",
            ));
        }
        if !(1..=MAX_APPROVERS).contains(&l.approvers_required) {
            return Err(err(
                &field,
                format!("approvers_required must be 1 to {MAX_APPROVERS}"),
            ));
        }
        out.push(Level {
            level: i32::try_from(i + 1).unwrap_or(i32::MAX),
            role: role.map(|r| r.as_str().to_owned()),
            user_id: l.user_id,
            approvers_required: l.approvers_required,
        });
    }
    Ok(out)
}

/// The first live row of the same department and category whose band overlaps `band`.
pub fn overlapping<'r>(
    rules: &'r [Rule],
    band: &Band,
    department: Option<&str>,
    vendor_category: Option<&str>,
    except: Option<Uuid>,
) -> Option<&'r Rule> {
    rules.iter().find(|r| {
        Some(r.id) != except
            && same_key(r.department.as_deref(), department)
            && same_key(r.vendor_category.as_deref(), vendor_category)
            && r.band.overlaps(band)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: i64) -> Decimal {
        Decimal::new(v, 2)
    }

    fn band(over: Option<i64>, up_to: Option<i64>) -> Band {
        Band {
            over: over.map(d),
            up_to: up_to.map(d),
        }
    }

    fn rule(b: Band, dept: Option<&str>, cat: Option<&str>) -> Rule {
        Rule {
            id: Uuid::now_v7(),
            band: b,
            department: dept.map(str::to_owned),
            vendor_category: cat.map(str::to_owned),
            levels: vec![Level {
                level: 1,
                role: Some("APPROVER".into()),
                user_id: None,
                approvers_required: 1,
            }],
        }
    }

    #[test]
    fn ten_thousand_belongs_to_the_band_up_to_ten_thousand() {
        let low = band(None, Some(1_000_000));
        let high = band(Some(1_000_000), None);
        assert!(low.contains(d(1_000_000)));
        assert!(!high.contains(d(1_000_000)));
        assert!(high.contains(d(1_000_001)));
        assert!(!low.overlaps(&high));
    }

    #[test]
    fn bands_sharing_an_amount_overlap() {
        assert!(band(None, Some(500)).overlaps(&band(Some(100), Some(900))));
        assert!(band(None, None).overlaps(&band(Some(1), Some(2))));
        assert!(!band(Some(500), Some(900)).overlaps(&band(Some(900), None)));
    }

    #[test]
    fn the_most_specific_row_decides() {
        let any = rule(band(None, None), None, None);
        let it = rule(band(None, None), None, Some("IT"));
        let rules = vec![any.clone(), it.clone()];
        let pick = |cat| {
            select(
                &rules,
                &Subject {
                    amount: d(100),
                    department: None,
                    vendor_category: cat,
                },
            )
            .map(|r| r.id)
        };
        assert_eq!(pick(Some("it")), Some(it.id));
        assert_eq!(pick(Some("Travel")), Some(any.id));
        assert_eq!(pick(None), Some(any.id));
    }

    #[test]
    fn overlap_is_checked_within_the_same_department_and_category() {
        let rules = vec![rule(band(None, Some(1000)), None, Some("IT"))];
        let b = band(Some(500), None);
        assert!(overlapping(&rules, &b, None, Some("it"), None).is_some());
        assert!(overlapping(&rules, &b, None, None, None).is_none());
        assert!(overlapping(&rules, &b, None, Some("it"), Some(rules[0].id)).is_none());
    }

    #[test]
    fn levels_are_validated_and_numbered() {
        let ok = validate(
            &band(None, None),
            &[
                Level {
                    level: 7,
                    role: Some("approver".into()),
                    user_id: None,
                    approvers_required: 2,
                },
                Level {
                    level: 0,
                    role: None,
                    user_id: Some(Uuid::now_v7()),
                    approvers_required: 1,
                },
            ],
        )
        .expect("valid");
        assert_eq!(ok[0].level, 1);
        assert_eq!(ok[0].role.as_deref(), Some("APPROVER"));
        assert_eq!(ok[1].level, 2);
        let bad = |l: Level| validate(&band(None, None), &[l]).is_err();
        assert!(bad(Level {
            level: 1,
            role: Some("AUDITOR".into()),
            user_id: None,
            approvers_required: 1
        }));
        assert!(bad(Level {
            level: 1,
            role: Some("APPROVER".into()),
            user_id: None,
            approvers_required: 0
        }));
        assert!(bad(Level {
            level: 1,
            role: None,
            user_id: None,
            approvers_required: 1
        }));
        assert!(validate(&band(Some(10), Some(10)), &ok).is_err());
        assert!(validate(&band(None, None), &[]).is_err());
    }
}
