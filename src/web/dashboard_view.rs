//! The staff dashboard. On the activity page: where each published group stands (its status
//! in words, the time it has spent, its last activity, each member's gradebook delivery).
//! On the course overview: every module of the course, who met whom in each, who has not
//! started, a chart of progress per module (server-rendered SVG) and the same figures as a
//! CSV export.
//!
//! Everything here comes from status columns (`coaching_sessions`' status, detail and
//! timestamps, the grade outbox's delivery status) and the roster: never a snapshot, an
//! event or a field, so nothing a learner wrote can reach a staff page or the export.

use std::collections::HashMap;

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::session_view::names;
use super::staff_view::{Reader, failure_words, module};
use crate::coaching::{StatusDetail, method};
use crate::course::cache::Configs;
use crate::course::pair_set::StoredPlan;
use crate::course::people::{self, Person};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::realtime::live::group_key;
use crate::store::{GradeStatus, ModuleRow, ScoreState, SessionStatus, SessionSummary};

/// Learners shown per page of the course overview's matrix.
pub const OVERVIEW_PAGE: usize = 100;

/// Names shown per module in the overview's list of who has not started.
pub const IDLE_SHOWN: usize = 100;

/// Where a learner stands in a module, as the course overview and its chart count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Completed the module's guided session.
    Completed,
    /// The session has begun (someone accepted the framework) and is not completed; an
    /// abandoned session counts here too: it was started, and it is not done.
    InProgress,
    /// No group, or a session nobody has acted in yet.
    NotStarted,
}

impl Stage {
    pub fn key(self) -> &'static str {
        match self {
            Stage::Completed => "completed",
            Stage::InProgress => "in_progress",
            Stage::NotStarted => "not_started",
        }
    }

    fn of(session: Option<&SessionSummary>) -> Stage {
        match session {
            Some(s) if s.status == SessionStatus::Completed => Stage::Completed,
            Some(s) if s.last_seq > 0 => Stage::InProgress,
            _ => Stage::NotStarted,
        }
    }

    fn words(self, l: Locale) -> String {
        l.t(match self {
            Stage::Completed => "dash_progress_completed",
            Stage::InProgress => "dash_progress_in_progress",
            Stage::NotStarted => "dash_progress_not_started",
        })
    }
}

/// The order the course overview shows modules in: by the module number their configuration
/// gives, then in the order the tool first saw them (the first launch into each).
pub fn order_modules(modules: &mut [ModuleRow], configs: &Configs) {
    modules.sort_by_key(|m| {
        let number = configs.get(&m.id).and_then(|c| c.module_number);
        (number.unwrap_or(u16::MAX), m.seen_order)
    });
}

/// Whether member `seat` of a session has done their preparation.
fn is_prepared(s: &SessionSummary, seat: usize) -> bool {
    match s.status {
        SessionStatus::NotStarted => StatusDetail::prepared_seats(s.status_detail.as_ref())
            .iter()
            .any(|x| usize::from(x.0) == seat),
        SessionStatus::Prepared | SessionStatus::InProgress | SessionStatus::Completed => true,
        // Given up: prepared only if it had reached the introduction.
        SessionStatus::Abandoned => s.started_at.is_some(),
    }
}

/// Where a session stands, in words: not prepared, k of n prepared, in progress at step N of
/// round R (the step's name), closing, completed, abandoned.
pub fn status_words(s: Option<&SessionSummary>, members: usize, l: Locale) -> String {
    let Some(s) = s else {
        return l.t("dash_not_prepared");
    };
    let n = i64::try_from(members).unwrap_or(0);
    match s.status {
        SessionStatus::NotStarted => {
            let k = StatusDetail::prepared_seats(s.status_detail.as_ref()).len();
            if k == 0 {
                l.t("dash_not_prepared")
            } else {
                l.tr("dash_prepared_some", &[("k", k.into()), ("n", n.into())])
            }
        }
        SessionStatus::Prepared => l.tr("dash_prepared_all", &[("n", n.into())]),
        SessionStatus::InProgress => match &s.status_detail {
            Some(StatusDetail::Step { round: 0, .. }) => l.t("dash_in_progress_introduction"),
            Some(StatusDetail::Step { round, step }) => l.tr(
                "dash_in_progress_step",
                &[
                    ("step", i64::from(step.number()).into()),
                    ("steps", i64::from(method::steps_per_round()).into()),
                    ("round", i64::from(*round).into()),
                    ("rounds", n.into()),
                    ("name", l.t(step.name_id()).into()),
                ],
            ),
            Some(StatusDetail::RoundEnded { round: 0 }) => l.t("dash_in_progress_introduction"),
            Some(StatusDetail::RoundEnded { round }) => l.tr(
                "dash_in_progress_round_ended",
                &[("round", i64::from(*round).into()), ("rounds", n.into())],
            ),
            Some(StatusDetail::Closing) => l.t("dash_in_progress_closing"),
            Some(StatusDetail::Prepared(_)) | None => l.t("live_status_in_progress"),
        },
        SessionStatus::Completed => l.t("live_status_completed"),
        SessionStatus::Abandoned => l.t("live_status_abandoned"),
    }
}

