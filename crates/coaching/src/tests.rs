//! Tests of the coaching domain: the transitions legal and illegal (table-driven), the
//! invariants under random command sequences (proptest), the timer's arithmetic, who reads
//! and writes which field, the stored JSON shapes, and the prompts' catalogue ids.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::CoachingError as E;
use super::fields::{FieldKey, FieldRef, MAX_FIELD_CHARS, check_text, may_read, may_write};
use super::method::Step;
use super::roles::{GroupSize, Seat, roles_in, rounds};
use super::session::{Change, Command, Event, Phase, Session, SessionKind, Status};
use super::timer::{Timings, UnixMillis};

const MIN: i64 = 60_000;

fn at(ms: i64) -> UnixMillis {
    UnixMillis(ms)
}

/// A session whose rules do not depend on its kind: a practice one (any member may abandon
/// it); the guided session's own rule has its own tests.
fn fresh(size: GroupSize) -> Session {
    Session::new(size, SessionKind::Practice, Timings::default())
}

fn kind_of(guided: bool) -> SessionKind {
    if guided {
        SessionKind::Guided
    } else {
        SessionKind::Practice
    }
}

/// Runs commands that must all be accepted, one second apart after the last event.
fn run(s: &mut Session, cmds: &[(u8, Command)]) {
    for (seat, cmd) in cmds {
        let now = UnixMillis(s.last_event_at().map_or(0, |t| t.0 + 1000));
        s.handle(Seat(*seat), cmd, now)
            .unwrap_or_else(|e| panic!("{cmd:?} by {seat} in {:?}: {e}", s.phase()));
    }
}

/// The legal command that moves the session on, and who gives it.
fn driver(s: &Session) -> Option<(Seat, Command)> {
    let size = s.size();
    let coach = |r: u8| roles_in(size, r).map(|r| r.coach);
    Some(match s.phase() {
        Phase::Framework => (
            size.seats().find(|&m| !s.has_accepted(m))?,
            Command::AcceptFramework,
        ),
        Phase::Preparation => match size.seats().find(|&m| !s.is_prepared(m)) {
            Some(m) => (m, Command::MarkPrepared),
            None => (Seat(0), Command::Start),
        },
        Phase::Introduction => (Seat(0), Command::NextStep),
        Phase::Round { round, step } => (
            coach(round)?,
            if step == Step::Commitments {
                Command::EndRound
            } else {
                Command::NextStep
            },
        ),
        Phase::RoundEnded { round } if round < size.rounds() => {
            (coach(round + 1)?, Command::NextStep)
        }
        Phase::RoundEnded { .. } | Phase::Closing => (Seat(0), Command::Close),
        Phase::Completed | Phase::Abandoned => return None,
    })
}

/// A session driven forward until `stop` holds.
fn drive(size: GroupSize, stop: impl Fn(Phase) -> bool) -> Session {
    let mut s = fresh(size);
    while !stop(s.phase()) {
        let (seat, cmd) = driver(&s).expect("the session can still move");
        run(&mut s, &[(seat.0, cmd)]);
    }
    s
}

fn drive_to(size: GroupSize, phase: Phase) -> Session {
    drive(size, |p| p == phase)
}

/// A guided session (the graded one) driven forward to `phase`.
fn guided_to(size: GroupSize, phase: Phase) -> Session {
    let mut s = Session::new(size, SessionKind::Guided, Timings::default());
    while s.phase() != phase {
        let (seat, cmd) = driver(&s).expect("the session can still move");
        run(&mut s, &[(seat.0, cmd)]);
    }
    s
}

fn round(round: u8, step: Step) -> Phase {
    Phase::Round { round, step }
}

/// The name of an error's variant; the match is exhaustive so that a new variant must be
/// added here, and then to the table below.
fn variant(e: &E) -> &'static str {
    match e {
        E::InvalidGroupSize { .. } => "InvalidGroupSize",
        E::NotAMember { .. } => "NotAMember",
        E::SessionOver => "SessionOver",
        E::WrongPhase => "WrongPhase",
        E::AlreadyAccepted => "AlreadyAccepted",
        E::FrameworkNotAccepted => "FrameworkNotAccepted",
        E::AlreadyPrepared => "AlreadyPrepared",
        E::NotEveryonePrepared => "NotEveryonePrepared",
        E::NotTheCoach { .. } => "NotTheCoach",
        E::NoPreviousStep => "NoPreviousStep",
        E::EndRoundFirst => "EndRoundFirst",
        E::RoundNotFinished { .. } => "RoundNotFinished",
        E::CloseTooEarly => "CloseTooEarly",
        E::NoTimer => "NoTimer",
        E::AlreadyPaused => "AlreadyPaused",
        E::NotPaused => "NotPaused",
        E::ExtensionOutOfRange { .. } => "ExtensionOutOfRange",
        E::ExtensionCapReached { .. } => "ExtensionCapReached",
        E::InvalidTiming { .. } => "InvalidTiming",
        E::NoSuchRound { .. } => "NoSuchRound",
        E::FieldScopeMismatch { .. } => "FieldScopeMismatch",
        E::NotYourField => "NotYourField",
        E::FieldNotOpenYet => "FieldNotOpenYet",
        E::NoObserver => "NoObserver",
        E::FieldTooLong { .. } => "FieldTooLong",
        E::FieldMalformed { .. } => "FieldMalformed",
        E::NotALink => "NotALink",
        E::NotAMoment => "NotAMoment",
        E::AbandonAlreadyRequested => "AbandonAlreadyRequested",
        E::NoAbandonRequest => "NoAbandonRequest",
        E::EventDoesNotFit { .. } => "EventDoesNotFit",
    }
}

const VARIANTS: usize = 31;

/// One command from one seat in a given state, and what must come of it.
fn check(s: &Session, seat: u8, cmd: Command, expected: Result<Change, E>) {
    let got = s
        .decide(Seat(seat), &cmd, at(10 * 3600 * 1000))
        .map(|events| {
            assert_eq!(events.len(), 1, "{events:?}");
            events[0].change
        });
    assert_eq!(got, expected, "{cmd:?} by {seat} in {:?}", s.phase());
}

