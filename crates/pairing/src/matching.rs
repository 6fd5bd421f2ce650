//! Grouping a pool of learners into pairs and at most one trio: exact (Edmonds' blossom through
//! the `integer-blossom` crate, and a bounded search for the trio) after a profile-class
//! reduction that is proven not to lose optimality, and a scalable chunked method for pools too
//! large to solve densely.
//!
//! # Why the reduction is exact
//! The cost of two learners is `-shared_tag·|T∩| + differing_tag·|TΔ| - shared_group·|G∩|`,
//! plus per-edge adjustments (a repeat penalty, a bonus for keeping a partner) and hard
//! exclusions. Since `|A∩B| = (|A|+|B|-|AΔB|)/2`, the profile part is `π(u) + π(v) + d(u, v)`
//! with `d` a pseudo-metric (weighted symmetric differences); the dummy vertex that picks the
//! trio's third member costs `π(x) + K`. A *bad* edge is an exclusion or a penalty. Call
//! *interchangeable* a learner with no other adjustment than penalties and no bad edge to a
//! learner of its own profile (under `new_partners` that is almost everyone: a previous partner
//! of another profile is fine). The interchangeable learners of profile `P` form a class `C`;
//! any two of them pair at cost `2π(P)`. Take an optimal matching `M` (maximum cardinality, then
//! minimum cost).
//!
//! 1. *Normalise.* If `a`, `c` of `C` are matched outside `C` to `x`, `y` (or the dummy) and
//!    `x`–`y` is not bad, swap to `(a, c), (x, y)`: `2π(P) + w(x, y)` is at most
//!    `2π(P) + π(x) + π(y) + d(P, x) + d(P, y)` (triangle inequality), which is at most
//!    `w(a, x) + w(c, y)` since `a` and `c` carry no bonus. Each swap adds a pair inside a class
//!    and breaks none, so swapping ends. Then the partners outside `C` pairwise share bad edges:
//!    a clique of the bad-edge graph, at most its degeneracy + 1 (`ω`), or a single partner
//!    without bad edge (or the dummy). Likewise, if `a` is matched outside `C` (to `x` or the
//!    dummy) while `c` is unmatched, `(a, c)` with `x` unmatched costs no more: `π` is 1-Lipschitz
//!    for `d` (`π(P) ≤ π(x) + d(P, x)`) and `π ≤ 0`. Two unmatched members would form an
//!    augmenting pair. So at most `s ≤ max(ω, 1)` members of `C` are not paired inside `C`, and
//!    `s ≡ |C| (mod 2)`.
//! 2. *Rearrange.* The reduction keeps `r` spares of `C` for the solver with `r ≥ s + β` and
//!    `r ≡ |C|`, `β` being the most spares any one learner has a bad edge with (spares without
//!    bad edges are taken first, so `β` is usually 0 or 1), and pairs the other members of `C`
//!    among themselves (`Q`). Permute the members of `C` over their places in `M`: spares not
//!    paired inside `C` stay; each member of `Q` not paired inside `C` hands its place (partner
//!    `x`, the dummy, or unmatched) to a spare paired inside `C` that is not bad with `x` (at
//!    least `r - s + 1 - β ≥ 1` are left each time); the pairs of `Q` and the remaining spares
//!    (`r - s`, an even number) fill the pairs inside `C`. Every new edge is not bad and has the
//!    same profile part as the edge it replaces, so the cost does not rise, and `Q ⊆ M`.
//!
//! Class after class (the swaps and the permutation of a class never touch a pair inside
//! another class), this gives an optimal matching containing every pre-formed pair, so solving
//! the residual pool loses nothing. A class without bad edges keeps `max(ω, 1)` spares up to
//! parity, as the reduction always did. The property tests check the reduction against the
//! plain dense solver, with and without histories.
//!
//! # With the trio
//! The engine groups the pool into pairs and at most one trio (most learners placed, then least
//! cost, a trio costing its three pairings), with no dummy vertex. The same argument holds with
//! two changes. In step 1 the trio is left alone (only pairs are swapped), so besides the `ω`
//! (or one) members of `C` paired outside it, up to three members of `C` sit in the trio:
//! `s ≤ max(ω, 1) + 3`, still of the parity of `|C|`. In step 2 a member of `Q` in the trio
//! hands its place to a spare that is bad with neither of its two mates, so a conflict can rule
//! out two spares: the reduction keeps `r ≥ s + 2β` spares. Every new edge still has the profile
//! part of the edge it replaces and is not bad, so the trio's cost does not rise either, and an
//! optimal grouping keeps every pre-formed pair: the trio and the other pairs lie in the
//! residual pool, which [`exact_trio`] solves exactly. The property tests check the grouping
//! against brute force on small rosters and the reduced grouping against the plain one.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What the matching knows about one learner.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub tags: Vec<u32>,
    pub groups: Vec<u32>,
    /// Same profile (tags, groups) ⇔ same id; ids follow the profiles' sort order so that close
    /// profiles get close ids.
    pub profile: u32,
}