/// The round and step of a session for the export ("round 1 of 2, step 3 of 5"), or empty.
fn step_round_words(s: &SessionSummary, members: usize, l: Locale) -> String {
    if s.status != SessionStatus::InProgress {
        return String::new();
    }
    match &s.status_detail {
        Some(StatusDetail::Step { round, step }) => l.tr(
            "dash_round_step",
            &[
                ("round", i64::from(*round).into()),
                ("rounds", i64::try_from(members).unwrap_or(0).into()),
                ("step", i64::from(step.number()).into()),
                ("name", l.t(step.name_id()).into()),
            ],
        ),
        _ => status_words(Some(s), members, l),
    }
}

/// The time a group has spent in its session, in seconds: from the moment the introduction
/// began to completion, or to the last activity while it is not completed. None before the
/// introduction (preparation is done alone, at each member's pace, and is not counted).
pub fn time_spent(s: &SessionSummary) -> Option<i64> {
    let start = s.started_at?;
    let end = s.completed_at.unwrap_or(s.updated_at);
    Some((end - start).max(0))
}

/// A duration for people: "1 h 05 min", "12 min", and "40 s" below a minute (a group that
/// just began has not spent "0 min").
fn duration_words(secs: i64, l: Locale) -> String {
    if secs < 60 {
        return l.tr("dash_duration_seconds", &[("s", secs.max(0).into())]);
    }
    let minutes = secs / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if h > 0 {
        l.tr(
            "dash_duration_hours",
            &[("h", h.into()), ("m", format!("{m:02}").into())],
        )
    } else {
        l.tr("dash_duration_minutes", &[("m", m.into())])
    }
}

/// A learner's gradebook delivery in words: waiting, sent, or refused; staff who may manage
/// also read why (the platform's status and short reason, or a foreign host with its fix).
/// Its key is the page's `data-grade`.
pub fn grade_words(
    status: GradeStatus,
    last_error: Option<&str>,
    reader: Reader,
    l: Locale,
) -> (&'static str, String) {
    let why = last_error.and_then(|e| failure_words(e, reader, l));
    match (status, why) {
        (GradeStatus::Pending, None) => ("pending", l.t("live_grade_pending")),
        (GradeStatus::Pending, Some(why)) => (
            "pending",
            l.tr("live_grade_waiting", &[("message", why.into())]),
        ),
        (GradeStatus::Delivered, _) => ("delivered", l.t("live_grade_delivered")),
        (GradeStatus::Failed, None) => ("failed", l.t("live_grade_refused")),
        (GradeStatus::Failed, Some(why)) => (
            "failed",
            l.tr("live_grade_failed", &[("message", why.into())]),
        ),
        (GradeStatus::Superseded, _) => ("superseded", l.t("live_grade_superseded")),
    }
}