#[test]
fn transitions_legal_and_illegal() {
    use Command as C;
    use GroupSize::{Pair, Trio};
    let framework = fresh(Pair);
    let mut one_accepted = fresh(Pair);
    run(&mut one_accepted, &[(0, C::AcceptFramework)]);
    let preparation = drive_to(Pair, Phase::Preparation);
    let mut one_prepared = preparation.clone();
    run(&mut one_prepared, &[(1, C::MarkPrepared)]);
    let mut all_prepared = one_prepared.clone();
    run(&mut all_prepared, &[(0, C::MarkPrepared)]);
    let intro = drive_to(Pair, Phase::Introduction);
    let sharing = drive_to(Pair, round(1, Step::Sharing));
    let analysis = drive_to(Pair, round(1, Step::Analysis));
    let commitments = drive_to(Pair, round(1, Step::Commitments));
    let ended1 = drive_to(Pair, Phase::RoundEnded { round: 1 });
    let ended2 = drive_to(Pair, Phase::RoundEnded { round: 2 });
    let closing = drive_to(Pair, Phase::Closing);
    let completed = drive_to(Pair, Phase::Completed);
    let mut abandoned = sharing.clone();
    run(&mut abandoned, &[(0, C::Abandon)]);
    let mut paused = analysis.clone();
    run(&mut paused, &[(0, C::Pause)]);
    let trio_ended1 = drive_to(Trio, Phase::RoundEnded { round: 1 });
    let trio_ended3 = drive_to(Trio, Phase::RoundEnded { round: 3 });
    let trio_sharing2 = drive_to(Trio, round(2, Step::Sharing));
    let guided_sharing = guided_to(Pair, round(1, Step::Sharing));
    let mut guided_asked = guided_sharing.clone();
    run(&mut guided_asked, &[(0, C::Abandon)]);

    let table: &[(&Session, u8, Command, Result<Change, E>)] = &[
        // The framework, then the preparation.
        (
            &framework,
            0,
            C::AcceptFramework,
            Ok(Change::FrameworkAccepted),
        ),
        (
            &one_accepted,
            0,
            C::AcceptFramework,
            Err(E::AlreadyAccepted),
        ),
        (
            &one_accepted,
            1,
            C::AcceptFramework,
            Ok(Change::FrameworkAccepted),
        ),
        (&preparation, 0, C::AcceptFramework, Err(E::AlreadyAccepted)),
        (&framework, 0, C::MarkPrepared, Err(E::FrameworkNotAccepted)),
        (&framework, 0, C::Start, Err(E::FrameworkNotAccepted)),
        (&framework, 1, C::NextStep, Err(E::FrameworkNotAccepted)),
        (
            &framework,
            2,
            C::AcceptFramework,
            Err(E::NotAMember { seat: Seat(2) }),
        ),
        (&framework, 0, C::Pause, Err(E::NoTimer)),
        (&framework, 0, C::Close, Err(E::CloseTooEarly)),
        (&framework, 0, C::Abandon, Ok(Change::Abandoned)),
        (&preparation, 0, C::MarkPrepared, Ok(Change::Prepared)),
        (&one_prepared, 1, C::MarkPrepared, Err(E::AlreadyPrepared)),
        (&one_prepared, 0, C::Start, Err(E::NotEveryonePrepared)),
        (&preparation, 0, C::NextStep, Err(E::WrongPhase)),
        (&preparation, 0, C::PreviousStep, Err(E::WrongPhase)),
        (&preparation, 0, C::EndRound, Err(E::WrongPhase)),
        (&all_prepared, 1, C::Start, Ok(Change::Started)),
        // The introduction: anyone moves on; it has no step before it.
        (&intro, 0, C::Start, Err(E::WrongPhase)),
        (&intro, 0, C::MarkPrepared, Err(E::AlreadyPrepared)),
        (&intro, 0, C::PreviousStep, Err(E::NoPreviousStep)),
        (&intro, 0, C::EndRound, Err(E::WrongPhase)),
        (
            &intro,
            0,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 1,
                step: Step::Sharing,
            }),
        ),
        (
            &intro,
            1,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 1,
                step: Step::Sharing,
            }),
        ),
        // Round 1: seat 1 coaches seat 0; steps move one at a time, by the coach only.
        (
            &sharing,
            0,
            C::NextStep,
            Err(E::NotTheCoach { coach: Seat(1) }),
        ),
        (
            &sharing,
            1,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 1,
                step: Step::Objectives,
            }),
        ),
        (&sharing, 1, C::PreviousStep, Err(E::NoPreviousStep)),
        (
            &analysis,
            1,
            C::PreviousStep,
            Ok(Change::StepBack {
                round: 1,
                step: Step::Objectives,
            }),
        ),
        (
            &analysis,
            0,
            C::PreviousStep,
            Err(E::NotTheCoach { coach: Seat(1) }),
        ),
        (
            &analysis,
            1,
            C::EndRound,
            Err(E::RoundNotFinished {
                step: Step::Analysis,
            }),
        ),
        (
            &analysis,
            0,
            C::EndRound,
            Err(E::NotTheCoach { coach: Seat(1) }),
        ),
        (&analysis, 1, C::Close, Err(E::CloseTooEarly)),
        (&commitments, 1, C::NextStep, Err(E::EndRoundFirst)),
        (
            &commitments,
            1,
            C::EndRound,
            Ok(Change::RoundEnded { round: 1 }),
        ),
        // Between rounds: the next round's coach opens it; the last coach may reopen.
        (
            &ended1,
            1,
            C::NextStep,
            Err(E::NotTheCoach { coach: Seat(0) }),
        ),
        (
            &ended1,
            0,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 2,
                step: Step::Sharing,
            }),
        ),
        (
            &ended1,
            1,
            C::PreviousStep,
            Ok(Change::StepBack {
                round: 1,
                step: Step::Commitments,
            }),
        ),
        (
            &ended1,
            0,
            C::PreviousStep,
            Err(E::NotTheCoach { coach: Seat(1) }),
        ),
        (&ended1, 0, C::Close, Err(E::CloseTooEarly)),
        (&ended1, 0, C::EndRound, Err(E::WrongPhase)),
        (&ended1, 0, C::Pause, Err(E::NoTimer)),
        (&ended1, 0, C::Resume, Err(E::NoTimer)),
        (&ended1, 0, C::Extend { minutes: 5 }, Err(E::NoTimer)),
        // After the last round: the closing, then completed.
        (&ended2, 1, C::Close, Ok(Change::ClosingOpened)),
        (&ended2, 1, C::NextStep, Ok(Change::ClosingOpened)),
        (&closing, 0, C::NextStep, Err(E::WrongPhase)),
        (&closing, 0, C::PreviousStep, Err(E::NoPreviousStep)),
        (&closing, 1, C::Close, Ok(Change::Closed)),
        (&completed, 0, C::Close, Err(E::SessionOver)),
        (&completed, 1, C::Abandon, Err(E::SessionOver)),
        (
            &completed,
            2,
            C::Abandon,
            Err(E::NotAMember { seat: Seat(2) }),
        ),
        (&abandoned, 1, C::NextStep, Err(E::SessionOver)),
        // Abandoning: the guided session needs every member; a practice one, any member.
        (&sharing, 1, C::Abandon, Ok(Change::Abandoned)),
        (&sharing, 0, C::KeepSession, Err(E::NoAbandonRequest)),
        (&guided_sharing, 1, C::Abandon, Ok(Change::AbandonRequested)),
        (&guided_sharing, 0, C::KeepSession, Err(E::NoAbandonRequest)),
        (
            &guided_asked,
            0,
            C::Abandon,
            Err(E::AbandonAlreadyRequested),
        ),
        (&guided_asked, 1, C::Abandon, Ok(Change::Abandoned)),
        (
            &guided_asked,
            1,
            C::KeepSession,
            Ok(Change::AbandonDeclined),
        ),
        (
            &guided_asked,
            0,
            C::KeepSession,
            Ok(Change::AbandonDeclined),
        ),
        (
            &guided_asked,
            1,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 1,
                step: Step::Objectives,
            }),
        ),
        // The timer: anyone, with bounds.
        (&analysis, 0, C::Pause, Ok(Change::Paused)),
        (&analysis, 1, C::Resume, Err(E::NotPaused)),
        (&paused, 1, C::Pause, Err(E::AlreadyPaused)),
        (&paused, 1, C::Resume, Ok(Change::Resumed)),
        (
            &analysis,
            0,
            C::Extend { minutes: 30 },
            Ok(Change::Extended { minutes: 30 }),
        ),
        (
            &analysis,
            0,
            C::Extend { minutes: 0 },
            Err(E::ExtensionOutOfRange {
                minutes: 0,
                min: 1,
                max: 30,
            }),
        ),
        (
            &analysis,
            0,
            C::Extend { minutes: 31 },
            Err(E::ExtensionOutOfRange {
                minutes: 31,
                min: 1,
                max: 30,
            }),
        ),
        // A trio: three rounds, the coach rotates, the observer is a member like any other.
        (
            &trio_ended1,
            2,
            C::NextStep,
            Ok(Change::StepAdvanced {
                round: 2,
                step: Step::Sharing,
            }),
        ),
        (
            &trio_ended1,
            0,
            C::NextStep,
            Err(E::NotTheCoach { coach: Seat(2) }),
        ),
        (&trio_ended1, 2, C::Close, Err(E::CloseTooEarly)),
        (&trio_ended3, 2, C::Close, Ok(Change::ClosingOpened)),
        (
            &trio_sharing2,
            0,
            C::NextStep,
            Err(E::NotTheCoach { coach: Seat(2) }),
        ),
        (&trio_sharing2, 0, C::Pause, Ok(Change::Paused)),
        (
            &trio_sharing2,
            3,
            C::Pause,
            Err(E::NotAMember { seat: Seat(3) }),
        ),
    ];
    let mut seen = BTreeSet::new();
    for (s, seat, cmd, expected) in table {
        check(s, *seat, *cmd, expected.clone());
        if let Err(e) = expected {
            seen.insert(variant(e));
        }
    }

    // The errors that do not come from a command.
    let mut capped = analysis.clone();
    run(
        &mut capped,
        &[
            (0, C::Extend { minutes: 30 }),
            (1, C::Extend { minutes: 30 }),
        ],
    );
    let others = [
        capped
            .decide(Seat(0), &C::Extend { minutes: 1 }, at(0))
            .unwrap_err(),
        GroupSize::try_from(4).unwrap_err(),
        Timings::new([5, 5, 0, 10, 10, 10]).unwrap_err(),
        sharing.roles_of_round(3).unwrap_err(),
        FieldRef::member(FieldKey::Options, Seat(0)).unwrap_err(),
        may_write(&sharing, Seat(1), &field_r(FieldKey::SharingNotes, 1)).unwrap_err(),
        may_write(&sharing, Seat(0), &field_r(FieldKey::AnalysisNotes, 1)).unwrap_err(),
        may_write(&sharing, Seat(0), &field_r(FieldKey::ObserverNotes, 1)).unwrap_err(),
        check_text(FieldKey::Takeaway, &"x".repeat(MAX_FIELD_CHARS + 1)).unwrap_err(),
        check_text(FieldKey::Options, "not json").unwrap_err(),
        check_text(FieldKey::MeetingLink, "javascript:alert(1)").unwrap_err(),
        check_text(FieldKey::MeetingDate, "Thursday 14:00").unwrap_err(),
        sharing
            .clone()
            .apply(&Event {
                by: Seat(1),
                at: at(i64::MAX),
                change: Change::StepAdvanced {
                    round: 1,
                    step: Step::Analysis,
                },
            })
            .unwrap_err(),
    ];
    assert_eq!(
        others.iter().map(variant).collect::<Vec<_>>(),
        [
            "ExtensionCapReached",
            "InvalidGroupSize",
            "InvalidTiming",
            "NoSuchRound",
            "FieldScopeMismatch",
            "NotYourField",
            "FieldNotOpenYet",
            "NoObserver",
            "FieldTooLong",
            "FieldMalformed",
            "NotALink",
            "NotAMoment",
            "EventDoesNotFit",
        ]
    );
    seen.extend(others.iter().map(variant));
    assert_eq!(seen.len(), VARIANTS, "every error is produced: {seen:?}");
}

