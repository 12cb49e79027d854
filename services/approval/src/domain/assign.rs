//! Who gets a task: an active user of the level's role (or the named user), never the
//! invoice's uploader or last corrector, never someone already on this level, fewest open
//! tasks first.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

/// A user who could be assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: Uuid,
    pub email: String,
}

/// Picks up to `n` distinct candidates, skipping `excluded`, by fewest open tasks, then by
/// id so the choice is stable.
pub fn pick(
    candidates: &[Candidate],
    excluded: &HashSet<Uuid>,
    open_tasks: &HashMap<Uuid, i64>,
    n: usize,
) -> Vec<Candidate> {
    let mut eligible: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !excluded.contains(&c.id))
        .collect();
    eligible.sort_by_key(|c| (open_tasks.get(&c.id).copied().unwrap_or(0), c.id));
    eligible.dedup_by_key(|c| c.id);
    eligible.into_iter().take(n).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u128) -> Candidate {
        Candidate {
            id: Uuid::from_u128(n),
            email: format!("u{n}@example.com"),
        }
    }

    #[test]
    fn the_least_busy_eligible_users_are_chosen() {
        let all = vec![c(1), c(2), c(3)];
        let load = HashMap::from([(Uuid::from_u128(1), 5), (Uuid::from_u128(2), 1)]);
        let got = pick(&all, &HashSet::new(), &load, 2);
        assert_eq!(got, vec![c(3), c(2)]);
    }

    #[test]
    fn excluded_users_are_never_chosen() {
        let all = vec![c(1), c(2)];
        let excluded = HashSet::from([Uuid::from_u128(1), Uuid::from_u128(2)]);
        assert!(pick(&all, &excluded, &HashMap::new(), 1).is_empty());
    }
}
