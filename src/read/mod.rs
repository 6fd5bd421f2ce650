//! Read models: what a page shows, built by plain functions from the store, the course cache
//! and the live sessions, and handed to templates as typed, serializable values. Nothing here
//! knows HTTP: `web/` extracts a request, calls a loader, and renders what it gets, so each
//! model can be built (and snapshot-tested) without a server.
//!
//! A model is built in two steps where it can: a loader reads what the page needs (`load`,
//! async, the only I/O), and a pure builder words it in the reader's language.

pub mod learner;
pub mod overview;
pub mod panel;
pub mod staff;

use std::collections::HashMap;

use serde::Serialize;

use crate::course::cache::CourseCache;
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::realtime::live::{Live, LiveError};
use crate::store::{ActivityConfig, PersonId, Store, StoreError};

/// What a read model may read: the store, the course cache in front of it, and the live
/// sessions.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    pub store: &'a Store,
    pub courses: &'a CourseCache,
    pub live: &'a Live,
}

/// Why a read model could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A live session could not be read (or the reader is not its member).
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// The configuration of the session's activity (none for a course-level session or an
/// activity not set up yet), through the course cache.
pub async fn activity_config(
    src: Sources<'_>,
    s: &Session,
) -> Result<Option<ActivityConfig>, StoreError> {
    match s.resource_link() {
        Some(rl) => src.courses.config(src.store, s.course, rl).await,
        None => Ok(None),
    }
}

/// The names of a group's members, by person id ("name not shared" for one the roster has no
/// name of).
pub async fn names(
    store: &Store,
    s: &Session,
    members: &[PersonId],
) -> Result<HashMap<PersonId, String>, StoreError> {
    let l = s.locale;
    let contacts = store.contacts(s.course, members).await?;
    Ok(members
        .iter()
        .map(|m| {
            let name = contacts
                .get(m)
                .and_then(|c| c.name.clone())
                .unwrap_or_else(|| l.t("name_not_shared"));
            (m.clone(), name)
        })
        .collect())
}

/// The module (activity) of a session: pairs are kept per module.
pub fn module(s: &Session) -> String {
    s.resource_link().unwrap_or("course").to_string()
}

/// How pages name the module of an activity: "Module 2 — Conflicts", or either part alone.
pub fn module_label(c: &ActivityConfig, l: Locale) -> Option<String> {
    let number = c
        .module_number
        .map(|n| l.tr("module_label", &[("number", i64::from(n).into())]));
    match (number, c.module_name.as_str()) {
        (Some(n), "") => Some(n),
        (Some(n), name) => Some(format!("{n} — {name}")),
        (None, "") => None,
        (None, name) => Some(name.to_string()),
    }
}

/// A moment as pages show it: `iso`, the `datetime` of a `<time>` element (UTC), which the
/// page's script (`app.js`) writes in the reader's own time zone and language; and `text`,
/// the UTC wording the element holds for a reader without scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub iso: Option<String>,
    pub text: String,
}

impl Moment {
    pub fn at(l: Locale, unix_secs: i64) -> Moment {
        let iso = time::OffsetDateTime::from_unix_timestamp(unix_secs)
            .ok()
            // Whole seconds, so RFC 3339 writes no fraction: `2026-12-07T09:30:00Z`.
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        Moment {
            iso,
            text: l.format_time(unix_secs),
        }
    }
}
