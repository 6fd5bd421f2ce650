//! Tests of the pairing engine: table-driven cases for each rule, and property tests for the
//! invariants (everyone placed once or explained, no exclusion broken, one trio only when odd,
//! determinism, the whole grouping with its trio optimal against brute force, kept pairs kept
//! while free learners can make the trio, and the reduction against the plain dense solver).

use std::collections::{BTreeSet, HashMap, HashSet};

use proptest::prelude::*;

use super::matching::{self, CostModel, Node, Problem, SolveOptions};
use super::*;

fn id(s: &str) -> LearnerId {
    LearnerId::new(s)
}

fn person(name: &str, tags: &[&str]) -> Participant {
    Participant {
        id: id(name),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        groups: vec![],
        available: true,
    }
}

fn away(name: &str) -> Participant {
    Participant {
        available: false,
        ..person(name, &[])
    }
}

fn link(a: &str, b: &str, kind: LinkKind) -> Link {
    Link {
        a: id(a),
        b: id(b),
        kind,
    }
}

fn module(name: &str, groups: &[&[&str]]) -> ModulePairs {
    ModulePairs {
        module: name.into(),
        groups: groups
            .iter()
            .map(|g| g.iter().map(|s| id(s)).collect())
            .collect(),
    }
}

fn input(participants: Vec<Participant>) -> PlanInput {
    PlanInput {
        participants,
        ..PlanInput::default()
    }
}

/// The pairs a plan must never contain, computed independently of the engine.
fn forbidden(input: &PlanInput) -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    let mut put = |a: &str, b: &str| {
        out.insert((a.to_string(), b.to_string()));
        out.insert((b.to_string(), a.to_string()));
    };
    let mut reports: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in &input.links {
        match l.kind {
            LinkKind::Manages => reports.entry(l.a.as_str()).or_default().push(l.b.as_str()),
            _ => put(l.a.as_str(), l.b.as_str()),
        }
    }
    for &boss in reports.keys() {
        let mut seen = HashSet::new();
        let mut stack = vec![boss];
        while let Some(x) = stack.pop() {
            for &y in reports.get(x).into_iter().flatten() {
                if seen.insert(y) {
                    stack.push(y);
                }
            }
        }
        for y in seen {
            put(boss, y);
        }
    }
    out
}

/// The invariants every plan must keep.
fn check_invariants(input: &PlanInput, plan: &Plan) -> Result<(), String> {
    let mut seen_ids = HashSet::new();
    let roster: Vec<&Participant> = input
        .participants
        .iter()
        .filter(|p| seen_ids.insert(p.id.clone()))
        .collect();
    let forb = forbidden(input);
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut trios = 0;
    for g in &plan.groups {
        if !(2..=3).contains(&g.members.len()) {
            return Err(format!("group of {}", g.members.len()));
        }
        trios += usize::from(g.members.len() == 3);
        for (i, a) in g.members.iter().enumerate() {
            *count.entry(a.as_str()).or_default() += 1;
            for b in &g.members[i + 1..] {
                if forb.contains(&(a.as_str().to_string(), b.as_str().to_string())) {
                    return Err(format!("{a} and {b} are excluded but grouped"));
                }
            }
        }
    }
    for u in &plan.unplaced {
        *count.entry(u.id.as_str()).or_default() += 1;
    }
    for p in &roster {
        let c = count.get(p.id.as_str()).copied().unwrap_or(0);
        if c != 1 {
            return Err(format!("{} appears {c} times", p.id));
        }
        let unavailable = plan
            .unplaced
            .iter()
            .any(|u| u.id == p.id && u.reason == UnplacedReason::Unavailable);
        if unavailable == p.available {
            return Err(format!("{}: availability not respected", p.id));
        }
    }
    if count.len() != roster.len() {
        return Err("a learner outside the roster was placed".into());
    }
    let placed: usize = plan.groups.iter().map(|g| g.members.len()).sum();
    if trios > 1 || (trios == 1 && placed.is_multiple_of(2)) {
        return Err(format!("{trios} trio(s) with {placed} placed"));
    }
    Ok(())
}

fn groups_of(plan: &Plan) -> Vec<Vec<&str>> {
    plan.groups
        .iter()
        .map(|g| g.members.iter().map(LearnerId::as_str).collect())
        .collect()
}

fn group_with<'a>(plan: &'a Plan, who: &str) -> &'a Group {
    plan.groups
        .iter()
        .find(|g| g.members.iter().any(|m| m.as_str() == who))
        .unwrap_or_else(|| panic!("{who} is in no group"))
}

