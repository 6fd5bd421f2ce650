//! The staff dashboard's read models. On the activity page: where each published group
//! stands ([`activity`]). On the course overview: every module of the course, who met whom
//! in each, who has not started, a chart of progress per module ([`chart`], its geometry)
//! and the same figures as the rows of a CSV export.
//!
//! Everything here comes from status columns (`coaching_sessions`' status, detail and
//! timestamps, the grade outbox's delivery status) and the roster: never a snapshot, an
//! event or a field, so nothing a learner wrote can reach a staff page or the export.

pub mod activity;
pub mod chart;
pub mod status;

use std::collections::HashMap;

use serde::Serialize;

pub use self::status::{Stage, grade_words, status_words, time_spent};
use self::status::{is_prepared, step_round_words};
use super::staff::Reader;
use super::{Sources, module_label};
use crate::course::cache::Configs;
use crate::course::pair_set::StoredPlan;
use crate::course::people::{self, Person};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::realtime::live::group_key;
use crate::store::{CourseSession, ModuleRow, PersonId, ScoreState, SessionSummary, StoreError};

/// Learners shown per page of the course overview's matrix.
pub const OVERVIEW_PAGE: usize = 100;

/// Names shown per module in the overview's list of who has not started.
pub const IDLE_SHOWN: usize = 100;

/// The order the course overview shows modules in: by the module number their configuration
/// gives, then in the order the tool first saw them (the first launch into each).
pub fn order_modules(modules: &mut [ModuleRow], configs: &Configs) {
    modules.sort_by_key(|m| {
        let number = configs.get(&m.id).and_then(|c| c.module_number);
        (number.unwrap_or(u16::MAX), m.seen_order)
    });
}

/// One learner in one module of the course overview.
#[derive(Debug, Clone)]
pub struct Cell<'a> {
    /// The learner's group in the module's published pairs (them included), if any.
    pub group: Option<&'a [PersonId]>,
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
    placed: HashMap<String, HashMap<PersonId, (usize, String)>>,
    sessions: HashMap<(String, String), SessionSummary>,
    scores: HashMap<(String, PersonId), ScoreState>,
    labels: HashMap<PersonId, String>,
    configs: Configs,
}

impl Overview {
    /// Reads a course: roster, modules, published pairs, guided sessions, latest scores. A
    /// fixed number of queries, whatever the number of learners and modules.
    pub async fn load(src: Sources<'_>, s: &Session) -> Result<Overview, StoreError> {
        let store = src.store;
        let (everyone, _) = people::people(store, s.course).await?;
        let modules = store.modules(s.course).await?;
        let configs = src.courses.configs(store, s.course).await?;
        let mut plans = HashMap::new();
        for set in store.published_sets(s.course).await? {
            plans.insert(set.module.clone(), StoredPlan::from_set(&set)?);
        }
        let sessions = store.guided_sessions(s.course).await?;
        let scores = store.latest_scores(s.course).await?;
        Ok(Overview::new(
            everyone, modules, configs, plans, sessions, scores,
        ))
    }

    /// The overview of what was read: the course's people, its modules (put in order
    /// here), their configurations, each module's published plan, the guided sessions and
    /// the latest scores.
    pub fn new(
        everyone: Vec<Person>,
        mut modules: Vec<ModuleRow>,
        configs: Configs,
        plans: HashMap<String, StoredPlan>,
        sessions: Vec<CourseSession>,
        scores: Vec<ScoreState>,
    ) -> Overview {
        order_modules(&mut modules, &configs);
        let sessions = sessions
            .into_iter()
            .map(|c| ((c.activity, c.session.group_key.clone()), c.session))
            .collect();
        let scores = scores
            .into_iter()
            .map(|g| ((g.activity.clone(), g.person_id.clone()), g))
            .collect();
        let labels: HashMap<PersonId, String> = everyone
            .iter()
            .map(|p| (p.user_id.clone(), p.label()))
            .collect();
        let placed: HashMap<String, HashMap<PersonId, (usize, String)>> = plans
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
        let grouped: std::collections::HashSet<&str> = placed
            .values()
            .flat_map(HashMap::keys)
            .map(PersonId::as_str)
            .collect();
        let learners = everyone
            .iter()
            .filter(|p| (p.learner && !p.staff) || grouped.contains(p.user_id.as_str()))
            .cloned()
            .collect();
        Overview {
            modules,
            learners,
            plans,
            placed,
            sessions,
            scores,
            labels,
            configs,
        }
    }

    /// Where `learner` stands in `module`.
    pub fn cell(&self, learner: &PersonId, module: &str) -> Cell<'_> {
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
            grade: self.scores.get(&(module.to_string(), learner.clone())),
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
            .and_then(|c| module_label(c, l))
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
    fn partners(&self, learner: &PersonId, cell: &Cell<'_>, l: Locale) -> Vec<String> {
        cell.group
            .unwrap_or_default()
            .iter()
            .filter(|m| *m != learner)
            .map(|m| self.label(m.as_str(), l))
            .collect()
    }
}

