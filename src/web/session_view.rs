//! A member's live session outside its panel: finding their group and its current session,
//! the panel (built by `read::panel`, stamped with the server's clock), the calendar file of
//! the group's meeting and the member's own copy as Markdown.

use std::collections::HashMap;
use std::sync::Arc;

use super::AppState;
use super::error::WebError;
use super::staff_view::module;
use crate::coaching::{self, FieldKey, FieldRef, Seat, prompts};
use crate::launch::session::Session;
use crate::read::panel::{self, Panel, Reader, fields::round_fields};
use crate::realtime::live::{State, field_id};
use crate::store::{PersonId, SessionRow};

/// The configuration of the session's activity (none for a course-level session or an
/// activity not set up yet), through the course cache.
pub async fn activity_config(
    state: &AppState,
    s: &Session,
) -> Result<Option<crate::store::ActivityConfig>, WebError> {
    Ok(crate::read::activity_config(state.sources(), s).await?)
}

/// The published group of the session's learner in the activity's module, in its stored
/// order; None when pairs are not published or the learner is in no group.
pub async fn my_group(state: &AppState, s: &Session) -> Result<Option<Vec<PersonId>>, WebError> {
    let Some(me) = s.person() else {
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
/// opening the guided session on first use; and all the group's sessions of the activity.
pub async fn current(
    state: &AppState,
    s: &Session,
    members: &[PersonId],
) -> Result<(SessionRow, Arc<Vec<SessionRow>>), WebError> {
    let activity = module(s);
    let sessions = state
        .live
        .sessions_of_group(s.course, &activity, members)
        .await?;
    match sessions.iter().max_by_key(|r| r.summary.ordinal) {
        Some(row) => Ok((row.clone(), sessions)),
        None => {
            let row = state
                .live
                .open(s.course, &activity, members, 0, crate::launch::now_millis())
                .await?;
            Ok((row.clone(), Arc::new(vec![row])))
        }
    }
}

/// The names of a group's members, by person id.
pub async fn names(
    state: &AppState,
    s: &Session,
    members: &[PersonId],
) -> Result<HashMap<PersonId, String>, WebError> {
    Ok(crate::read::names(&state.flow.store, s, members).await?)
}

/// Everything the panel of the session shows to `me`, now; `group` is the group's sessions
/// of the activity, as [`current`] read them.
pub async fn panel(
    state: &AppState,
    s: &Session,
    live: &State,
    me: &PersonId,
    group: Arc<Vec<SessionRow>>,
) -> Result<Panel, WebError> {
    let input = panel::load(state.sources(), s, live, me, group).await?;
    Ok(Panel::build(&input, s.locale, crate::launch::now_millis()))
}

/// The group's next meeting as a calendar file (RFC 5545), for a member of the group: the
/// activity's title, the agreed time, the session's planned length and the meeting link;
/// nothing the group wrote and nobody's name. None while no date and time is noted.
pub async fn calendar(
    state: &AppState,
    s: &Session,
    live: &State,
    me: &PersonId,
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
        format!("binome-meeting:{}:{}", s.course.get(), live.row.summary.id).as_bytes(),
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
    me: &PersonId,
) -> Result<String, WebError> {
    let l = s.locale;
    let reader = Reader::of(state.sources(), s, live, me).await?;
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
