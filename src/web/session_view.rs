//! What a member of a group sees of their live session: where it stands, who plays which
//! role, the timer, the prompts of their role at this step, and the texts they may read —
//! their own editable while the method lets them write. Staff see none of this: their view
//! (`dashboard_view`) has status and timing only.

use std::collections::HashMap;

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::staff_view::module;
use crate::coaching::{
    self, FieldKey, FieldRef, GroupSize, Phase, Role, Seat, SessionKind, Step, UnixMillis, prompts,
};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::realtime::live::{Presence, State, field_id};
use crate::store::{FieldRow, SessionRow};

/// The configuration of the session's activity (none for a course-level session or an
/// activity not set up yet), through the course cache.
pub async fn activity_config(
    state: &AppState,
    s: &Session,
) -> Result<Option<crate::store::ActivityConfig>, WebError> {
    match s.resource_link() {
        Some(rl) => Ok(state
            .courses
            .config(&state.flow.store, s.course, rl)
            .await?),
        None => Ok(None),
    }
}

/// The published group of the session's learner in the activity's module, in its stored
/// order; None when pairs are not published or the learner is in no group.
pub async fn my_group(state: &AppState, s: &Session) -> Result<Option<Vec<String>>, WebError> {
    let Some(me) = s.user() else {
        return Ok(None);
    };
    let published = state
        .courses
        .published(&state.flow.store, s.course, &module(s))
        .await?;
    Ok(published
        .as_ref()
        .and_then(|p| p.group_of(me))
        .map(|g| g.members.clone()))
}

/// The group's current session: the latest one (a practice session after the guided one),
/// opening the guided session on first use.
pub async fn current(
    state: &AppState,
    s: &Session,
    members: &[String],
) -> Result<SessionRow, WebError> {
    let activity = module(s);
    let sessions = state
        .live
        .sessions_of_group(s.course, &activity, members)
        .await?;
    match sessions.into_iter().max_by_key(|r| r.ordinal) {
        Some(row) => Ok(row),
        None => Ok(state
            .live
            .open(s.course, &activity, members, 0, crate::launch::now_millis())
            .await?),
    }
}

/// The names of a group's members, by person id.
pub async fn names(
    state: &AppState,
    s: &Session,
    members: &[String],
) -> Result<HashMap<String, String>, WebError> {
    let l = s.locale;
    let contacts = state.flow.store.contacts(s.course, members).await?;
    Ok(members
        .iter()
        .map(|m| {
            let name = contacts
                .get(m)
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| l.t("name_not_shared"));
            (m.clone(), name)
        })
        .collect())
}

fn role_name(r: Role, l: Locale) -> String {
    l.t(match r {
        Role::Coachee => "coach_role_coachee",
        Role::Coach => "coach_role_coach",
        Role::Observer => "coach_role_observer",
    })
}

fn step_name(step: Step, l: Locale) -> String {
    l.t(step.name_id())
}

/// A date as the reader's language writes it: "15 Jan 2027", "15 janv. 2027".
pub fn date_words(d: time::Date, l: Locale) -> String {
    let month = l.tr("month_short", &[("month", u8::from(d.month()).into())]);
    l.tr(
        "live_date",
        &[
            ("day", d.day().to_string().into()),
            ("month", month.into()),
            ("year", d.year().to_string().into()),
        ],
    )
}