/// A module's row of the chart: its title, its counts in words and in figures, and where
/// it is drawn.
#[derive(Debug, Clone, Serialize)]
pub struct ChartRow {
    pub title: String,
    pub figures: String,
    pub done: usize,
    pub going: usize,
    pub idle: usize,
    /// Where it is drawn (flat in the page's values: `m.y_bar`, `m.w_done`, ...).
    #[serde(flatten)]
    pub bar: chart::Bar,
}

/// A learner in one module of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    /// The stage's key, for the page's looks.
    pub key: &'static str,
    pub progress: String,
    pub grouped: bool,
    pub partners: String,
}

/// A learner's row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub name: String,
    pub cells: Vec<MatrixCell>,
}

/// Who has not started a module (the first [`IDLE_SHOWN`]; the export has everyone).
#[derive(Debug, Clone, Serialize)]
pub struct Idle {
    pub title: String,
    pub id: String,
    pub count: usize,
    pub more: usize,
    pub who: Vec<String>,
}

/// The values of the course overview page: the chart, its table, the matrix (one page of
/// learners), and who has not started each module.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewPage {
    pub modules: Vec<String>,
    pub chart: Vec<ChartRow>,
    pub chart_width: usize,
    pub chart_height: usize,
    pub bar_height: usize,
    /// The chart in words, for readers who do not see it.
    pub chart_summary: String,
    pub learners: Vec<MatrixRow>,
    pub learners_total: usize,
    pub page: usize,
    pub pages: usize,
    pub idle: Vec<Idle>,
}

impl OverviewPage {
    /// Page `page` (from 0; past the last is the last) of the overview of `o`.
    pub fn of(o: &Overview, page: usize, l: Locale) -> OverviewPage {
        let pages = o.learners.len().div_ceil(OVERVIEW_PAGE).max(1);
        let page = page.min(pages - 1);
        let mut summary = Vec::new();
        let chart = o
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let counts = o.counts(&m.id);
                let [done, going, idle] = counts;
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
                ChartRow {
                    title,
                    figures,
                    done,
                    going,
                    idle,
                    bar: chart::bar(i, counts),
                }
            })
            .collect();
        let learners = o
            .learners
            .iter()
            .skip(page * OVERVIEW_PAGE)
            .take(OVERVIEW_PAGE)
            .map(|p| MatrixRow {
                name: p.label(),
                cells: o
                    .modules
                    .iter()
                    .map(|m| {
                        let c = o.cell(&p.user_id, &m.id);
                        MatrixCell {
                            key: c.progress.key(),
                            progress: c.progress.words(l),
                            grouped: c.group.is_some(),
                            partners: o.partners(&p.user_id, &c, l).join(", "),
                        }
                    })
                    .collect(),
            })
            .collect();
        let idle = o
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
                Idle {
                    title: o.module_title(m, l),
                    id: m.id.clone(),
                    count: who.len(),
                    more: who.len().saturating_sub(IDLE_SHOWN),
                    who: who.into_iter().take(IDLE_SHOWN).collect(),
                }
            })
            .collect();
        OverviewPage {
            modules: o.modules.iter().map(|m| o.module_title(m, l)).collect(),
            chart,
            chart_width: chart::CHART_WIDTH,
            chart_height: chart::height(o.modules.len()),
            bar_height: chart::BAR_HEIGHT,
            chart_summary: if summary.is_empty() {
                l.t("dash_chart_empty")
            } else {
                summary.join(" · ")
            },
            learners,
            learners_total: o.learners.len(),
            page,
            pages,
            idle,
        }
    }
}

/// The course's status as the export's rows: a header, then one row per learner and module,
/// status only. The columns are named in the reader's language; nothing a learner wrote is
/// in the data it reads.
pub fn export_rows(o: &Overview, reader: Reader, l: Locale) -> Vec<Vec<String>> {
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
    let mut out = vec![header.iter().map(|h| l.t(h)).collect()];
    for p in &o.learners {
        for m in &o.modules {
            let c = o.cell(&p.user_id, &m.id);
            let group = c
                .group
                .map(|g| {
                    g.iter()
                        .map(|x| o.label(x.as_str(), l))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            let size = c.group.map_or(0, <[PersonId]>::len);
            let status = match c.session {
                Some(x) => status_words(Some(x), size, l),
                None => c.progress.words(l),
            };
            let prepared = c
                .session
                .zip(c.seat)
                .is_some_and(|(x, seat)| is_prepared(x, seat));
            out.push(vec![
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
            ]);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