#[test]
fn abandoning_the_guided_session_takes_every_member() {
    use Command as C;
    // In a trio, two requests are not enough; the third member's ends it.
    let mut trio = guided_to(GroupSize::Trio, Phase::Introduction);
    run(&mut trio, &[(2, C::Abandon)]);
    assert_eq!(
        trio.abandon_requests().iter().collect::<Vec<_>>(),
        [&Seat(2)]
    );
    run(&mut trio, &[(0, C::Abandon)]);
    assert!(trio.is_open(), "two of three asked");
    assert_eq!(
        trio.status(),
        Status::InProgress {
            round: 0,
            step: Some(Step::Introduction)
        }
    );
    let mut declined = trio.clone();
    run(&mut declined, &[(1, C::Abandon)]);
    assert_eq!(declined.phase(), Phase::Abandoned);
    assert!(declined.abandon_requests().is_empty());
    // Any member turns it down (the requester withdraws the same way); it can be asked again.
    run(&mut trio, &[(1, C::KeepSession)]);
    assert!(trio.abandon_requests().is_empty() && trio.is_open());
    run(&mut trio, &[(0, C::Abandon)]);
    assert_eq!(trio.abandon_requests().len(), 1);
    // From the very start too: one member alone never ends the graded session.
    let mut first = Session::new(GroupSize::Pair, SessionKind::Guided, Timings::default());
    run(&mut first, &[(0, C::Abandon)]);
    assert_eq!(first.phase(), Phase::Framework);
    // A request waits while the session goes on.
    run(
        &mut first,
        &[(0, C::AcceptFramework), (1, C::AcceptFramework)],
    );
    assert_eq!(first.phase(), Phase::Preparation);
    assert_eq!(first.abandon_requests().len(), 1);
    run(&mut first, &[(1, C::Abandon)]);
    assert_eq!(first.phase(), Phase::Abandoned);
    // A practice session: any member alone.
    let mut practice = Session::new(GroupSize::Trio, SessionKind::Practice, Timings::default());
    run(&mut practice, &[(2, C::Abandon)]);
    assert_eq!(practice.phase(), Phase::Abandoned);
}

