//! The staff's roster and pairing workflow and the learner's profile and partner, inside the
//! activity page. Every action needs the session token, is scoped to the session's course,
//! and answers with a redirect back to the page (post/redirect/get).

use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;

use super::AppState;
use super::error::WebError;
use super::handlers::{error_page, session_of};
use super::lti_routes::{read_body, refuse};
use crate::launch::now;
use crate::launch::session::{Session, SessionKind};
use crate::roster::pairs::{self, DraftScope, Person, RosterSource, StoredPlan};
use crate::store::{CourseSettingsRow, PairSetStatus};

/// Notices a redirect may ask the page to show (anything else is ignored).
const NOTICES: &[&str] = &[
    "notice_synced",
    "notice_sync_failed",
    "notice_saved",
    "notice_proposed",
    "notice_published",
    "notice_refused",
];

/// The notice of a request, when it is one we know.
pub fn notice_of(req: &HttpRequest) -> Option<&'static str> {
    let q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let n = q.into_iter().find(|(k, _)| k == "notice").map(|(_, v)| v)?;
    NOTICES.iter().find(|k| **k == n).copied()
}

fn back(state: &AppState, token: &str, notice: &str, anchor: &str) -> HttpResponse {
    back_to(state, "/app", token, notice, anchor)
}

/// A redirect to a page of the session, with a notice to show.
fn back_to(state: &AppState, page: &str, token: &str, notice: &str, anchor: &str) -> HttpResponse {
    let t: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let base = state.pages.base_path();
    HttpResponse::SeeOther()
        .insert_header((
            "Location",
            format!("{base}{page}?t={t}&notice={notice}#{anchor}"),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// The module (activity) of a session: pairs are kept per module.
fn module(s: &Session) -> String {
    s.rl.clone().unwrap_or_else(|| "course".into())
}

fn label_map(people: &[Person]) -> std::collections::HashMap<String, String> {
    people
        .iter()
        .map(|p| (p.user_id.clone(), p.label()))
        .collect()
}

fn groups_view(plan: &StoredPlan, people: &[Person], l: crate::i18n::Locale) -> Value {
    let labels = label_map(people);
    let name = |id: &str| labels.get(id).cloned().unwrap_or_else(|| format!("#{id}"));
    let groups: Vec<Value> = plan
        .groups
        .iter()
        .map(|g| {
            context! {
                members => g.members.iter().map(|m| context! { id => m, name => name(m) }).collect::<Vec<_>>(),
                first => g.members.first().cloned().unwrap_or_default(),
                locked => g.locked,
                trio => g.members.len() == 3,
                shared => g.explanation.shared_tags.join(", "),
                kept_from => &g.explanation.kept_from,
                notes => g.explanation.notes.iter().map(|n| note(n, l)).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    let unplaced: Vec<Value> = plan
        .unplaced
        .iter()
        .map(|u| {
            let (key, detail) = match &u.reason {
                crate::pairing::UnplacedReason::Unavailable => {
                    ("reason_unavailable", String::new())
                }
                crate::pairing::UnplacedReason::NoCompatiblePartner { excluded_with } => (
                    "reason_no_partner",
                    excluded_with
                        .iter()
                        .map(|x| name(x.as_str()))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                crate::pairing::UnplacedReason::LeftOver { detail } => {
                    ("reason_left_over", detail.clone())
                }
            };
            context! { name => name(u.id.as_str()), reason => l.t(key), detail => detail }
        })
        .collect();
    context! { groups => groups, unplaced => unplaced, exact => plan.exact }
}

/// The wording of an explanation note (a dropped lock keeps its reason).
fn note(note: &crate::pairing::Note, l: crate::i18n::Locale) -> String {
    use crate::pairing::Note;
    let key = match note {
        Note::NoHierarchy => "note_no_hierarchy",
        Note::JoinedTrio => "note_joined_trio",
        Note::LateJoiner => "note_late_joiner",
        Note::OrphanRepaired => "note_orphan_repaired",
        Note::NewPartner => "note_new_partner",
        Note::RepeatPartner => "note_repeat_partner",
        Note::ChangedByInstructor => "note_changed_by_instructor",
        Note::TrioReopened => "note_trio_reopened",
        Note::LockDropped(why) => {
            return format!("{} ({})", l.t("note_lock_dropped"), why.as_str());
        }
    };
    l.t(key).to_string()
}

/// Everything the staff page shows beyond the basics.
pub async fn staff_context(state: &AppState, s: &Session) -> Result<Value, WebError> {
    let store = &state.flow.store;
    let l = crate::i18n::Locale::from_tag(Some(&s.loc));
    let course = store
        .course_in_scope(s.course, s.reg, &s.dep)
        .await?
        .ok_or(WebError::NoSession)?;
    let (people, source) = pairs::people(store, s.course).await?;
    let settings = store.course_settings(s.course).await?;
    let links = store.links(s.course).await?;
    let staff_links = links.iter().filter(|k| k.source != "declared").count();
    let m = module(s);
    let draft = store
        .pair_set(s.course, &m, PairSetStatus::Draft)
        .await?
        .map(|d| StoredPlan::parse(&d.groups));
    let published = store
        .pair_set(s.course, &m, PairSetStatus::Published)
        .await?
        .map(|d| StoredPlan::parse(&d.groups));
    let events = store.events(s.course, 20).await?;
    let learners_launched = people
        .iter()
        .filter(|p| p.learner && p.launched_at.is_some())
        .count();
    let staff_launched = people
        .iter()
        .filter(|p| p.staff && p.launched_at.is_some())
        .count();
    let names_missing = people.iter().any(|p| p.learner)
        && people
            .iter()
            .filter(|p| p.learner)
            .all(|p| p.name.is_none() && p.email.is_none());
    let (sync_error, sync_error_at) = match course
        .last_sync_error
        .as_deref()
        .and_then(|e| e.split_once('|'))
    {
        Some((at, e)) => (Some(e.to_string()), at.parse::<i64>().ok()),
        None => (None, None),
    };
    let roster: Vec<Value> = people
        .iter()
        .map(|p| {
            let role = if p.staff { l.t("role_staff_short") } else if p.learner { l.t("role_learner_short") } else { l.t("role_other_short") };
            context! { id => &p.user_id, name => p.label(), email => if s.manage { p.email.clone() } else { None }, role => role, status => &p.status, tags => p.tags.join(", "), launched => p.launched_at.is_some(), pairable => p.pairable() }
        })
        .collect();
    Ok(context! {
        manage => s.manage,
        roster => roster,
        roster_nrps => source == RosterSource::Nrps,
        last_sync => course.last_sync_at.map(format_time),
        sync_error => sync_error,
        sync_error_at => sync_error_at.map(format_time),
        names_missing => names_missing,
        learners_launched => learners_launched,
        staff_launched => staff_launched,
        tag_options => settings.tag_options.join("\n"),
        policy => settings.policy,
        staff_links => staff_links,
        draft => draft.as_ref().map(|d| groups_view(d, &people, l)),
        published => published.as_ref().map(|d| groups_view(d, &people, l)),
        learners => people.iter().filter(|p| p.pairable()).map(|p| context! { id => &p.user_id, name => p.label() }).collect::<Vec<_>>(),
        events => events.iter().map(|e| {
            let who = people.iter().find(|p| p.user_id == e.actor).map(Person::label).unwrap_or_else(|| e.actor.clone());
            context! { actor => who, action => &e.action, detail => &e.detail, at => format_time(e.at) }
        }).collect::<Vec<_>>(),
    })
}

/// What the learner page shows beyond the basics: profile and partner. In steady state it
/// reads nothing but the learner's own tags: settings and published pairs come from the
/// course cache, names only for the partner.
pub async fn learner_context(state: &AppState, s: &Session) -> Result<Value, WebError> {
    let store = &state.flow.store;
    let Some(me) = s.sub.as_deref() else {
        return Ok(context! {});
    };
    let settings = state.courses.settings(store, s.course).await?;
    let mine = if settings.tag_options.is_empty() {
        Vec::new()
    } else {
        store.profile(s.course, me).await?
    };
    let published = state.courses.published(store, s.course, &module(s)).await?;
    let partner_ids: Vec<String> = published
        .as_ref()
        .and_then(|p| p.group_of(me))
        .map(|g| {
            g.members
                .iter()
                .filter(|m| m.as_str() != me)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let names = store.names(s.course, &partner_ids).await?;
    let partners: Vec<Value> = partner_ids
        .iter()
        .map(|m| {
            let (name, picture) = names.get(m).cloned().unwrap_or_default();
            let picture = picture.filter(|u| u.starts_with("https://"));
            context! { name => name.unwrap_or_else(|| format!("#{m}")), picture => picture }
        })
        .collect();
    Ok(context! {
        tag_options => settings.tag_options.iter().map(|t| context! { tag => t, checked => mine.contains(t) }).collect::<Vec<_>>(),
        partners => partners,
        trio => partner_ids.len() == 2,
        published => published.is_some(),
    })
}

/// GET /app/declare: the learner picks the person of a private hierarchical declaration.
pub async fn declare_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (s, t) = match session_of(&state, &req) {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let Some(me) = s.sub.clone() else {
        return error_page(&state, &s, WebError::Forbidden);
    };
    let people = match pairs::people(&state.flow.store, s.course).await {
        Ok((p, _)) => p,
        Err(e) => return error_page(&state, &s, e.into()),
    };
    // Learners of the course who could be paired: names only (no emails), nobody else.
    let others: Vec<Value> = people
        .iter()
        .filter(|p| p.user_id != me && p.pairable())
        .map(|p| context! { id => &p.user_id, name => p.public_label() })
        .collect();
    // Only the learner's own declarations: never anyone else's.
    let declared = match state.flow.store.declared_by(s.course, &me).await {
        Ok(d) => d,
        Err(e) => return error_page(&state, &s, e.into()),
    };
    let declared: Vec<Value> = declared
        .iter()
        .map(|k| {
            let other = if k.a_user == me { &k.b_user } else { &k.a_user };
            let name = people
                .iter()
                .find(|p| &p.user_id == other)
                .map(Person::public_label)
                .unwrap_or_else(|| format!("#{other}"));
            context! { id => k.id, name => name }
        })
        .collect();
    let l = crate::i18n::Locale::from_tag(Some(&s.loc));
    let html = state.pages.render(
        "declare.html",
        l,
        context! { token => t, others => others, declared => declared },
    );
    state
        .pages
        .respond(actix_web::http::StatusCode::OK, html, &s.frame)
}

fn format_time(t: i64) -> String {
    // UTC, minute precision: enough to tell how fresh a roster is.
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

async fn staff_session(state: &AppState, req: &HttpRequest) -> Result<(Session, String), WebError> {
    let (s, t) = session_of(state, req)?;
    if !s.manage || s.kind != SessionKind::Activity {
        return Err(WebError::Forbidden);
    }
    Ok((s, t))
}

async fn form<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, WebError> {
    let body = read_body(req, payload).await?;
    refuse_nul(&body)?;
    serde_urlencoded::from_bytes(&body).map_err(|_| WebError::BadRequest("unreadable form".into()))
}

fn actor(s: &Session) -> String {
    s.sub.clone().unwrap_or_else(|| "staff".into())
}

/// Form values end up in the database, where PostgreSQL refuses NUL in text.
fn refuse_nul(body: &[u8]) -> Result<(), WebError> {
    let decoded: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if decoded
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(WebError::BadRequest(
            "the form holds a NUL character".into(),
        ));
    }
    Ok(())
}

/// POST /app/roster/refresh: sync the roster now.
pub async fn refresh(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let (s, t) = match staff_session(&state, &req).await {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let ok = sync_now(&state, &s, true).await;
    back(
        &state,
        &t,
        if ok {
            "notice_synced"
        } else {
            "notice_sync_failed"
        },
        "roster",
    )
}

/// Syncs the session's course when its roster is older than a couple of minutes.
pub async fn sync_if_stale(state: &AppState, s: &Session) {
    let fresh = match state
        .flow
        .store
        .course_in_scope(s.course, s.reg, &s.dep)
        .await
    {
        Ok(Some(c)) => c
            .last_sync_at
            .is_some_and(|t| now() - t < crate::roster::STAFF_LAUNCH_MIN_AGE),
        _ => true,
    };
    if !fresh {
        sync_now(state, s, false).await;
    }
}

/// Syncs the session's course now (a complete read when `full`); false when it failed or
/// there is no roster service.
pub async fn sync_now(state: &AppState, s: &Session, full: bool) -> bool {
    let store = &state.flow.store;
    let Ok(Some(course)) = store.course_in_scope(s.course, s.reg, &s.dep).await else {
        return false;
    };
    let Ok(snap) = state.flow.registry.snapshot().await else {
        return false;
    };
    let Some(reg) = snap.registration(s.reg) else {
        return false;
    };
    let now = now();
    let key = state.flow.keys.current(now).await;
    state
        .roster
        .sync(store, reg, &key, &course, full, now)
        .await
        .is_ok()
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    tags: String,
    #[serde(default)]
    policy: String,
}

/// POST /app/settings: the course's tag list and pairing policy.
pub async fn save_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (s, t) = match staff_session(&state, &req).await {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let f: SettingsForm = match form(&req, payload).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, &s, e),
    };
    let mut tags: Vec<String> = Vec::new();
    for line in f
        .tags
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(200)
    {
        let tag: String = line.chars().take(80).collect();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let policy = match f.policy.as_str() {
        "new" | "free" => f.policy.clone(),
        _ => "keep".into(),
    };
    let now = now();
    let result = async {
        state
            .flow
            .store
            .set_course_settings(
                s.course,
                &CourseSettingsRow {
                    tag_options: tags,
                    policy: policy.clone(),
                },
                now,
            )
            .await?;
        state
            .flow
            .store
            .log_event(
                s.course,
                &actor(&s),
                "settings",
                &format!("policy {policy}"),
                now,
            )
            .await
    }
    .await;
    state.courses.invalidate(s.course);
    match result {
        Ok(()) => back(&state, &t, "notice_saved", "settings"),
        Err(e) => error_page(&state, &s, e.into()),
    }
}

#[derive(Deserialize)]
struct LinksForm {
    #[serde(default)]
    csv: String,
}

/// POST /app/links: hierarchical links as CSV; bad lines are reported with their number.
pub async fn upload_links(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (s, t) = match staff_session(&state, &req).await {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let f: LinksForm = match form(&req, payload).await {
        Ok(f) => f,
        Err(e) => return error_page(&state, &s, e),
    };
    let store = &state.flow.store;
    let now = now();
    let result = async {
        let (people, _) = pairs::people(store, s.course).await?;
        let pairs::CsvLinks { good, bad } = pairs::parse_links_csv(&f.csv, &people);
        for (a, b) in &good {
            store
                .add_link(s.course, a, b, "manages", "uploaded", &actor(&s), now)
                .await?;
        }
        store
            .log_event(
                s.course,
                &actor(&s),
                "upload_links",
                &format!("{} added, {} lines not used", good.len(), bad.len()),
                now,
            )
            .await?;
        Ok::<_, crate::store::StoreError>((good.len(), bad))
    }
    .await;
    match result {
        Ok((added, bad)) => {
            let report = context! { added => added, bad => bad.into_iter().map(|(n, why)| context! { line => n, why => why }).collect::<Vec<_>>() };
            super::handlers::render_session_page_with(&state, &s, &t, Some(report), None).await
        }
        Err(e) => error_page(&state, &s, e.into()),
    }
}

/// POST /app/pairs/propose.
pub async fn propose(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    pair_action(&state, &req, "propose", "", "").await
}

/// POST /app/pairs/publish.
pub async fn publish(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    pair_action(&state, &req, "publish", "", "").await
}

#[derive(Deserialize)]
struct EditForm {
    action: String,
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
}

/// POST /app/pairs/edit: swap, lock, unlock, split, exclude.
pub async fn edit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    match form::<EditForm>(&req, payload).await {
        Ok(f) => pair_action(&state, &req, &f.action, &f.a, &f.b).await,
        Err(e) => refuse(&state, &req, e, vec![]).await,
    }
}

/// One staff action on the module's pair set, answered with a redirect to the pairs.
async fn pair_action(
    state: &AppState,
    req: &HttpRequest,
    action: &str,
    a: &str,
    b: &str,
) -> HttpResponse {
    let (s, t) = match staff_session(state, req).await {
        Ok(v) => v,
        Err(e) => return refuse(state, req, e, vec![]).await,
    };
    let (m, who) = (module(&s), actor(&s));
    let scope = DraftScope {
        store: &state.flow.store,
        course: s.course,
        module: &m,
        actor: &who,
        now: now(),
    };
    let (result, done) = match action {
        "propose" => (
            scope
                .propose()
                .await
                .map(|_| ())
                .map_err(pairs::EditError::from),
            "notice_proposed",
        ),
        "publish" => (scope.publish().await, "notice_published"),
        "swap" => (scope.swap(a, b).await, "notice_saved"),
        "lock" => (scope.set_lock(a, true).await, "notice_saved"),
        "unlock" => (scope.set_lock(a, false).await, "notice_saved"),
        "split" => (scope.split(a).await, "notice_saved"),
        "exclude" => (scope.exclude(a, b).await, "notice_saved"),
        _ => return error_page(state, &s, WebError::BadRequest("unknown action".into())),
    };
    state.courses.invalidate(s.course);
    match result {
        Ok(()) => back(state, &t, done, "pairs"),
        Err(pairs::EditError::Store(e)) => error_page(state, &s, e.into()),
        Err(e) => {
            tracing::info!(course = s.course.0, action, reason = %e, "pair change refused");
            back(state, &t, "notice_refused", "pairs")
        }
    }
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    tag: Vec<String>,
    #[serde(default)]
    other: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: i32,
}

/// POST /app/profile: a learner's tags, or a private hierarchical declaration.
pub async fn profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (s, t) = match session_of(&state, &req) {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let Some(me) = s.sub.clone() else {
        return error_page(&state, &s, WebError::Forbidden);
    };
    // Repeated `tag` fields: read them by hand, serde_urlencoded does not gather lists.
    let body = match read_body(&req, payload)
        .await
        .map_err(WebError::from)
        .and_then(|b| refuse_nul(&b).map(|()| b))
    {
        Ok(b) => b,
        Err(e) => return error_page(&state, &s, e),
    };
    let pairs_: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        pairs_
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let f = ProfileForm {
        action: get("action"),
        tag: pairs_
            .iter()
            .filter(|(n, _)| n == "tag")
            .map(|(_, v)| v.clone())
            .collect(),
        other: get("other"),
        kind: get("kind"),
        id: get("id").parse().unwrap_or(0),
    };
    let store = &state.flow.store;
    let now = now();
    let result = async {
        match f.action.as_str() {
            "tags" => {
                let allowed = store.course_settings(s.course).await?.tag_options;
                let tags: Vec<String> = f.tag.into_iter().filter(|t| allowed.contains(t)).collect();
                store.set_profile(s.course, &me, &tags, now).await?;
            }
            "declare" => {
                let (people, _) = pairs::people(store, s.course).await?;
                if f.other != me && people.iter().any(|p| p.user_id == f.other) {
                    let (a, b, kind) = match f.kind.as_str() {
                        "manager" => (f.other.as_str(), me.as_str(), "manages"),
                        "report" => (me.as_str(), f.other.as_str(), "manages"),
                        _ => (me.as_str(), f.other.as_str(), "hierarchical"),
                    };
                    store
                        .add_link(s.course, a, b, kind, "declared", &me, now)
                        .await?;
                }
            }
            "remove" => store.remove_declared_link(s.course, &me, f.id).await?,
            _ => {}
        }
        Ok::<_, crate::store::StoreError>(())
    }
    .await;
    match result {
        Ok(()) if f.action == "tags" => back(&state, &t, "notice_saved", "profile"),
        Ok(()) => back_to(&state, "/app/declare", &t, "notice_saved", "declare"),
        Err(e) => error_page(&state, &s, e.into()),
    }
}