/// The weights the matching uses, clamped to be non-negative.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CostModel {
    pub shared_tag: i64,
    pub differing_tag: i64,
    pub shared_group: i64,
}

/// How to solve a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolveOptions {
    /// Pools up to this many vertices (after the reduction) are solved exactly.
    pub exact_limit: usize,
    /// Chunk size of the scalable method.
    pub chunk: usize,
    /// Apply the profile-class reduction (exact; off only to measure it).
    pub reduce: bool,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            exact_limit: 2_500,
            chunk: 400,
            reduce: true,
        }
    }
}

/// A pool's matching problem: nodes are indices into `nodes`.
pub(crate) struct Problem<'a> {
    pub nodes: &'a [Node],
    pub model: CostModel,
    /// Excluded pairs, as `(min, max)`.
    pub forbidden: &'a HashSet<(u32, u32)>,
    /// Per-edge adjustments in cost units, as `(min, max)`: positive is a penalty (a bad edge),
    /// negative a bonus.
    pub extra: &'a HashMap<(u32, u32), i64>,
}

/// The result of matching a pool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Matched {
    pub pairs: Vec<(u32, u32)>,
    /// The learner matched to the dummy vertex: the trio's third member.
    pub single: Option<u32>,
    pub unmatched: Vec<u32>,
    pub exact: bool,
}

pub(crate) fn key(u: u32, v: u32) -> (u32, u32) {
    if u < v { (u, v) } else { (v, u) }
}

fn count_common(a: &[u32], b: &[u32]) -> i64 {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

impl Problem<'_> {
    /// The profile part of the cost of pairing `u` and `v` (no adjustments).
    pub fn profile_cost(&self, u: u32, v: u32) -> i64 {
        let (a, b) = (&self.nodes[u as usize], &self.nodes[v as usize]);
        let m = &self.model;
        let st = count_common(&a.tags, &b.tags);
        let diff = (a.tags.len() + b.tags.len()) as i64 - 2 * st;
        let sg = count_common(&a.groups, &b.groups);
        -m.shared_tag * st + m.differing_tag * diff - m.shared_group * sg
    }

    /// The cost the matching minimises, or `None` when the pair is excluded.
    pub fn cost(&self, u: u32, v: u32) -> Option<i64> {
        let k = key(u, v);
        if self.forbidden.contains(&k) {
            return None;
        }
        Some(self.profile_cost(u, v) + self.extra.get(&k).copied().unwrap_or(0))
    }

    /// Twice the cost of leaving `u` to the dummy vertex: `2π(u)` (see the module doc).
    pub(crate) fn dummy_cost2(&self, u: u32) -> i64 {
        let a = &self.nodes[u as usize];
        let m = &self.model;
        -m.shared_tag * a.tags.len() as i64 - m.shared_group * a.groups.len() as i64
    }
}