#[test]
fn a_guided_log_replays_with_its_requests_and_an_older_lone_abandon() {
    use Command as C;
    let mut s = Session::new(GroupSize::Pair, SessionKind::Guided, Timings::default());
    let mut log = Vec::new();
    for (seat, cmd) in [
        (0, C::AcceptFramework),
        (0, C::Abandon),
        (1, C::KeepSession),
        (1, C::Abandon),
        (0, C::Abandon),
    ] {
        log.extend(s.handle(Seat(seat), &cmd, at(1000)).unwrap());
    }
    assert_eq!(s.phase(), Phase::Abandoned);
    let again = Session::replay(
        GroupSize::Pair,
        SessionKind::Guided,
        Timings::default(),
        &log,
    )
    .unwrap();
    assert_eq!(again, s);
    // A request has no place in a practice session's log.
    assert!(matches!(
        Session::replay(
            GroupSize::Pair,
            SessionKind::Practice,
            Timings::default(),
            &log
        ),
        Err(E::EventDoesNotFit { .. })
    ));
    // A log written before the rule, where one member abandoned the guided session alone,
    // still replays.
    let older = [Event {
        by: Seat(1),
        at: at(5),
        change: Change::Abandoned,
    }];
    let replayed = Session::replay(
        GroupSize::Pair,
        SessionKind::Guided,
        Timings::default(),
        &older,
    )
    .unwrap();
    assert_eq!(replayed.phase(), Phase::Abandoned);
}

fn field_r(key: FieldKey, round: u8) -> FieldRef {
    FieldRef::round(key, round).unwrap()
}

fn field_m(key: FieldKey, seat: u8) -> FieldRef {
    FieldRef::member(key, Seat(seat)).unwrap()
}

#[test]
fn the_last_acceptance_opens_the_preparation_and_start_the_introduction() {
    let mut s = fresh(GroupSize::Trio);
    run(
        &mut s,
        &[(2, Command::AcceptFramework), (0, Command::AcceptFramework)],
    );
    assert_eq!(s.phase(), Phase::Framework);
    assert_eq!(s.status(), Status::NotStarted);
    run(&mut s, &[(1, Command::AcceptFramework)]);
    assert_eq!(s.phase(), Phase::Preparation);
    run(
        &mut s,
        &[(0, Command::MarkPrepared), (1, Command::MarkPrepared)],
    );
    assert_eq!(s.status(), Status::NotStarted);
    run(&mut s, &[(2, Command::MarkPrepared)]);
    assert_eq!(s.status(), Status::Prepared);
    assert!(s.timer().is_none());
    run(&mut s, &[(2, Command::Start)]);
    assert_eq!(s.phase(), Phase::Introduction);
    assert_eq!(s.remaining(s.last_event_at().unwrap()), Some(5 * 60));
}

#[test]
fn status_follows_the_session_without_content() {
    let s = drive_to(GroupSize::Pair, round(2, Step::Options));
    assert_eq!(
        s.status(),
        Status::InProgress {
            round: 2,
            step: Some(Step::Options)
        }
    );
    let s = drive_to(GroupSize::Pair, Phase::RoundEnded { round: 1 });
    assert_eq!(
        s.status(),
        Status::InProgress {
            round: 1,
            step: None
        }
    );
    let s = drive_to(GroupSize::Pair, Phase::Introduction);
    assert_eq!(
        s.status(),
        Status::InProgress {
            round: 0,
            step: Some(Step::Introduction)
        }
    );
    let s = drive_to(GroupSize::Pair, Phase::Closing);
    assert_eq!(s.status(), Status::Closing);
    assert_eq!(s.completed_at(), None);
    let s = drive_to(GroupSize::Trio, Phase::Completed);
    assert_eq!(s.status(), Status::Completed);
    assert_eq!(s.completed_at(), s.last_event_at());
    assert!(s.completed_at().is_some());
    assert_eq!(
        serde_json::to_string(&Status::InProgress {
            round: 1,
            step: Some(Step::Analysis)
        })
        .unwrap(),
        r#"{"status":"in_progress","round":1,"step":"analysis"}"#
    );
}

#[test]
fn rounds_rotate_roles_so_each_member_holds_each_once() {
    for size in [GroupSize::Pair, GroupSize::Trio] {
        let r = rounds(size);
        assert_eq!(r.len(), usize::from(size.rounds()));
        let coachees: BTreeSet<Seat> = r.iter().map(|r| r.coachee).collect();
        let coaches: BTreeSet<Seat> = r.iter().map(|r| r.coach).collect();
        let seats: BTreeSet<Seat> = size.seats().collect();
        assert_eq!(coachees, seats);
        assert_eq!(coaches, seats);
        for roles in r {
            assert_ne!(roles.coach, roles.coachee);
            assert_eq!(roles.observer.is_some(), size == GroupSize::Trio);
            for seat in size.seats() {
                assert!(roles.role_of(seat).is_some());
            }
            assert_eq!(roles.role_of(Seat(3)), None);
        }
    }
    let observers: BTreeSet<Seat> = rounds(GroupSize::Trio)
        .iter()
        .filter_map(|r| r.observer)
        .collect();
    assert_eq!(observers.len(), 3);
    assert_eq!(roles_in(GroupSize::Pair, 0), None);
    assert_eq!(roles_in(GroupSize::Pair, 3), None);
    assert_eq!(GroupSize::try_from(3), Ok(GroupSize::Trio));
}

#[test]
fn timer_pause_resume_extend_and_overtime() {
    let mut s = drive_to(GroupSize::Pair, Phase::Preparation);
    run(
        &mut s,
        &[(0, Command::MarkPrepared), (1, Command::MarkPrepared)],
    );
    let t0 = 100 * MIN;
    s.handle(Seat(0), &Command::Start, at(t0)).unwrap();
    // Five minutes for the introduction, rounded down to whole seconds.
    assert_eq!(s.remaining(at(t0)), Some(300));
    assert_eq!(s.remaining(at(t0 + 500)), Some(299));
    assert_eq!(s.remaining(at(t0 + MIN)), Some(240));
    // Paused for two minutes: the clock stands still.
    s.handle(Seat(1), &Command::Pause, at(t0 + MIN)).unwrap();
    assert_eq!(s.remaining(at(t0 + 3 * MIN)), Some(240));
    s.handle(Seat(0), &Command::Resume, at(t0 + 3 * MIN))
        .unwrap();
    assert_eq!(s.remaining(at(t0 + 4 * MIN)), Some(180));
    // Extended by two minutes, then three more.
    s.handle(Seat(1), &Command::Extend { minutes: 2 }, at(t0 + 4 * MIN))
        .unwrap();
    s.handle(Seat(1), &Command::Extend { minutes: 3 }, at(t0 + 4 * MIN))
        .unwrap();
    assert_eq!(s.remaining(at(t0 + 4 * MIN)), Some(480));
    // Overtime shows negative and blocks nothing: 5 + 5 planned, 2 paused, 20 past the start.
    assert_eq!(s.remaining(at(t0 + 20 * MIN)), Some(-8 * 60));
    assert_eq!(s.remaining(at(t0 + 12 * MIN + 1)), Some(-1));
    let view = s.timer_view().unwrap();
    assert_eq!(view.step_started_at, at(t0));
    assert_eq!(view.duration_secs, 300);
    assert_eq!(view.extended_secs, 300);
    assert_eq!(view.paused_total_ms, 2 * MIN);
    assert_eq!(view.paused_since, None);
    for t in [t0, t0 + 1, t0 + 7 * MIN + 999, t0 + 30 * MIN] {
        assert_eq!(Some(view.remaining_secs(at(t))), s.remaining(at(t)));
    }
    // A new step starts with its own full time and no extension.
    s.handle(Seat(1), &Command::NextStep, at(t0 + 20 * MIN))
        .unwrap();
    assert_eq!(s.remaining(at(t0 + 20 * MIN)), Some(300));
    assert_eq!(s.timer().unwrap().extended_minutes(), 0);
}

