//! The staff's actions on the activity page: refresh the roster, save the tag list and the
//! policy, upload hierarchical links, propose, edit and publish the module's pairs, send
//! refused grades again and read what the LMS gradebook holds. Each
//! needs a staff session that may manage (checked again against the LMS roster) and answers
//! with a redirect back to the page, showing its outcome where the action was made.

use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use super::AppState;
use super::app_pages::{Notice, session_page};
use super::error::{BadForm, OrRefuse, Refusal, WebError};
use super::extract::{AuthedForm, Manager, redirect};
use super::services::sync_now;
use super::staff_view::module;
use crate::grades::{CheckOutcome, GradesError};
use crate::launch::now;
use crate::launch::session::Session;
use crate::pairs::draft::{DraftScope, EditError};
use crate::pairs::{links_csv, settings};
use crate::roster::schedule::Trigger;
use crate::store::PersonId;

/// An empty form: the action is the route.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

fn actor(s: &Session) -> String {
    s.user().unwrap_or("staff").to_string()
}

/// Back to the activity page, showing `notice` in section `at`.
async fn back(
    state: &AppState,
    s: &Session,
    notice: &str,
    at: &str,
) -> Result<HttpResponse, WebError> {
    redirect(
        state,
        s,
        "/app",
        &[("notice", notice), ("at", at)],
        "notice",
    )
    .await
}

/// POST /app/roster/refresh: a complete read of the roster now.
pub async fn refresh(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    let ok = sync_now(&state, &f.session, Trigger::Refresh).await;
    let notice = if ok {
        "notice_synced"
    } else {
        "notice_sync_failed"
    };
    back(&state, &f.session, notice, "roster")
        .await
        .or_refuse(&f.to)
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    tags: String,
    #[serde(default)]
    policy: String,
}

/// POST /app/settings: the course's tag list and pairing policy.
pub async fn save_settings(
    state: web::Data<AppState>,
    f: AuthedForm<SettingsForm, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let row = settings::settings_from_form(&f.form.tags, &f.form.policy);
    settings::save_settings_in(
        &state.flow.store,
        &state.courses,
        s.course,
        s.resource_link(),
        &actor(s),
        &row,
        now(),
    )
    .await
    .or_refuse(&f.to)?;
    back(&state, s, "notice_saved", "settings")
        .await
        .or_refuse(&f.to)
}

#[derive(Debug, Deserialize)]
pub struct LinksForm {
    #[serde(default)]
    csv: String,
}

/// POST /app/links: hierarchical links as CSV; the page shows which lines were not used.
pub async fn upload_links(
    state: web::Data<AppState>,
    f: AuthedForm<LinksForm, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let l = s.locale;
    let links = links_csv::upload_links(&state.flow.store, s.course, &actor(s), &f.form.csv, now())
        .await
        .or_refuse(&f.to)?;
    let report = context! {
        added => links.good.len(),
        bad => links.bad.iter().map(|(n, why)| context! { line => n, why => csv_problem(why, l) }).collect::<Vec<_>>(),
    };
    session_page(
        &state,
        s,
        &f.token,
        &f.to,
        Some(Notice {
            key: "notice_saved",
            at: "links",
        }),
        0,
        Some(report),
    )
    .await
}

/// POST /app/pairs/propose.
pub async fn propose(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    pair_action(&state, &f.session, PairAction::Propose)
        .await
        .or_refuse(&f.to)
}

/// POST /app/pairs/publish.
pub async fn publish(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    pair_action(&state, &f.session, PairAction::Publish)
        .await
        .or_refuse(&f.to)
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    action: String,
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
}

/// POST /app/pairs/edit: swap, lock, unlock, split, exclude.
pub async fn edit(
    state: web::Data<AppState>,
    f: AuthedForm<EditForm, Manager>,
) -> Result<HttpResponse, Refusal> {
    let EditForm { action, a, b } = f.form;
    let (a, b) = (PersonId::new(a), PersonId::new(b));
    let action = match action.as_str() {
        "swap" => PairAction::Swap(a, b),
        "lock" => PairAction::Lock(a, true),
        "unlock" => PairAction::Lock(a, false),
        "split" => PairAction::Split(a),
        "exclude" => PairAction::Exclude(a, b),
        _ => return Err(f.to.refuse(BadForm::UnknownAction)),
    };
    pair_action(&state, &f.session, action)
        .await
        .or_refuse(&f.to)
}

/// What staff do to a module's pairs.
enum PairAction {
    Propose,
    Publish,
    Swap(PersonId, PersonId),
    Lock(PersonId, bool),
    Split(PersonId),
    Exclude(PersonId, PersonId),
}