/// The pool's special edges (exclusions and adjustments) by learner, sorted so that nothing
/// depends on hash order. `true` marks a bad edge (an exclusion or a penalty).
fn special_edges(p: &Problem, pool: &[u32]) -> BTreeMap<u32, Vec<(u32, bool)>> {
    let in_pool: HashSet<u32> = pool.iter().copied().collect();
    let mut special: BTreeMap<u32, Vec<(u32, bool)>> = BTreeMap::new();
    let mut add = |u: u32, v: u32, bad: bool| {
        if in_pool.contains(&u) && in_pool.contains(&v) {
            special.entry(u).or_default().push((v, bad));
            special.entry(v).or_default().push((u, bad));
        }
    };
    for &(u, v) in p.forbidden {
        add(u, v, true);
    }
    for (&(u, v), &x) in p.extra {
        add(u, v, x > 0);
    }
    for adj in special.values_mut() {
        adj.sort_unstable();
        adj.dedup();
    }
    special
}

/// Matches `pool` (in the seeded order the caller chose). With `dummy`, one learner may be
/// matched to a dummy vertex of cost `π(x)` and returned as `single`. The reduction's proof in
/// the module doc is about this problem; the property tests check it against the plain solver.
#[cfg(test)]
pub(crate) fn solve_pool(p: &Problem, pool: &[u32], dummy: bool, opts: &SolveOptions) -> Matched {
    let special = special_edges(p, pool);
    let (residual, prepaired) = if opts.reduce {
        reduce(p, pool, &special, false)
    } else {
        (pool.to_vec(), Vec::new())
    };
    let mode = if dummy { Dummy::Half } else { Dummy::None };
    let mut out = if residual.len() + usize::from(dummy) <= opts.exact_limit {
        let mut m = dense(p, &residual, mode);
        m.exact = true;
        m
    } else {
        chunked(p, residual, dummy, opts)
    };
    out.pairs.extend(prepaired);
    out
}

/// A pool grouped into pairs and at most one trio.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grouped {
    pub pairs: Vec<(u32, u32)>,
    pub trio: Option<[u32; 3]>,
    pub unmatched: Vec<u32>,
    /// The grouping is proven optimal.
    pub exact: bool,
}

/// Groups `pool` (in the seeded order the caller chose) into pairs and, with `trio`, at most
/// one trio: as many learners placed as possible, then the least total cost, a trio costing its
/// three pairings. Exact up to `exact_limit` learners after the reduction (see the module doc);
/// above that, the chunked method with the trio's third member attached to the cheapest pair.
pub(crate) fn group_pool(p: &Problem, pool: &[u32], trio: bool, opts: &SolveOptions) -> Grouped {
    if trio && pool.len().is_multiple_of(2) {
        // An even pool that pairs everyone needs no trio (a trio would place one fewer), and
        // the reduction without a trio keeps fewer spares: try that first.
        let pairs = group_pool(p, pool, false, opts);
        if pairs.unmatched.is_empty() {
            return pairs;
        }
    }
    let special = special_edges(p, pool);
    let (residual, prepaired) = if opts.reduce {
        reduce(p, pool, &special, trio)
    } else {
        (pool.to_vec(), Vec::new())
    };
    if residual.len() + usize::from(trio) <= opts.exact_limit {
        let mut out = if trio && residual.len() % 2 == 1 {
            exact_trio(p, &residual)
        } else {
            // An even pool that pairs everyone needs no trio (a trio would place one fewer);
            // one that does not may still place one more learner with a trio.
            let m = dense(p, &residual, Dummy::None);
            if trio && !m.unmatched.is_empty() {
                exact_trio(p, &residual)
            } else {
                Grouped {
                    pairs: m.pairs,
                    trio: None,
                    unmatched: m.unmatched,
                    exact: true,
                }
            }
        };
        out.pairs.extend(prepaired);
        return out;
    }
    // The π dummy counts as an edge: offered to an even pool, it could trade a pair for a trio
    // and a learner left over, so only an odd pool gets it.
    let odd = residual.len() % 2 == 1;
    let m = chunked(p, residual, trio && odd, opts);
    let mut out = Grouped {
        pairs: m.pairs,
        trio: None,
        unmatched: m.unmatched,
        exact: false,
    };
    out.pairs.extend(prepaired);
    if let Some(s) = m.single {
        match cheapest_attach(p, &out.pairs, s) {
            Some((i, _)) => {
                let (a, b) = out.pairs.remove(i);
                out.trio = Some([a, b, s]);
            }
            None => out.unmatched.push(s),
        }
    }
    out
}

