//! From a roster to a plan: availability, hard exclusions (from [`Exclusions`]), locks, the
//! history policy, the exact grouping of the pool into pairs and one trio, and the explanations.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::constraints::Exclusions;
use super::matching::{self, CostModel, Grouped, Node, Problem, SolveOptions, key};
use super::model::{
    Explanation, Group, LearnerId, LockDropReason, Note, Plan, PlanInput, Policy, Unplaced,
    UnplacedReason,
};

/// A seeded 64-bit mix (splitmix64 over FNV-1a of the id): the only source of tie-breaking.
fn rank(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A group that is settled before the matching runs.
#[derive(Debug, Clone)]
struct Fixed {
    members: Vec<u32>,
    locked: bool,
}

#[derive(Clone)]
struct Roster<'a> {
    ids: Vec<&'a LearnerId>,
    index: HashMap<&'a LearnerId, u32>,
    available: Vec<bool>,
    nodes: Vec<Node>,
    tags: Vec<Vec<&'a str>>,
    forbidden: HashSet<(u32, u32)>,
    /// Each learner's exclusions, each marked private when only a learner's declaration makes
    /// it (never named to staff).
    excluded: BTreeMap<u32, BTreeMap<u32, bool>>,
    /// Previous partners: how many modules each pair of learners shared.
    met: HashMap<(u32, u32), i64>,
    in_history: HashSet<u32>,
    rank: Vec<u64>,
    /// Learners whose group of the last module broke up (a partner left).
    orphan: Vec<bool>,
    notes: Vec<Vec<Note>>,
}

/// Plans with the default solve options.
pub fn plan(input: &PlanInput) -> Plan {
    plan_with(input, &SolveOptions::default())
}

/// Plans with explicit solve options (the benchmark uses this to compare methods).
pub fn plan_with(input: &PlanInput, opts: &SolveOptions) -> Plan {
    let mut r = roster(input);
    let model = CostModel {
        shared_tag: input.weights.shared_tag.max(0),
        differing_tag: input.weights.differing_tag.max(0),
        shared_group: input.weights.shared_group.max(0),
    };
    let locks = accept_locks(input, &mut r);
    let mut best = attempt(input, &mut r.clone(), &locks, model, opts, false);
    if input.policy == Policy::KeepPairs
        && best.unplaced_available > 0
        && !input.history.modules.is_empty()
    {
        // Kept pairs may hold the only partners some learners can have: reopen them, with a
        // large bonus for staying together, and take that plan if it places more learners.
        let second = attempt(input, &mut r, &locks, model, opts, true);
        if second.unplaced_available < best.unplaced_available {
            best = second;
        }
    }
    best.plan
}

impl Roster<'_> {
    fn allowed(&self, group: &[u32]) -> bool {
        group.iter().enumerate().all(|(i, &u)| {
            group[i + 1..]
                .iter()
                .all(|&v| u != v && !self.forbidden.contains(&key(u, v)))
        })
    }
}

