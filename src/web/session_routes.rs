//! The live session's routes, for the learners of a published group only: the page and its
//! panel, commands, field saves, presence, the event stream, export, and deleting one's
//! notes. Every route finds the group from the session token and the published pairs; a
//! request for anyone else's session cannot even name it.
//!
//! The event stream is read with `fetch` and an `Authorization` header, so the session token
//! never appears in its URL; it sends only sequence numbers and kinds, never content (each
//! screen redraws its panel through the routes that check who may read what).
//!
//! Bounds: a member's writes (commands, field saves, presence, deleting notes) draw on a
//! token bucket (`launch::limits::PersonRate`), and each stream holds a slot of
//! `realtime::streams` for as long as it is open; a refusal says when to come back
//! (`Retry-After`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::stream;
use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{Audience, Busy, OrRefuse, Refusal, WebError};
use super::extract::{Authed, AuthedForm, Learner, redirect};
use super::pages::download;
use super::session_view::{calendar, current, markdown, my_group, panel};
use crate::coaching::Command;
use crate::launch::now_millis;
use crate::launch::session::Session;
use crate::read::panel::Panel;
use crate::realtime::live::{Presence, State};
use crate::realtime::streams::Slot;
use crate::store::{FieldSave, PersonId, SessionRow};

/// How often an idle stream says it is alive (proxies close silent connections).
const KEEP_ALIVE: Duration = Duration::from_secs(20);
/// How long a stream lives before the screen reconnects (and shows a renewed token).
const STREAM_LIFE: Duration = Duration::from_secs(15 * 60);

/// The client address a request is limited under (see `launch::limits`).
fn client_of(state: &AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    super::body::client_address(state, req).map(crate::launch::limits::client_key)
}

/// Takes one write from the member's allowance, or says how long to wait.
fn throttle(state: &AppState, s: &Session) -> Result<(), WebError> {
    let person = s.user().ok_or(WebError::NoSession)?;
    state
        .writes
        .check(s.course.get(), person, std::time::Instant::now())
        .map_err(|retry_after| WebError::Busy(Busy::Writes { retry_after }))
}

/// For a member's write: the write counted against their bucket, then the group's current
/// session and their id.
async fn mine_to_write(
    state: &AppState,
    s: &Session,
) -> Result<(std::sync::Arc<State>, PersonId), WebError> {
    throttle(state, s)?;
    mine(state, s).await
}

/// The group's current session and the person's id, or why there is none.
async fn mine(
    state: &AppState,
    s: &Session,
) -> Result<(std::sync::Arc<State>, PersonId), WebError> {
    let (live, me, _) = mine_in_group(state, s, None).await?;
    Ok((live, me))
}

/// The same, and the group's sessions of the activity (read anyway to find the current one).
/// With `told` (the session ordinal and entry the screen's stream told), from what this
/// instance holds when that is no older (see `Live::current_cached`), read otherwise.
async fn mine_in_group(
    state: &AppState,
    s: &Session,
    told: Option<(i32, i64)>,
) -> Result<
    (
        std::sync::Arc<State>,
        PersonId,
        std::sync::Arc<Vec<SessionRow>>,
    ),
    WebError,
> {
    let me = s.person().ok_or(WebError::NoSession)?.clone();
    let members = my_group(state, s).await?.ok_or(WebError::NotFound)?;
    if let Some((ordinal, after)) = told {
        let activity = super::staff_view::module(s);
        let held = state
            .live
            .current_cached(s.course, &activity, &members, ordinal, after);
        if let Some((live, group)) = held.await
            && live.seat_of(&me).is_some()
        {
            return Ok((live, me, group));
        }
    }
    let (row, group) = current(state, s, &members).await?;
    Ok((state.live.state_at(row).await?, me, group))
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The values of the session page: its panel, or none without a published group.
#[derive(Serialize)]
struct SessionPage<'a> {
    token: &'a str,
    no_group: bool,
    p: Option<Panel>,
}

/// The values of the panel alone.
#[derive(Serialize)]
struct PanelFragment<'a> {
    token: &'a str,
    p: Panel,
}