/// A list field's entries as a table: the column headings and each entry's cells, a date
/// written in the reader's language. None for a text field, or a list that does not parse
/// (shown as typed then).
fn list_table(key: FieldKey, stored: &str, l: Locale) -> Option<Value> {
    use coaching::fields::{Action, FieldFormat, Obstacle, OptionItem};
    let parse = |t: &str| -> Option<Vec<Vec<String>>> {
        Some(match key.format() {
            FieldFormat::Options => serde_json::from_str::<Vec<OptionItem>>(t)
                .ok()?
                .into_iter()
                .map(|o| vec![o.option, o.pros, o.cons])
                .collect(),
            FieldFormat::Actions => serde_json::from_str::<Vec<Action>>(t)
                .ok()?
                .into_iter()
                .map(|a| {
                    let due = a.due.map(|d| {
                        coaching::fields::parse_date(&d).map_or(d, |date| date_words(date, l))
                    });
                    vec![a.action, due.unwrap_or_default()]
                })
                .collect(),
            FieldFormat::Obstacles => serde_json::from_str::<Vec<Obstacle>>(t)
                .ok()?
                .into_iter()
                .map(|o| vec![o.obstacle, o.overcome])
                .collect(),
            FieldFormat::Text | FieldFormat::Moment => return None,
        })
    };
    let rows = parse(stored)?;
    if rows.is_empty() {
        return None;
    }
    let head: &[&str] = match key.format() {
        FieldFormat::Options => &["coach_item_option", "coach_item_pros", "coach_item_cons"],
        FieldFormat::Actions => &["coach_item_action", "coach_item_due"],
        _ => &["coach_item_obstacle", "coach_item_overcome"],
    };
    Some(context! {
        head => head.iter().map(|id| l.t(id)).collect::<Vec<_>>(),
        rows => rows,
    })
}

/// A moment as a page shows it: the instant for `<time datetime>` and for the date-and-time
/// input (UTC; the page's script shows both in the reader's own time zone), and the words
/// a page without its script shows, in UTC, with the zone it was set in.
fn moment_view(m: &coaching::meeting::Moment, l: Locale) -> Value {
    context! {
        utc => m.utc(),
        input => m.input_value(),
        words => l.format_time(m.at.unix_timestamp()),
        zone => m.zone.clone(),
    }
}

/// A field as a page shows it.
fn field_view(
    f: FieldRef,
    rows: &HashMap<String, FieldRow>,
    writable: bool,
    author: Option<&str>,
    l: Locale,
) -> Value {
    use coaching::fields::FieldFormat;
    let id = field_id(&f);
    let row = rows.get(&id);
    let stored = row.map(|r| r.text.as_str()).unwrap_or_default();
    let text = coaching::list_to_lines(f.key(), stored);
    let hint = match f.key().format() {
        FieldFormat::Options => Some(l.t("live_lines_options")),
        FieldFormat::Actions => Some(l.t("live_lines_actions")),
        FieldFormat::Obstacles => Some(l.t("live_lines_obstacles")),
        FieldFormat::Text if f.key() == FieldKey::MeetingLink => {
            Some(l.t("live_meeting_link_hint"))
        }
        FieldFormat::Text => None,
        FieldFormat::Moment => Some(l.t("live_meeting_date_hint")),
    };
    let kind = match f.key().format() {
        FieldFormat::Moment => "moment",
        FieldFormat::Text if f.key() == FieldKey::MeetingLink => "link",
        FieldFormat::Text => "text",
        _ => "list",
    };
    // A moment, or the text a group noted before dates were asked for, shown as typed.
    let moment = coaching::meeting::Moment::parse(stored);
    let earlier =
        (f.key().format() == FieldFormat::Moment && moment.is_none() && !stored.trim().is_empty())
            .then(|| stored.to_string());
    context! {
        id => id,
        dom_id => id.replace('.', "-"),
        label => l.t(prompts::field_label(f.key())),
        kind => kind,
        text => text,
        table => if writable { None } else { list_table(f.key(), stored, l) },
        moment => moment.as_ref().map(|m| moment_view(m, l)),
        earlier => earlier,
        version => row.map_or(0, |r| r.version),
        editable => writable,
        hint => hint,
        author => author,
        max => f.key().max_chars(),
        rows => if f.key().scope() == coaching::fields::Scope::Group { 1 } else { 4 },
    }
}

/// The fields of a round written at `step` (by any role), plus the private ones of the
/// reader's own role, in screen order.
fn round_fields(round: u8, step: Option<Step>) -> Vec<FieldRef> {
    FieldKey::ALL
        .into_iter()
        .filter(|k| {
            k.round_writer()
                .is_some_and(|(_, s)| step.is_none_or(|st| s == st))
        })
        .filter_map(|k| FieldRef::round(k, round).ok())
        .collect()
}

