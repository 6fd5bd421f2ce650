//! From a roster to a plan: availability, hard exclusions (with the `Manages` closure), locks,
//! the history policy, the matching of the pool, the single trio, and the explanations.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::matching::{self, CostModel, Matched, Node, Problem, SolveOptions, key};
use super::model::{
    Explanation, Group, LearnerId, LinkKind, Plan, PlanInput, Policy, Unplaced, UnplacedReason,
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
    excluded: BTreeMap<u32, BTreeSet<u32>>,
    /// Previous partners: how many modules each pair of learners shared.
    met: HashMap<(u32, u32), i64>,
    in_history: HashSet<u32>,
    rank: Vec<u64>,
    notes: Vec<Vec<String>>,
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
        orphans_together: input.weights.orphans_together.max(0),
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
            orphan: false,
            profile: 0,
        });
    }

    // Hard exclusions between available learners, with the transitive closure of `Manages`
    // computed over everyone named (a manager's manager stays excluded even when the middle
    // manager has left).
    let mut forbidden = HashSet::new();
    let mut reports: BTreeMap<&LearnerId, Vec<&LearnerId>> = BTreeMap::new();
    let forbid = |a: &LearnerId, b: &LearnerId, forbidden: &mut HashSet<(u32, u32)>| {
        if let (Some(&u), Some(&v)) = (index.get(a), index.get(b))
            && u != v
            && available[u as usize]
            && available[v as usize]
        {
            forbidden.insert(key(u, v));
        }
    };
    for l in &input.links {
        match l.kind {
            LinkKind::Manages => reports.entry(&l.a).or_default().push(&l.b),
            LinkKind::Hierarchical | LinkKind::DoNotPair => forbid(&l.a, &l.b, &mut forbidden),
        }
    }
    for &boss in reports.keys() {
        let mut seen: BTreeSet<&LearnerId> = BTreeSet::new();
        let mut stack = vec![boss];
        while let Some(x) = stack.pop() {
            for &y in reports.get(x).into_iter().flatten() {
                if seen.insert(y) {
                    stack.push(y);
                }
            }
        }
        for y in seen {
            forbid(boss, y, &mut forbidden);
        }
    }
    let mut excluded: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for &(u, v) in &forbidden {
        excluded.entry(u).or_default().insert(v);
        excluded.entry(v).or_default().insert(u);
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
            Some("size")
        } else if known.len() != lock.len() {
            Some("unknown_learner")
        } else if known.iter().any(|&u| !r.available[u as usize]) {
            Some("unavailable")
        } else if known.iter().any(|u| used.contains(u)) || !distinct(&known) {
            Some("duplicate")
        } else if !r.allowed(&known) {
            Some("constraint")
        } else if known.len() == 3 && trio {
            Some("second_trio")
        } else {
            None
        };
        match reason {
            Some(why) => {
                for &u in &known {
                    r.notes[u as usize].push(format!("lock_dropped:{why}"));
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

fn attempt(
    input: &PlanInput,
    r: &mut Roster,
    locks: &[Fixed],
    model: CostModel,
    opts: &SolveOptions,
    reopen_kept: bool,
) -> Attempt {
    let n = r.ids.len();
    let mut fixed: Vec<Fixed> = locks.to_vec();
    let mut placed: HashSet<u32> = locks.iter().flat_map(|f| f.members.clone()).collect();
    let mut extra: HashMap<(u32, u32), i64> = HashMap::new();
    let mut kept_from: Option<&str> = None;
    let mut late: HashSet<u32> = HashSet::new();
    let mut kept_idx: Vec<usize> = Vec::new();

    match input.policy {
        Policy::KeepPairs => {
            if let Some(last) = input.history.modules.last() {
                kept_from = Some(last.module.as_str());
                for g in &last.groups {
                    let present: Vec<u32> = dedup(
                        g.iter()
                            .filter_map(|id| r.index.get(id).copied())
                            .filter(|&u| r.available[u as usize] && !placed.contains(&u)),
                    );
                    let all_here = present.len() == dedup_ids(g);
                    let intact = (2..=3).contains(&present.len())
                        && r.allowed(&present)
                        && (all_here || present.len() == 2);
                    if intact {
                        placed.extend(present.iter().copied());
                        kept_idx.push(fixed.len());
                        fixed.push(Fixed {
                            members: present,
                            locked: false,
                        });
                    } else {
                        for u in present {
                            r.nodes[u as usize].orphan = true;
                        }
                    }
                }
                // At most one trio: later kept trios are reopened like a broken group.
                let mut seen_trio = fixed.iter().any(|f| f.locked && f.members.len() == 3);
                for &i in &kept_idx.clone() {
                    if fixed[i].members.len() == 3 {
                        if seen_trio {
                            reopen(&mut fixed[i], &mut extra, &mut placed, input);
                        }
                        seen_trio = true;
                    }
                }
                for u in 0..n as u32 {
                    if r.available[u as usize] && !placed.contains(&u) && !r.in_history.contains(&u)
                    {
                        late.insert(u);
                    }
                }
                if reopen_kept {
                    for &i in &kept_idx {
                        reopen(&mut fixed[i], &mut extra, &mut placed, input);
                    }
                }
            }
        }
        Policy::NewPartners => {
            for (&(u, v), &times) in &r.met {
                if r.available[u as usize] && r.available[v as usize] {
                    extra.insert((u, v), input.weights.repeat_partner.max(0) * times);
                }
            }
            for u in 0..n as u32 {
                if r.available[u as usize] && !r.in_history.contains(&u) {
                    late.insert(u);
                }
            }
        }
        Policy::Free => {}
    }
    fixed.retain(|f| !f.members.is_empty());

    let mut pool: Vec<u32> = (0..n as u32)
        .filter(|&u| r.available[u as usize] && !placed.contains(&u))
        .collect();
    // A trio already exists: an odd pool must reopen it (a kept trio absorbs the late joiner;
    // a locked one is unlocked with a note).
    if pool.len() % 2 == 1
        && let Some(t) = fixed.iter().position(|f| f.members.len() == 3)
    {
        if fixed[t].locked {
            for &u in &fixed[t].members {
                r.notes[u as usize].push("lock_dropped:trio_not_needed".into());
            }
        }
        let mut f = fixed.remove(t);
        let members = f.members.clone();
        reopen(&mut f, &mut extra, &mut placed, input);
        pool.extend(members.iter().copied());
        for &u in &members {
            r.notes[u as usize].push("trio_reopened".into());
        }
    }
    pool.sort_by_key(|&u| (r.rank[u as usize], u));

    // Profile ids in the sort order of the profiles, so that close profiles get close ids.
    let mut profiles: BTreeMap<(&[u32], &[u32], bool), u32> = BTreeMap::new();
    for node in &r.nodes {
        profiles.insert((&node.tags, &node.groups, node.orphan), 0);
    }
    for (i, v) in profiles.values_mut().enumerate() {
        *v = i as u32;
    }
    let ids: Vec<u32> = r
        .nodes
        .iter()
        .map(|node| profiles[&(&node.tags[..], &node.groups[..], node.orphan)])
        .collect();
    for (node, id) in r.nodes.iter_mut().zip(ids) {
        node.profile = id;
    }

    let has_trio = fixed.iter().any(|f| f.members.len() == 3);
    let problem = Problem {
        nodes: &r.nodes,
        model,
        forbidden: &r.forbidden,
        extra: &extra,
    };
    let dummy = pool.len() % 2 == 1 && !has_trio;
    let Matched {
        pairs,
        single,
        mut unmatched,
        exact,
    } = matching::solve_pool(&problem, &pool, dummy, opts);

    // Groups: fixed ones first (locks, then kept), then the new pairs.
    let mut groups: Vec<(Vec<u32>, bool, bool)> = fixed
        .iter()
        .map(|f| (f.members.clone(), f.locked, !f.locked))
        .collect();
    groups.extend(pairs.iter().map(|&(u, v)| (vec![u, v], false, false)));
    let mut trio_formed = has_trio;
    let mut joined: Option<usize> = None;
    let mut leftovers: Vec<u32> = Vec::new();
    let mut candidates: Vec<u32> = single.into_iter().collect();
    unmatched.sort_by_key(|&u| (r.rank[u as usize], u));
    candidates.extend(unmatched);
    let mut placed_count: usize = groups.iter().map(|g| g.0.len()).sum();
    for s in candidates {
        if !trio_formed
            && placed_count.is_multiple_of(2)
            && let Some(g) = best_trio(&problem, &groups, s)
        {
            groups[g].0.push(s);
            trio_formed = true;
            joined = Some(g);
            placed_count += 1;
            continue;
        }
        leftovers.push(s);
    }

    // Explanations and cost.
    let history_known = !input.history.modules.is_empty() && input.policy != Policy::Free;
    let last = last_groups(input, r);
    let mut plan_groups = Vec::new();
    let mut cost = 0i64;
    for (gi, (members, locked, kept)) in groups.iter().enumerate() {
        let mut g_cost = 0;
        let mut notes = vec!["no_hierarchy".to_string()];
        let mut ever_met = false;
        for (i, &u) in members.iter().enumerate() {
            for &v in &members[i + 1..] {
                g_cost += problem.profile_cost(u, v);
                if let Some(&t) = r.met.get(&key(u, v)) {
                    ever_met = true;
                    if input.policy == Policy::NewPartners {
                        g_cost += input.weights.repeat_partner.max(0) * t;
                    }
                }
            }
        }
        cost += g_cost;
        if history_known {
            match (input.policy, ever_met) {
                (Policy::NewPartners, true) => notes.push("repeat_partner".into()),
                (_, false) => notes.push("new_partner".into()),
                _ => {}
            }
        }
        if joined == Some(gi) {
            notes.push("joined_trio".into());
        }
        let mut member_notes = BTreeSet::new();
        for &u in members {
            if late.contains(&u) {
                member_notes.insert("late_joiner".to_string());
            }
            if r.nodes[u as usize].orphan {
                member_notes.insert("orphan_repaired".to_string());
            }
            member_notes.extend(r.notes[u as usize].iter().cloned());
        }
        notes.extend(member_notes);
        let kept_here =
            input.policy == Policy::KeepPairs && (*kept || together_last(&last, members));
        let mut shared: Vec<&str> = r.tags[members[0] as usize].clone();
        for &u in &members[1..] {
            shared.retain(|t| r.tags[u as usize].contains(t));
        }
        let mut ids: Vec<LearnerId> = members.iter().map(|&u| r.ids[u as usize].clone()).collect();
        ids.sort();
        plan_groups.push(Group {
            members: ids,
            explanation: Explanation {
                shared_tags: shared.into_iter().map(String::from).collect(),
                kept_from: if kept_here {
                    kept_from.map(String::from)
                } else {
                    None
                },
                locked: *locked,
                notes,
            },
        });
    }
    plan_groups.sort_by(|a, b| a.members.cmp(&b.members));

    let available_count = r.available.iter().filter(|&&a| a).count();
    let mut unplaced: Vec<Unplaced> = (0..n)
        .filter(|&u| !r.available[u])
        .map(|u| Unplaced {
            id: r.ids[u].clone(),
            reason: UnplacedReason::Unavailable,
        })
        .collect();
    let mut unplaced_available = 0;
    for &u in &leftovers {
        let reason = reason_for(r, u, available_count, trio_formed);
        // Only a learner left over by the matching could be helped by reopening kept pairs.
        unplaced_available += usize::from(matches!(reason, UnplacedReason::LeftOver { .. }));
        unplaced.push(Unplaced {
            id: r.ids[u as usize].clone(),
            reason,
        });
    }
    unplaced.sort_by(|a, b| a.id.cmp(&b.id));
    Attempt {
        plan: Plan {
            groups: plan_groups,
            unplaced,
            cost,
            exact,
        },
        unplaced_available,
    }
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
fn best_trio(p: &Problem, groups: &[(Vec<u32>, bool, bool)], s: u32) -> Option<usize> {
    groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.0.len() == 2 && !g.1)
        .filter_map(|(i, g)| {
            let a = p.cost(s, g.0[0])?;
            let b = p.cost(s, g.0[1])?;
            Some((a + b, i))
        })
        .min()
        .map(|(_, i)| i)
}

fn reason_for(r: &Roster, u: u32, available_count: usize, trio_formed: bool) -> UnplacedReason {
    let ex: Vec<u32> = r
        .excluded
        .get(&u)
        .map(|s| s.iter().copied().collect())
        .unwrap_or_default();
    let mut names: Vec<LearnerId> = ex.iter().map(|&v| r.ids[v as usize].clone()).collect();
    names.sort();
    if available_count > 1 && ex.len() + 1 >= available_count {
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
    } else if names.is_empty() {
        "left over after a maximum matching: odd count and the single trio is taken".to_string()
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