/// GET /app/session: the session page (or, without a published group, a page that says so).
pub async fn page(state: web::Data<AppState>, a: Authed<Learner>) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    let l = s.locale;
    let html = async {
        let Some(members) = my_group(&state, s).await? else {
            let page = SessionPage {
                token: &a.token,
                no_group: true,
                p: None,
            };
            return Ok::<_, WebError>(state.pages.render(
                "session.html",
                l,
                Value::from_serialize(&page),
            )?);
        };
        let (row, group) = current(&state, s, &members).await?;
        let live = state.live.state_at(row).await?;
        let me = s.person().ok_or(WebError::NoSession)?;
        let page = SessionPage {
            token: &a.token,
            no_group: false,
            p: Some(panel(&state, s, &live, me, group).await?),
        };
        Ok(state
            .pages
            .render("session.html", l, Value::from_serialize(&page))?)
    }
    .await
    .or_refuse(&a.to)?;
    Ok(a.to.page(StatusCode::OK, html))
}

/// Where the asking screen's stream stands: the session it follows (an ordinal) and the
/// last entry it told.
#[derive(Debug, Deserialize)]
pub struct PanelAt {
    session: Option<i32>,
    after: Option<i64>,
}

/// GET /app/session/panel: the panel alone, which the page's script swaps in after each
/// change; `X-Server-Now` lets it correct the timer for its own clock. When the script says
/// where its stream stands (`?session=&after=`), a panel this instance can draw from what it
/// holds at that point or later is drawn without reading the group's sessions again.
pub async fn panel_fragment(
    state: web::Data<AppState>,
    a: Authed<Learner>,
    at: web::Query<PanelAt>,
) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    let html = async {
        let told = at.session.zip(at.after);
        let (live, me, group) = mine_in_group(&state, s, told).await?;
        let fragment = PanelFragment {
            token: &a.token,
            p: panel(&state, s, &live, &me, group).await?,
        };
        Ok::<_, WebError>(state.pages.render(
            "session_panel.html",
            s.locale,
            Value::from_serialize(&fragment),
        )?)
    }
    .await
    .or_refuse_json(&a.to)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Server-Now", now_millis().to_string()))
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[derive(Debug, Deserialize)]
pub struct CommandForm {
    command: String,
    #[serde(default)]
    minutes: Option<u32>,
}

/// The step durations a practice form asks for (`m_<step>` fields, minutes), the current
/// session's where a field is absent.
fn timings_of(
    pairs: &[(String, String)],
    current: &crate::coaching::Timings,
) -> Result<crate::coaching::Timings, WebError> {
    let minutes = crate::coaching::Step::ALL.map(|step| {
        pairs
            .iter()
            .find(|(k, _)| k.strip_prefix("m_") == Some(step.key()))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or_else(|| current.minutes(step))
    });
    crate::coaching::Timings::new(minutes)
        .map_err(|e| WebError::Live(crate::realtime::live::LiveError::from(e)))
}

/// What a command form asks for: a command of the session, or a practice session after it.
enum FormCommand {
    Session(Command),
    Practice,
}

/// The commands a form may name.
fn command_of(f: &CommandForm) -> Option<FormCommand> {
    Some(FormCommand::Session(match f.command.as_str() {
        "practice" => return Some(FormCommand::Practice),
        "accept_framework" => Command::AcceptFramework,
        "mark_prepared" => Command::MarkPrepared,
        "start" => Command::Start,
        "next_step" => Command::NextStep,
        "previous_step" => Command::PreviousStep,
        "pause" => Command::Pause,
        "resume" => Command::Resume,
        "extend" => Command::Extend {
            minutes: f.minutes.unwrap_or(5),
        },
        "end_round" => Command::EndRound,
        "close" => Command::Close,
        "abandon" => Command::Abandon,
        "keep_session" => Command::KeepSession,
        _ => return None,
    }))
}

