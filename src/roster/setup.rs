//! The course's pairing set-up that staff change: the field-context tag list, the pairing
//! policy and uploaded hierarchical links. Each change is recorded in the history, and the
//! course cache is invalidated here, so that no writer can forget it.

use crate::pairing::Policy;
use crate::store::{CourseId, CourseSettingsRow, Store, StoreError};

use super::cache::CourseCache;
use super::history::PairingChange;
use super::pairs::{self, CsvLinks};

/// Most tags a course offers, and the longest tag.
pub const MAX_TAGS: usize = 200;
pub const MAX_TAG_CHARS: usize = 80;

/// The tag list from the staff's text: one per line, trimmed, bounded, without repeats.
pub fn normalise_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_TAGS)
    {
        let tag: String = line.chars().take(MAX_TAG_CHARS).collect();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// A policy from a form value; anything unknown is the default (keep the pairs).
pub fn policy_of(value: &str) -> Policy {
    match value {
        "new" => Policy::NewPartners,
        "free" => Policy::Free,
        _ => Policy::KeepPairs,
    }
}

/// The stored name of a policy.
pub fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::NewPartners => "new",
        Policy::Free => "free",
        Policy::KeepPairs => "keep",
    }
}

/// Who changes which course, and when.
pub struct SetupScope<'a> {
    pub store: &'a Store,
    pub cache: &'a CourseCache,
    pub course: CourseId,
    pub actor: &'a str,
    pub now: i64,
}

impl SetupScope<'_> {
    /// Saves the tag list and the pairing policy.
    pub async fn save_settings(&self, tags_text: &str, policy: &str) -> Result<(), StoreError> {
        let policy = policy_name(policy_of(policy));
        let result = self
            .store
            .set_course_settings(
                self.course,
                &CourseSettingsRow {
                    tag_options: normalise_tags(tags_text),
                    policy: policy.to_string(),
                },
                self.now,
            )
            .await;
        self.cache.invalidate(self.course);
        result?;
        let change = PairingChange::Settings {
            policy: policy.to_string(),
        };
        self.store
            .log_event(
                self.course,
                None,
                self.actor,
                change.action(),
                &change.detail(),
                self.now,
            )
            .await
    }

    /// Adds the hierarchical links of a CSV text; returns what was used and what was not.
    pub async fn upload_links(&self, csv: &str) -> Result<CsvLinks, StoreError> {
        let (people, _) = pairs::people(self.store, self.course).await?;
        let links = pairs::parse_links_csv(csv, &people);
        for (a, b) in &links.good {
            self.store
                .add_link(self.course, a, b, "manages", "uploaded", self.actor, self.now)
                .await?;
        }
        let change = PairingChange::UploadLinks {
            added: links.good.len(),
            unused: links.bad.len(),
        };
        self.store
            .log_event(
                self.course,
                None,
                self.actor,
                change.action(),
                &change.detail(),
                self.now,
            )
            .await?;
        Ok(links)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_bounded_and_unique() {
        let long = "x".repeat(100);
        let text = format!(" a \n\nb\na\n{long}\n");
        let tags = normalise_tags(&text);
        assert_eq!(tags.len(), 3);
        assert_eq!(tags[0], "a");
        assert_eq!(tags[2].chars().count(), MAX_TAG_CHARS);
        let many: String = (0..300).map(|i| format!("t{i}\n")).collect();
        assert_eq!(normalise_tags(&many).len(), MAX_TAGS);
    }

    #[test]
    fn unknown_policies_keep_the_pairs() {
        assert_eq!(policy_of("new"), Policy::NewPartners);
        assert_eq!(policy_of("free"), Policy::Free);
        assert_eq!(policy_of("<script>"), Policy::KeepPairs);
        for p in [Policy::KeepPairs, Policy::NewPartners, Policy::Free] {
            assert_eq!(policy_of(policy_name(p)), p);
        }
    }
}
