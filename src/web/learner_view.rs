//! The page where a learner privately declares a hierarchical link: one page of the course's
//! learners and their own declarations, never anyone else's. (The learner's activity page is
//! `read::learner`.)

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use crate::course::rules::is_pairable_roles;
use crate::launch::session::Session;
use crate::store::PersonId;

/// Learners listed per page of the declaration page.
pub const DECLARE_PAGE: usize = 50;

/// The declaration page: one page of the course's learners (names only, never emails),
/// optionally searched, read without loading the roster; and the learner's own declarations
/// (never anyone else's).
pub async fn declare_context(
    state: &AppState,
    s: &Session,
    me: &PersonId,
    after: Option<&str>,
    search: Option<&str>,
) -> Result<Value, WebError> {
    let store = &state.flow.store;
    let l = s.locale;
    let label = |name: Option<String>| name.unwrap_or_else(|| l.t("name_not_shared").to_string());
    let page = store
        .learners_page(
            s.course,
            after,
            DECLARE_PAGE as u64,
            search,
            is_pairable_roles,
        )
        .await?;
    let shown: Vec<Value> = page
        .learners
        .into_iter()
        .filter(|p| p.user_id != *me)
        .map(|p| context! { id => p.user_id, name => label(p.name) })
        .collect();
    let declared = store.declared_by(s.course, me).await?;
    let other_of = |k: &crate::store::LinkRow| {
        if k.a_user == *me {
            k.b_user.clone()
        } else {
            k.a_user.clone()
        }
    };
    let ids: Vec<PersonId> = declared.iter().map(other_of).collect();
    let contacts = store.contacts(s.course, &ids).await?;
    let declared: Vec<Value> = declared
        .iter()
        .map(|k| {
            let name = contacts.get(&other_of(k)).and_then(|c| c.name.clone());
            context! { id => k.id, name => label(name) }
        })
        .collect();
    Ok(context! {
        at_limit => declared.len() as u64 >= crate::store::DECLARATION_CAP,
        others => shown, declared => declared, next => page.next, search => search,
        first_page => after.is_none(),
    })
}