/// The session's rows on the activity page's dashboard: one per published group (its
/// guided session, or none yet), then each practice session, then sessions of groups that
/// are no longer published. Three queries: sessions, scores, names.
pub async fn activity_dashboard(state: &AppState, s: &Session) -> Result<Vec<Value>, WebError> {
    let l = s.locale;
    let store = &state.flow.store;
    let m = module(s);
    let published = state.courses.published(store, s.course, &m).await?;
    let rows = store.sessions_of_activity(s.course, &m).await?;
    let mut people: Vec<String> = rows.iter().flat_map(|r| r.members.clone()).collect();
    if let Some(p) = &published {
        people.extend(p.groups.iter().flat_map(|g| g.members.clone()));
    }
    people.sort();
    people.dedup();
    let names = names(state, s, &people).await?;
    let reader = Reader::of(s);
    // Each learner's latest score in this activity: what the gradebook has or will have.
    let mut grades: HashMap<String, (GradeStatus, Option<String>)> = HashMap::new();
    for g in store.scores_of_activity(s.course, &m).await? {
        grades.insert(g.person_id.clone(), (g.status, g.last_error.clone()));
    }
    let name_of = |p: &str| names.get(p).cloned().unwrap_or_default();
    let row_view = |members: &[String], session: Option<&SessionSummary>| {
        let member_grades: Vec<Value> = if session.is_none_or(|x| x.ordinal == 0) {
            members
                .iter()
                .filter_map(|p| {
                    let (status, error) = grades.get(p)?;
                    let (key, words) = grade_words(*status, error.as_deref(), reader, l);
                    Some(context! {
                        key => key,
                        text => l.tr("live_grade_line", &[("name", name_of(p).into()), ("status", words.into())]),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let status_key = session.map_or("not_started", |x| x.status.as_str());
        context! {
            group => members.iter().map(|p| name_of(p)).collect::<Vec<_>>().join(", "),
            status => status_words(session, members.len(), l),
            status_key => status_key,
            practice => session.and_then(|x| (x.ordinal > 0).then_some(x.ordinal)),
            spent => session.and_then(time_spent).map(|t| duration_words(t, l)),
            updated => session.filter(|x| x.last_seq > 0).map(|x| super::pages::moment(l, x.updated_at)),
            grades => member_grades,
        }
    };
    let mut by_group: HashMap<&str, Vec<&SessionSummary>> = HashMap::new();
    for r in &rows {
        by_group.entry(r.group_key.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut shown = std::collections::HashSet::new();
    if let Some(p) = &published {
        for g in &p.groups {
            let key = group_key(&g.members);
            let mut sessions = by_group.get(key.as_str()).cloned().unwrap_or_default();
            sessions.sort_by_key(|r| r.ordinal);
            let guided = sessions.iter().find(|r| r.ordinal == 0).copied();
            out.push(row_view(&g.members, guided));
            for r in sessions.iter().filter(|r| r.ordinal > 0) {
                out.push(row_view(&r.members, Some(r)));
            }
            shown.insert(key);
        }
    }
    // Sessions of groups the published set no longer holds (pairs changed after they met).
    for r in rows.iter().filter(|r| !shown.contains(&r.group_key)) {
        out.push(row_view(&r.members, Some(r)));
    }
    Ok(out)
}

/// One learner in one module of the course overview.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    /// The learner's group in the module's published pairs (them included), if any.
    pub group: Option<&'a [String]>,
    pub session: Option<&'a SessionSummary>,
    pub seat: Option<usize>,
    pub progress: Stage,
    pub grade: Option<&'a ScoreState>,
}

/// The course across its modules, as read for the overview and the export.
pub struct Overview {
    pub modules: Vec<ModuleRow>,
    /// The learners of the course (and people of a published group who left it).
    pub learners: Vec<Person>,
    plans: HashMap<String, StoredPlan>,
    /// Per module, each grouped learner's group (its index in the plan) and its key: a
    /// lookup per cell rather than a scan of the groups.
    placed: HashMap<String, HashMap<String, (usize, String)>>,
    sessions: HashMap<(String, String), SessionSummary>,
    scores: HashMap<(String, String), ScoreState>,
    labels: HashMap<String, String>,
    configs: Configs,
}

impl Overview {
    /// Reads a course: roster, modules, published pairs, guided sessions, latest scores. A
    /// fixed number of queries, whatever the number of learners and modules.
    pub async fn load(state: &AppState, s: &Session) -> Result<Overview, WebError> {
        let store = &state.flow.store;
        let (everyone, _) = people::people(store, s.course).await?;
        let mut modules = store.modules(s.course).await?;
        let configs = state.courses.configs(store, s.course).await?;
        order_modules(&mut modules, &configs);
        let mut plans = HashMap::new();
        for set in store.published_sets(s.course).await? {
            plans.insert(set.module.clone(), StoredPlan::from_set(&set)?);
        }
        let sessions = store
            .guided_sessions(s.course)
            .await?
            .into_iter()
            .map(|c| ((c.activity, c.session.group_key.clone()), c.session))
            .collect();
        let scores = store
            .latest_scores(s.course)
            .await?
            .into_iter()
            .map(|g| ((g.activity.clone(), g.person_id.clone()), g))
            .collect();
        let labels: HashMap<String, String> = everyone
            .iter()
            .map(|p| (p.user_id.clone(), p.label()))
            .collect();
        let placed: HashMap<String, HashMap<String, (usize, String)>> = plans
            .iter()
            .map(|(module, plan): (&String, &StoredPlan)| {
                let mut of = HashMap::new();
                for (i, g) in plan.groups.iter().enumerate() {
                    let key = group_key(&g.members);
                    for m in &g.members {
                        of.insert(m.clone(), (i, key.clone()));
                    }
                }
                (module.clone(), of)
            })
            .collect();
        let grouped: std::collections::HashSet<&String> =
            placed.values().flat_map(HashMap::keys).collect();
        let learners = everyone
            .iter()
            .filter(|p| (p.learner && !p.staff) || grouped.contains(&p.user_id))
            .cloned()
            .collect();
        Ok(Overview {
            modules,
            learners,
            plans,
            placed,
            sessions,
            scores,
            labels,
            configs,
        })
    }

    /// Where `learner` stands in `module`.
    pub fn cell(&self, learner: &str, module: &str) -> Cell<'_> {
        let found = self.placed.get(module).and_then(|of| of.get(learner));
        let group = found
            .and_then(|(i, _)| self.plans.get(module)?.groups.get(*i))
            .map(|g| g.members.as_slice());
        let session =
            found.and_then(|(_, key)| self.sessions.get(&(module.to_string(), key.clone())));
        let seat = session.and_then(|x| x.members.iter().position(|m| m == learner));
        Cell {
            group,
            session,
            seat,
            progress: Stage::of(session),
            grade: self.scores.get(&(module.to_string(), learner.to_string())),
        }
    }

    /// How staff name a person: name, else email, else the LMS id; "someone who left" for an
    /// id the roster no longer has.
    pub fn label(&self, id: &str, l: Locale) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| l.t("someone_left"))
    }

    /// A module's name: its number and name as configured, else its title in the LMS.
    fn module_title(&self, m: &ModuleRow, l: Locale) -> String {
        self.configs
            .get(&m.id)
            .and_then(|c| super::activity_view::module_label(c, l))
            .or_else(|| m.title.clone())
            .unwrap_or_else(|| l.t("module_untitled"))
    }

    /// (completed, in progress, not started) of a module.
    fn counts(&self, module: &str) -> [usize; 3] {
        let mut c = [0; 3];
        for p in &self.learners {
            match self.cell(&p.user_id, module).progress {
                Stage::Completed => c[0] += 1,
                Stage::InProgress => c[1] += 1,
                Stage::NotStarted => c[2] += 1,
            }
        }
        c
    }

    /// The partners of a learner in a cell, named.
    fn partners(&self, learner: &str, cell: &Cell<'_>, l: Locale) -> Vec<String> {
        cell.group
            .unwrap_or_default()
            .iter()
            .filter(|m| *m != learner)
            .map(|m| self.label(m, l))
            .collect()
    }
}

/// The chart's geometry, in SVG user units: a 300-wide drawing that scales down to a 320 px
/// frame.
const CHART_WIDTH: usize = 300;
const BAR_HEIGHT: usize = 18;
/// Module title line, bar, counts line, gap.
const ROW_HEIGHT: usize = 62;
const LEGEND_HEIGHT: usize = 28;

/// The values of the course overview page: the chart, its table, the matrix (one page of
/// learners), and who has not started each module.
pub fn overview_context(o: &Overview, page: usize, l: Locale) -> Value {
    let pages = o.learners.len().div_ceil(OVERVIEW_PAGE).max(1);
    let page = page.min(pages - 1);
    let mut summary = Vec::new();
    let chart: Vec<Value> = o
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let [done, going, idle] = o.counts(&m.id);
            let total = (done + going + idle).max(1);
            let w = |n: usize| n * CHART_WIDTH / total;
            let (w_done, w_going) = (w(done), w(going));
            let title = o.module_title(m, l);
            let figures = l.tr(
                "dash_chart_counts",
                &[
                    ("done", done.into()),
                    ("going", going.into()),
                    ("idle", idle.into()),
                ],
            );
            summary.push(format!("{title}{} {figures}", l.t("colon")));
            let y = LEGEND_HEIGHT + i * ROW_HEIGHT;
            context! {
                title => title,
                figures => figures,
                done => done, going => going, idle => idle,
                y_title => y + 12, y_bar => y + 18, y_counts => y + 18 + BAR_HEIGHT + 14,
                w_done => w_done, x_going => w_done, w_going => w_going,
                x_idle => w_done + w_going, w_idle => CHART_WIDTH.saturating_sub(w_done + w_going),
            }
        })
        .collect();
    let height = LEGEND_HEIGHT + o.modules.len() * ROW_HEIGHT;
    let rows: Vec<Value> = o
        .learners
        .iter()
        .skip(page * OVERVIEW_PAGE)
        .take(OVERVIEW_PAGE)
        .map(|p| {
            let cells: Vec<Value> = o
                .modules
                .iter()
                .map(|m| {
                    let c = o.cell(&p.user_id, &m.id);
                    let partners = o.partners(&p.user_id, &c, l);
                    context! {
                        key => c.progress.key(),
                        progress => c.progress.words(l),
                        grouped => c.group.is_some(),
                        partners => partners.join(", "),
                    }
                })
                .collect();
            context! { name => p.label(), cells => cells }
        })
        .collect();
    let idle: Vec<Value> = o
        .modules
        .iter()
        .map(|m| {
            let who: Vec<String> = o
                .learners
                .iter()
                .filter(|p| o.cell(&p.user_id, &m.id).progress == Stage::NotStarted)
                .map(Person::label)
                .collect();
            // A long list is cut: the export has everyone.
            let more = who.len().saturating_sub(IDLE_SHOWN);
            context! {
                title => o.module_title(m, l), id => &m.id, count => who.len(), more => more,
                who => who.into_iter().take(IDLE_SHOWN).collect::<Vec<_>>(),
            }
        })
        .collect();
    context! {
        modules => o.modules.iter().map(|m| o.module_title(m, l)).collect::<Vec<_>>(),
        chart => chart,
        chart_width => CHART_WIDTH,
        chart_height => height.max(LEGEND_HEIGHT + 10),
        bar_height => BAR_HEIGHT,
        chart_summary => if summary.is_empty() { l.t("dash_chart_empty") } else { summary.join(" · ") },
        learners => rows,
        learners_total => o.learners.len(),
        page => page,
        pages => pages,
        idle => idle,
    }
}

/// A CSV value as a spreadsheet must read it: with a leading `'` when it would otherwise be
/// read as a formula (`=`, `+`, `-`, `@`, tab, carriage return).
fn formula_guard(v: &str) -> std::borrow::Cow<'_, str> {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}").into()
    } else {
        v.into()
    }
}

