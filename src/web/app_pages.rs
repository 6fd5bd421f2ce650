//! The pages of a session (GET): the activity page (learner or staff view, or the deep-linking
//! form), about, and the learner's declaration page; and `POST /app/go`, which moves between
//! them without ever putting the session token in a URL.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::activity_view::{Accepts, SetupMode, form_of, setup_context};
use super::error::{Audience, OrRefuse, Refusal, WebError};
use super::extract::{Authed, AuthedForm, Learner, redirect};
use super::learner_view::declare_context;
use super::session_view::activity_config;
use super::staff_view::staff_context;
use crate::activity::form::{ActivityForm, FormProblem};
use crate::launch::session::{Session, SessionPage};
use crate::read::learner::{self, LearnerPage};

/// The outcome notices a redirect may ask a page to show, and the sections they belong to
/// (anything else is ignored).
const NOTICES: &[&str] = &[
    "notice_synced",
    "notice_sync_failed",
    "notice_saved",
    "notice_proposed",
    "notice_published",
    "notice_refused",
    "notice_refused_conflict",
    "notice_refused_constraint",
    "notice_refused_not_placed",
    "notice_refused_unknown_learner",
    "notice_refused_no_draft",
    "notice_swap_same_person",
    "notice_swap_same_group",
    "notice_declare_unknown",
    "notice_declare_limit",
    "notice_declare_exists",
    "notice_removed",
    "notice_grades_retried",
    "notice_config_saved",
    "notice_gradebook_read",
    "notice_gradebook_failed",
    "notice_gradebook_no_service",
    "notice_gradebook_not_granted",
    "notice_gradebook_no_lineitem",
];
const SECTIONS: &[&str] = &[
    "roster",
    "settings",
    "links",
    "pairs",
    "profile",
    "declare",
    "sessions",
    "gradebook",
];

/// What the query of a page may carry besides the hand-off code.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    notice: Option<String>,
    at: Option<String>,
    page: Option<usize>,
    /// Keyset paging and search of the declaration page.
    after: Option<String>,
    q: Option<String>,
}

/// A notice to show in a section of the page, where the person is looking.
#[derive(Debug, Clone, Copy)]
pub struct Notice {
    pub key: &'static str,
    pub at: &'static str,
}

impl Notice {
    /// The activity's configuration was saved.
    pub const CONFIG_SAVED: Notice = Notice {
        key: "notice_config_saved",
        at: "top",
    };

    /// Whether the notice says something did not happen.
    pub fn is_warning(self) -> bool {
        [
            "notice_refused",
            "notice_swap_",
            "notice_declare_",
            "notice_sync_failed",
            "notice_gradebook_failed",
            "notice_gradebook_no",
        ]
        .iter()
        .any(|p| self.key.starts_with(p))
    }
}

impl PageQuery {
    fn notice(&self) -> Option<Notice> {
        let key = NOTICES
            .iter()
            .find(|k| Some(**k) == self.notice.as_deref())?;
        let at = SECTIONS
            .iter()
            .find(|k| Some(**k) == self.at.as_deref())
            .unwrap_or(&"top");
        Some(Notice { key, at })
    }
}

/// The values every page of a session shows.
#[derive(Serialize)]
struct Common<'a> {
    /// The module's name as configured.
    module: Option<String>,
    /// The designer's instructions.
    instructions: Option<String>,
    token: &'a str,
    name: Option<String>,
    course: Option<String>,
    activity: Option<String>,
    anonymous: bool,
    nrps: bool,
    ags: bool,
    notice: Option<String>,
    notice_at: Option<&'static str>,
    notice_class: &'static str,
    max_declarations: u64,
}

