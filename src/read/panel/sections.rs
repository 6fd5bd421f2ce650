//! The panel's groups of fields, each shown at its phases under the reader's rights: the
//! preparations, the round's fields (this step's, then the round so far), the summary of
//! commitments, the closing words, the group's meeting and the check-in on last module's
//! commitments.

use serde::Serialize;

use super::fields::{Field, Table, is_private_note, list_table, round_fields};
use super::rights::Viewer;
use crate::coaching::{self, FieldKey, FieldRef, Phase, Role, Seat};
use crate::store::PersonId;

/// One member's preparation.
#[derive(Debug, Clone, Serialize)]
pub struct Preparation {
    pub name: String,
    pub me: bool,
    pub fields: Vec<Field>,
}

/// What a round's coachee committed to.
#[derive(Debug, Clone, Serialize)]
pub struct Commitments {
    pub title: String,
    pub fields: Vec<Field>,
}

/// A member's commitments of the last module, and their check-in on them.
#[derive(Debug, Clone, Serialize)]
pub struct CheckIn {
    pub name: String,
    pub me: bool,
    pub table: Option<Table>,
    pub text: String,
    pub field: Option<Field>,
}

const PREP_KEYS: [FieldKey; 4] = [
    FieldKey::PrepSituation,
    FieldKey::PrepContext,
    FieldKey::PrepStakeholders,
    FieldKey::PrepDesiredChange,
];

/// Preparations: everyone's (readable) from the introduction on, the reader's own before;
/// none while preparing (the reader's own is then the work of the moment).
pub fn preparations(v: &Viewer<'_>) -> Vec<Preparation> {
    let session = v.session;
    if session.phase() == Phase::Preparation {
        return Vec::new();
    }
    session
        .size()
        .seats()
        .filter(|m| *m == v.seat || session.reached_introduction())
        .map(|m| Preparation {
            name: v.name_of(m),
            me: m == v.seat,
            fields: PREP_KEYS
                .iter()
                .filter_map(|k| FieldRef::member(*k, m).ok())
                .filter(|f| v.readable(f))
                .map(|f| v.view(f, Some(m)))
                .collect(),
        })
        .collect()
}

/// While preparing, one's own preparation.
pub fn my_preparation(v: &Viewer<'_>) -> Vec<Field> {
    if v.session.phase() != Phase::Preparation {
        return Vec::new();
    }
    PREP_KEYS
        .iter()
        .filter_map(|k| FieldRef::member(*k, v.seat).ok())
        .filter(|f| v.readable(f))
        .map(|f| v.view(f, Some(v.seat)))
        .collect()
}

/// The current round's fields: those of this step first, then the round so far.
pub fn round_now(v: &Viewer<'_>) -> (Vec<Field>, Vec<Field>) {
    let Phase::Round { round, step } = v.session.phase() else {
        return (Vec::new(), Vec::new());
    };
    let writer = |f: &FieldRef| -> Option<Seat> {
        f.key().round_writer().and_then(|(role, _)| {
            let roles = v.session.roles_of_round(round).ok()?;
            match role {
                Role::Coachee => Some(roles.coachee),
                Role::Coach => Some(roles.coach),
                Role::Observer => roles.observer,
            }
        })
    };
    // The private notes open at the round's sharing, so `round_fields` lists them there
    // too: they are taken out and shown once, after the step's own fields.
    let now_fields = round_fields(round, Some(step))
        .into_iter()
        .filter(|f| !is_private_note(f.key()))
        .chain(
            [FieldKey::CoachScratchpad, FieldKey::ObserverNotes]
                .into_iter()
                .filter_map(|k| FieldRef::round(k, round).ok()),
        )
        .filter(|f| v.readable(f))
        // Private notes show only to their writer.
        .filter(|f| !is_private_note(f.key()) || writer(f) == Some(v.seat))
        .map(|f| v.view(f, writer(&f)))
        .collect();
    let earlier = round_fields(round, None)
        .into_iter()
        .filter(|f| {
            f.key()
                .round_writer()
                .is_some_and(|(_, st)| st.number() < step.number())
        })
        .filter(|f| v.readable(f) && v.written(f))
        .filter(|f| !is_private_note(f.key()))
        .map(|f| v.view(f, writer(&f)))
        .collect();
    (now_fields, earlier)
}

/// Between rounds, at the closing and after: each round's commitments, as written.
pub fn summary(v: &Viewer<'_>) -> Vec<Commitments> {
    let session = v.session;
    if !matches!(
        session.phase(),
        Phase::RoundEnded { .. } | Phase::Closing | Phase::Completed | Phase::Abandoned
    ) {
        return Vec::new();
    }
    (1..=session.size().rounds())
        .filter_map(|r| session.roles_of_round(r).ok().map(|roles| (r, roles)))
        .map(|(r, roles)| Commitments {
            title: v.l.tr(
                "live_commitments_of",
                &[("name", v.name_of(roles.coachee).into())],
            ),
            fields: [
                FieldKey::SessionObjective,
                FieldKey::Actions,
                FieldKey::Obstacles,
                FieldKey::ResourcesPeople,
                FieldKey::ResourcesMaterial,
            ]
            .into_iter()
            .filter_map(|k| FieldRef::round(k, r).ok())
            .filter(|f| v.readable(f) && v.written(f))
            .map(|f| v.read_only(f))
            .collect(),
        })
        .collect()
}

/// At the closing and after: each member's closing words (the reader's own even unwritten).
pub fn takeaways(v: &Viewer<'_>) -> Vec<Field> {
    if !matches!(v.session.phase(), Phase::Closing | Phase::Completed) {
        return Vec::new();
    }
    v.session
        .size()
        .seats()
        .filter_map(|m| FieldRef::member(FieldKey::Takeaway, m).ok().map(|f| (m, f)))
        .filter(|(m, f)| v.readable(f) && (*m == v.seat || v.written(f)))
        .map(|(m, f)| v.view(f, Some(m)))
        .collect()
}

/// The group's meeting fields, on every screen: the link (unless they meet in person) and
/// the agreed time.
pub fn meeting(v: &Viewer<'_>, uses_link: bool) -> Vec<Field> {
    [FieldKey::MeetingLink, FieldKey::MeetingDate]
        .into_iter()
        .filter(|k| uses_link || *k != FieldKey::MeetingLink)
        .filter_map(|k| FieldRef::group(k).ok())
        .map(|f| v.view(f, None))
        .collect()
}

/// Last module's commitments of each member (person id, stored list), and their check-in
/// on them; the caller reads them before the first round only.
pub fn check_in(
    v: &Viewer<'_>,
    members: &[PersonId],
    previous: &[(PersonId, String)],
) -> Vec<CheckIn> {
    v.session
        .size()
        .seats()
        .filter_map(|m| {
            let person = members.get(m.0 as usize)?;
            let (_, lines) = previous.iter().find(|(p, _)| p == person)?;
            let f = FieldRef::member(FieldKey::CheckIn, m).ok()?;
            Some(CheckIn {
                name: v.name_of(m),
                me: m == v.seat,
                table: list_table(FieldKey::Actions, lines, v.l),
                text: coaching::list_to_lines(FieldKey::Actions, lines),
                field: v.readable(&f).then(|| v.view(f, Some(m))),
            })
        })
        .collect()
}
