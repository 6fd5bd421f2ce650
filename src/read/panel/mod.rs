//! What a member of a group sees of their live session: where it stands, who plays which
//! role, the timer, the prompts of their role at this step, and the texts they may read —
//! their own editable while the method lets them write. Staff see none of this: their view
//! (the dashboard) has status and timing only.
//!
//! [`load`] reads what the panel needs (the only I/O); [`Panel::build`] words it for one
//! member at one moment, a pure function of what was read, the language and the clock. Each
//! concern has its module: [`rights`] (what the member may read and write), [`presence`],
//! [`buttons`], [`timer`], [`history`], [`steps`] (phase, progress, prompts) and
//! [`sections`] (the groups of fields shown at each phase).

pub mod buttons;
pub mod fields;
pub mod history;
pub mod presence;
pub mod rights;
pub mod sections;
pub mod steps;
pub mod timer;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use self::buttons::Buttons;
use self::fields::{Field, MomentView, step_name};
use self::history::Past;
use self::presence::{Member, role_name};
use self::rights::Viewer;
use self::sections::{CheckIn, Commitments, Preparation};
use self::steps::{Progress, Timing};
use self::timer::Timer;
use super::{ReadError, Sources};
use crate::coaching::{self, FieldKey, GroupSize, Phase, Seat, SessionMode, Step, UnixMillis};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::realtime::live::{LiveError, State};
use crate::store::{ActivityConfig, FieldRow, PersonId, SessionRow};

/// A member reading their session: their seat, the texts they may read, the members' names
/// in seat order.
pub struct Reader {
    pub seat: Seat,
    pub rows: HashMap<String, FieldRow>,
    pub names: Vec<String>,
}

impl Reader {
    /// Reads what `me` may read of the session, and the members' names.
    pub async fn of(
        src: Sources<'_>,
        s: &Session,
        live: &State,
        me: &PersonId,
    ) -> Result<Reader, ReadError> {
        let seat = live.seat_of(me).ok_or(LiveError::NotAMember)?;
        let rows = src.live.readable_fields(live, me).await?;
        let by_id = super::names(src.store, s, &live.row.summary.members).await?;
        let names = live
            .row
            .summary
            .members
            .iter()
            .map(|m| by_id.get(m).cloned().unwrap_or_default())
            .collect();
        Ok(Reader { seat, rows, names })
    }

    pub fn name_of(&self, seat: Seat) -> String {
        self.names.get(seat.0 as usize).cloned().unwrap_or_default()
    }
}

/// Everything the panel is built from, as read.
pub struct PanelInput<'a> {
    pub live: &'a State,
    pub reader: Reader,
    /// The activity's configuration (how the group meets, the designer's instructions).
    pub config: Option<ActivityConfig>,
    /// Last module's commitments of each member (person id, stored list), read only before
    /// the first round.
    pub previous: Vec<(PersonId, String)>,
    /// The group's sessions of the activity.
    pub group_sessions: Arc<Vec<SessionRow>>,
}

/// Reads what the panel of `live` shows to `me`, with the group's sessions of the activity as
/// the caller read them (to find `live`'s row among them).
pub async fn load<'a>(
    src: Sources<'_>,
    s: &Session,
    live: &'a State,
    me: &PersonId,
    group_sessions: Arc<Vec<SessionRow>>,
) -> Result<PanelInput<'a>, ReadError> {
    let reader = Reader::of(src, s, live, me).await?;
    let config = super::activity_config(src, s).await?;
    let previous = if matches!(
        live.session.phase(),
        Phase::Preparation | Phase::Introduction
    ) {
        src.live.previous_commitments(&live.row).await?
    } else {
        Vec::new()
    };
    Ok(PanelInput {
        live,
        reader,
        config,
        previous,
        group_sessions,
    })
}

/// Everything the panel of the session shows to one member.
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// The log position the panel reflects (`data-seq`).
    pub seq: i64,
    /// The session it shows: 0 guided, 1.. practice.
    pub ordinal: i32,
    /// The server's clock when built (Unix ms), for the page's timer.
    pub server_now: i64,
    pub phase: &'static str,
    pub step_key: String,
    pub title: String,
    /// What a screen reader announces when the phase changes.
    pub announce: String,
    pub round_title: Option<String>,
    pub you_are: Option<String>,
    pub members: Vec<Member>,
    pub progress: Option<Progress>,
    /// The first line of the guidance, shown larger.
    pub lead: Option<String>,
    pub guidance: Vec<String>,
    /// The fields of the moment, shown first: one's preparation, the step's fields, the
    /// closing words.
    pub work_fields: Vec<Field>,
    pub posture: Vec<String>,
    pub questions: Vec<String>,
    pub preparations: Vec<Preparation>,
    pub round_so_far: Vec<Field>,
    pub summary: Vec<Commitments>,
    /// The closing words once the closing is over (during it they are `work_fields`).
    pub takeaways: Vec<Field>,
    pub timer: Option<Timer>,
    pub paused: bool,
    pub buttons: Buttons,
    pub trio: bool,
    pub timings: Vec<Timing>,
    pub meeting: Vec<Field>,
    pub in_person: bool,
    /// The designer's instructions, shown until the session begins.
    pub instructions: Option<String>,
    pub history: Vec<Past>,
    /// The group's meeting link, when one is noted and valid.
    pub meeting_url: Option<String>,
    /// When the group meets (each reader's page shows it in their own zone).
    pub meeting_when: Option<MomentView>,
    pub check_in: Vec<CheckIn>,
    pub practice_number: Option<i32>,
    pub abandon_request: Option<String>,
}