/// A writer of CSV lines: every value quoted (quotes doubled) and guarded against formulas,
/// lines ended by CRLF (RFC 4180).
fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// Writes one line of guarded values (to memory: it cannot fail).
fn csv_line<S: AsRef<str>>(out: &mut csv::Writer<Vec<u8>>, cells: &[S]) {
    let written = out.write_record(cells.iter().map(|c| formula_guard(c.as_ref()).into_owned()));
    debug_assert!(written.is_ok(), "a CSV line written to memory: {written:?}");
}

/// The text a CSV writer wrote (from `String`s: UTF-8 whatever it holds).
fn csv_text(out: csv::Writer<Vec<u8>>) -> String {
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The course's status as CSV: one row per learner and module, status only. The columns are
/// named in the session's language; nothing a learner wrote is in the data it reads.
pub fn overview_csv(o: &Overview, reader: Reader, l: Locale) -> String {
    let header = [
        "dash_csv_name",
        "dash_csv_email",
        "dash_csv_module",
        "dash_csv_group",
        "dash_csv_status",
        "dash_csv_step",
        "dash_csv_prepared",
        "dash_csv_completed_at",
        "dash_csv_grade",
    ];
    let mut out = csv_writer();
    let line = |cells: Vec<String>, out: &mut csv::Writer<Vec<u8>>| csv_line(out, &cells);
    line(header.iter().map(|h| l.t(h)).collect(), &mut out);
    for p in &o.learners {
        for m in &o.modules {
            let c = o.cell(&p.user_id, &m.id);
            let group = c
                .group
                .map(|g| {
                    g.iter()
                        .map(|x| o.label(x, l))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            let size = c.group.map_or(0, <[String]>::len);
            let status = match c.session {
                Some(x) => status_words(Some(x), size, l),
                None => c.progress.words(l),
            };
            let prepared = c
                .session
                .zip(c.seat)
                .is_some_and(|(x, seat)| is_prepared(x, seat));
            line(
                vec![
                    p.label(),
                    p.email.clone().unwrap_or_default(),
                    o.module_title(m, l),
                    group,
                    status,
                    c.session
                        .map(|x| step_round_words(x, size, l))
                        .unwrap_or_default(),
                    l.t(if prepared { "yes" } else { "no" }),
                    c.session
                        .and_then(|x| x.completed_at)
                        .map(|t| l.format_time(t))
                        .unwrap_or_default(),
                    c.grade
                        .map(|g| grade_words(g.status, g.last_error.as_deref(), reader, l).1)
                        .unwrap_or_default(),
                ],
                &mut out,
            );
        }
    }
    csv_text(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(status: SessionStatus, detail: Option<&str>) -> SessionSummary {
        SessionSummary {
            id: 1,
            module: "m".into(),
            group_key: "k".into(),
            members: vec!["a".into(), "b".into()],
            ordinal: 0,
            last_seq: 3,
            status,
            status_detail: detail.map(|d| d.parse().unwrap()),
            created_at: 100,
            updated_at: 4_000,
            completed_at: None,
            started_at: None,
        }
    }

    #[test]
    fn status_words_say_where_a_group_stands() {
        let l = Locale::En;
        let check = |s: Option<SessionSummary>, expected: &str| {
            assert_eq!(status_words(s.as_ref(), 2, l), expected);
        };
        check(None, "not prepared");
        check(
            Some(session(SessionStatus::NotStarted, None)),
            "not prepared",
        );
        check(
            Some(session(SessionStatus::NotStarted, Some("prepared:1"))),
            "1 of 2 prepared",
        );
        check(
            Some(session(SessionStatus::Prepared, None)),
            "2 of 2 prepared, introduction not begun",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("0:introduction"))),
            "in progress: introduction",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("2:analysis"))),
            "in progress: round 2 of 2, step 3 of 5 (Analysis)",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("1:ended"))),
            "in progress: round 1 of 2 ended",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("closing"))),
            "in progress: closing words",
        );
        check(Some(session(SessionStatus::Completed, None)), "completed");
    }

    #[test]
    fn time_spent_runs_from_the_introduction() {
        let mut s = session(SessionStatus::NotStarted, None);
        assert_eq!(time_spent(&s), None, "preparation is not counted");
        s.started_at = Some(1_000);
        assert_eq!(time_spent(&s), Some(3_000), "to the last activity");
        s.completed_at = Some(5_500);
        assert_eq!(time_spent(&s), Some(4_500), "to completion");
        assert_eq!(duration_words(4_500, Locale::En), "1 h 15 min");
        assert_eq!(duration_words(600, Locale::En), "10 min");
        assert_eq!(duration_words(60, Locale::En), "1 min");
        assert_eq!(duration_words(42, Locale::En), "42 s");
        assert_eq!(duration_words(0, Locale::Fr), "0 s");
    }

    #[test]
    fn prepared_is_per_seat() {
        let s = session(SessionStatus::NotStarted, Some("prepared:1"));
        assert!(!is_prepared(&s, 0));
        assert!(is_prepared(&s, 1));
        assert!(is_prepared(&session(SessionStatus::InProgress, None), 0));
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        let check = |v: &str, expected: &str| {
            let mut out = csv_writer();
            csv_line(&mut out, &[v]);
            assert_eq!(csv_text(out), format!("{expected}\r\n"));
        };
        check("Ana", "\"Ana\"");
        check("=SUM(A1)", "\"'=SUM(A1)\"");
        check("+33 6", "\"'+33 6\"");
        check("-1", "\"'-1\"");
        check("@cmd", "\"'@cmd\"");
        check("\tx", "\"'\tx\"");
        check("\rx", "\"'\rx\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check("a, b", "\"a, b\"");
        check("", "\"\"");
        check("x\r\ny", "\"x\r\ny\"");
    }

    #[test]
    fn csv_lines_are_quoted_comma_separated_and_crlf_ended() {
        let mut out = csv_writer();
        csv_line(&mut out, &["Ana", "=1", ""]);
        csv_line(&mut out, &["é \"b\"", "-", "c"]);
        assert_eq!(
            csv_text(out),
            "\"Ana\",\"'=1\",\"\"\r\n\"é \"\"b\"\"\",\"'-\",\"c\"\r\n"
        );
    }
}