/// The notes a round's coach or observer keeps for themself while the coachee speaks.
fn is_private_note(key: FieldKey) -> bool {
    matches!(key, FieldKey::CoachScratchpad | FieldKey::ObserverNotes)
}

/// A member reading their session: their seat, the texts they may read, the members' names.
struct Reader {
    seat: Seat,
    rows: HashMap<String, FieldRow>,
    names: Vec<String>,
}

impl Reader {
    async fn of(state: &AppState, s: &Session, live: &State, me: &str) -> Result<Reader, WebError> {
        let seat = live
            .seat_of(me)
            .ok_or(WebError::Live(crate::realtime::live::LiveError::NotAMember))?;
        let rows = state.live.readable_fields(live, me).await?;
        let by_id = names(state, s, &live.row.members).await?;
        let names = live
            .row
            .members
            .iter()
            .map(|m| by_id.get(m).cloned().unwrap_or_default())
            .collect();
        Ok(Reader { seat, rows, names })
    }

    fn name_of(&self, seat: Seat) -> String {
        self.names.get(seat.0 as usize).cloned().unwrap_or_default()
    }
}

/// Where the group stands in the method, as a compact list the page shows at the top:
/// the preparation, the introduction (step 0), each round's five steps, the closing; each
/// done, under way (`aria-current="step"`) or to come, in words as well as in looks. None
/// for an abandoned session.
fn progress(phase: Phase, rounds: u8, l: Locale) -> Option<Value> {
    let now = phase.rank()?;
    let state = |from: (u8, u8, u8), to: (u8, u8, u8)| {
        if now > to {
            "done"
        } else if now >= from {
            "now"
        } else {
            "todo"
        }
    };
    let item = |short: String, what: String, state: &str| {
        let long = l.tr(&format!("live_progress_{state}"), &[("what", what.into())]);
        context! { short => short, long => long, state => state }
    };
    let prep = item(
        l.t("live_progress_prep_short"),
        l.t("live_phase_preparation"),
        state((0, 0, 0), (1, 9, 9)),
    );
    let intro = item(
        "0".into(),
        l.tr(
            "live_now_step",
            &[
                ("number", 0.into()),
                ("step", step_name(Step::Introduction, l).into()),
            ],
        ),
        state((2, 0, 0), (2, 0, 0)),
    );
    let rounds: Vec<Value> = (1..=rounds)
        .map(|r| {
            let steps: Vec<Value> = Step::ALL[1..]
                .iter()
                .map(|st| {
                    let at = (3, r, st.number());
                    item(
                        st.number().to_string(),
                        l.tr(
                            "live_progress_step",
                            &[
                                ("round", i64::from(r).into()),
                                ("number", i64::from(st.number()).into()),
                                ("step", step_name(*st, l).into()),
                            ],
                        ),
                        state(at, at),
                    )
                })
                .collect();
            context! {
                short => l.tr("live_progress_round_short", &[("round", i64::from(r).into())]),
                steps => steps,
            }
        })
        .collect();
    let closing = item(
        l.t("live_progress_closing_short"),
        l.t("live_phase_closing"),
        state((4, 0, 0), (4, 0, 0)),
    );
    Some(context! { prep => prep, intro => intro, rounds => rounds, closing => closing })
}