fn roster(input: &PlanInput) -> Roster<'_> {
    let mut ids = Vec::new();
    let mut index = HashMap::new();
    let mut available = Vec::new();
    let mut raw = Vec::new();
    for p in &input.participants {
        if index.contains_key(&p.id) {
            continue;
        }
        index.insert(&p.id, ids.len() as u32);
        ids.push(&p.id);
        available.push(p.available);
        raw.push(p);
    }
    let n = ids.len();

    // Tags and groups become small sorted integer sets.
    let mut vocab: BTreeMap<&str, u32> = BTreeMap::new();
    for p in &raw {
        for t in p.tags.iter().chain(&p.groups) {
            vocab.insert(t.as_str(), 0);
        }
    }
    for (i, v) in vocab.values_mut().enumerate() {
        *v = i as u32;
    }
    let set = |xs: &[String]| -> Vec<u32> {
        let s: BTreeSet<u32> = xs.iter().map(|x| vocab[x.as_str()]).collect();
        s.into_iter().collect()
    };
    let mut tags: Vec<Vec<&str>> = Vec::with_capacity(n);
    let mut nodes: Vec<Node> = Vec::with_capacity(n);
    for p in &raw {
        let t: BTreeSet<&str> = p.tags.iter().map(String::as_str).collect();
        tags.push(t.into_iter().collect());
        nodes.push(Node {
            tags: set(&p.tags),
            groups: set(&p.groups),
            profile: 0,
        });
    }
    // Profile ids in the sort order of the profiles, so that close profiles get close ids.
    let mut profiles: BTreeMap<(&[u32], &[u32]), u32> = BTreeMap::new();
    for node in &nodes {
        profiles.insert((&node.tags, &node.groups), 0);
    }
    for (i, v) in profiles.values_mut().enumerate() {
        *v = i as u32;
    }
    let profile_ids: Vec<u32> = nodes
        .iter()
        .map(|node| profiles[&(&node.tags[..], &node.groups[..])])
        .collect();
    for (node, id) in nodes.iter_mut().zip(profile_ids) {
        node.profile = id;
    }

    // Hard exclusions between available learners; the closure of `Manages` is computed over
    // everyone named (a manager's manager stays excluded even when the middle manager has left).
    let by_name: HashMap<&str, u32> = index.iter().map(|(id, &u)| (id.as_str(), u)).collect();
    let mut forbidden = HashSet::new();
    let mut excluded: BTreeMap<u32, BTreeMap<u32, bool>> = BTreeMap::new();
    for (a, b, private) in Exclusions::from_links(&input.links).pairs() {
        if let (Some(&u), Some(&v)) = (by_name.get(a), by_name.get(b))
            && available[u as usize]
            && available[v as usize]
        {
            forbidden.insert(key(u, v));
            excluded.entry(u).or_default().insert(v, private);
            excluded.entry(v).or_default().insert(u, private);
        }
    }

    let mut met = HashMap::new();
    let mut in_history = HashSet::new();
    for m in &input.history.modules {
        let mut seen_pairs = HashSet::new();
        for g in &m.groups {
            let members: Vec<u32> = g.iter().filter_map(|id| index.get(id).copied()).collect();
            in_history.extend(members.iter().copied());
            for (i, &u) in members.iter().enumerate() {
                for &v in &members[i + 1..] {
                    if u != v && seen_pairs.insert(key(u, v)) {
                        *met.entry(key(u, v)).or_insert(0) += 1;
                    }
                }
            }
        }
    }

    let rank = ids.iter().map(|id| rank(input.seed, id.as_str())).collect();
    Roster {
        ids,
        index,
        available,
        nodes,
        tags,
        forbidden,
        excluded,
        met,
        in_history,
        rank,
        orphan: vec![false; n],
        notes: vec![Vec::new(); n],
    }
}

/// Validates the instructor's locks; a lock that cannot stand is dropped with a note on its
/// members. A locked trio is accepted only as the first one.
fn accept_locks(input: &PlanInput, r: &mut Roster) -> Vec<Fixed> {
    let mut used = HashSet::new();
    let mut out = Vec::new();
    let mut trio = false;
    for lock in &input.locked {
        let known: Vec<u32> = lock
            .iter()
            .filter_map(|id| r.index.get(id).copied())
            .collect();
        let reason = if !(2..=3).contains(&lock.len()) {
            Some(LockDropReason::Size)
        } else if known.len() != lock.len() {
            Some(LockDropReason::UnknownLearner)
        } else if known.iter().any(|&u| !r.available[u as usize]) {
            Some(LockDropReason::Unavailable)
        } else if known.iter().any(|u| used.contains(u)) || !distinct(&known) {
            Some(LockDropReason::Duplicate)
        } else if !r.allowed(&known) {
            Some(LockDropReason::Constraint)
        } else if known.len() == 3 && trio {
            Some(LockDropReason::SecondTrio)
        } else {
            None
        };
        match reason {
            Some(why) => {
                for &u in &known {
                    r.notes[u as usize].push(Note::LockDropped(why));
                }
            }
            None => {
                trio |= known.len() == 3;
                used.extend(known.iter().copied());
                out.push(Fixed {
                    members: known,
                    locked: true,
                });
            }
        }
    }
    out
}

fn distinct(xs: &[u32]) -> bool {
    xs.iter().collect::<HashSet<_>>().len() == xs.len()
}

struct Attempt {
    plan: Plan,
    unplaced_available: usize,
}

/// What the history and the locks settle before the pool is grouped.
struct Settled<'a> {
    fixed: Vec<Fixed>,
    placed: HashSet<u32>,
    /// Per-edge adjustments: repeat penalties, bonuses for staying together.
    extra: HashMap<(u32, u32), i64>,
    kept_from: Option<&'a str>,
    late: HashSet<u32>,
}

/// A group of the plan before its explanation: members, locked, kept as settled.
struct Formed {
    members: Vec<u32>,
    locked: bool,
    kept: bool,
    joined: bool,
}