/// The pair of `pairs` that `s` joins at the least cost, and that cost (`s`'s two pairings).
fn cheapest_attach(p: &Problem, pairs: &[(u32, u32)], s: u32) -> Option<(usize, i64)> {
    pairs
        .iter()
        .enumerate()
        .filter_map(|(i, &(a, b))| Some((p.cost(s, a)? + p.cost(s, b)?, i)))
        .min()
        .map(|(c, i)| (i, c))
}

/// Pools up to this size are searched exhaustively (with bounds) when the quick certificate of
/// [`exact_trio`] fails; larger ones keep the attached trio and say the plan is not exact.
const SEARCH_LIMIT: usize = 64;
/// The most residual matchings one exhaustive search may solve.
const SEARCH_BUDGET: usize = 400;

/// The exact grouping of `r` into pairs and at most one trio.
///
/// A trio `{x, y, z}` is a pair `x`–`z` plus `y` matched to a dummy vertex that costs
/// `D(y)`, the sum of `y`'s two cheapest pairings: every grouping maps to a matching that costs
/// no more, so the matching `DT` that places the most learners at the least cost bounds the
/// best grouping from below (`LB`). Attaching `DT`'s single to the cheapest of its pairs gives
/// a grouping; when it costs `LB`, it is optimal (the usual case). Otherwise, for small pools,
/// every trio is bounded by `N(t) + w(t, o₁) + w(t, o₂)` for each member `t` (`N(t)`: the best
/// matching without `t`, which pairing `o₁`–`o₂` beside the rest's matching cannot beat), and
/// the trios whose bound is below the best grouping found are solved one by one.
fn exact_trio(p: &Problem, r: &[u32]) -> Grouped {
    let d = trio_dummy(p, r);
    let dt = dense(p, r, Dummy::Trio(&d));
    let Some(y) = dt.single else {
        // No trio places more learners than the pairs alone.
        return Grouped {
            pairs: dt.pairs,
            trio: None,
            unmatched: dt.unmatched,
            exact: true,
        };
    };
    let k = dt.pairs.len();
    let base = pairs_cost(p, &dt.pairs);
    let lb = base + d[&y];
    let mut best: Option<Found> = cheapest_attach(p, &dt.pairs, y).map(|(i, c)| {
        let mut pairs = dt.pairs.clone();
        let (a, b) = pairs.remove(i);
        Found {
            cost: base + c,
            trio: [a, b, y],
            pairs,
            unmatched: dt.unmatched.clone(),
        }
    });
    let mut exact = best.as_ref().is_some_and(|b| b.cost == lb);
    if !exact && r.len() <= SEARCH_LIMIT {
        exact = search_trios(p, r, &d, k, &mut best);
    }
    match best {
        Some(f) => Grouped {
            pairs: f.pairs,
            trio: Some(sorted3(f.trio)),
            unmatched: f.unmatched,
            exact,
        },
        None => {
            // No trio places `2k + 1`: the best grouping is then the best matching alone (it
            // places `2k`, more than any trio with fewer pairs).
            let m = dense(p, r, Dummy::None);
            Grouped {
                pairs: m.pairs,
                trio: None,
                unmatched: m.unmatched,
                exact,
            }
        }
    }
}

/// A grouping with a trio found by [`exact_trio`].
struct Found {
    cost: i64,
    trio: [u32; 3],
    pairs: Vec<(u32, u32)>,
    unmatched: Vec<u32>,
}

fn sorted3(mut t: [u32; 3]) -> [u32; 3] {
    t.sort_unstable();
    t
}

fn pairs_cost(p: &Problem, pairs: &[(u32, u32)]) -> i64 {
    pairs
        .iter()
        .map(|&(u, v)| p.cost(u, v).expect("a matched pair is allowed"))
        .sum()
}