/// The values every page of a session shows: who (`name`, which the caller looked up with
/// whatever else it reads of people), which course, which activity. Titles come from the
/// course cache, so a page in steady state costs no query for them.
async fn common(
    state: &AppState,
    s: &Session,
    token: &str,
    notice: Option<Notice>,
    name: Option<String>,
) -> Result<Value, WebError> {
    let l = s.locale;
    let titles = state
        .courses
        .titles(
            &state.flow.store,
            s.course,
            s.registration,
            s.deployment_id.as_str(),
        )
        .await?
        .ok_or(WebError::NoSession)?;
    let activity = s
        .resource_link()
        .and_then(|rl| titles.activities.get(rl).cloned().flatten());
    let config = activity_config(state, s).await?;
    let module = config
        .as_ref()
        .and_then(|c| super::activity_view::module_label(c, l));
    let instructions = config.map(|c| c.instructions).filter(|i| !i.is_empty());
    let page = Common {
        module,
        instructions,
        token,
        name,
        course: titles.course.clone(),
        activity,
        anonymous: s.subject.is_none(),
        nrps: s.roster_service,
        ags: s.grade_service,
        notice: notice.map(|n| l.tr(n.key, &[("max", crate::store::DECLARATION_CAP.into())])),
        notice_at: notice.map(|n| n.at),
        notice_class: if notice.is_some_and(Notice::is_warning) {
            "notice"
        } else {
            "notice-ok"
        },
        max_declarations: crate::store::DECLARATION_CAP,
    };
    Ok(Value::from_serialize(&page))
}

/// The session's own display name, for pages that read nobody else's.
async fn my_name(state: &AppState, s: &Session) -> Result<Option<String>, WebError> {
    let Some(me) = s.person() else {
        return Ok(None);
    };
    Ok(state
        .flow
        .store
        .contacts(s.course, std::slice::from_ref(me))
        .await?
        .remove(me)
        .and_then(|c| c.name))
}

/// Renders the page a session opens on, or its error page.
pub async fn session_page(
    state: &AppState,
    s: &Session,
    token: &str,
    to: &Audience,
    notice: Option<Notice>,
    roster_page: usize,
    upload: Option<Value>,
) -> Result<HttpResponse, Refusal> {
    let html = async {
        let l = s.locale;
        Ok::<_, WebError>(match &s.page {
            SessionPage::DeepLinking(_) => {
                let form = form_of(state, s, None).await?;
                setup_page(state, s, token, SetupMode::DeepLink, &form, &[]).await?
            }
            SessionPage::Activity { resource_link } if !configured(state, s, resource_link.as_deref()).await? => {
                if s.staff && s.may_manage {
                    let form = form_of(state, s, None).await?;
                    setup_page(state, s, token, SetupMode::First, &form, &[]).await?
                } else {
                    let common = common(state, s, token, notice, None).await?;
                    state.pages.render("not_set_up.html", l, common)?
                }
            }
            SessionPage::Activity { .. } if s.staff => {
                let (extra, name) = staff_context(state, s, roster_page).await?;
                let common = common(state, s, token, notice, name).await?;
                let sessions = {
                    use crate::read::overview::activity;
                    let input = activity::load(state.sources(), s).await?;
                    activity::rows(&input, crate::read::staff::Reader::of(s), l)
                };
                let grades_failed = state
                    .flow
                    .store
                    .scores_of_activity(s.course, &crate::web::staff_view::module(s))
                    .await?
                    .iter()
                    .any(|r| r.status == crate::store::GradeStatus::Failed);
                let gradebook = super::gradebook_view::gradebook_block(state, s).await?;
                let extra = context! { upload => upload, sessions => sessions, grades_failed => grades_failed, gradebook => gradebook, ..extra };
                state
                    .pages
                    .render("staff.html", l, context! { ..common, ..extra })?
            }
            SessionPage::Activity { .. } => {
                let (page, name) = match learner::load(state.sources(), s).await? {
                    Some((input, name)) => (LearnerPage::build(&input, l), name),
                    // Anonymous: nobody to pair, nothing to show but the method.
                    None => (LearnerPage::build(&Default::default(), l), None),
                };
                let common = common(state, s, token, notice, name).await?;
                let page = Value::from_serialize(&page);
                state
                    .pages
                    .render("learner.html", l, context! { ..common, ..page })?
            }
        })
    }
    .await
    .or_refuse(to)?;
    Ok(to.page(StatusCode::OK, html))
}

