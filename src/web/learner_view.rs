//! What a learner sees: their field-context profile, their partner once pairs are published
//! (name, picture and how to reach them), and the page where they privately declare a
//! hierarchical link. Never anyone else's pairs or declarations.

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::staff_view::module;
use crate::launch::session::Session;
use crate::roster::pairs::{self, Person};

/// Learners listed per page of the declaration page.
pub const DECLARE_PAGE: usize = 50;

/// The learner page beyond the basics. In steady state it reads the learner's own tags and
/// the partner's name: settings and published pairs come from the course cache.
pub async fn learner_context(state: &AppState, s: &Session) -> Result<Value, WebError> {
    let store = &state.flow.store;
    let Some(me) = s.subject.as_deref() else {
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
    let contacts = store.contacts(s.course, &partner_ids).await?;
    let l = s.locale;
    let partners: Vec<Value> = partner_ids
        .iter()
        .map(|m| {
            let (name, c) = match contacts.get(m).cloned() {
                Some(c) => (c.name.clone().unwrap_or_else(|| l.t("name_not_shared").to_string()), c),
                None => (l.t("someone_left").to_string(), Default::default()),
            };
            let picture = c.picture.filter(|u| u.starts_with("https://"));
            context! {
                name => name,
                picture => picture,
                email => c.email,
            }
        })
        .collect();
    Ok(context! {
        tag_options => settings.tag_options.iter().map(|t| context! { tag => t, checked => mine.contains(t) }).collect::<Vec<_>>(),
        partners => partners,
        trio => partner_ids.len() == 2,
        published => published.is_some(),
    })
}

/// The declaration page: a page of the course's learners (names only, never emails) and the
/// learner's own declarations (never anyone else's).
pub async fn declare_context(
    state: &AppState,
    s: &Session,
    me: &str,
    page: usize,
) -> Result<Value, WebError> {
    let store = &state.flow.store;
    let (people, _) = pairs::people(store, s.course).await?;
    let others: Vec<&Person> = people
        .iter()
        .filter(|p| p.user_id != me && p.pairable())
        .collect();
    let pages = others.len().div_ceil(DECLARE_PAGE).max(1);
    let page = page.min(pages - 1);
    let shown: Vec<Value> = others
        .iter()
        .skip(page * DECLARE_PAGE)
        .take(DECLARE_PAGE)
        .map(|p| context! { id => &p.user_id, name => p.public_label() })
        .collect();
    let l = s.locale;
    let declared: Vec<Value> = store
        .declared_by(s.course, me)
        .await?
        .iter()
        .map(|k| {
            let other = if k.a_user == me { &k.b_user } else { &k.a_user };
            let name = people
                .iter()
                .find(|p| &p.user_id == other)
                .map(Person::public_label)
                .unwrap_or_else(|| l.t("someone_left").to_string());
            context! { id => k.id, name => name }
        })
        .collect();
    Ok(context! {
        others => shown, declared => declared, page => page, pages => pages,
        max_declarations => crate::roster::rules::MAX_DECLARATIONS,
        at_limit => declared.len() >= crate::roster::rules::MAX_DECLARATIONS,
    })
}