/// `D(y)`: the sum of `y`'s two cheapest pairings inside `r`, for every `y` that has two.
fn trio_dummy(p: &Problem, r: &[u32]) -> BTreeMap<u32, i64> {
    let mut out = BTreeMap::new();
    for &y in r {
        let (mut a, mut b) = (i64::MAX, i64::MAX);
        for &x in r {
            if x == y {
                continue;
            }
            if let Some(c) = p.cost(x, y) {
                if c < a {
                    b = a;
                    a = c;
                } else if c < b {
                    b = c;
                }
            }
        }
        if b != i64::MAX {
            out.insert(y, a + b);
        }
    }
    out
}

/// The bounded search of [`exact_trio`]: groupings of a trio and `k - 1` pairs. Returns whether
/// it finished (the best grouping is then proven optimal).
fn search_trios(
    p: &Problem,
    r: &[u32],
    d: &BTreeMap<u32, i64>,
    k: usize,
    best: &mut Option<Found>,
) -> bool {
    let without =
        |skip: &[u32]| -> Vec<u32> { r.iter().copied().filter(|u| !skip.contains(u)).collect() };
    // N(t) for every learner that can be in a trio placing as many as `DT`: a trio member's best
    // matching without it has exactly `k` pairs.
    let mut n: BTreeMap<u32, i64> = BTreeMap::new();
    for &t in d.keys() {
        let m = dense(p, &without(&[t]), Dummy::None);
        if m.pairs.len() == k {
            n.insert(t, pairs_cost(p, &m.pairs));
        }
    }
    let members: Vec<u32> = n.keys().copied().collect();
    let mut candidates: Vec<(i64, [u32; 3])> = Vec::new();
    for (i, &x) in members.iter().enumerate() {
        for (j, &y) in members.iter().enumerate().skip(i + 1) {
            let Some(wxy) = p.cost(x, y) else { continue };
            for &z in &members[j + 1..] {
                let (Some(wxz), Some(wyz)) = (p.cost(x, z), p.cost(y, z)) else {
                    continue;
                };
                let bound = (n[&x] + wxy + wxz)
                    .max(n[&y] + wxy + wyz)
                    .max(n[&z] + wxz + wyz);
                candidates.push((bound, [x, y, z]));
            }
        }
    }
    candidates.sort_unstable();
    for (solved, (bound, t)) in candidates.into_iter().enumerate() {
        if best.as_ref().is_some_and(|b| bound >= b.cost) {
            return true;
        }
        if solved == SEARCH_BUDGET {
            return false;
        }
        let m = dense(p, &without(&t), Dummy::None);
        if m.pairs.len() + 1 != k {
            continue;
        }
        let c = pairs_cost(p, &m.pairs)
            + p.cost(t[0], t[1]).unwrap_or(0)
            + p.cost(t[0], t[2]).unwrap_or(0)
            + p.cost(t[1], t[2]).unwrap_or(0);
        if best.as_ref().is_none_or(|b| c < b.cost) {
            *best = Some(Found {
                cost: c,
                trio: t,
                pairs: m.pairs,
                unmatched: m.unmatched,
            });
        }
    }
    true
}

