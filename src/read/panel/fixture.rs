//! Fixed inputs for the panel's tests (and the page snapshots of `web/`): a group played to a
//! given point by commands at fixed times, with fixed ids, names and texts, so a snapshot
//! changes only when what the panel shows changes.

use std::collections::HashMap;

use super::{PanelInput, Reader};
use crate::coaching::{
    Command, FieldRef, GroupSize, Seat, Session, SessionKind, Timings, UnixMillis,
};
use crate::realtime::live::{Presence, State, field_id};
use crate::store::{ActivityConfig, CourseId, FieldRow, SessionRow, SessionStatus, SessionSummary};

/// 2027-01-15 09:00:00 UTC, the first command's time; each next one comes a minute later.
pub const T0: i64 = 1_800_003_600_000;

/// A group's session row, as stored.
pub fn row(id: i64, ordinal: i32, members: &[&str], last_seq: i64) -> SessionRow {
    SessionRow {
        summary: SessionSummary {
            id: crate::store::SessionId::new(id),
            module: "act-1".into(),
            group_key: members.join("|"),
            members: members
                .iter()
                .map(|m| crate::store::PersonId::new(*m))
                .collect(),
            ordinal,
            last_seq,
            status: SessionStatus::InProgress,
            status_detail: None,
            created_at: T0 / 1000,
            updated_at: T0 / 1000,
            completed_at: None,
            started_at: None,
        },
        course: CourseId::new(7),
        activity: "act-1".into(),
        snapshot: None,
    }
}

/// A session of `size` and `kind` after `commands` (seat, command), the n-th at T0 + n min.
pub fn state(size: GroupSize, kind: SessionKind, commands: &[(u8, Command)]) -> State {
    let mut session = Session::new(size, kind, Timings::default());
    for (n, (seat, cmd)) in commands.iter().enumerate() {
        let at = UnixMillis(T0 + n as i64 * 60_000);
        let events = session
            .decide(Seat(*seat), cmd, at)
            .unwrap_or_else(|e| panic!("command {n} ({cmd:?} by {seat}): {e:?}"));
        for e in &events {
            session.apply(e).expect("a decided event applies");
        }
    }
    let members: &[&str] = match size {
        GroupSize::Pair => &["p-ana", "p-ben"],
        GroupSize::Trio => &["p-ana", "p-ben", "p-cleo"],
    };
    let ordinal = i32::from(kind == SessionKind::Practice);
    State {
        row: row(
            40 + i64::from(ordinal),
            ordinal,
            members,
            commands.len() as i64,
        ),
        presence: vec![(Presence::Offline, None); members.len()],
        session,
        last_at: None,
        begun: !commands.is_empty(),
        followed: false,
    }
}

/// What `seat` reads of `live`: the given texts (version 1 each), the members' names.
pub fn input<'a>(live: &'a State, seat: u8, texts: &[(FieldRef, &str)]) -> PanelInput<'a> {
    let rows: HashMap<String, FieldRow> = texts
        .iter()
        .map(|(f, text)| {
            let id = field_id(f);
            let row = FieldRow {
                session_id: live.row.summary.id,
                owner: crate::store::FieldOwner::Group,
                field: id.clone(),
                text: text.to_string(),
                version: 1,
                updated_at: T0 / 1000,
            };
            (id, row)
        })
        .collect();
    let names = ["Ana Lima", "Ben Okafor", "Cléo Martin"];
    PanelInput {
        live,
        reader: Reader {
            seat: Seat(seat),
            rows,
            names: names[..live.row.summary.members.len()]
                .iter()
                .map(|n| n.to_string())
                .collect(),
        },
        config: Some(ActivityConfig {
            title: "Module 2".into(),
            instructions: "Meet within the week.".into(),
            ..ActivityConfig::default()
        }),
        previous: Vec::new(),
        group_sessions: vec![live.row.clone()].into(),
    }
}

/// A guided pair in round 1, at the second step, with seat 0 the coachee.
pub fn in_round() -> State {
    state(
        GroupSize::Pair,
        SessionKind::Guided,
        &[
            (0, Command::AcceptFramework),
            (1, Command::AcceptFramework),
            (0, Command::MarkPrepared),
            (1, Command::MarkPrepared),
            (0, Command::Start),
            (0, Command::NextStep),
            (1, Command::NextStep),
        ],
    )
}

/// The texts of [`in_round`]: the sharing and the objective of round 1, and the group's
/// meeting.
pub fn in_round_texts() -> Vec<(FieldRef, &'static str)> {
    use crate::coaching::FieldKey;
    vec![
        (
            FieldRef::round(FieldKey::SharingNotes, 1).unwrap(),
            "A team that does not say what it needs.",
        ),
        (
            FieldRef::round(FieldKey::SessionObjective, 1).unwrap(),
            "Ask for a weekly check-in.",
        ),
        (
            FieldRef::group(FieldKey::MeetingLink).unwrap(),
            "https://meet.example/abc",
        ),
        (
            FieldRef::group(FieldKey::MeetingDate).unwrap(),
            "2027-01-22T14:00:00Z[Europe/Paris]",
        ),
    ]
}