/// Everything the panel of the session shows to `me`.
pub async fn panel(
    state: &AppState,
    s: &Session,
    live: &State,
    me: &str,
) -> Result<Value, WebError> {
    let l = s.locale;
    let reader = Reader::of(state, s, live, me).await?;
    let (seat, rows) = (reader.seat, &reader.rows);
    let session = &live.session;
    let name_of = |m: Seat| reader.name_of(m);
    let now = crate::launch::now_millis();
    let readable = |f: &FieldRef| coaching::may_read(session, seat, f);
    let writable = |f: &FieldRef| coaching::may_write(session, seat, f).is_ok();
    let view = |f: FieldRef, author: Option<Seat>| {
        let author = author.filter(|a| *a != seat).map(name_of);
        field_view(f, rows, writable(&f), author.as_deref(), l)
    };

    let members: Vec<Value> = session
        .size()
        .seats()
        .map(|m| {
            let (presence, _) = live.presence.get(m.0 as usize).copied().unwrap_or((Presence::Offline, None));
            let presence = if m == seat { Presence::Online } else { presence };
            context! {
                name => name_of(m),
                me => m == seat,
                role => session.role_of(m).map(|r| role_name(r, l)),
                presence => l.t(match presence {
                    Presence::Online => "live_presence_online",
                    Presence::Away => "live_presence_away",
                    Presence::Offline => "live_presence_offline",
                }),
                presence_key => match presence { Presence::Online => "online", Presence::Away => "away", Presence::Offline => "offline" },
                accepted => session.has_accepted(m),
                prepared => session.is_prepared(m),
            }
        })
        .collect();

    let phase = session.phase();
    let my_role = session.role_of(seat);
    let rounds = session.size().rounds();
    let (phase_key, title, step_key) = match phase {
        Phase::Framework => (
            "framework",
            l.t("live_phase_framework"),
            "framework".to_string(),
        ),
        Phase::Preparation => (
            "preparation",
            l.t("live_phase_preparation"),
            "preparation".to_string(),
        ),
        Phase::Introduction => (
            "introduction",
            l.tr(
                "live_now_step",
                &[
                    ("number", 0.into()),
                    ("step", step_name(Step::Introduction, l).into()),
                ],
            ),
            "introduction".to_string(),
        ),
        Phase::Round { round, step } => (
            "round",
            l.tr(
                "live_now_step",
                &[
                    ("number", i64::from(step.number()).into()),
                    ("step", step_name(step, l).into()),
                ],
            ),
            format!("{round}-{}", step.key()),
        ),
        Phase::RoundEnded { round } => (
            "round_ended",
            l.tr(
                "live_phase_round_ended",
                &[("round", i64::from(round).into())],
            ),
            format!("{round}-ended"),
        ),
        Phase::Closing => ("closing", l.t("live_phase_closing"), "closing".to_string()),
        Phase::Completed => (
            "completed",
            l.t("live_phase_completed"),
            "completed".to_string(),
        ),
        Phase::Abandoned => (
            "abandoned",
            l.t("live_phase_abandoned"),
            "abandoned".to_string(),
        ),
    };

    // The prompts of my role at this step.
    let (guidance, posture, questions) = match (phase, my_role) {
        (Phase::Introduction, _) => {
            let p = prompts::for_step(Step::Introduction, Role::Coachee);
            (p.guidance, p.posture, p.questions)
        }
        (Phase::Round { step, .. }, Some(role)) => {
            let p = prompts::for_step(step, role);
            (p.guidance, p.posture, p.questions)
        }
        (Phase::Framework, _) => (prompts::TRUST_FRAMEWORK, &[][..], &[][..]),
        (Phase::Preparation, _) => (prompts::PREPARATION, &[][..], &[][..]),
        (Phase::Closing, _) => (prompts::closing(session.size()), &[][..], &[][..]),
        _ => (&[][..], &[][..], &[][..]),
    };
    let words = |ids: &[&str]| ids.iter().map(|id| l.t(id)).collect::<Vec<_>>();

    // Preparations: mine while preparing, everyone's (readable) from the introduction on.
    let prep_keys = [
        FieldKey::PrepSituation,
        FieldKey::PrepContext,
        FieldKey::PrepStakeholders,
        FieldKey::PrepDesiredChange,
    ];
    let preparations: Vec<Value> = session
        .size()
        .seats()
        .filter(|m| *m == seat || session.reached_introduction())
        .filter(|_| phase != Phase::Preparation)
        .map(|m| {
            let fields: Vec<Value> = prep_keys
                .iter()
                .filter_map(|k| FieldRef::member(*k, m).ok())
                .filter(|f| readable(f))
                .map(|f| view(f, Some(m)))
                .collect();
            context! { name => name_of(m), me => m == seat, fields => fields }
        })
        .collect();

    // While preparing, one's own preparation is the work of the moment.
    let my_preparation: Vec<Value> = if phase == Phase::Preparation {
        prep_keys
            .iter()
            .filter_map(|k| FieldRef::member(*k, seat).ok())
            .filter(|f| readable(f))
            .map(|f| view(f, Some(seat)))
            .collect()
    } else {
        Vec::new()
    };

    // The current round's fields: those of this step first, then the round so far.
    let (step_fields, round_so_far): (Vec<Value>, Vec<Value>) = match phase {
        Phase::Round { round, step } => {
            let writer = |f: &FieldRef| {
                f.key().round_writer().and_then(|(role, _)| {
                    let roles = session.roles_of_round(round).ok()?;
                    match role {
                        Role::Coachee => Some(roles.coachee),
                        Role::Coach => Some(roles.coach),
                        Role::Observer => roles.observer,
                    }
                })
            };
            // The private notes open at the round's sharing, so `round_fields` lists them
            // there too: they are taken out and shown once, after the step's own fields.
            let now_fields = round_fields(round, Some(step))
                .into_iter()
                .filter(|f| !is_private_note(f.key()))
                .chain(
                    [FieldKey::CoachScratchpad, FieldKey::ObserverNotes]
                        .into_iter()
                        .filter_map(|k| FieldRef::round(k, round).ok()),
                )
                .filter(|f| readable(f))
                // Private notes show only to their writer.
                .filter(|f| !is_private_note(f.key()) || writer(f) == Some(seat))
                .map(|f| view(f, writer(&f)))
                .collect();
            let earlier = round_fields(round, None)
                .into_iter()
                .filter(|f| {
                    f.key()
                        .round_writer()
                        .is_some_and(|(_, st)| st.number() < step.number())
                })
                .filter(|f| readable(f) && rows.contains_key(&field_id(f)))
                .filter(|f| !is_private_note(f.key()))
                .map(|f| view(f, writer(&f)))
                .collect();
            (now_fields, earlier)
        }
        _ => (Vec::new(), Vec::new()),
    };

    // Summary (between rounds, closing, completed): each round's commitments, takeaways.
    let summary: Vec<Value> = if matches!(
        phase,
        Phase::RoundEnded { .. } | Phase::Closing | Phase::Completed | Phase::Abandoned
    ) {
        (1..=rounds)
            .filter_map(|r| session.roles_of_round(r).ok().map(|roles| (r, roles)))
            .map(|(r, roles)| {
                let fields: Vec<Value> = [
                    FieldKey::SessionObjective,
                    FieldKey::Actions,
                    FieldKey::Obstacles,
                    FieldKey::ResourcesPeople,
                    FieldKey::ResourcesMaterial,
                ]
                .into_iter()
                .filter_map(|k| FieldRef::round(k, r).ok())
                .filter(|f| readable(f) && rows.contains_key(&field_id(f)))
                .map(|f| field_view(f, rows, false, None, l))
                .collect();
                context! { title => l.tr("live_commitments_of", &[("name", name_of(roles.coachee).into())]), fields => fields }
            })
            .collect()
    } else {
        Vec::new()
    };
    let takeaways: Vec<Value> = if matches!(phase, Phase::Closing | Phase::Completed) {
        session
            .size()
            .seats()
            .filter_map(|m| FieldRef::member(FieldKey::Takeaway, m).ok().map(|f| (m, f)))
            .filter(|(m, f)| readable(f) && (*m == seat || rows.contains_key(&field_id(f))))
            .map(|(m, f)| view(f, Some(m)))
            .collect()
    } else {
        Vec::new()
    };

    // The fields of the moment, shown first: one's preparation, the step's fields, the
    // closing words.
    let (work_fields, takeaways) = match phase {
        Phase::Preparation => (my_preparation, Vec::new()),
        Phase::Round { .. } => (step_fields, Vec::new()),
        Phase::Closing => (takeaways, Vec::new()),
        _ => (Vec::new(), takeaways),
    };

    // Which buttons the method offers me now.
    let coach_now = session.current_roles().map(|r| r.coach) == Some(seat);
    let next_coach = match phase {
        Phase::RoundEnded { round } if round < rounds => {
            session.roles_of_round(round + 1).ok().map(|r| r.coach) == Some(seat)
        }
        _ => false,
    };
    let paused = session.timer().is_some_and(|t| t.is_paused());
    let timer = session.timer_view().map(|t| {
        let left = t.remaining_secs(UnixMillis(now));
        let text = format!(
            "{}{}:{:02}",
            if left < 0 { "+" } else { "" },
            left.abs() / 60,
            left.abs() % 60
        );
        context! {
            text => text,
            started => t.step_started_at.0,
            duration => t.duration_secs + t.extended_secs,
            paused_since => t.paused_since.map(|p| p.0),
            paused_total => t.paused_total_ms,
            remaining => t.remaining_secs(UnixMillis(now)),
        }
    });
    let everyone_prepared = session.size().seats().all(|m| session.is_prepared(m));
    // Abandoning: one member alone ends a practice session; the guided one ends when every
    // member asked (see `coaching::session`), so a first request waits for the others.
    let guided = session.kind() == SessionKind::Guided;
    let asked = session.abandon_requests();
    let abandon_request = (session.is_open() && !asked.is_empty()).then(|| {
        let others: Vec<String> = session
            .size()
            .seats()
            .filter(|m| !asked.contains(m))
            .map(name_of)
            .collect();
        let askers: Vec<String> = asked.iter().map(|m| name_of(*m)).collect();
        if asked.contains(&seat) {
            l.tr(
                "live_abandon_waiting",
                &[("names", others.join(", ").into())],
            )
        } else {
            l.tr("live_abandon_asked", &[("names", askers.join(", ").into())])
        }
    });
    let (abandon_label, abandon_hint) = match (guided, asked.is_empty()) {
        (false, _) => (l.t("live_abandon"), l.t("live_abandon_hint")),
        (true, true) => (l.t("live_abandon_ask"), l.t("live_abandon_ask_hint")),
        (true, false) => (l.t("live_abandon_agree"), String::new()),
    };
    let buttons = context! {
        accept => phase == Phase::Framework && !session.has_accepted(seat),
        prepared => phase == Phase::Preparation && !session.is_prepared(seat),
        start => phase == Phase::Preparation && everyone_prepared,
        next => matches!(phase, Phase::Introduction) || (matches!(phase, Phase::Round { step, .. } if step != Step::Commitments) && coach_now),
        previous => matches!(phase, Phase::Round { step, .. } if step != Step::Sharing) && coach_now,
        end_round => matches!(phase, Phase::Round { step: Step::Commitments, .. }) && coach_now,
        next_round => next_coach.then(|| match phase { Phase::RoundEnded { round } => round + 1, _ => 0 }),
        open_closing => matches!(phase, Phase::RoundEnded { round } if round == rounds),
        complete => phase == Phase::Closing,
        pause => session.timer().is_some() && !paused,
        resume => paused,
        extend => session.timer().is_some(),
        abandon => session.is_open() && !asked.contains(&seat),
        abandon_label => abandon_label,
        abandon_hint => abandon_hint,
        keep_session => (session.is_open() && !asked.is_empty()).then(|| l.t(if asked.contains(&seat) { "live_abandon_withdraw" } else { "live_abandon_keep" })),
        practice => matches!(phase, Phase::Completed | Phase::Abandoned),
        export => !matches!(phase, Phase::Framework),
    };
    // What the activity's configuration sets: how the group meets, the designer's
    // instructions (shown until the session begins).
    let config = activity_config(state, s).await?;
    let mode = config.as_ref().map(|c| c.mode).unwrap_or_default();
    let instructions = config
        .as_ref()
        .map(|c| c.instructions.clone())
        .filter(|i| !i.is_empty() && matches!(phase, Phase::Framework | Phase::Preparation));
    // The group's meeting (link, unless they meet in person, and agreed time), on every screen.
    let meeting: Vec<Value> = [FieldKey::MeetingLink, FieldKey::MeetingDate]
        .into_iter()
        .filter(|k| mode.uses_meeting_link() || *k != FieldKey::MeetingLink)
        .filter_map(|k| FieldRef::group(k).ok())
        .map(|f| view(f, None))
        .collect();
    let meeting_url = rows
        .get(&format!("{}.g", FieldKey::MeetingLink.key()))
        .map(|r| r.text.trim().to_string())
        .filter(|t| coaching::check_text(FieldKey::MeetingLink, t).is_ok() && !t.is_empty());

    // Last module's commitments and each member's check-in on them, before the first round.
    let check_in: Vec<Value> = if matches!(phase, Phase::Preparation | Phase::Introduction) {
        let previous = state.live.previous_commitments(&live.row).await?;
        session
            .size()
            .seats()
            .filter_map(|m| {
                let person = live.row.members.get(m.0 as usize)?;
                let (_, lines) = previous.iter().find(|(p, _)| p == person)?;
                let f = FieldRef::member(FieldKey::CheckIn, m).ok()?;
                let field = readable(&f).then(|| view(f, Some(m)));
                Some(context! {
                    name => name_of(m),
                    me => m == seat,
                    table => list_table(FieldKey::Actions, lines, l),
                    text => coaching::list_to_lines(FieldKey::Actions, lines),
                    field => field,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    // The group's earlier sessions of this activity, each exportable.
    let history: Vec<Value> = state
        .live
        .sessions_of_group(live.row.course, &live.row.activity, &live.row.members)
        .await?
        .into_iter()
        .filter(|r| r.ordinal < live.row.ordinal)
        .map(|r| {
            let label = if r.ordinal == 0 {
                l.t("live_guided")
            } else {
                l.tr("live_session_number", &[("n", i64::from(r.ordinal).into())])
            };
            context! {
                ordinal => r.ordinal,
                label => label,
                status => l.t(&format!("live_status_{}", r.status.as_str())),
                at => l.format_time(r.completed_at.unwrap_or(r.updated_at)),
            }
        })
        .collect();
    // When the group meets, as a moment (each reader's page shows it in their own zone),
    // with its calendar entry (a free text noted before dates were asked for shows in the
    // field itself).
    let meeting_date = rows.get(&format!("{}.g", FieldKey::MeetingDate.key()));
    let meeting_when = meeting_date
        .and_then(|r| coaching::meeting::Moment::parse(&r.text))
        .map(|m| moment_view(&m, l));
    let announce = l.tr("live_now_announce", &[("what", title.clone().into())]);
    Ok(context! {
        seq => live.row.last_seq,
        ordinal => live.row.ordinal,
        server_now => now,
        phase => phase_key,
        step_key => step_key,
        title => title,
        announce => announce,
        round_title => session.round().filter(|r| *r > 0).map(|r| l.tr("coach_round_title", &[("round", i64::from(r).into()), ("rounds", i64::from(rounds).into())])),
        you_are => my_role.map(|r| l.tr("live_you_are", &[("role", role_name(r, l).to_lowercase().into())])),
        members => members,
        progress => progress(phase, rounds, l),
        lead => words(guidance).into_iter().next(),
        guidance => words(guidance).into_iter().skip(1).collect::<Vec<_>>(),
        work_fields => work_fields,
        posture => words(posture),
        questions => words(questions),
        preparations => preparations,
        round_so_far => round_so_far,
        summary => summary,
        takeaways => takeaways,
        timer => timer,
        paused => paused,
        buttons => buttons,
        trio => session.size() == GroupSize::Trio,
        timings => Step::ALL.iter().map(|st| context! { key => st.key(), name => step_name(*st, l), minutes => session.timings().minutes(*st) }).collect::<Vec<_>>(),
        meeting => meeting,
        in_person => mode == crate::coaching::SessionMode::InPerson,
        instructions => instructions,
        history => history,
        meeting_url => meeting_url,
        meeting_when => meeting_when,
        check_in => check_in,
        practice_number => (live.row.ordinal > 0).then_some(live.row.ordinal),
        abandon_request => abandon_request,
    })
}

/// The group's next meeting as a calendar file (RFC 5545), for a member of the group: the
/// activity's title, the agreed time, the session's planned length and the meeting link;
/// nothing the group wrote and nobody's name. None while no date and time is noted.
pub async fn calendar(
    state: &AppState,
    s: &Session,
    live: &State,
    me: &str,
) -> Result<Option<String>, WebError> {
    use coaching::meeting::{CalendarEntry, Moment, ics, is_meeting_link};
    let rows = state.live.readable_fields(live, me).await?;
    let field = |k: FieldKey| rows.get(&format!("{}.g", k.key()));
    let Some(date) = field(FieldKey::MeetingDate) else {
        return Ok(None);
    };
    let Some(start) = Moment::parse(&date.text) else {
        return Ok(None);
    };
    let config = activity_config(state, s).await?;
    let mode = config.as_ref().map(|c| c.mode).unwrap_or_default();
    let title = config
        .as_ref()
        .map(|c| c.title.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| s.locale.t("live_title"));
    let link = field(FieldKey::MeetingLink)
        .map(|r| r.text.trim())
        .filter(|t| mode.uses_meeting_link() && is_meeting_link(t));
    // The planned length: the introduction once, the five steps once per round.
    let minutes = live
        .session
        .timings()
        .session_minutes(live.session.size().rounds());
    // One identifier per group session, the same at every download (a calendar updates the
    // event it already has); it names no one and says nothing of the session.
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("binome-meeting:{}:{}", s.course.get(), live.row.id).as_bytes(),
    );
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let host = state.flow.settings.base_url.host_str().unwrap_or("binome");
    let uid = format!("{hex}@{host}");
    let stamp = time::OffsetDateTime::from_unix_timestamp(crate::launch::now_millis() / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(Some(ics(&CalendarEntry {
        uid: &uid,
        sequence: date.version,
        stamp,
        start: &start,
        minutes,
        summary: &title,
        link,
    })))
}

/// A member's own copy of the session, as Markdown: what they may read, nothing else.
pub async fn markdown(
    state: &AppState,
    s: &Session,
    live: &State,
    me: &str,
) -> Result<String, WebError> {
    let l = s.locale;
    let reader = Reader::of(state, s, live, me).await?;
    let (seat, rows) = (reader.seat, &reader.rows);
    let name_of = |m: Seat| reader.name_of(m);
    let mut out = format!("# {}\n\n", l.t("live_title"));
    let others: Vec<String> = live
        .session
        .size()
        .seats()
        .filter(|m| *m != seat)
        .map(name_of)
        .collect();
    out.push_str(&l.tr("live_with", &[("names", others.join(", ").into())]));
    out.push_str("\n\n");
    let mut section = |title: String, fields: Vec<FieldRef>| {
        let body: Vec<String> = fields
            .into_iter()
            .filter(|f| coaching::may_read(&live.session, seat, f))
            .filter_map(|f| {
                let row = rows.get(&field_id(&f))?;
                let text = coaching::list_to_lines(f.key(), &row.text);
                (!text.trim().is_empty())
                    .then(|| format!("### {}\n\n{}\n", l.t(prompts::field_label(f.key())), text))
            })
            .collect();
        if !body.is_empty() {
            out.push_str(&format!("## {title}\n\n{}\n", body.join("\n")));
        }
    };
    for m in live.session.size().seats() {
        let fields = [
            FieldKey::PrepSituation,
            FieldKey::PrepContext,
            FieldKey::PrepStakeholders,
            FieldKey::PrepDesiredChange,
        ]
        .into_iter()
        .filter_map(|k| FieldRef::member(k, m).ok())
        .collect();
        section(
            format!("{} — {}", l.t("live_phase_preparation"), name_of(m)),
            fields,
        );
    }
    for r in 1..=live.session.size().rounds() {
        let Ok(roles) = live.session.roles_of_round(r) else {
            continue;
        };
        let title = format!(
            "{} — {}",
            l.tr(
                "coach_round_title",
                &[
                    ("round", i64::from(r).into()),
                    ("rounds", i64::from(live.session.size().rounds()).into())
                ]
            ),
            name_of(roles.coachee)
        );
        section(title, round_fields(r, None));
    }
    let takeaways = live
        .session
        .size()
        .seats()
        .filter_map(|m| FieldRef::member(FieldKey::Takeaway, m).ok())
        .collect();
    section(l.t("live_phase_closing"), takeaways);
    Ok(out)
}