/// The profile-class reduction (see the module doc): the residual pool for the solver, and the
/// pairs formed inside classes beforehand.
fn reduce(
    p: &Problem,
    pool: &[u32],
    special: &BTreeMap<u32, Vec<(u32, bool)>>,
    trio: bool,
) -> (Vec<u32>, Vec<(u32, u32)>) {
    let profile = |u: u32| p.nodes[u as usize].profile;
    // Interchangeable within its class: no bonus (or zero) adjustment, and bad edges only to
    // learners of other profiles.
    let interchangeable = |u: u32| {
        special
            .get(&u)
            .is_none_or(|adj| adj.iter().all(|&(v, bad)| bad && profile(v) != profile(u)))
    };
    let mut residual = Vec::new();
    let mut classes: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &u in pool {
        if interchangeable(u) {
            classes.entry(profile(u)).or_default().push(u);
        } else {
            residual.push(u);
        }
    }
    // At most `outside` members of a class are not paired inside it in a normalised optimum:
    // up to three more when a trio may take them. A trio member hands its place over to a spare
    // that is bad with neither of its two mates, hence `spread` spares per conflict.
    let outside = clique_bound(special).max(1) + if trio { 3 } else { 0 };
    let spread = if trio { 2 } else { 1 };
    let mut prepaired = Vec::new();
    for members in classes.values_mut() {
        // Spares without any bad edge first (stable: the seeded pool order otherwise).
        members.sort_by_key(|u| special.contains_key(u));
        let n = members.len();
        // `s` has the parity of `n`.
        let s_max = if outside % 2 == n % 2 {
            outside
        } else {
            outside - 1
        };
        let mut beta = 0;
        let keep = loop {
            let mut keep = (s_max + spread * beta).min(n);
            if (n - keep) % 2 == 1 {
                keep += 1;
            }
            let b = spare_conflicts(&members[..keep], special);
            if b <= beta {
                break keep;
            }
            beta = b;
        };
        residual.extend_from_slice(&members[..keep]);
        prepaired.extend(members[keep..].chunks(2).map(|c| (c[0], c[1])));
    }
    (residual, prepaired)
}

/// The largest number of `spares` that one learner has a bad edge with.
fn spare_conflicts(spares: &[u32], special: &BTreeMap<u32, Vec<(u32, bool)>>) -> usize {
    let mut count: HashMap<u32, usize> = HashMap::new();
    for u in spares {
        for &(v, bad) in special.get(u).into_iter().flatten() {
            if bad {
                *count.entry(v).or_default() += 1;
            }
        }
    }
    count.into_values().max().unwrap_or(0)
}

/// An upper bound on the largest clique of the bad-edge graph: its degeneracy + 1 (0 when it
/// has no edge).
fn clique_bound(special: &BTreeMap<u32, Vec<(u32, bool)>>) -> usize {
    let mut adj: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (&u, list) in special {
        let bad: Vec<u32> = list.iter().filter(|e| e.1).map(|e| e.0).collect();
        if !bad.is_empty() {
            adj.insert(u, bad);
        }
    }
    if adj.is_empty() {
        return 0;
    }
    let mut deg: HashMap<u32, usize> = adj.iter().map(|(&u, l)| (u, l.len())).collect();
    let mut queue: BTreeSet<(usize, u32)> = deg.iter().map(|(&u, &d)| (d, u)).collect();
    let mut removed = HashSet::new();
    let mut degeneracy = 0;
    while let Some((d, u)) = queue.pop_first() {
        degeneracy = degeneracy.max(d);
        removed.insert(u);
        for &v in &adj[&u] {
            if removed.contains(&v) {
                continue;
            }
            let dv = deg.get_mut(&v).expect("every bad neighbour has a degree");
            queue.remove(&(*dv, v));
            *dv -= 1;
            queue.insert((*dv, v));
        }
    }
    degeneracy + 1
}

/// What the dummy vertex of [`dense`] is.
#[derive(Clone, Copy)]
pub(crate) enum Dummy<'a> {
    /// No dummy vertex.
    None,
    /// Costs `π(x)`, and counts as an edge: the reduction's problem (see the module doc).
    Half,
    /// Costs `D(y)` (when given), and places one learner where a pair places two: the lower
    /// bound of [`exact_trio`].
    Trio(&'a BTreeMap<u32, i64>),
}