/// POST /app/session/command: a member's command. With `Accept: application/json` (the
/// page's script) the answer is JSON; a plain form post is redirected back to the page.
pub async fn command(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: AuthedForm<CommandForm, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let result = async {
        let (live, me) = mine_to_write(&state, s).await?;
        let cmd =
            command_of(&f.form).ok_or(WebError::BadForm(super::error::BadForm::UnknownAction))?;
        let FormCommand::Session(cmd) = cmd else {
            let timings = timings_of(&f.pairs, live.session.timings())?;
            let new = state
                .live
                .open_practice(&live, &me, timings, now_millis())
                .await?;
            // The script draws the new session as read, not from what an instance holds
            // of the ended one.
            return Ok(serde_json::json!({ "session": new.summary.ordinal }));
        };
        let seq = state.live.command(live, &me, cmd, now_millis()).await?;
        Ok(serde_json::json!({ "seq": seq }))
    }
    .await;
    answer(&state, &req, s, &f.to, result).await
}

/// A JSON answer for the script, or for a plain form a redirect to the page (an error
/// shown as its page).
async fn answer(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    to: &Audience,
    result: Result<serde_json::Value, WebError>,
) -> Result<HttpResponse, Refusal> {
    if wants_json(req) {
        let v = result.or_refuse_json(to)?;
        return Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(v));
    }
    result.or_refuse(to)?;
    redirect(state, s, "/app/session", &[], "")
        .await
        .or_refuse(to)
}

#[derive(Debug, Deserialize)]
pub struct FieldForm {
    field: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    version: i64,
}