impl Panel {
    /// The panel of what was read, for its reader, in `l`, at `now` (Unix ms).
    pub fn build(input: &PanelInput<'_>, l: Locale, now: i64) -> Panel {
        let live = input.live;
        let session = &live.session;
        let reader = &input.reader;
        let seat = reader.seat;
        let v = Viewer {
            session,
            seat,
            rows: &reader.rows,
            names: &reader.names,
            l,
        };
        let name_of = |m: Seat| reader.name_of(m);
        let phase = session.phase();
        let my_role = session.role_of(seat);
        let rounds = session.size().rounds();
        let now_words = steps::now(phase, l);

        let (guidance, posture, questions) = steps::prompt_ids(phase, my_role, session.size());
        let words = |ids: &[&str]| ids.iter().map(|id| l.t(id)).collect::<Vec<_>>();

        let (step_fields, round_so_far) = sections::round_now(&v);
        let takeaways = sections::takeaways(&v);
        let (work_fields, takeaways) = match phase {
            Phase::Preparation => (sections::my_preparation(&v), Vec::new()),
            Phase::Round { .. } => (step_fields, Vec::new()),
            Phase::Closing => (takeaways, Vec::new()),
            _ => (Vec::new(), takeaways),
        };

        // What the activity's configuration sets: how the group meets, the designer's
        // instructions (shown until the session begins).
        let mode = input.config.as_ref().map(|c| c.mode).unwrap_or_default();
        let instructions = input
            .config
            .as_ref()
            .map(|c| c.instructions.clone())
            .filter(|i| !i.is_empty() && matches!(phase, Phase::Framework | Phase::Preparation));
        let group_text = |k: FieldKey| reader.rows.get(&format!("{}.g", k.key()));
        let meeting_url = group_text(FieldKey::MeetingLink)
            .map(|r| r.text.trim().to_string())
            .filter(|t| coaching::check_text(FieldKey::MeetingLink, t).is_ok() && !t.is_empty());
        // When the group meets, as a moment, with its calendar entry (a free text noted
        // before dates were asked for shows in the field itself).
        let meeting_when = group_text(FieldKey::MeetingDate)
            .and_then(|r| coaching::meeting::Moment::parse(&r.text))
            .map(|m| MomentView::of(&m, l));
        let check_in = if matches!(phase, Phase::Preparation | Phase::Introduction) {
            sections::check_in(&v, &live.row.summary.members, &input.previous)
        } else {
            Vec::new()
        };
        let paused = session.timer().is_some_and(|t| t.is_paused());

        Panel {
            seq: live.row.summary.last_seq,
            ordinal: live.row.summary.ordinal,
            server_now: now,
            phase: now_words.phase,
            step_key: now_words.step_key,
            announce: l.tr(
                "live_now_announce",
                &[("what", now_words.title.clone().into())],
            ),
            title: now_words.title,
            round_title: session.round().filter(|r| *r > 0).map(|r| {
                l.tr(
                    "coach_round_title",
                    &[
                        ("round", i64::from(r).into()),
                        ("rounds", i64::from(rounds).into()),
                    ],
                )
            }),
            you_are: my_role.map(|r| {
                l.tr(
                    "live_you_are",
                    &[("role", role_name(r, l).to_lowercase().into())],
                )
            }),
            members: presence::members(session, &live.presence, seat, name_of, l),
            progress: steps::progress(phase, rounds, l),
            lead: words(guidance).into_iter().next(),
            guidance: words(guidance).into_iter().skip(1).collect(),
            work_fields,
            posture: words(posture),
            questions: words(questions),
            preparations: sections::preparations(&v),
            round_so_far,
            summary: sections::summary(&v),
            takeaways,
            timer: session.timer_view().map(|t| Timer::of(&t, UnixMillis(now))),
            paused,
            buttons: Buttons::of(session, seat, l),
            trio: session.size() == GroupSize::Trio,
            timings: Step::ALL
                .iter()
                .map(|st| Timing {
                    key: st.key(),
                    name: step_name(*st, l),
                    minutes: session.timings().minutes(*st),
                })
                .collect(),
            meeting: sections::meeting(&v, mode.uses_meeting_link()),
            in_person: mode == SessionMode::InPerson,
            instructions,
            history: history::history(&input.group_sessions, live.row.summary.ordinal, l),
            meeting_url,
            meeting_when,
            check_in,
            practice_number: (live.row.summary.ordinal > 0).then_some(live.row.summary.ordinal),
            abandon_request: buttons::abandon_request(session, seat, name_of, l),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