/// The exact dense solve: maximum cardinality first (with [`Dummy::Trio`], the most learners
/// placed), then minimum cost.
pub(crate) fn dense(p: &Problem, nodes: &[u32], dummy: Dummy) -> Matched {
    let n = nodes.len();
    let has_dummy = !matches!(dummy, Dummy::None);
    let m = n + usize::from(has_dummy);
    if m < 2 {
        return Matched {
            unmatched: nodes.to_vec(),
            exact: true,
            ..Matched::default()
        };
    }
    const NONE: i64 = i64::MAX;
    let mut cost = vec![NONE; m * m];
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for i in 0..n {
        for j in i + 1..n {
            if let Some(c) = p.cost(nodes[i], nodes[j]) {
                let c = c.saturating_mul(2);
                cost[i * m + j] = c;
                lo = lo.min(c);
                hi = hi.max(c);
            }
        }
        let c = match dummy {
            Dummy::None => None,
            Dummy::Half => Some(p.dummy_cost2(nodes[i])),
            Dummy::Trio(d) => d.get(&nodes[i]).map(|&c| c.saturating_mul(2)),
        };
        if let Some(c) = c {
            cost[i * m + n] = c;
            lo = lo.min(c);
            hi = hi.max(c);
        }
    }
    if lo > hi {
        return Matched {
            unmatched: nodes.to_vec(),
            exact: true,
            ..Matched::default()
        };
    }
    let trio = matches!(dummy, Dummy::Trio(_));
    let half = m as i128 / 2 + 1;
    // A weight `big - cost` with `big > hi + (m/2)·(hi - lo)` makes one more pair always worth
    // more than any cost difference, so the maximum-weight matching has maximum cardinality.
    // For the trio's bound a pair weighs `2·big - cost` and the dummy edge `big - cost`, with
    // `big` above twice any matching's total cost: one more learner placed always wins.
    let big = if trio {
        let span = i128::from(lo).abs().max(i128::from(hi).abs()).max(1);
        2 * half * span + 1
    } else {
        i128::from(hi) + half * (i128::from(hi) - i128::from(lo)) + 1
    };
    // Column `n` is the dummy vertex.
    let weight = |col: usize, c: i64| -> i128 {
        let places = if trio && col != n { 2 } else { 1 };
        places * big - i128::from(c)
    };
    let mate = if 2 * big < i128::from(i64::MAX / 16) {
        let w: Vec<i64> = (0..m * m)
            .map(|ij| match cost[ij] {
                NONE => 0,
                c => weight(ij % m, c) as i64,
            })
            .collect();
        integer_blossom::max_weight_matching(&w, m)
    } else {
        let w: Vec<i128> = (0..m * m)
            .map(|ij| match cost[ij] {
                NONE => 0,
                c => weight(ij % m, c),
            })
            .collect();
        integer_blossom::max_weight_matching(&w, m)
    };
    let mut out = Matched::default();
    for (i, mate_i) in mate.iter().enumerate().take(n) {
        match *mate_i {
            Some(j) if j == n && has_dummy => out.single = Some(nodes[i]),
            Some(j) if j > i => out.pairs.push((nodes[i], nodes[j])),
            Some(_) => {}
            None => out.unmatched.push(nodes[i]),
        }
    }
    out
}

/// The scalable method: sort the pool by profile so that close profiles are neighbours, solve
/// consecutive chunks exactly, and carry every chunk's unmatched learners to the next round;
/// the last round (small enough) is solved exactly with the dummy vertex.
fn chunked(p: &Problem, mut nodes: Vec<u32>, dummy: bool, opts: &SolveOptions) -> Matched {
    let chunk = opts.chunk.max(2);
    nodes.sort_by_key(|&u| p.nodes[u as usize].profile);
    let mut out = Matched::default();
    let limit = opts.exact_limit.max(chunk);
    while nodes.len() + usize::from(dummy) > limit {
        let mut next = Vec::new();
        let before = out.pairs.len();
        for c in nodes.chunks(chunk) {
            let m = dense(p, c, Dummy::None);
            out.pairs.extend(m.pairs);
            next.extend(m.unmatched);
        }
        let progress = out.pairs.len() > before;
        nodes = next;
        if !progress {
            // Chunks that pair nobody will not start to: give the exact round what fits.
            let rest = nodes.split_off(limit.saturating_sub(1).min(nodes.len()));
            out.unmatched.extend(rest);
            break;
        }
    }
    let last = dense(p, &nodes, if dummy { Dummy::Half } else { Dummy::None });
    out.pairs.extend(last.pairs);
    out.single = last.single;
    out.unmatched.extend(last.unmatched);
    out.exact = false;
    out
}