#[test]
fn a_paused_timer_shows_the_pause_to_clients() {
    let mut s = drive_to(GroupSize::Pair, round(1, Step::Analysis));
    let start = s.last_event_at().unwrap().0;
    s.handle(Seat(0), &Command::Pause, at(start + MIN)).unwrap();
    let view = s.timer_view().unwrap();
    assert_eq!(view.paused_since, Some(at(start + MIN)));
    assert_eq!(view.remaining_secs(at(start + 9 * MIN)), 9 * 60);
    assert_eq!(s.remaining(at(start + 9 * MIN)), Some(9 * 60));
    // Going back restarts the earlier step, unpaused.
    s.handle(Seat(1), &Command::PreviousStep, at(start + 2 * MIN))
        .unwrap();
    assert_eq!(s.phase(), round(1, Step::Objectives));
    assert!(!s.timer().unwrap().is_paused());
    assert_eq!(s.remaining(at(start + 2 * MIN)), Some(5 * 60));
}

#[test]
fn a_clock_behind_never_dates_an_event_before_the_last() {
    let mut s = drive_to(GroupSize::Pair, round(1, Step::Sharing));
    let last = s.last_event_at().unwrap();
    let events = s
        .handle(Seat(0), &Command::Pause, UnixMillis(last.0 - 5000))
        .unwrap();
    assert_eq!(events[0].at, last);
    // And the timer does not gain time from a now before the step started.
    assert_eq!(s.remaining(UnixMillis(last.0 - 60_000)), Some(5 * 60));
}

#[test]
fn timings_are_bounded_and_default_to_the_method() {
    let t = Timings::default();
    assert_eq!(Step::ALL.map(|s| t.minutes(s)), [5, 5, 5, 10, 10, 10]);
    assert_eq!(t.session_minutes(2), 85);
    assert!(Timings::new([60, 1, 1, 1, 1, 1]).is_ok());
    assert_eq!(
        Timings::new([5, 5, 5, 10, 10, 61]),
        Err(E::InvalidTiming {
            step: Step::Commitments,
            minutes: 61,
            min: 1,
            max: 60
        })
    );
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(
        json,
        r#"{"introduction":5,"sharing":5,"objectives":5,"analysis":10,"options":10,"commitments":10}"#
    );
    assert_eq!(serde_json::from_str::<Timings>(&json).unwrap(), t);
    let zero = json.replace("\"sharing\":5", "\"sharing\":0");
    assert!(serde_json::from_str::<Timings>(&zero).is_err());
    let custom = Timings::new([3, 3, 5, 8, 8, 8]).unwrap();
    let mut s = Session::new(GroupSize::Pair, SessionKind::Practice, custom);
    while s.phase() != round(1, Step::Analysis) {
        let (seat, cmd) = driver(&s).unwrap();
        run(&mut s, &[(seat.0, cmd)]);
    }
    assert_eq!(s.remaining(s.last_event_at().unwrap()), Some(8 * 60));
}

#[test]
fn preparation_is_hidden_from_the_partner_before_the_introduction() {
    let prep0 = field_m(FieldKey::PrepSituation, 0);
    let prep = drive_to(GroupSize::Pair, Phase::Preparation);
    assert!(may_read(&prep, Seat(0), &prep0));
    assert!(!may_read(&prep, Seat(1), &prep0));
    assert!(!may_read(&prep, Seat(2), &prep0));
    assert_eq!(may_write(&prep, Seat(0), &prep0), Ok(()));
    assert_eq!(may_write(&prep, Seat(1), &prep0), Err(E::NotYourField));
    let framework = fresh(GroupSize::Pair);
    assert_eq!(
        may_write(&framework, Seat(0), &prep0),
        Err(E::FieldNotOpenYet)
    );

    // Abandoned before the introduction: still private.
    let mut gave_up = prep.clone();
    run(&mut gave_up, &[(1, Command::Abandon)]);
    assert!(!may_read(&gave_up, Seat(1), &prep0));
    assert_eq!(may_write(&gave_up, Seat(0), &prep0), Err(E::SessionOver));

    for phase in [
        Phase::Introduction,
        round(2, Step::Options),
        Phase::Closing,
        Phase::Completed,
    ] {
        let s = drive_to(GroupSize::Trio, phase);
        for key in FieldKey::ALL.into_iter().filter(|k| k.is_preparation()) {
            let f = field_m(key, 0);
            assert!(
                may_read(&s, Seat(1), &f) && may_read(&s, Seat(2), &f),
                "{phase:?}"
            );
            assert!(!may_read(&s, Seat(3), &f));
        }
    }
    // A preparation can be completed during the session, not after it.
    let s = drive_to(GroupSize::Pair, round(1, Step::Sharing));
    assert_eq!(
        may_write(&s, Seat(1), &field_m(FieldKey::PrepContext, 1)),
        Ok(())
    );
    let s = drive_to(GroupSize::Pair, Phase::Completed);
    assert_eq!(
        may_write(&s, Seat(1), &field_m(FieldKey::PrepContext, 1)),
        Err(E::SessionOver)
    );
}

#[test]
fn the_scratchpad_is_its_authors_only() {
    for size in [GroupSize::Pair, GroupSize::Trio] {
        for phase in [round(1, Step::Sharing), Phase::Closing, Phase::Completed] {
            let s = drive_to(size, phase);
            for r in 1..=size.rounds() {
                let pad = field_r(FieldKey::CoachScratchpad, r);
                let coach = roles_in(size, r).unwrap().coach;
                for seat in size.seats() {
                    assert_eq!(
                        may_read(&s, seat, &pad),
                        seat == coach,
                        "{size:?} {r} {seat}"
                    );
                }
                // Everything else of the round is shared within the group.
                let notes = field_r(FieldKey::AnalysisNotes, r);
                assert!(size.seats().all(|m| may_read(&s, m, &notes)));
                assert!(!may_read(&s, Seat(5), &notes));
            }
            assert!(!may_read(&s, Seat(0), &field_r(FieldKey::AnalysisNotes, 4)));
        }
    }
    let s = drive_to(GroupSize::Pair, round(2, Step::Sharing));
    let pad2 = field_r(FieldKey::CoachScratchpad, 2);
    assert_eq!(may_write(&s, Seat(0), &pad2), Ok(()));
    assert_eq!(may_write(&s, Seat(1), &pad2), Err(E::NotYourField));
    // The first round's coach may still complete their own pad.
    assert_eq!(
        may_write(&s, Seat(1), &field_r(FieldKey::CoachScratchpad, 1)),
        Ok(())
    );
}