/// Whether the activity of a session has its configuration (a launch without a resource
/// link has nothing to configure).
async fn configured(
    state: &AppState,
    s: &Session,
    resource_link: Option<&str>,
) -> Result<bool, WebError> {
    let Some(rl) = resource_link else {
        return Ok(true);
    };
    Ok(state
        .courses
        .config(&state.flow.store, s.course, rl)
        .await?
        .is_some())
}

/// The activity configuration form, on the page `mode` names.
pub async fn setup_page(
    state: &AppState,
    s: &Session,
    token: &str,
    mode: SetupMode,
    form: &ActivityForm,
    problems: &[FormProblem],
) -> Result<String, WebError> {
    let name = my_name(state, s).await?;
    let common = common(state, s, token, None, name).await?;
    let accepts = match s.deep_linking() {
        Some(dl) => Accepts {
            resource_link: dl.accept_resource_link,
            lineitem: dl.accept_lineitem,
        },
        None => Accepts {
            resource_link: true,
            lineitem: true,
        },
    };
    let extra = setup_context(
        s.locale,
        mode,
        form,
        problems,
        s.staff && s.may_manage,
        accepts,
    );
    Ok(state.pages.render(
        "activity_setup.html",
        s.locale,
        context! { ..common, ..extra },
    )?)
}

/// GET /app: the activity page (or the deep-linking form).
pub async fn app_page(
    state: web::Data<AppState>,
    a: Authed,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, Refusal> {
    session_page(
        &state,
        &a.session,
        &a.token,
        &a.to,
        q.notice(),
        q.page.unwrap_or(0),
        None,
    )
    .await
}

/// GET /app/about: the method and its credits.
pub async fn about_page(state: web::Data<AppState>, a: Authed) -> Result<HttpResponse, Refusal> {
    let html = state
        .pages
        .render(
            "about.html",
            a.session.locale,
            context! { token => &a.token },
        )
        .or_refuse(&a.to)?;
    Ok(a.to.page(StatusCode::OK, html))
}

/// GET /app/declare: the learner picks the person of a private hierarchical declaration.
pub async fn declare_page(
    state: web::Data<AppState>,
    a: Authed<Learner>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    let me = crate::store::PersonId::new(s.user().unwrap_or_default());
    let result = async {
        let search = q.q.as_deref().map(str::trim).filter(|v| !v.is_empty());
        let after = q.after.as_deref().filter(|v| !v.is_empty());
        let extra = declare_context(&state, s, &me, after, search).await?;
        let common = common(&state, s, &a.token, q.notice(), my_name(&state, s).await?).await?;
        Ok::<_, WebError>(state.pages.render(
            "declare.html",
            s.locale,
            context! { ..common, ..extra },
        )?)
    }
    .await
    .or_refuse(&a.to)?;
    Ok(a.to.page(StatusCode::OK, result))
}

/// Where `POST /app/go` may lead.
#[derive(Debug, Deserialize)]
pub struct GoForm {
    to: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    q: Option<String>,
}

/// POST /app/go: moves to another page of the session (links are forms, so that the token
/// travels in the body; the redirect carries a single-use code).
pub async fn go(
    state: web::Data<AppState>,
    f: AuthedForm<GoForm>,
) -> Result<HttpResponse, Refusal> {
    let path = match f.form.to.as_str() {
        "about" => "/app/about",
        "declare" => "/app/declare",
        "overview" => "/app/overview",
        "session" => "/app/session",
        "configure" => "/app/activity/settings",
        _ => "/app",
    };
    let page = f.form.page.map(|p| p.to_string());
    let mut query: Vec<(&str, &str)> = page.iter().map(|p| ("page", p.as_str())).collect();
    // Bounded: these only travel to the next page's query.
    for (k, v) in [("after", &f.form.after), ("q", &f.form.q)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty() && v.len() <= 200) {
            query.push((k, v));
        }
    }
    redirect(&state, &f.session, path, &query, "")
        .await
        .or_refuse(&f.to)
}
