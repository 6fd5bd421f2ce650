//! The members of the session as the panel lists them: name, role, whether they are here
//! (in words and as a key for the page's looks), and how far they went in the framework and
//! the preparation.

use serde::Serialize;

use crate::coaching::{Role, Seat, Session};
use crate::i18n::Locale;
use crate::realtime::live::Presence;

/// A member on the panel.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub me: bool,
    pub role: Option<String>,
    pub presence: String,
    /// `online`, `away` or `offline`.
    pub presence_key: &'static str,
    pub accepted: bool,
    pub prepared: bool,
}

pub(super) fn role_name(r: Role, l: Locale) -> String {
    l.t(match r {
        Role::Coachee => "coach_role_coachee",
        Role::Coach => "coach_role_coach",
        Role::Observer => "coach_role_observer",
    })
}

/// The presence's message id and key.
fn presence_words(p: Presence) -> (&'static str, &'static str) {
    match p {
        Presence::Online => ("live_presence_online", "online"),
        Presence::Away => ("live_presence_away", "away"),
        Presence::Offline => ("live_presence_offline", "offline"),
    }
}

/// Every member, in seat order. The reader is online by definition (they are reading), and
/// a seat whose presence was never heard of is offline.
pub fn members(
    session: &Session,
    presence: &[(Presence, Option<crate::coaching::UnixMillis>)],
    seat: Seat,
    name_of: impl Fn(Seat) -> String,
    l: Locale,
) -> Vec<Member> {
    session
        .size()
        .seats()
        .map(|m| {
            let heard = presence
                .get(m.0 as usize)
                .map_or(Presence::Offline, |(p, _)| *p);
            let present = if m == seat { Presence::Online } else { heard };
            let (id, key) = presence_words(present);
            Member {
                name: name_of(m),
                me: m == seat,
                role: session.role_of(m).map(|r| role_name(r, l)),
                presence: l.t(id),
                presence_key: key,
                accepted: session.has_accepted(m),
                prepared: session.is_prepared(m),
            }
        })
        .collect()
}
