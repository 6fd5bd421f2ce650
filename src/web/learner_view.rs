//! What a learner sees: their field-context profile (tags shown by their label, grouped by
//! category; a read-only summary once the module's pairs are published), their partner once
//! pairs are published (name, picture and how to reach them), and the page where they
//! privately declare a hierarchical link. Never anyone else's pairs or declarations.

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::staff_view::module;
use crate::course::rules::is_pairable_roles;
use crate::launch::session::Session;

/// Learners listed per page of the declaration page.
pub const DECLARE_PAGE: usize = 50;

/// A field-context tag as staff type it, "category: label" ("sector: health",
/// "secteur : santé"), split into its category and the label learners read; a tag without a
/// category (or with an empty side) is its own label.
pub fn tag_parts(tag: &str) -> (Option<&str>, &str) {
    match tag.split_once(':') {
        Some((category, label)) if !category.trim().is_empty() && !label.trim().is_empty() => {
            (Some(category.trim()), label.trim())
        }
        _ => (None, tag.trim()),
    }
}

/// The course's tags grouped by category, in the order staff typed them, each with whether
/// the learner chose it.
fn tag_groups(options: &[String], mine: &[String]) -> Vec<Value> {
    let mut groups: Vec<(Option<&str>, Vec<Value>)> = Vec::new();
    for tag in options {
        let (category, label) = tag_parts(tag);
        let option = context! { tag => tag, label => label, checked => mine.contains(tag) };
        match groups.iter_mut().find(|(c, _)| *c == category) {
            Some((_, tags)) => tags.push(option),
            None => groups.push((category, vec![option])),
        }
    }
    groups
        .into_iter()
        .map(|(category, tags)| context! { category => category, tags => tags })
        .collect()
}

/// What the learner chose, by category, for the read-only summary: ("sector", "health,
/// education"); tags without a category come under None.
fn chosen_by_category(options: &[String], mine: &[String]) -> Vec<Value> {
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    for tag in options.iter().filter(|t| mine.contains(t)) {
        let (category, label) = tag_parts(tag);
        match groups.iter_mut().find(|(c, _)| *c == category) {
            Some((_, labels)) => labels.push(label),
            None => groups.push((category, vec![label])),
        }
    }
    groups
        .into_iter()
        .map(|(category, labels)| context! { category => category, labels => labels.join(", ") })
        .collect()
}

/// The learner page beyond the basics, and the learner's own name. In steady state it reads
/// the learner's own tags and, in one lookup, the learner's and the partners' names:
/// settings and published pairs come from the course cache.
pub async fn learner_context(
    state: &AppState,
    s: &Session,
) -> Result<(Value, Option<String>), WebError> {
    let store = &state.flow.store;
    let Some(me) = s.user() else {
        // Anonymous: nobody to pair, nothing to show but the method.
        return Ok((
            context! {
                tag_options => Vec::<Value>::new(), my_tags => Vec::<Value>::new(),
                partners => Vec::<Value>::new(), trio => false, published => false,
            },
            None,
        ));
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
    let mut asked = partner_ids.clone();
    asked.push(me.to_string());
    let mut contacts = store.contacts(s.course, &asked).await?;
    let my_name = contacts.remove(me).and_then(|c| c.name);
    let l = s.locale;
    let partners: Vec<Value> = partner_ids
        .iter()
        .map(|m| {
            let (name, c) = match contacts.get(m).cloned() {
                Some(c) => (
                    c.name
                        .clone()
                        .unwrap_or_else(|| l.t("name_not_shared").to_string()),
                    c,
                ),
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
    let values = context! {
        tag_options => tag_groups(&settings.tag_options, &mine),
        my_tags => chosen_by_category(&settings.tag_options, &mine),
        partners => partners,
        trio => partner_ids.len() == 2,
        published => published.is_some(),
    };
    Ok((values, my_name))
}

/// The declaration page: one page of the course's learners (names only, never emails),
/// optionally searched, read without loading the roster; and the learner's own declarations
/// (never anyone else's).
pub async fn declare_context(
    state: &AppState,
    s: &Session,
    me: &str,
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
        .filter(|p| p.user_id != me)
        .map(|p| context! { id => p.user_id, name => label(p.name) })
        .collect();
    let declared = store.declared_by(s.course, me).await?;
    let other_of = |k: &crate::store::LinkRow| {
        if k.a_user == me {
            k.b_user.clone()
        } else {
            k.a_user.clone()
        }
    };
    let ids: Vec<String> = declared.iter().map(other_of).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_read_by_its_label_under_its_category() {
        for (tag, parts) in [
            ("sector: health", (Some("sector"), "health")),
            ("sector:health", (Some("sector"), "health")),
            ("secteur : santé", (Some("secteur"), "santé")),
            ("Nursing", (None, "Nursing")),
            (": odd", (None, ": odd")),
            ("odd:", (None, "odd:")),
        ] {
            assert_eq!(tag_parts(tag), parts, "{tag}");
        }
        let options: Vec<String> = [
            "sector: health",
            "job: trainer",
            "sector: education",
            "Night shifts",
        ]
        .map(String::from)
        .into();
        let groups = tag_groups(&options, &["sector: education".to_string()]);
        assert_eq!(
            groups.len(),
            3,
            "sector, job, and the tags without a category"
        );
        assert_eq!(
            groups[0].get_attr("category").unwrap().as_str(),
            Some("sector")
        );
        let summary = chosen_by_category(&options, &options[..3]);
        assert_eq!(
            summary[0].get_attr("labels").unwrap().as_str(),
            Some("health, education")
        );
    }
}
