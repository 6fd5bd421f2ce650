//! What a learner sees on the activity page: their field-context profile (tags shown by
//! their label, grouped by category; a read-only summary once the module's pairs are
//! published) and their partners once pairs are published (name, picture and how to reach
//! them). Never anyone else's pairs or declarations.

use std::collections::HashMap;

use serde::Serialize;

use super::{Sources, module};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::store::{Contact, PersonId, StoreError};

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

/// A tag the learner may choose.
#[derive(Debug, Clone, Serialize)]
pub struct TagOption {
    /// The tag as stored (the form's value).
    pub tag: String,
    pub label: String,
    pub checked: bool,
}

/// The tags of one category (none for those without one).
#[derive(Debug, Clone, Serialize)]
pub struct TagGroup {
    pub category: Option<String>,
    pub tags: Vec<TagOption>,
}

/// What the learner chose in one category, for the read-only summary.
#[derive(Debug, Clone, Serialize)]
pub struct Chosen {
    pub category: Option<String>,
    /// The labels, comma-separated.
    pub labels: String,
}

/// A partner of the learner's published group.
#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub name: String,
    /// An `https://` picture, never another scheme.
    pub picture: Option<String>,
    pub email: Option<String>,
}

/// The course's tags grouped by category, in the order staff typed them, each with whether
/// the learner chose it.
pub fn tag_groups(options: &[String], mine: &[String]) -> Vec<TagGroup> {
    let mut groups: Vec<TagGroup> = Vec::new();
    for tag in options {
        let (category, label) = tag_parts(tag);
        let option = TagOption {
            tag: tag.clone(),
            label: label.to_string(),
            checked: mine.contains(tag),
        };
        match groups
            .iter_mut()
            .find(|g| g.category.as_deref() == category)
        {
            Some(g) => g.tags.push(option),
            None => groups.push(TagGroup {
                category: category.map(str::to_string),
                tags: vec![option],
            }),
        }
    }
    groups
}

/// What the learner chose, by category, for the read-only summary: ("sector", "health,
/// education"); tags without a category come under None.
pub fn chosen_by_category(options: &[String], mine: &[String]) -> Vec<Chosen> {
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
        .map(|(category, labels)| Chosen {
            category: category.map(str::to_string),
            labels: labels.join(", "),
        })
        .collect()
}

/// What the learner page is built from, as read.
#[derive(Debug, Clone, Default)]
pub struct LearnerInput {
    /// The course's tags, as staff typed them.
    pub tag_options: Vec<String>,
    /// The learner's own tags.
    pub mine: Vec<String>,
    /// The module's pairs are published.
    pub published: bool,
    /// The learner's partners in the published set, in the group's order.
    pub partner_ids: Vec<PersonId>,
    /// The partners' contacts (one missing has left the course).
    pub contacts: HashMap<PersonId, Contact>,
}

/// Reads the learner page of the session's learner, and the learner's own name. In steady
/// state it reads the learner's own tags and, in one lookup, the learner's and the
/// partners' names: settings and published pairs come from the course cache. None for an
/// anonymous launch (nobody to pair, nothing to show but the method).
pub async fn load(
    src: Sources<'_>,
    s: &Session,
) -> Result<Option<(LearnerInput, Option<String>)>, StoreError> {
    let store = src.store;
    let Some(me) = s.person() else {
        return Ok(None);
    };
    let settings = src.courses.settings(store, s.course).await?;
    let mine = if settings.tag_options.is_empty() {
        Vec::new()
    } else {
        store.profile(s.course, me).await?
    };
    let published = src.courses.published(store, s.course, &module(s)).await?;
    let partner_ids: Vec<PersonId> = published
        .as_ref()
        .and_then(|p| p.group_of(me))
        .map(|g| g.members.iter().filter(|m| *m != me).cloned().collect())
        .unwrap_or_default();
    let mut asked = partner_ids.clone();
    asked.push(me.clone());
    let mut contacts = store.contacts(s.course, &asked).await?;
    let my_name = contacts.remove(me).and_then(|c| c.name);
    let input = LearnerInput {
        tag_options: settings.tag_options.clone(),
        mine,
        published: published.is_some(),
        partner_ids,
        contacts,
    };
    Ok(Some((input, my_name)))
}

/// The learner page beyond the values every page shows.
#[derive(Debug, Clone, Serialize)]
pub struct LearnerPage {
    pub tag_options: Vec<TagGroup>,
    pub my_tags: Vec<Chosen>,
    pub partners: Vec<Partner>,
    pub trio: bool,
    pub published: bool,
}

impl LearnerPage {
    /// The page of what was read, in `l`.
    pub fn build(input: &LearnerInput, l: Locale) -> LearnerPage {
        let partners = input
            .partner_ids
            .iter()
            .map(|m| {
                let (name, c) = match input.contacts.get(m).cloned() {
                    Some(c) => (c.name.clone().unwrap_or_else(|| l.t("name_not_shared")), c),
                    None => (l.t("someone_left"), Contact::default()),
                };
                Partner {
                    name,
                    picture: c.picture.filter(|u| u.starts_with("https://")),
                    email: c.email,
                }
            })
            .collect();
        LearnerPage {
            tag_options: tag_groups(&input.tag_options, &input.mine),
            my_tags: chosen_by_category(&input.tag_options, &input.mine),
            partners,
            trio: input.partner_ids.len() == 2,
            published: input.published,
        }
    }
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
        assert_eq!(groups[0].category.as_deref(), Some("sector"));
        let summary = chosen_by_category(&options, &options[..3]);
        assert_eq!(summary[0].labels, "health, education");
    }

    /// A learner with two partners (one who left, one who shares no name) and tags.
    pub(crate) fn trio() -> LearnerInput {
        let contact = |name: Option<&str>, picture: &str| Contact {
            name: name.map(str::to_string),
            email: Some("ben@example.edu".into()),
            picture: Some(picture.into()),
        };
        LearnerInput {
            tag_options: ["sector: health", "sector: education", "Night shifts"]
                .map(String::from)
                .into(),
            mine: vec!["sector: education".into()],
            published: true,
            partner_ids: vec![PersonId::new("p-ben"), PersonId::new("p-gone")],
            contacts: [(
                PersonId::new("p-ben"),
                contact(Some("Ben Okafor"), "http://pic.example/b.png"),
            )]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn partners_are_named_and_pictures_are_https_only() {
        let page = LearnerPage::build(&trio(), Locale::En);
        assert!(page.trio);
        assert_eq!(page.partners[0].name, "Ben Okafor");
        assert_eq!(page.partners[0].picture, None, "http is not shown");
        assert_eq!(page.partners[1].name, Locale::En.t("someone_left"));
        insta::assert_json_snapshot!("learner_trio", page);
    }
}
