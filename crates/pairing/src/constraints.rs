//! The hard exclusions: who may never share a group, from the links. One closure for the engine
//! and for the instructor's hand edits, so that both always agree.
//!
//! Direct links exclude their two people in both directions. Only [`LinkKind::Manages`] is
//! followed across levels (a manager's manager is excluded too), and only staff should create
//! it; a learner's declarations map to direct-only kinds. The work is then bounded by what staff
//! uploaded (one walk of the `Manages` graph per manager), never by what learners declare.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::{Link, LinkKind};

/// The set of excluded pairs, unordered, each marked private when only a learner's own
/// declaration excludes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    /// `(min, max)` → private.
    pairs: HashMap<(String, String), bool>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Exclusions {
    /// The exclusions the links give: direct links both ways, and the transitive closure of
    /// `Manages` over everyone named (a skip level stays excluded when the middle manager left).
    pub fn from_links<'a>(links: impl IntoIterator<Item = &'a Link>) -> Self {
        let mut out = Exclusions::default();
        let mut reports: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for l in links {
            let (a, b) = (l.a.as_str(), l.b.as_str());
            if l.kind == LinkKind::Manages {
                reports.entry(a).or_default().push(b);
            }
            out.insert(a, b, l.kind.is_private());
        }
        for &boss in reports.keys() {
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let mut stack = vec![boss];
            while let Some(x) = stack.pop() {
                for &y in reports.get(x).into_iter().flatten() {
                    if seen.insert(y) {
                        stack.push(y);
                    }
                }
            }
            for y in seen {
                out.insert(boss, y, false);
            }
        }
        out
    }

    /// A link known to staff makes the pair public even if a learner declared it too.
    fn insert(&mut self, a: &str, b: &str, private: bool) {
        if a == b {
            return;
        }
        let e = self.pairs.entry(ordered(a, b)).or_insert(private);
        *e &= private;
    }

    /// Whether `a` and `b` may never share a group.
    pub fn excludes(&self, a: &str, b: &str) -> bool {
        a != b && self.pairs.contains_key(&ordered(a, b))
    }

    /// Whether a group breaks no exclusion (a name given twice is not an exclusion here).
    pub fn group_ok<S: AsRef<str>>(&self, members: &[S]) -> bool {
        members.iter().enumerate().all(|(i, a)| {
            members[i + 1..]
                .iter()
                .all(|b| !self.excludes(a.as_ref(), b.as_ref()))
        })
    }

    /// Every excluded pair once, with whether it is private.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.pairs
            .iter()
            .map(|((a, b), &private)| (a.as_str(), b.as_str(), private))
    }

    /// How many pairs are excluded.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}