fn attempt(
    input: &PlanInput,
    r: &mut Roster,
    locks: &[Fixed],
    model: CostModel,
    opts: &SolveOptions,
    reopen_kept: bool,
) -> Attempt {
    let mut settled = settle(input, r, locks, reopen_kept);
    let pool = pool_of(input, r, &mut settled);
    let has_trio = settled.fixed.iter().any(|f| f.members.len() == 3);
    let problem = Problem {
        nodes: &r.nodes,
        model,
        forbidden: &r.forbidden,
        extra: &settled.extra,
    };
    let grouped = matching::group_pool(&problem, &pool, !has_trio, opts);
    let exact = grouped.exact;
    let (formed, leftovers) = assemble(&problem, r, &settled.fixed, grouped, has_trio);
    let trio_formed = formed.iter().any(|g| g.members.len() == 3);
    let (groups, cost) = explain(input, r, &problem, &settled, &formed);
    let (unplaced, unplaced_available) = unplaced(r, &leftovers, trio_formed);
    Attempt {
        plan: Plan {
            groups,
            unplaced,
            cost,
            exact,
        },
        unplaced_available,
    }
}

/// Applies the history policy: the kept groups (`keep_pairs`), the repeat penalties
/// (`new_partners`), and who is a late joiner. With `reopen_kept`, every kept group goes back to
/// the pool with a bonus for staying together.
fn settle<'a>(
    input: &'a PlanInput,
    r: &mut Roster,
    locks: &[Fixed],
    reopen_kept: bool,
) -> Settled<'a> {
    let n = r.ids.len();
    let mut s = Settled {
        fixed: locks.to_vec(),
        placed: locks.iter().flat_map(|f| f.members.clone()).collect(),
        extra: HashMap::new(),
        kept_from: None,
        late: HashSet::new(),
    };
    match input.policy {
        Policy::KeepPairs => {
            let Some(last) = input.history.modules.last() else {
                return s;
            };
            s.kept_from = Some(last.module.as_str());
            let mut kept_idx: Vec<usize> = Vec::new();
            for g in &last.groups {
                let present: Vec<u32> = dedup(
                    g.iter()
                        .filter_map(|id| r.index.get(id).copied())
                        .filter(|&u| r.available[u as usize] && !s.placed.contains(&u)),
                );
                let all_here = present.len() == dedup_ids(g);
                let intact = (2..=3).contains(&present.len())
                    && r.allowed(&present)
                    && (all_here || present.len() == 2);
                if intact {
                    s.placed.extend(present.iter().copied());
                    kept_idx.push(s.fixed.len());
                    s.fixed.push(Fixed {
                        members: present,
                        locked: false,
                    });
                } else {
                    for u in present {
                        r.orphan[u as usize] = true;
                    }
                }
            }
            // At most one trio: later kept trios are reopened like a broken group.
            let mut seen_trio = s.fixed.iter().any(|f| f.locked && f.members.len() == 3);
            for &i in &kept_idx {
                if s.fixed[i].members.len() == 3 {
                    if seen_trio {
                        reopen(&mut s.fixed[i], &mut s.extra, &mut s.placed, input);
                    }
                    seen_trio = true;
                }
            }
            for u in 0..n as u32 {
                if r.available[u as usize] && !s.placed.contains(&u) && !r.in_history.contains(&u) {
                    s.late.insert(u);
                }
            }
            if reopen_kept {
                for &i in &kept_idx {
                    reopen(&mut s.fixed[i], &mut s.extra, &mut s.placed, input);
                }
            }
        }
        Policy::NewPartners => {
            for (&(u, v), &times) in &r.met {
                if r.available[u as usize] && r.available[v as usize] {
                    s.extra
                        .insert((u, v), input.weights.repeat_partner.max(0) * times);
                }
            }
            for u in 0..n as u32 {
                if r.available[u as usize] && !r.in_history.contains(&u) {
                    s.late.insert(u);
                }
            }
        }
        Policy::Free => {}
    }
    s.fixed.retain(|f| !f.members.is_empty());
    s
}

/// The learners free to be grouped, in the seeded order. A trio that already stands is reopened
/// when the pool is odd (a kept trio absorbs the late joiner; a locked one is unlocked with a
/// note), so that the one trio goes where it costs least.
fn pool_of(input: &PlanInput, r: &mut Roster, s: &mut Settled) -> Vec<u32> {
    let n = r.ids.len() as u32;
    let mut pool: Vec<u32> = (0..n)
        .filter(|&u| r.available[u as usize] && !s.placed.contains(&u))
        .collect();
    if pool.len() % 2 == 1
        && let Some(t) = s.fixed.iter().position(|f| f.members.len() == 3)
    {
        if s.fixed[t].locked {
            for &u in &s.fixed[t].members {
                r.notes[u as usize].push(Note::LockDropped(LockDropReason::TrioNotNeeded));
            }
        }
        let mut f = s.fixed.remove(t);
        let members = f.members.clone();
        reopen(&mut f, &mut s.extra, &mut s.placed, input);
        pool.extend(members.iter().copied());
        for &u in &members {
            r.notes[u as usize].push(Note::TrioReopened);
        }
    }
    pool.sort_by_key(|&u| (r.rank[u as usize], u));
    pool
}