#[test]
fn table() {
    struct Case {
        name: &'static str,
        input: PlanInput,
        expect: fn(&Plan),
    }
    let cases = vec![
        Case {
            name: "even count: pairs only, similar tags together",
            input: input(vec![
                person("a", &["health"]),
                person("b", &["retail"]),
                person("c", &["health"]),
                person("d", &["retail"]),
            ]),
            expect: |p| {
                assert_eq!(groups_of(p), vec![vec!["a", "c"], vec!["b", "d"]]);
                assert!(p.exact);
            },
        },
        Case {
            name: "odd count: exactly one trio",
            input: input(vec![
                person("a", &["x"]),
                person("b", &["x"]),
                person("c", &["y"]),
                person("d", &["y"]),
                person("e", &["y"]),
            ]),
            expect: |p| {
                let sizes: Vec<usize> = p.groups.iter().map(|g| g.members.len()).collect();
                assert_eq!(sizes.iter().filter(|&&s| s == 3).count(), 1);
                assert_eq!(sizes.iter().sum::<usize>(), 5);
                assert!(p.unplaced.is_empty());
            },
        },
        Case {
            name: "skip-level manager is excluded like a direct one",
            input: PlanInput {
                links: vec![
                    link("boss", "mid", LinkKind::Manages),
                    link("mid", "staff", LinkKind::Manages),
                ],
                ..input(vec![
                    person("boss", &["ops", "lead"]),
                    person("mid", &["ops"]),
                    person("staff", &["ops", "lead"]),
                    person("x", &["sales"]),
                    person("y", &["sales"]),
                    person("z", &["sales"]),
                ])
            },
            expect: |p| {
                for g in groups_of(p) {
                    let hier = ["boss", "mid", "staff"];
                    assert!(g.iter().filter(|m| hier.contains(m)).count() <= 1, "{g:?}");
                }
                assert!(p.unplaced.is_empty());
                assert!(
                    group_with(p, "boss")
                        .explanation
                        .notes
                        .contains(&Note::NoHierarchy)
                );
            },
        },
        Case {
            name: "a locked pair is kept even against the tags",
            input: PlanInput {
                locked: vec![vec![id("a"), id("b")]],
                ..input(vec![
                    person("a", &["x"]),
                    person("b", &["y"]),
                    person("c", &["x"]),
                    person("d", &["y"]),
                ])
            },
            expect: |p| {
                let g = group_with(p, "a");
                assert_eq!(g.members, vec![id("a"), id("b")]);
                assert!(g.explanation.locked);
            },
        },
        Case {
            name: "a lock across an exclusion is dropped, with a note",
            input: PlanInput {
                locked: vec![vec![id("a"), id("b")]],
                links: vec![link("a", "b", LinkKind::DoNotPair)],
                ..input(vec![
                    person("a", &[]),
                    person("b", &[]),
                    person("c", &[]),
                    person("d", &[]),
                ])
            },
            expect: |p| {
                let g = group_with(p, "a");
                assert!(!g.members.contains(&id("b")));
                assert!(!g.explanation.locked);
                assert!(
                    g.explanation
                        .notes
                        .contains(&Note::LockDropped(LockDropReason::Constraint))
                );
            },
        },
        Case {
            name: "late joiner joins a kept pair as the trio; every pair is kept",
            input: PlanInput {
                history: History {
                    modules: vec![module("M1", &[&["a", "b"], &["c", "d"]])],
                },
                ..input(vec![
                    person("a", &["x"]),
                    person("b", &["y"]),
                    person("c", &["x"]),
                    person("d", &["y"]),
                    person("late", &["x"]),
                ])
            },
            expect: |p| {
                assert_eq!(p.groups.len(), 2);
                let g = group_with(p, "late");
                assert_eq!(g.members.len(), 3);
                assert!(g.explanation.notes.contains(&Note::LateJoiner));
                assert!(g.explanation.notes.contains(&Note::JoinedTrio));
                for g in &p.groups {
                    assert_eq!(g.explanation.kept_from.as_deref(), Some("M1"));
                }
            },
        },
        Case {
            name: "late joiner with an existing trio: the trio splits, its pair stays",
            input: PlanInput {
                history: History {
                    modules: vec![module("M1", &[&["a", "b", "c"], &["d", "e"]])],
                },
                ..input(vec![
                    person("a", &[]),
                    person("b", &[]),
                    person("c", &[]),
                    person("d", &[]),
                    person("e", &[]),
                    person("late", &[]),
                ])
            },
            expect: |p| {
                assert_eq!(p.groups.len(), 3);
                assert!(p.groups.iter().all(|g| g.members.len() == 2));
                assert_eq!(group_with(p, "d").members, vec![id("d"), id("e")]);
                let partner = group_with(p, "late");
                assert!(
                    partner
                        .members
                        .iter()
                        .any(|m| ["a", "b", "c"].contains(&m.as_str()))
                );
                let rest: Vec<_> = p
                    .groups
                    .iter()
                    .filter(|g| {
                        g.members
                            .iter()
                            .all(|m| ["a", "b", "c"].contains(&m.as_str()))
                    })
                    .collect();
                assert_eq!(rest.len(), 1, "two of the trio stay together");
            },
        },
        Case {
            // Orphans used to be paired with each other first (a bonus above every shared tag);
            // now field context decides among everyone free to re-pair.
            name: "drop-out: orphans re-pair by field context, not with each other first",
            input: PlanInput {
                history: History {
                    modules: vec![module("M1", &[&["a", "b"], &["c", "d"]])],
                },
                ..input(vec![
                    person("a", &["health"]),
                    away("b"),
                    person("c", &["retail"]),
                    away("d"),
                    person("x", &["health"]),
                    person("y", &["retail"]),
                ])
            },
            expect: |p| {
                assert_eq!(groups_of(p), vec![vec!["a", "x"], vec!["c", "y"]]);
                let g = group_with(p, "a");
                assert!(g.explanation.notes.contains(&Note::OrphanRepaired));
                assert!(g.explanation.notes.contains(&Note::LateJoiner));
            },
        },
        Case {
            name: "a kept pair stays a pair while free learners can make the trio",
            input: PlanInput {
                history: History {
                    modules: vec![module("M1", &[&["a", "b"], &["c", "d"]])],
                },
                ..input(vec![
                    person("a", &["health"]),
                    person("b", &["health"]),
                    away("d"),
                    person("c", &["retail"]),
                    person("x", &["health"]),
                    person("y", &["retail"]),
                ])
            },
            expect: |p| {
                assert_eq!(groups_of(p), vec![vec!["a", "b"], vec!["c", "x", "y"]]);
                assert_eq!(
                    group_with(p, "a").explanation.kept_from.as_deref(),
                    Some("M1")
                );
            },
        },
        Case {
            name: "drop-out: orphans are re-paired, intact pairs kept",
            input: PlanInput {
                history: History {
                    modules: vec![module("M1", &[&["a", "b"], &["c", "d"], &["e", "f"]])],
                },
                ..input(vec![
                    person("a", &["health"]),
                    away("b"),
                    person("c", &["retail"]),
                    away("d"),
                    person("e", &["health"]),
                    person("f", &["health"]),
                ])
            },
            expect: |p| {
                assert_eq!(group_with(p, "a").members, vec![id("a"), id("c")]);
                assert_eq!(group_with(p, "e").members, vec![id("e"), id("f")]);
                assert!(
                    group_with(p, "a")
                        .explanation
                        .notes
                        .contains(&Note::OrphanRepaired)
                );
                let away: BTreeSet<&str> = p
                    .unplaced
                    .iter()
                    .filter(|u| u.reason == UnplacedReason::Unavailable)
                    .map(|u| u.id.as_str())
                    .collect();
                assert_eq!(away, BTreeSet::from(["b", "d"]));
            },
        },
        Case {
            name: "excluded from everyone: named with whom",
            input: PlanInput {
                links: vec![
                    link("a", "b", LinkKind::Manages),
                    link("c", "a", LinkKind::Hierarchical),
                ],
                ..input(vec![person("a", &[]), person("b", &[]), person("c", &[])])
            },
            expect: |p| {
                assert_eq!(groups_of(p), vec![vec!["b", "c"]]);
                assert_eq!(
                    p.unplaced,
                    vec![Unplaced {
                        id: id("a"),
                        reason: UnplacedReason::NoCompatiblePartner {
                            excluded_with: vec![id("b"), id("c")]
                        }
                    }]
                );
            },
        },
        Case {
            name: "left over after a maximum matching: both named with their exclusions",
            input: PlanInput {
                links: vec![
                    link("a", "b", LinkKind::DoNotPair),
                    link("a", "c", LinkKind::DoNotPair),
                    link("b", "c", LinkKind::DoNotPair),
                ],
                ..input(vec![
                    person("a", &[]),
                    person("b", &[]),
                    person("c", &[]),
                    person("d", &[]),
                ])
            },
            expect: |p| {
                assert_eq!(p.groups.len(), 1);
                assert_eq!(p.unplaced.len(), 2);
                for u in &p.unplaced {
                    let UnplacedReason::LeftOver { detail } = &u.reason else {
                        panic!("{u:?}");
                    };
                    assert!(detail.contains("excluded with"), "{detail}");
                }
            },
        },
        Case {
            name: "history naming departed learners is fine",
            input: PlanInput {
                history: History {
                    modules: vec![
                        module("M1", &[&["a", "ghost"], &["b", "c"]]),
                        module(
                            "M2",
                            &[&["a", "ghost2"], &["b", "c"], &["ghost3", "ghost4"]],
                        ),
                    ],
                },
                ..input(vec![
                    person("a", &[]),
                    person("b", &[]),
                    person("c", &[]),
                    person("d", &[]),
                ])
            },
            expect: |p| {
                assert_eq!(groups_of(p), vec![vec!["a", "d"], vec!["b", "c"]]);
                assert!(p.unplaced.is_empty());
            },
        },
        Case {
            name: "new partners: nobody meets a previous partner again",
            input: PlanInput {
                policy: Policy::NewPartners,
                history: History {
                    modules: vec![module("M1", &[&["a", "b"], &["c", "d"]])],
                },
                ..input(vec![
                    person("a", &["x"]),
                    person("b", &["x"]),
                    person("c", &["y"]),
                    person("d", &["y"]),
                ])
            },
            expect: |p| {
                for g in &p.groups {
                    assert!(g.explanation.notes.contains(&Note::NewPartner));
                    assert_ne!(g.members, vec![id("a"), id("b")]);
                    assert_ne!(g.members, vec![id("c"), id("d")]);
                }
            },
        },
    ];
    for case in cases {
        let plan = plan(&case.input);
        check_invariants(&case.input, &plan).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        (case.expect)(&plan);
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(
            serde_json::from_str::<Plan>(&json).unwrap(),
            plan,
            "{}",
            case.name
        );
    }
}