/// POST /app/session/field: saves a text the member may write now. A save against a stale
/// version is refused with the current text (409), so the page can show both.
pub async fn field(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: AuthedForm<FieldForm, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let result = async {
        let (live, me) = mine_to_write(&state, s).await?;
        Ok::<_, WebError>(
            state
                .live
                .save_field(
                    live,
                    &me,
                    &f.form.field,
                    &f.form.text,
                    f.form.version,
                    now_millis(),
                )
                .await?,
        )
    }
    .await;
    match result {
        Ok(FieldSave::Stale {
            current_text,
            current_version,
        }) if wants_json(&req) => Ok(HttpResponse::Conflict()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({ "text": current_text, "version": current_version }))),
        Ok(FieldSave::Stale { .. }) => redirect(&state, s, "/app/session", &[], "")
            .await
            .or_refuse(&f.to),
        Ok(FieldSave::Saved { version }) => {
            let saved = serde_json::json!({ "version": version });
            answer(&state, &req, s, &f.to, Ok(saved)).await
        }
        Err(e) => answer(&state, &req, s, &f.to, Err(e)).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct PresenceForm {
    /// `true` while the screen is hidden.
    #[serde(default)]
    away: Option<String>,
    /// `offline` when the page goes (its script's beacon as the tab closes or navigates
    /// away); it wins over `away`.
    #[serde(default)]
    presence: Option<String>,
}

/// POST /api/coaching/presence: whether the member's screen is looked at, or gone. The
/// page's script also sends it as a beacon when the page is hidden for good (the token in
/// the form's `t`, since a beacon carries no header).
pub async fn presence(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: AuthedForm<PresenceForm, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let result = async {
        let (live, me) = mine_to_write(&state, s).await?;
        let p = if f.form.presence.as_deref() == Some("offline") {
            // The page that said so is going; the person stays online through another of
            // their screens that still follows the session here (the going page's own
            // stream may not have closed yet, so one open stream is that page's).
            if state.streams.held(live.row.summary.id, &me) > 1 {
                return Ok(serde_json::json!({}));
            }
            Presence::Offline
        } else if f.form.away.as_deref() == Some("true") {
            Presence::Away
        } else {
            Presence::Online
        };
        state
            .live
            .presence(s.course, live.row.summary.id, &me, p, now_millis())
            .await?;
        Ok(serde_json::json!({}))
    }
    .await;
    answer(&state, &req, s, &f.to, result).await
}

#[derive(Debug, Deserialize)]
pub struct ExportForm {
    /// Which of the group's sessions (0: the guided one); the current one when absent.
    #[serde(default)]
    ordinal: Option<i32>,
}

/// POST /app/session/export: the member's own copy of one of the group's sessions (the
/// current one, or an earlier one of their history), as a Markdown file.
pub async fn export(
    state: web::Data<AppState>,
    f: AuthedForm<ExportForm, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let result = async {
        let (live, me) = mine(&state, s).await?;
        let live = match f.form.ordinal {
            Some(n) if n != live.row.summary.ordinal => {
                let rows = state
                    .live
                    .sessions_of_group(s.course, &live.row.activity, &live.row.summary.members)
                    .await?;
                let row = rows
                    .iter()
                    .find(|r| r.summary.ordinal == n)
                    .ok_or(WebError::NotFound)?;
                state.live.state(s.course, row.summary.id).await?
            }
            _ => live,
        };
        markdown(&state, s, &live, &me).await
    }
    .await
    .or_refuse(&f.to)?;
    Ok(download(
        "binome-session.md",
        "text/markdown; charset=utf-8",
        result,
    ))
}

/// POST /app/session/calendar: the group's next meeting as a calendar file (`.ics`), for
/// the members of the group only (a form, so the token never goes in a URL).
pub async fn calendar_file(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let ics = async {
        let (live, me) = mine(&state, s).await?;
        calendar(&state, s, &live, &me)
            .await?
            .ok_or(WebError::NotFound)
    }
    .await
    .or_refuse(&f.to)?;
    Ok(download(
        "binome-meeting.ics",
        "text/calendar; charset=utf-8",
        ics,
    ))
}

/// A form with no fields of its own (the token only).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// POST /app/session/delete: deletes every text the member wrote in this session.
pub async fn delete_notes(
    state: web::Data<AppState>,
    req: HttpRequest,
    f: AuthedForm<NoFields, Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let result = async {
        let (live, me) = mine_to_write(&state, s).await?;
        let n = state
            .live
            .delete_notes(s.course, live.row.summary.id, &me, now_millis())
            .await?;
        Ok(serde_json::json!({ "deleted": n }))
    }
    .await;
    answer(&state, &req, s, &f.to, result).await
}

/// GET /api/coaching/events: the session's server-sent events, resumed after the
/// `Last-Event-ID` the screen saw. Each event is `id: <seq>`, `event: change|field|presence`
/// and no content; `event: reset` tells a screen that fell too far behind to redraw, and
/// `event: replaced` tells it that a newer screen of the same person took its place (see
/// `realtime::streams`), so it stops following until asked.
pub async fn events(
    state: web::Data<AppState>,
    req: HttpRequest,
    a: Authed<Learner>,
) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    // A refused screen tries again later on a new connection: this one goes now.
    let refuse = |e: WebError| a.to.refuse_json(e).closing();
    let (live, me) = mine(&state, s).await.map_err(refuse)?;
    let slot = state
        .streams
        .open(live.row.summary.id, &me, client_of(&state, &req))
        .map_err(|r| refuse(Busy::from(r).into()))?;
    let last: i64 = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .clamp(0, live.row.summary.last_seq.max(0));
    let id = live.row.summary.id;
    let course = s.course;
    // Subscribe before reading, so nothing written in between is missed.
    let sub = state.live.hub().subscribe(id);
    let started = tokio::time::Instant::now();
    // The first word of a stream says which of the group's sessions it follows (its
    // ordinal) and after which entry it starts, so the screen can tell whether the panel it
    // shows is of that session and up to date.
    let hello = format!(
        "event: hello\ndata: {{\"now\":{},\"session\":{},\"seq\":{last}}}\n\n",
        now_millis(),
        live.row.summary.ordinal,
    );
    // A screen with its stream open is online; when the stream goes (tab closed, network
    // lost), it is offline until its next beat says otherwise.
    if let Err(e) = state
        .live
        .presence(course, id, &me, Presence::Online, now_millis())
        .await
    {
        tracing::warn!(error = %e, "presence not recorded");
    }
    struct Stream {
        state: web::Data<AppState>,
        sub: crate::realtime::Subscription,
        /// This stream's place among the instance's streams, given back when it drops.
        slot: Slot,
        last: i64,
        pending: Option<String>,
        /// Whether the store may hold entries not sent yet that the hub cannot tell: at the
        /// start and after a wake-up the hub cannot vouch for, never after a keep-alive (an
        /// idle stream costs no query).
        must_read: bool,
        /// The entries a wake-up told, to send without reading the store.
        told: Vec<(i64, crate::coaching::log::Echo)>,
        /// When to say the stream is alive: a keep-alive after the last bytes sent, so that
        /// an entry passed over in silence changes nothing the screen receives.
        alive_at: tokio::time::Instant,
        course: crate::store::CourseId,
        me: PersonId,
    }
    impl Drop for Stream {
        fn drop(&mut self) {
            // The person's other screen (a second tab, the page that replaced this one)
            // keeps them online.
            if self.slot.others_open() {
                return;
            }
            let (state, course, me) = (self.state.clone(), self.course, self.me.clone());
            let id = self.sub.session_id();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = state
                        .live
                        .presence(course, id, &me, Presence::Offline, now_millis())
                        .await;
                });
            }
        }
    }
    let init = Stream {
        state: state.clone(),
        sub,
        slot,
        last,
        pending: Some(hello),
        must_read: true,
        told: Vec::new(),
        alive_at: tokio::time::Instant::now() + KEEP_ALIVE,
        course,
        me,
    };
    let body = stream::unfold(Some(init), move |st| async move {
        let mut st = st?;
        if let Some(out) = st.pending.take() {
            return Some((Ok::<_, actix_web::Error>(web::Bytes::from(out)), Some(st)));
        }
        loop {
            if started.elapsed() > STREAM_LIFE {
                return None;
            }
            // Boxed: the read's future lives only while it runs, so an idle stream's state
            // stays small.
            let read = if st.must_read {
                st.must_read = false;
                Box::pin(st.state.live.entries_since(course, id, st.last)).await
            } else {
                Ok(std::mem::take(&mut st.told))
            };
            match read {
                Ok(entries) if !entries.is_empty() => {
                    let mut out = String::new();
                    let full = entries.len() as u64 >= crate::store::MAX_EVENTS_PAGE;
                    for (seq, echo) in &entries {
                        st.last = *seq;
                        // A quiet entry (someone's own scratchpad) is passed over in silence.
                        if let (false, Some(kind)) = (full, echo.as_str()) {
                            out.push_str(&format!("id: {seq}\nevent: {kind}\ndata: {{}}\n\n"));
                        }
                    }
                    if full {
                        out = format!("id: {}\nevent: reset\ndata: {{}}\n\n", st.last);
                    }
                    if !out.is_empty() {
                        st.alive_at = tokio::time::Instant::now() + KEEP_ALIVE;
                        return Some((Ok(web::Bytes::from(out)), Some(st)));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "event stream read failed");
                    return None;
                }
            }
            let alive = tokio::time::sleep_until(st.alive_at);
            tokio::pin!(alive);
            loop {
                tokio::select! {
                    w = st.sub.wake() => {
                        // What the hub heard in turn is told from memory; anything else
                        // is read.
                        match w.told_after(st.last) {
                            Some(told) if told.is_empty() => {}
                            Some(told) => {
                                st.told = told;
                                break;
                            }
                            None => {
                                st.must_read = true;
                                break;
                            }
                        }
                    }
                    _ = &mut alive => {
                        st.alive_at = tokio::time::Instant::now() + KEEP_ALIVE;
                        return Some((Ok(web::Bytes::from_static(b": alive\n\n")), Some(st)));
                    }
                    // The instance is stopping: a retry hint, then the stream ends.
                    bye = st.slot.farewell() => {
                        return Some((Ok(web::Bytes::from(bye)), None));
                    }
                    _ = st.slot.replaced() => {
                        // The last word of this stream; `None` ends it after this.
                        let bye = web::Bytes::from_static(b"event: replaced\ndata: {}\n\n");
                        return Some((Ok(bye), None));
                    }
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", "text/event-stream"))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        // The connection ends with its stream, so its file descriptor is given back at once
        // rather than after a keep-alive wait.
        .force_close()
        .streaming(body))
}