/// The plan's groups: the settled ones (locks, then kept), the pool's pairs and trio. Only when
/// the pool makes no trio may a leftover join a kept pair (never a locked one). Returns the
/// groups and who is left over.
fn assemble(
    p: &Problem,
    r: &Roster,
    fixed: &[Fixed],
    grouped: Grouped,
    has_trio: bool,
) -> (Vec<Formed>, Vec<u32>) {
    let mut groups: Vec<Formed> = fixed
        .iter()
        .map(|f| Formed {
            members: f.members.clone(),
            locked: f.locked,
            kept: !f.locked,
            joined: false,
        })
        .collect();
    let new = |members: Vec<u32>| Formed {
        members,
        locked: false,
        kept: false,
        joined: false,
    };
    groups.extend(grouped.pairs.iter().map(|&(u, v)| new(vec![u, v])));
    let mut trio_formed = has_trio;
    if let Some(t) = grouped.trio {
        groups.push(new(t.to_vec()));
        trio_formed = true;
    }
    let mut candidates = grouped.unmatched;
    candidates.sort_by_key(|&u| (r.rank[u as usize], u));
    let mut placed_count: usize = groups.iter().map(|g| g.members.len()).sum();
    let mut leftovers = Vec::new();
    for s in candidates {
        if !trio_formed
            && placed_count.is_multiple_of(2)
            && let Some(g) = best_trio(p, &groups, s)
        {
            groups[g].members.push(s);
            groups[g].joined = true;
            trio_formed = true;
            placed_count += 1;
            continue;
        }
        leftovers.push(s);
    }
    (groups, leftovers)
}

/// The groups with their explanations, sorted, and the plan's cost.
fn explain(
    input: &PlanInput,
    r: &Roster,
    problem: &Problem,
    s: &Settled,
    formed: &[Formed],
) -> (Vec<Group>, i64) {
    let history_known = !input.history.modules.is_empty() && input.policy != Policy::Free;
    let last = last_groups(input, r);
    let mut out = Vec::new();
    let mut cost = 0i64;
    for g in formed {
        let members = &g.members;
        let mut notes = vec![Note::NoHierarchy];
        let mut ever_met = false;
        for (i, &u) in members.iter().enumerate() {
            for &v in &members[i + 1..] {
                cost += problem.profile_cost(u, v);
                if let Some(&t) = r.met.get(&key(u, v)) {
                    ever_met = true;
                    if input.policy == Policy::NewPartners {
                        cost += input.weights.repeat_partner.max(0) * t;
                    }
                }
            }
        }
        if history_known {
            match (input.policy, ever_met) {
                (Policy::NewPartners, true) => notes.push(Note::RepeatPartner),
                (_, false) => notes.push(Note::NewPartner),
                _ => {}
            }
        }
        if g.joined {
            notes.push(Note::JoinedTrio);
        }
        let mut member_notes = BTreeSet::new();
        for &u in members {
            if s.late.contains(&u) {
                member_notes.insert(Note::LateJoiner);
            }
            if r.orphan[u as usize] {
                member_notes.insert(Note::OrphanRepaired);
            }
            member_notes.extend(r.notes[u as usize].iter().copied());
        }
        notes.extend(member_notes);
        let kept_here =
            input.policy == Policy::KeepPairs && (g.kept || together_last(&last, members));
        let mut shared: Vec<&str> = r.tags[members[0] as usize].clone();
        for &u in &members[1..] {
            shared.retain(|t| r.tags[u as usize].contains(t));
        }
        let mut ids: Vec<LearnerId> = members.iter().map(|&u| r.ids[u as usize].clone()).collect();
        ids.sort();
        out.push(Group {
            members: ids,
            explanation: Explanation {
                shared_tags: shared.into_iter().map(String::from).collect(),
                kept_from: s.kept_from.filter(|_| kept_here).map(String::from),
                locked: g.locked,
                notes,
            },
        });
    }
    out.sort_by(|a, b| a.members.cmp(&b.members));
    (out, cost)
}