#[test]
fn coachee_fields_open_at_their_step_and_stay_open_while_the_session_is() {
    use FieldKey as K;
    let cases: &[(K, Step)] = &[
        (K::SharingNotes, Step::Sharing),
        (K::GlobalObjective, Step::Objectives),
        (K::SessionObjective, Step::Objectives),
        (K::AnalysisNotes, Step::Analysis),
        (K::Options, Step::Options),
        (K::IdealOption, Step::Options),
        (K::IdealOptionNeeds, Step::Options),
        (K::Actions, Step::Commitments),
        (K::Obstacles, Step::Commitments),
        (K::ResourcesPeople, Step::Commitments),
        (K::ResourcesMaterial, Step::Commitments),
    ];
    for &(key, opens) in cases {
        for step in Step::ALL.into_iter().skip(1) {
            let s = drive_to(GroupSize::Pair, round(1, step));
            let f = field_r(key, 1);
            let expected = if step >= opens {
                Ok(())
            } else {
                Err(E::FieldNotOpenYet)
            };
            assert_eq!(may_write(&s, Seat(0), &f), expected, "{key:?} at {step:?}");
            assert_eq!(may_write(&s, Seat(1), &f), Err(E::NotYourField));
            // Round 2's fields wait for round 2.
            assert_eq!(
                may_write(&s, Seat(1), &field_r(key, 2)),
                Err(E::FieldNotOpenYet)
            );
        }
        let closing = drive_to(GroupSize::Pair, Phase::Closing);
        assert_eq!(may_write(&closing, Seat(0), &field_r(key, 1)), Ok(()));
        assert_eq!(may_write(&closing, Seat(1), &field_r(key, 2)), Ok(()));
        let done = drive_to(GroupSize::Pair, Phase::Completed);
        assert_eq!(
            may_write(&done, Seat(0), &field_r(key, 1)),
            Err(E::SessionOver)
        );
    }
}

#[test]
fn observer_notes_and_takeaways() {
    let s = drive_to(GroupSize::Trio, round(2, Step::Sharing));
    // Round 2: seat 1 coachee, seat 2 coach, seat 0 observer.
    let notes = field_r(FieldKey::ObserverNotes, 2);
    assert_eq!(may_write(&s, Seat(0), &notes), Ok(()));
    assert_eq!(may_write(&s, Seat(2), &notes), Err(E::NotYourField));
    assert!(may_read(&s, Seat(1), &notes));
    assert_eq!(
        may_write(&s, Seat(1), &field_r(FieldKey::ObserverNotes, 3)),
        Err(E::FieldNotOpenYet)
    );
    assert_eq!(
        may_write(&s, Seat(0), &field_r(FieldKey::ObserverNotes, 4)),
        Err(E::NoSuchRound { round: 4 })
    );
    let take = field_m(FieldKey::Takeaway, 2);
    assert_eq!(may_write(&s, Seat(2), &take), Err(E::FieldNotOpenYet));
    let closing = drive_to(GroupSize::Trio, Phase::Closing);
    assert_eq!(may_write(&closing, Seat(2), &take), Ok(()));
    assert_eq!(may_write(&closing, Seat(1), &take), Err(E::NotYourField));
    assert!(may_read(&closing, Seat(0), &take));
    assert_eq!(
        FieldRef::round(FieldKey::Options, 0),
        Err(E::NoSuchRound { round: 0 })
    );
}