#[test]
fn unknown_keys_are_refused_and_named() {
    for (raw, key) in [
        (r#"{"participants":[{"id":"a"}],"polcy":"free"}"#, "polcy"),
        (r#"{"participants":[{"id":"a","tag":["x"]}]}"#, "tag"),
        (
            r#"{"participants":[],"links":[{"a":"a","b":"b","kind":"manages","why":1}]}"#,
            "why",
        ),
        (
            r#"{"participants":[],"weights":{"shared_tags":1}}"#,
            "shared_tags",
        ),
        (r#"{"participants":[],"history":{"module":[]}}"#, "module"),
    ] {
        let err = serde_json::from_str::<PlanInput>(raw)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("unknown field `{key}`")),
            "{raw}: {err}"
        );
    }
    // A weight older inputs carry is still read, and ignored.
    let old: PlanInput =
        serde_json::from_str(r#"{"participants":[],"weights":{"orphans_together":1000}}"#).unwrap();
    assert!(!serde_json::to_string(&old).unwrap().contains("orphans"));
}

#[test]
fn minimal_json_input() {
    let raw = r#"{"participants":[{"id":"a"},{"id":"b","tags":["x"]}],
                  "links":[{"a":"a","b":"b","kind":"do_not_pair"}]}"#;
    let input: PlanInput = serde_json::from_str(raw).unwrap();
    assert_eq!(input.policy, Policy::KeepPairs);
    let p = plan(&input);
    assert!(p.groups.is_empty());
    assert_eq!(p.unplaced.len(), 2);
}

const TAGS: [&str; 5] = ["health", "retail", "lead", "ops", "sales"];
const KINDS: [LinkKind; 4] = [
    LinkKind::Manages,
    LinkKind::Hierarchical,
    LinkKind::DoNotPair,
    LinkKind::Declared,
];

fn arb_input(max: usize) -> impl Strategy<Value = PlanInput> {
    (
        prop::collection::vec(
            (
                prop::collection::vec(0..5usize, 0..3),
                any::<bool>(),
                0..4u8,
            ),
            0..max,
        ),
        prop::collection::vec((0..max + 2, 0..max + 2, 0..KINDS.len()), 0..max),
        prop::collection::vec(prop::collection::vec(0..max + 3, 2..4), 0..max / 2 + 1),
        prop::collection::vec(prop::collection::vec(0..max + 1, 2..4), 0..3),
        0..3u8,
        any::<u64>(),
    )
        .prop_map(move |(people, links, hist, locks, pol, seed)| {
            let name = |i: usize| format!("p{i}");
            PlanInput {
                participants: people
                    .iter()
                    .enumerate()
                    .map(|(i, (tags, avail, group))| Participant {
                        id: id(&name(i)),
                        tags: tags.iter().map(|&t| TAGS[t].to_string()).collect(),
                        groups: if *group == 0 {
                            vec!["g".into()]
                        } else {
                            vec![]
                        },
                        available: *avail || i % 3 != 0,
                    })
                    .collect(),
                links: links
                    .iter()
                    .map(|&(a, b, k)| link(&name(a), &name(b), KINDS[k]))
                    .collect(),
                history: History {
                    modules: vec![ModulePairs {
                        module: "M1".into(),
                        groups: hist
                            .iter()
                            .map(|g| g.iter().map(|&i| id(&name(i))).collect())
                            .collect(),
                    }],
                },
                policy: [Policy::KeepPairs, Policy::NewPartners, Policy::Free][pol as usize],
                weights: Weights::default(),
                locked: locks
                    .iter()
                    .map(|g| g.iter().map(|&i| id(&name(i))).collect())
                    .collect(),
                seed,
            }
        })
}

/// Default-weight cost of a pair, written independently of the engine.
fn pair_cost(a: &Participant, b: &Participant) -> i64 {
    let ta: BTreeSet<&String> = a.tags.iter().collect();
    let tb: BTreeSet<&String> = b.tags.iter().collect();
    let shared = ta.intersection(&tb).count() as i64;
    let diff = ta.symmetric_difference(&tb).count() as i64;
    let ga: BTreeSet<&String> = a.groups.iter().collect();
    let gb: BTreeSet<&String> = b.groups.iter().collect();
    -10 * shared + 4 * diff - 3 * ga.intersection(&gb).count() as i64
}

/// The cheapest perfect matching avoiding `forb`, by enumeration.
fn brute(ps: &[&Participant], forb: &HashSet<(String, String)>) -> Option<i64> {
    if ps.is_empty() {
        return Some(0);
    }
    let a = ps[0];
    let mut best: Option<i64> = None;
    for j in 1..ps.len() {
        let b = ps[j];
        if forb.contains(&(a.id.as_str().to_string(), b.id.as_str().to_string())) {
            continue;
        }
        let rest: Vec<&Participant> = ps[1..]
            .iter()
            .enumerate()
            .filter(|(k, _)| k + 1 != j)
            .map(|(_, p)| *p)
            .collect();
        if let Some(c) = brute(&rest, forb) {
            let c = c + pair_cost(a, b);
            best = Some(best.map_or(c, |x| x.min(c)));
        }
    }
    best
}

fn matched_objective(p: &Problem, m: &matching::Matched) -> (usize, i64) {
    let mut cost: i64 = m
        .pairs
        .iter()
        .map(|&(u, v)| 2 * p.cost(u, v).unwrap())
        .sum();
    if let Some(s) = m.single {
        cost += p.dummy_cost2(s);
    }
    // Edges of the matching (the dummy's included), then cost: what the solver optimises.
    (m.pairs.len() + usize::from(m.single.is_some()), cost)
}

const FEW_PROFILES: [&[&str]; 4] = [&[], &["health"], &["health", "lead"], &["retail"]];

/// A roster of `n` learners with few profiles (so that classes are large enough to reduce), a few
/// of them unavailable, one or two previous modules of shuffled pairs (a trio when odd, some
/// learners left out) and a few exclusions, under `new_partners`.
fn arb_history_input() -> impl Strategy<Value = PlanInput> {
    (6..64usize)
        .prop_flat_map(|n| {
            let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
            (
                prop::collection::vec((0..4usize, 0..6u8, 0..12u8), n),
                prop::collection::vec((order, 0..n / 4 + 1), 1..3),
                prop::collection::vec((0..n, 0..n, 0..KINDS.len()), 0..n / 6 + 1),
                any::<u64>(),
            )
        })
        .prop_map(|(people, modules, links, seed)| {
            let name = |i: usize| format!("p{i}");
            PlanInput {
                participants: people
                    .iter()
                    .enumerate()
                    .map(|(i, &(profile, group, away))| Participant {
                        id: id(&name(i)),
                        tags: FEW_PROFILES[profile]
                            .iter()
                            .map(|t| t.to_string())
                            .collect(),
                        groups: if group == 0 { vec!["g".into()] } else { vec![] },
                        available: away != 0,
                    })
                    .collect(),
                links: links
                    .iter()
                    .map(|&(a, b, k)| link(&name(a), &name(b), KINDS[k]))
                    .collect(),
                history: History {
                    modules: modules
                        .iter()
                        .enumerate()
                        .map(|(m, (order, skip))| {
                            let mut groups: Vec<Vec<LearnerId>> = order[*skip..]
                                .chunks(2)
                                .map(|c| c.iter().map(|&i| id(&name(i))).collect())
                                .collect();
                            if groups.len() >= 2 && groups.last().is_some_and(|g| g.len() == 1) {
                                let single = groups.pop().unwrap();
                                groups.last_mut().unwrap().extend(single);
                            }
                            ModulePairs {
                                module: format!("M{m}"),
                                groups,
                            }
                        })
                        .collect(),
                },
                policy: Policy::NewPartners,
                seed,
                ..PlanInput::default()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn invariants_hold_and_plans_are_deterministic(input in arb_input(14)) {
        let first = plan(&input);
        if let Err(e) = check_invariants(&input, &first) {
            return Err(TestCaseError::fail(format!("{e}\n{first:#?}")));
        }
        for u in &first.unplaced {
            if let UnplacedReason::LeftOver { detail } = &u.reason {
                prop_assert!(!detail.is_empty());
            }
        }
        prop_assert_eq!(plan(&input), first);
    }

    #[test]
    fn exact_solver_matches_brute_force(
        people in prop::collection::vec(prop::collection::vec(0..5usize, 0..3), 0..=10usize),
        links in prop::collection::vec((0..10usize, 0..10usize), 0..5),
        seed in any::<u64>(),
    ) {
        let mut all = people;
        if all.len() % 2 == 1 {
            all.pop();
        }
        let input = PlanInput {
            participants: all
                .iter()
                .enumerate()
                .map(|(i, t)| Participant {
                    id: id(&format!("p{i}")),
                    tags: t.iter().map(|&k| TAGS[k].to_string()).collect(),
                    groups: if i % 4 == 0 { vec!["g".into()] } else { vec![] },
                    available: true,
                })
                .collect(),
            links: links
                .iter()
                .map(|&(a, b)| link(&format!("p{a}"), &format!("p{b}"), LinkKind::Hierarchical))
                .collect(),
            policy: Policy::Free,
            seed,
            ..PlanInput::default()
        };
        let forb = forbidden(&input);
        let ps: Vec<&Participant> = input.participants.iter().collect();
        let got = plan(&input);
        match brute(&ps, &forb) {
            Some(best) => {
                prop_assert!(got.unplaced.is_empty(), "{:?}", got);
                prop_assert_eq!(got.cost, best);
                prop_assert!(got.exact);
            }
            None => prop_assert!(!got.unplaced.is_empty()),
        }
    }

    #[test]
    fn reduction_is_exact(
        profiles in prop::collection::vec(prop::collection::vec(0..4u32, 0..3), 1..5),
        who in prop::collection::vec(0..5usize, 1..40),
        bad in prop::collection::vec((0..40u32, 0..40u32, prop_oneof![Just(0i64), 1..50i64, -50..0i64]), 0..12),
        dummy in any::<bool>(),
    ) {
        let nodes: Vec<Node> = who
            .iter()
            .map(|&p| {
                let mut tags = profiles[p % profiles.len()].clone();
                tags.sort_unstable();
                tags.dedup();
                Node { tags, groups: vec![], profile: 0 }
            })
            .collect();
        let mut keys: Vec<Vec<u32>> = nodes.iter().map(|n| n.tags.clone()).collect();
        keys.sort();
        keys.dedup();
        let nodes: Vec<Node> = nodes
            .into_iter()
            .map(|mut n| {
                n.profile = keys.binary_search(&n.tags).unwrap() as u32;
                n
            })
            .collect();
        let n = nodes.len() as u32;
        let mut forbidden = HashSet::new();
        let mut extra = HashMap::new();
        for &(u, v, x) in &bad {
            let (u, v) = (u % n, v % n);
            if u == v {
                continue;
            }
            if x == 0 {
                forbidden.insert(matching::key(u, v));
            } else {
                extra.insert(matching::key(u, v), x);
            }
        }
        let p = Problem {
            nodes: &nodes,
            model: CostModel { shared_tag: 10, differing_tag: 4, shared_group: 3 },
            forbidden: &forbidden,
            extra: &extra,
        };
        let pool: Vec<u32> = (0..n).collect();
        let plain = SolveOptions { reduce: false, ..SolveOptions::default() };
        let a = matching::solve_pool(&p, &pool, dummy, &plain);
        let b = matching::solve_pool(&p, &pool, dummy, &SolveOptions::default());
        prop_assert!(a.exact && b.exact);
        prop_assert_eq!(matched_objective(&p, &a), matched_objective(&p, &b));
    }

    #[test]
    fn reduction_is_exact_under_new_partners(input in arb_history_input()) {
        // Against the plain dense solver (no reduction): the same number placed and the same
        // cost, trio included (the reduction keeps three more spares per class when a trio may
        // take them). When either search ran out of budget, only the placement must agree.
        let plain = SolveOptions { reduce: false, ..SolveOptions::default() };
        let a = plan_with(&input, &plain);
        let b = plan(&input);
        if let Err(e) = check_invariants(&input, &b) {
            return Err(TestCaseError::fail(format!("{e}\n{b:#?}")));
        }
        let placed = |p: &Plan| p.groups.iter().map(|g| g.members.len()).sum::<usize>();
        prop_assert_eq!(placed(&a), placed(&b));
        if a.exact && b.exact {
            prop_assert_eq!(a.cost, b.cost);
        }
        prop_assert_eq!(plan(&input), b);
    }

    #[test]
    fn reduction_is_exact_with_history_edges(
        (n, orders) in (2..72usize).prop_flat_map(|n| (
            Just(n),
            prop::collection::vec(Just((0..n as u32).collect::<Vec<_>>()).prop_shuffle(), 1..3),
        )),
        profiles in prop::collection::vec(prop::collection::vec(0..4u32, 0..3), 1..4),
        who in prop::collection::vec(0..4usize, 72),
        skip in 0..8usize,
        forbid in prop::collection::vec((0..72u32, 0..72u32), 0..10),
        bonus in prop::collection::vec((0..72u32, 0..72u32), 0..3),
        dummy in any::<bool>(),
    ) {
        // Every learner has a previous partner in each of one or two modules (a penalty), a few
        // have none; some exclusions and, now and then, a bonus (a reopened pair).
        let nodes: Vec<Node> = who[..n]
            .iter()
            .map(|&p| {
                let mut tags = profiles[p % profiles.len()].clone();
                tags.sort_unstable();
                tags.dedup();
                Node { tags, groups: vec![], profile: 0 }
            })
            .collect();
        let mut keys: Vec<Vec<u32>> = nodes.iter().map(|n| n.tags.clone()).collect();
        keys.sort();
        keys.dedup();
        let nodes: Vec<Node> = nodes
            .into_iter()
            .map(|mut n| {
                n.profile = keys.binary_search(&n.tags).unwrap() as u32;
                n
            })
            .collect();
        let n32 = n as u32;
        let mut extra = HashMap::new();
        for order in &orders {
            for pair in order[skip.min(n)..].chunks(2) {
                if let [u, v] = *pair {
                    *extra.entry(matching::key(u, v)).or_insert(0) += 10_000;
                }
            }
        }
        let mut forbidden = HashSet::new();
        for &(u, v) in &forbid {
            let (u, v) = (u % n32, v % n32);
            if u != v {
                extra.remove(&matching::key(u, v));
                forbidden.insert(matching::key(u, v));
            }
        }
        for &(u, v) in &bonus {
            let (u, v) = (u % n32, v % n32);
            if u != v && !forbidden.contains(&matching::key(u, v)) {
                extra.insert(matching::key(u, v), -500);
            }
        }
        let p = Problem {
            nodes: &nodes,
            model: CostModel { shared_tag: 10, differing_tag: 4, shared_group: 3 },
            forbidden: &forbidden,
            extra: &extra,
        };
        let pool: Vec<u32> = (0..n32).collect();
        let plain = SolveOptions { reduce: false, ..SolveOptions::default() };
        let a = matching::solve_pool(&p, &pool, dummy, &plain);
        let b = matching::solve_pool(&p, &pool, dummy, &SolveOptions::default());
        prop_assert!(a.exact && b.exact);
        prop_assert_eq!(matched_objective(&p, &a), matched_objective(&p, &b));
    }
}

/// The best grouping of `ps` into pairs and at most one trio, by enumeration: the most learners
/// placed, then the least cost (a trio costs its three pairings). Returns (placed, cost).
fn brute_grouping(ps: &[&Participant], forb: &HashSet<(String, String)>) -> (usize, i64) {
    fn ok(forb: &HashSet<(String, String)>, a: &Participant, b: &Participant) -> bool {
        !forb.contains(&(a.id.as_str().to_string(), b.id.as_str().to_string()))
    }
    fn go(ps: &[&Participant], forb: &HashSet<(String, String)>, trio_left: bool) -> (usize, i64) {
        let Some((&a, rest)) = ps.split_first() else {
            return (0, 0);
        };
        let better = |x: (usize, i64), y: (usize, i64)| {
            if (x.0, -x.1) >= (y.0, -y.1) { x } else { y }
        };
        // `a` left out.
        let mut best = go(rest, forb, trio_left);
        for j in 0..rest.len() {
            let b = rest[j];
            if !ok(forb, a, b) {
                continue;
            }
            let others: Vec<&Participant> = rest
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != j)
                .map(|(_, p)| *p)
                .collect();
            let (n, c) = go(&others, forb, trio_left);
            best = better((n + 2, c + pair_cost(a, b)), best);
            if trio_left {
                for k in j + 1..rest.len() {
                    let c3 = rest[k];
                    if !ok(forb, a, c3) || !ok(forb, b, c3) {
                        continue;
                    }
                    let others: Vec<&Participant> = rest
                        .iter()
                        .enumerate()
                        .filter(|&(m, _)| m != j && m != k)
                        .map(|(_, p)| *p)
                        .collect();
                    let (n, c) = go(&others, forb, false);
                    let t = pair_cost(a, b) + pair_cost(a, c3) + pair_cost(b, c3);
                    best = better((n + 3, c + t), best);
                }
            }
        }
        best
    }
    go(ps, forb, true)
}

fn placed_and_cost(p: &Plan) -> (usize, i64) {
    (p.groups.iter().map(|g| g.members.len()).sum(), p.cost)
}

/// Small rosters: (tags, in the LMS group, available) per learner; links; a seed.
type Small = (
    Vec<(Vec<usize>, bool, bool)>,
    Vec<(usize, usize, usize)>,
    u64,
);

fn arb_small(max: usize) -> impl Strategy<Value = Small> {
    (
        prop::collection::vec(
            (
                prop::collection::vec(0..5usize, 0..3),
                any::<bool>(),
                0..5u8,
            ),
            0..=max,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(t, g, a)| (t, g, a != 0))
                .collect::<Vec<_>>()
        }),
        prop::collection::vec((0..max, 0..max, 0..KINDS.len()), 0..max),
        any::<u64>(),
    )
}

fn small_people(people: &[(Vec<usize>, bool, bool)]) -> Vec<Participant> {
    people
        .iter()
        .enumerate()
        .map(|(i, (t, g, avail))| Participant {
            id: id(&format!("p{i}")),
            tags: t.iter().map(|&k| TAGS[k].to_string()).collect(),
            groups: if *g { vec!["g".into()] } else { vec![] },
            available: *avail,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn grouping_with_its_trio_matches_brute_force((people, links, seed) in arb_small(9)) {
        let input = PlanInput {
            participants: small_people(&people),
            links: links
                .iter()
                .map(|&(a, b, k)| link(&format!("p{a}"), &format!("p{b}"), KINDS[k]))
                .collect(),
            policy: Policy::Free,
            seed,
            ..PlanInput::default()
        };
        let got = plan(&input);
        if let Err(e) = check_invariants(&input, &got) {
            return Err(TestCaseError::fail(format!("{e}\n{got:#?}")));
        }
        let ps: Vec<&Participant> = input.participants.iter().filter(|p| p.available).collect();
        prop_assert!(got.exact);
        prop_assert_eq!(placed_and_cost(&got), brute_grouping(&ps, &forbidden(&input)), "{:#?}", got);
    }

    #[test]
    fn kept_pairs_stay_pairs_while_free_learners_make_the_trio(
        (people, _, seed) in arb_small(9),
        order in Just((0..9usize).collect::<Vec<_>>()).prop_shuffle(),
        kept in 0..5usize,
    ) {
        // The last module paired `order` two by two; the first `kept` pairs are intact (both
        // available), the others may have lost someone. Everyone is compatible.
        let mut participants = small_people(&people);
        let n = participants.len();
        let order: Vec<usize> = order.into_iter().filter(|&i| i < n).collect();
        let pairs: Vec<&[usize]> = order.chunks(2).filter(|c| c.len() == 2).collect();
        let kept = kept.min(pairs.len());
        for pair in &pairs[..kept] {
            for &i in *pair {
                participants[i].available = true;
            }
        }
        let input = PlanInput {
            participants,
            history: History {
                modules: vec![ModulePairs {
                    module: "M1".into(),
                    groups: pairs
                        .iter()
                        .map(|c| c.iter().map(|&i| id(&format!("p{i}"))).collect())
                        .collect(),
                }],
            },
            seed,
            ..PlanInput::default()
        };
        let got = plan(&input);
        if let Err(e) = check_invariants(&input, &got) {
            return Err(TestCaseError::fail(format!("{e}\n{got:#?}")));
        }
        let avail = |i: usize| input.participants[i].available;
        let intact: Vec<&[usize]> = pairs.iter().copied().filter(|c| c.iter().all(|&i| avail(i))).collect();
        let in_intact: HashSet<usize> = intact.iter().flat_map(|c| c.iter().copied()).collect();
        let free: Vec<&Participant> = (0..n)
            .filter(|&i| avail(i) && !in_intact.contains(&i))
            .map(|i| &input.participants[i])
            .collect();
        if free.len() >= 3 || free.len().is_multiple_of(2) {
            // The free learners make their own groups (a trio when odd): every intact pair stays.
            for c in &intact {
                let g = group_with(&got, &format!("p{}", c[0]));
                let want: BTreeSet<String> = c.iter().map(|i| format!("p{i}")).collect();
                let have: BTreeSet<String> = g.members.iter().map(|m| m.as_str().to_string()).collect();
                prop_assert_eq!(have, want);
            }
            let kept_cost: i64 = intact
                .iter()
                .map(|c| pair_cost(&input.participants[c[0]], &input.participants[c[1]]))
                .sum();
            let (placed, cost) = brute_grouping(&free, &HashSet::new());
            prop_assert_eq!(placed_and_cost(&got), (placed + 2 * intact.len(), cost + kept_cost));
            prop_assert!(got.exact);
        } else if free.len() == 1 && !intact.is_empty() {
            // No trio of free learners: the newcomer joins a kept pair.
            prop_assert!(got.groups.iter().any(|g| g.members.len() == 3));
        }
    }
}

#[test]
fn notes_keep_their_json_keys() {
    let notes = vec![
        Note::NoHierarchy,
        Note::NewPartner,
        Note::RepeatPartner,
        Note::LateJoiner,
        Note::OrphanRepaired,
        Note::JoinedTrio,
        Note::TrioReopened,
        Note::ChangedByInstructor,
        Note::LockDropped(LockDropReason::Size),
        Note::LockDropped(LockDropReason::UnknownLearner),
        Note::LockDropped(LockDropReason::Unavailable),
        Note::LockDropped(LockDropReason::Duplicate),
        Note::LockDropped(LockDropReason::Constraint),
        Note::LockDropped(LockDropReason::SecondTrio),
        Note::LockDropped(LockDropReason::TrioNotNeeded),
    ];
    let json = serde_json::to_string(&notes).unwrap();
    assert_eq!(
        json,
        r#"["no_hierarchy","new_partner","repeat_partner","late_joiner","orphan_repaired","joined_trio","trio_reopened","changed_by_instructor","lock_dropped:size","lock_dropped:unknown_learner","lock_dropped:unavailable","lock_dropped:duplicate","lock_dropped:constraint","lock_dropped:second_trio","lock_dropped:trio_not_needed"]"#
    );
    assert_eq!(serde_json::from_str::<Vec<Note>>(&json).unwrap(), notes);
    for bad in [
        r#""nope""#,
        r#""lock_dropped:""#,
        r#""lock_dropped:what""#,
        "3",
    ] {
        assert!(serde_json::from_str::<Note>(bad).is_err(), "{bad}");
    }
}

#[test]
fn exclusions_follow_manages_only_and_keep_declarations_private() {
    let ex = Exclusions::from_links(&[
        link("boss", "mid", LinkKind::Manages),
        link("mid", "staff", LinkKind::Manages),
        link("staff", "peer", LinkKind::Declared),
        link("peer", "other", LinkKind::Hierarchical),
        link("other", "x", LinkKind::DoNotPair),
        link("x", "other", LinkKind::Declared),
    ]);
    assert!(ex.excludes("boss", "staff") && ex.excludes("staff", "boss"));
    assert!(ex.excludes("staff", "peer"));
    // Direct kinds are never followed across levels.
    assert!(!ex.excludes("mid", "peer") && !ex.excludes("staff", "other"));
    assert!(!ex.excludes("boss", "boss"));
    assert!(ex.group_ok(&["boss", "peer"]) && !ex.group_ok(&["peer", "x", "staff"]));
    let private: BTreeSet<(&str, &str)> =
        ex.pairs().filter(|p| p.2).map(|(a, b, _)| (a, b)).collect();
    // A pair staff also excluded is not private.
    assert_eq!(private, BTreeSet::from([("peer", "staff")]));
    assert_eq!(ex.len(), 6);
}

#[test]
fn unplaced_reasons_never_name_a_private_declaration() {
    let p = plan(&PlanInput {
        links: vec![
            link("a", "b", LinkKind::Declared),
            link("c", "a", LinkKind::DoNotPair),
        ],
        ..input(vec![person("a", &[]), person("b", &[]), person("c", &[])])
    });
    assert_eq!(
        p.unplaced,
        vec![Unplaced {
            id: id("a"),
            reason: UnplacedReason::NoCompatiblePartner {
                excluded_with: vec![id("c")]
            }
        }]
    );
}