/// The unplaced learners with their reasons, and how many available ones a reopening of the
/// kept pairs could help.
fn unplaced(r: &Roster, leftovers: &[u32], trio_formed: bool) -> (Vec<Unplaced>, usize) {
    let n = r.ids.len();
    let available_count = r.available.iter().filter(|&&a| a).count();
    let mut out: Vec<Unplaced> = (0..n)
        .filter(|&u| !r.available[u])
        .map(|u| Unplaced {
            id: r.ids[u].clone(),
            reason: UnplacedReason::Unavailable,
        })
        .collect();
    let mut unplaced_available = 0;
    for &u in leftovers {
        let reason = reason_for(r, u, available_count, trio_formed);
        // Only a learner left over by the matching could be helped by reopening kept pairs.
        unplaced_available += usize::from(matches!(reason, UnplacedReason::LeftOver { .. }));
        out.push(Unplaced {
            id: r.ids[u as usize].clone(),
            reason,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, unplaced_available)
}

/// Puts a settled group back into the pool, with a bonus for its members staying together.
fn reopen(
    f: &mut Fixed,
    extra: &mut HashMap<(u32, u32), i64>,
    placed: &mut HashSet<u32>,
    input: &PlanInput,
) {
    let bonus = input.weights.keep_partner.max(0);
    for (i, &u) in f.members.iter().enumerate() {
        placed.remove(&u);
        for &v in &f.members[i + 1..] {
            if bonus > 0 {
                extra.insert(key(u, v), -bonus);
            }
        }
    }
    f.members.clear();
    f.locked = false;
}

/// Which groups of the last module each learner was in.
fn last_groups(input: &PlanInput, r: &Roster) -> HashMap<u32, Vec<usize>> {
    let mut out: HashMap<u32, Vec<usize>> = HashMap::new();
    if let Some(last) = input.history.modules.last() {
        for (gi, g) in last.groups.iter().enumerate() {
            for id in g {
                if let Some(&u) = r.index.get(id) {
                    out.entry(u).or_default().push(gi);
                }
            }
        }
    }
    out
}

/// Whether at least two of `members` were in one group of the last module.
fn together_last(last: &HashMap<u32, Vec<usize>>, members: &[u32]) -> bool {
    let mut seen = HashSet::new();
    members
        .iter()
        .flat_map(|u| last.get(u).into_iter().flatten())
        .any(|g| !seen.insert(*g))
}

/// The cheapest pair `s` can join as the third member: never a locked group, never across an
/// exclusion. Ties go to the earlier group (the seed already ordered the pool).
fn best_trio(p: &Problem, groups: &[Formed], s: u32) -> Option<usize> {
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.members.len() == 2 && !g.locked)
        .filter_map(|(i, g)| {
            let a = p.cost(s, g.members[0])?;
            let b = p.cost(s, g.members[1])?;
            Some((a + b, i))
        })
        .min()
        .map(|(_, i)| i)
}

fn reason_for(r: &Roster, u: u32, available_count: usize, trio_formed: bool) -> UnplacedReason {
    let ex = r.excluded.get(&u);
    let excluded_count = ex.map_or(0, BTreeMap::len);
    // Only exclusions staff know about are named: a learner's private declaration never is.
    let mut names: Vec<LearnerId> = ex
        .into_iter()
        .flatten()
        .filter(|&(_, &private)| !private)
        .map(|(&v, _)| r.ids[v as usize].clone())
        .collect();
    names.sort();
    if available_count > 1 && excluded_count + 1 >= available_count {
        return UnplacedReason::NoCompatiblePartner {
            excluded_with: names,
        };
    }
    let list = |v: &[LearnerId]| {
        v.iter()
            .map(LearnerId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let detail = if available_count <= 1 {
        "alone: no other available learner".to_string()
    } else if excluded_count == 0 {
        "left over after a maximum matching: odd count and the single trio is taken".to_string()
    } else if names.is_empty() {
        "left over after a maximum matching: every compatible learner is needed in another group"
            .to_string()
    } else if trio_formed {
        format!(
            "left over after a maximum matching: excluded with {} (hierarchy or do-not-pair), every compatible learner is already placed and the single trio is taken",
            list(&names)
        )
    } else {
        format!(
            "left over after a maximum matching: excluded with {} (hierarchy or do-not-pair), every compatible learner is needed in another group",
            list(&names)
        )
    };
    UnplacedReason::LeftOver { detail }
}

fn dedup(it: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut seen = HashSet::new();
    it.filter(|u| seen.insert(*u)).collect()
}

fn dedup_ids(g: &[LearnerId]) -> usize {
    g.iter().collect::<HashSet<_>>().len()
}