/// The wording of a CSV line that was not used.
fn csv_problem(p: &links_csv::CsvProblem, l: crate::i18n::Locale) -> String {
    match p {
        links_csv::CsvProblem::NotTwoValues => l.t("csv_not_two_values").to_string(),
        links_csv::CsvProblem::SamePerson => l.t("csv_same_person").to_string(),
        links_csv::CsvProblem::NotInRoster(v) => {
            format!("{}{} {v}", l.t("csv_not_in_roster"), l.t("colon"))
        }
    }
}

/// The notice that says why an edit was refused.
fn refusal_notice(e: &EditError) -> &'static str {
    match e {
        EditError::NoDraft => "notice_refused_no_draft",
        EditError::NotPlaced => "notice_refused_not_placed",
        EditError::UnknownLearner => "notice_refused_unknown_learner",
        EditError::Conflict => "notice_refused_conflict",
        EditError::BreaksConstraint => "notice_refused_constraint",
        EditError::SamePerson => "notice_swap_same_person",
        EditError::SameGroup => "notice_swap_same_group",
        EditError::Store(_) | EditError::Engine(_) => "notice_refused",
    }
}

/// One staff action on the module's pair set, answered with a redirect to the pairs.
async fn pair_action(
    state: &AppState,
    s: &Session,
    action: PairAction,
) -> Result<HttpResponse, WebError> {
    let (m, who) = (module(s), actor(s));
    let scope = DraftScope {
        store: &state.flow.store,
        cache: &state.courses,
        course: s.course,
        module: &m,
        actor: &who,
        now: now(),
    };
    let (result, done) = match &action {
        PairAction::Propose => (scope.propose().await.map(|_| ()), "notice_proposed"),
        PairAction::Publish => (scope.publish().await, "notice_published"),
        PairAction::Swap(a, b) => (scope.swap(a, b).await, "notice_saved"),
        PairAction::Lock(a, on) => (scope.set_lock(a, *on).await, "notice_saved"),
        PairAction::Split(a) => (scope.split(a).await, "notice_saved"),
        PairAction::Exclude(a, b) => (scope.exclude(a, b).await, "notice_saved"),
    };
    // Once published, the page leads with the sessions' progress: the outcome shows there.
    let at = match action {
        PairAction::Publish => "sessions",
        _ => "pairs",
    };
    match result {
        Ok(()) => back(state, s, done, at).await,
        Err(EditError::Store(e)) => Err(e.into()),
        Err(EditError::Engine(e)) => Err(WebError::Internal(Box::new(e))),
        Err(e) => {
            tracing::info!(course = s.course.get(), reason = %e, "pair change refused");
            back(state, s, refusal_notice(&e), "pairs").await
        }
    }
}

/// POST /app/grades/retry: the activity's scores the LMS refused are sent again.
pub async fn retry_grades(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    state
        .flow
        .store
        .retry_failed_scores(s.course, &module(s), now())
        .await
        .or_refuse(&f.to)?;
    redirect(
        &state,
        s,
        "/app",
        &[("notice", "notice_grades_retried"), ("at", "sessions")],
        "sessions",
    )
    .await
    .or_refuse(&f.to)
}

/// POST /app/grades/check: reads what the LMS gradebook holds for the activity (AGS
/// results), shown next to each learner's delivery status; a failure shows the platform's
/// words.
pub async fn check_gradebook(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let Ok(snap) = state.flow.registry.snapshot().await else {
        return back(&state, s, "notice_gradebook_failed", "gradebook")
            .await
            .or_refuse(&f.to);
    };
    let Some(reg) = snap.registration(s.registration) else {
        return back(&state, s, "notice_gradebook_no_service", "gradebook")
            .await
            .or_refuse(&f.to);
    };
    let now = now();
    let key = state.flow.keys.current(now).await;
    let outcome = state
        .gradebook
        .check(&state.flow.store, reg, &key, s.course, &module(s), now)
        .await;
    let notice = match outcome {
        Ok(CheckOutcome::Read(_)) => "notice_gradebook_read",
        Ok(CheckOutcome::Failed(_)) => "notice_gradebook_failed",
        Ok(CheckOutcome::NoService) => "notice_gradebook_no_service",
        Ok(CheckOutcome::NotGranted) => "notice_gradebook_not_granted",
        Ok(CheckOutcome::NoLineItem) => "notice_gradebook_no_lineitem",
        Err(GradesError::Store(e)) => return Err(f.to.refuse(e)),
    };
    back(&state, s, notice, "gradebook").await.or_refuse(&f.to)
}