#[test]
fn list_fields_have_their_shape() {
    let ok_options =
        r#"[{"option":"Ask the manager","pros":"quick","cons":"awkward"},{"option":"Wait"}]"#;
    assert_eq!(check_text(FieldKey::Options, ok_options), Ok(()));
    assert_eq!(check_text(FieldKey::Options, ""), Ok(()));
    assert!(check_text(FieldKey::Options, r#"[{"pros":"no option"}]"#).is_err());
    assert!(check_text(FieldKey::Options, r#"[{"option":"a","extra":1}]"#).is_err());
    let actions = r#"[{"action":"Call Léa","due":"2026-03-02"},{"action":"Draft","due":null}]"#;
    assert_eq!(check_text(FieldKey::Actions, actions), Ok(()));
    for bad in [
        "2026-02-30",
        "2026-3-02",
        "02/03/2026",
        "2026-03-02-1",
        "+026-03-02",
    ] {
        let text = format!(r#"[{{"action":"x","due":"{bad}"}}]"#);
        assert!(
            matches!(
                check_text(FieldKey::Actions, &text),
                Err(E::FieldMalformed { .. })
            ),
            "{bad}"
        );
    }
    let obstacles = r#"[{"obstacle":"No time","overcome":"Block an hour on Monday"}]"#;
    assert_eq!(check_text(FieldKey::Obstacles, obstacles), Ok(()));
    let many = format!("[{}]", vec![r#"{"option":"o"}"#; 21].join(","));
    assert!(matches!(
        check_text(FieldKey::Options, &many),
        Err(E::FieldMalformed { .. })
    ));
    let long_item = format!(r#"[{{"option":"{}"}}]"#, "é".repeat(2_001));
    assert_eq!(
        check_text(FieldKey::Options, &long_item),
        Err(E::FieldTooLong {
            chars: 2_001,
            max: 2_000
        })
    );
    // Characters are counted, not bytes.
    assert_eq!(
        check_text(FieldKey::Takeaway, &"é".repeat(MAX_FIELD_CHARS)),
        Ok(())
    );
    // Plain text may look like anything.
    assert_eq!(check_text(FieldKey::AnalysisNotes, "[not json"), Ok(()));
}

#[test]
fn stored_json_shapes_are_stable() {
    let e = Event {
        by: Seat(1),
        at: UnixMillis(1_767_225_600_000),
        change: Change::StepAdvanced {
            round: 1,
            step: Step::Objectives,
        },
    };
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(
        json,
        r#"{"by":1,"at":1767225600000,"type":"step_advanced","round":1,"step":"objectives"}"#
    );
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    let all = [
        (Change::FrameworkAccepted, r#""type":"framework_accepted""#),
        (Change::Prepared, r#""type":"prepared""#),
        (Change::Started, r#""type":"started""#),
        (
            Change::StepBack {
                round: 2,
                step: Step::Commitments,
            },
            r#""type":"step_back","round":2,"step":"commitments""#,
        ),
        (
            Change::RoundEnded { round: 2 },
            r#""type":"round_ended","round":2"#,
        ),
        (Change::ClosingOpened, r#""type":"closing_opened""#),
        (Change::Closed, r#""type":"closed""#),
        (Change::Paused, r#""type":"paused""#),
        (Change::Resumed, r#""type":"resumed""#),
        (
            Change::Extended { minutes: 5 },
            r#""type":"extended","minutes":5"#,
        ),
        (Change::Abandoned, r#""type":"abandoned""#),
        (Change::AbandonRequested, r#""type":"abandon_requested""#),
        (Change::AbandonDeclined, r#""type":"abandon_declined""#),
    ];
    for (change, tail) in all {
        let e = Event {
            by: Seat(0),
            at: UnixMillis(7),
            change,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, format!(r#"{{"by":0,"at":7,{tail}}}"#));
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    }
    assert_eq!(
        serde_json::to_string(&Command::Extend { minutes: 5 }).unwrap(),
        r#"{"command":"extend","minutes":5}"#
    );
    assert_eq!(
        serde_json::from_str::<Command>(r#"{"command":"next_step"}"#).unwrap(),
        Command::NextStep
    );
    let f = field_r(FieldKey::IdealOptionNeeds, 2);
    let json = serde_json::to_string(&f).unwrap();
    assert_eq!(json, r#"{"key":"ideal_option_needs","round":2}"#);
    assert_eq!(serde_json::from_str::<FieldRef>(&json).unwrap(), f);
    assert_eq!(
        serde_json::to_string(&field_m(FieldKey::Takeaway, 1)).unwrap(),
        r#"{"key":"takeaway","seat":1}"#
    );
    assert!(serde_json::from_str::<FieldRef>(r#"{"key":"takeaway","round":1}"#).is_err());
    assert!(serde_json::from_str::<FieldRef>(r#"{"key":"options","round":1,"seat":0}"#).is_err());
    for key in FieldKey::ALL {
        assert_eq!(
            serde_json::to_string(&key).unwrap(),
            format!("\"{}\"", key.key())
        );
    }
    assert_eq!(
        serde_json::to_string(&Phase::Round {
            round: 1,
            step: Step::Sharing
        })
        .unwrap(),
        r#"{"phase":"round","round":1,"step":"sharing"}"#
    );
}

#[test]
fn replay_rebuilds_the_session_and_refuses_a_corrupt_log() {
    let mut s = fresh(GroupSize::Trio);
    let mut log = Vec::new();
    while s.is_open() {
        let (seat, cmd) = driver(&s).unwrap();
        let now = UnixMillis(s.last_event_at().map_or(0, |t| t.0 + 30_000));
        log.extend(s.handle(seat, &cmd, now).unwrap());
    }
    let again = Session::replay(
        GroupSize::Trio,
        SessionKind::Practice,
        Timings::default(),
        &log,
    )
    .unwrap();
    assert_eq!(again, s);
    // A different size or an event out of order does not fit.
    assert!(
        Session::replay(
            GroupSize::Pair,
            SessionKind::Practice,
            Timings::default(),
            &log
        )
        .is_err()
    );
    let mut swapped = log.clone();
    swapped.swap(7, 8);
    assert!(matches!(
        Session::replay(
            GroupSize::Trio,
            SessionKind::Practice,
            Timings::default(),
            &swapped
        ),
        Err(E::EventDoesNotFit { .. })
    ));
    // Nor an event dated before the previous one, nor the same event twice.
    let mut early = log.clone();
    early[5].at = UnixMillis(early[4].at.0 - 1);
    assert!(
        Session::replay(
            GroupSize::Trio,
            SessionKind::Practice,
            Timings::default(),
            &early
        )
        .is_err()
    );
    let mut twice = log[..3].to_vec();
    twice.push(log[2]);
    assert!(
        Session::replay(
            GroupSize::Trio,
            SessionKind::Practice,
            Timings::default(),
            &twice
        )
        .is_err()
    );
}

// ---- Property tests ----

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => Just(Command::AcceptFramework),
        1 => Just(Command::MarkPrepared),
        1 => Just(Command::Start),
        4 => Just(Command::NextStep),
        2 => Just(Command::PreviousStep),
        1 => Just(Command::Pause),
        1 => Just(Command::Resume),
        1 => (0u32..35).prop_map(|minutes| Command::Extend { minutes }),
        2 => Just(Command::EndRound),
        1 => Just(Command::Close),
        1 => Just(Command::Abandon),
        1 => Just(Command::KeepSession),
    ]
}

/// A seat (sometimes outside the group), a command, and how far the clock moves (sometimes
/// backwards, as another instance's clock might).
fn any_move() -> impl Strategy<Value = (u8, Command, i64)> {
    (0u8..4, any_command(), -5_000i64..900_000)
}

/// Whether a single event may take the session from `a` to `b`.
fn adjacent(a: Phase, b: Phase, rounds: u8) -> bool {
    use Phase as P;
    match (a, b) {
        _ if a == b => true,
        (_, P::Abandoned) => true,
        (P::Framework, P::Preparation) | (P::Preparation, P::Introduction) => true,
        (
            P::Introduction,
            P::Round {
                round: 1,
                step: Step::Sharing,
            },
        ) => true,
        (P::Round { round: r, step: s }, P::Round { round: q, step: t }) => {
            r == q && s.number().abs_diff(t.number()) == 1
        }
        (
            P::Round {
                round: r,
                step: Step::Commitments,
            },
            P::RoundEnded { round: q },
        ) => r == q,
        (
            P::RoundEnded { round: r },
            P::Round {
                round: q,
                step: Step::Commitments,
            },
        ) => r == q,
        (
            P::RoundEnded { round: r },
            P::Round {
                round: q,
                step: Step::Sharing,
            },
        ) => q == r + 1,
        (P::RoundEnded { round }, P::Closing) => round == rounds,
        (P::Closing, P::Completed) => true,
        _ => false,
    }
}

fn assert_invariants(s: &Session) {
    let size = s.size();
    let members = usize::from(size.members());
    match s.phase() {
        Phase::Round { round, step } => {
            assert!((1..=size.rounds()).contains(&round));
            assert_ne!(step, Step::Introduction);
        }
        Phase::RoundEnded { round } => assert!((1..=size.rounds()).contains(&round)),
        _ => {}
    }
    assert_eq!(
        s.timer().is_some(),
        matches!(s.phase(), Phase::Introduction | Phase::Round { .. })
    );
    if let Some(rank) = s.phase().rank() {
        if rank >= (1, 0, 0) {
            assert_eq!(size.seats().filter(|&m| s.has_accepted(m)).count(), members);
        }
        if rank >= (2, 0, 0) {
            assert!(s.reached_introduction());
            assert_eq!(size.seats().filter(|&m| s.is_prepared(m)).count(), members);
        } else {
            assert!(!s.reached_introduction());
        }
    }
    assert_eq!(s.completed_at().is_some(), s.phase() == Phase::Completed);
    if let Some(t) = s.timer() {
        assert!(t.extended_minutes() <= super::timer::MAX_EXTENSION_TOTAL_MINUTES);
        let now = s.last_event_at().unwrap();
        assert_eq!(Some(t.view().remaining_secs(now)), s.remaining(now));
        assert!(t.started_at() <= now);
    }
}

fn size_of(trio: bool) -> GroupSize {
    if trio {
        GroupSize::Trio
    } else {
        GroupSize::Pair
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_commands_keep_the_session_valid(
        trio in any::<bool>(),
        guided in any::<bool>(),
        prefix in 0usize..40,
        moves in prop::collection::vec(any_move(), 0..200),
    ) {
        let size = size_of(trio);
        let kind = kind_of(guided);
        let mut s = Session::new(size, kind, Timings::default());
        let mut log: Vec<Event> = Vec::new();
        let mut now = 0i64;
        // Start from any reachable state: a number of legal moves first, then chaos.
        for _ in 0..prefix {
            let Some((seat, cmd)) = driver(&s) else { break };
            now += 1000;
            log.extend(s.handle(seat, &cmd, UnixMillis(now)).unwrap());
        }
        for (seat, cmd, dt) in moves {
            now += dt;
            let before = s.clone();
            match s.decide(Seat(seat), &cmd, UnixMillis(now)) {
                Ok(events) => {
                    prop_assert!(size.has(Seat(seat)));
                    for e in &events {
                        prop_assert!(log.last().is_none_or(|l| l.at <= e.at));
                        s.apply(e).unwrap();
                        log.push(*e);
                    }
                    prop_assert!(
                        adjacent(before.phase(), s.phase(), size.rounds()),
                        "{:?} -> {:?}", before.phase(), s.phase()
                    );
                }
                Err(_) => prop_assert_eq!(&s, &before),
            }
            assert_invariants(&s);
        }
        let again = Session::replay(size, kind, Timings::default(), &log).unwrap();
        prop_assert_eq!(again, s);
    }

    #[test]
    fn a_session_driven_to_completion_gives_everyone_each_role_once(
        trio in any::<bool>(),
        noise in prop::collection::vec(any_move(), 0..120),
    ) {
        let size = size_of(trio);
        let mut s = fresh(size);
        let mut log: Vec<Event> = Vec::new();
        let mut now = 0i64;
        // Random commands (never abandoning), each followed by a step of the driver.
        for (seat, cmd, dt) in noise {
            now += dt.max(0);
            if cmd != Command::Abandon
                && let Ok(events) = s.handle(Seat(seat), &cmd, UnixMillis(now))
            {
                log.extend(events);
            }
            if let Some((seat, cmd)) = driver(&s) {
                log.extend(s.handle(seat, &cmd, UnixMillis(now)).unwrap());
            }
        }
        let mut guard = 0;
        while let Some((seat, cmd)) = driver(&s) {
            log.extend(s.handle(seat, &cmd, UnixMillis(now)).unwrap());
            guard += 1;
            prop_assert!(guard < 100);
        }
        prop_assert_eq!(s.phase(), Phase::Completed);
        let ended: BTreeSet<u8> = log
            .iter()
            .filter_map(|e| match e.change {
                Change::RoundEnded { round } => Some(round),
                _ => None,
            })
            .collect();
        prop_assert_eq!(ended.len(), usize::from(size.rounds()));
        let mut coachees: Vec<Seat> =
            ended.iter().map(|&r| roles_in(size, r).unwrap().coachee).collect();
        let mut coaches: Vec<Seat> =
            ended.iter().map(|&r| roles_in(size, r).unwrap().coach).collect();
        coachees.sort();
        coaches.sort();
        let seats: Vec<Seat> = size.seats().collect();
        prop_assert_eq!(&coachees, &seats);
        prop_assert_eq!(&coaches, &seats);
        // Every round's steps were played in order: each round reached its commitments
        // only through the four steps before.
        for r in 1..=size.rounds() {
            let steps: Vec<Step> = log
                .iter()
                .filter_map(|e| match e.change {
                    Change::StepAdvanced { round, step } if round == r => Some(step),
                    _ => None,
                })
                .collect();
            for want in [Step::Sharing, Step::Objectives, Step::Analysis, Step::Options, Step::Commitments] {
                prop_assert!(steps.contains(&want), "round {} lacks {:?}", r, want);
            }
        }
        let again = Session::replay(size, SessionKind::Practice, Timings::default(), &log).unwrap();
        prop_assert_eq!(again, s);
    }
}

/// A whole guided session, one command at a time: each member's preparation reaches
/// `Started` for them alone, the introduction `InProgress` and the completion `Completed`
/// for everyone, each once; the status detail staff read says where the session is and its
/// text reads back.
#[test]
fn milestones_and_status_details_follow_a_whole_session() {
    use super::StatusDetail;
    use super::activity::{Milestone, milestones_reached};
    for size in [GroupSize::Pair, GroupSize::Trio] {
        let mut s = Session::new(size, SessionKind::Guided, Timings::default());
        let mut reached = Vec::new();
        while let Some((seat, cmd)) = driver(&s) {
            let before = s.clone();
            run(&mut s, &[(seat.0, cmd)]);
            reached.extend(milestones_reached(&before, &s));
            let detail = StatusDetail::of(&s);
            match (s.status(), &detail) {
                (Status::NotStarted, Some(StatusDetail::Prepared(seats))) => {
                    assert!(seats.iter().all(|m| s.is_prepared(*m)));
                }
                (
                    Status::InProgress {
                        round,
                        step: Some(step),
                    },
                    d,
                ) => {
                    assert_eq!(d, &Some(StatusDetail::Step { round, step }));
                }
                (Status::InProgress { round, step: None }, d) => {
                    assert_eq!(d, &Some(StatusDetail::RoundEnded { round }));
                }
                (Status::Closing, d) => assert_eq!(d, &Some(StatusDetail::Closing)),
                (_, d) => assert_eq!(d, &None, "{:?}", s.status()),
            }
            if let Some(d) = detail {
                assert_eq!(d.to_string().parse::<StatusDetail>(), Ok(d));
            }
        }
        assert_eq!(s.status(), Status::Completed);
        let n = usize::from(size.members());
        assert_eq!(reached.len(), 3 * n, "{reached:?}");
        for (i, m) in [
            Milestone::Started,
            Milestone::InProgress,
            Milestone::Completed,
        ]
        .into_iter()
        .enumerate()
        {
            let seats: Vec<Seat> = reached[i * n..(i + 1) * n]
                .iter()
                .map(|(seat, got)| {
                    assert_eq!(*got, m);
                    *seat
                })
                .collect();
            assert_eq!(seats, size.seats().collect::<Vec<_>>(), "{m:?}");
        }
    }
}
