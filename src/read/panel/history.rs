//! The group's earlier sessions of the activity, as the panel lists them (each exportable):
//! the guided one, then the practice sessions, with their status and when they ended.

use serde::Serialize;

use crate::i18n::Locale;
use crate::store::SessionRow;

/// An earlier session on the panel.
#[derive(Debug, Clone, Serialize)]
pub struct Past {
    pub ordinal: i32,
    pub label: String,
    pub status: String,
    /// When it was completed, else when it last changed.
    pub at: String,
}

/// The sessions of `group` that came before the one at `ordinal`.
pub fn history(group: &[SessionRow], ordinal: i32, l: Locale) -> Vec<Past> {
    group
        .iter()
        .filter(|r| r.summary.ordinal < ordinal)
        .map(|r| Past {
            ordinal: r.summary.ordinal,
            label: if r.summary.ordinal == 0 {
                l.t("live_guided")
            } else {
                l.tr(
                    "live_session_number",
                    &[("n", i64::from(r.summary.ordinal).into())],
                )
            },
            status: l.t(&format!("live_status_{}", r.summary.status.as_str())),
            at: l.format_time(r.summary.completed_at.unwrap_or(r.summary.updated_at)),
        })
        .collect()
}
