//! What staff may read of a failure: who reads (staff who may manage, or anyone else) and a
//! kept failure of a call to the LMS in words for them.

use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::lti::{Failure, RegistrationId, Service};

/// Who reads a failed call to the LMS: staff who may manage see its reason (a status and a
/// short text, or the operator's fix for a foreign host, naming the registration); anyone
/// else only that it failed, never a word the LMS answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Manager(RegistrationId),
    Other,
}

impl Reader {
    /// The reader of a session.
    pub fn of(s: &Session) -> Reader {
        if s.staff && s.may_manage {
            Reader::Manager(s.registration)
        } else {
            Reader::Other
        }
    }
}

/// A kept failure (`lti::Failure`'s stored form) in words for `reader`: None for a reader
/// who may not see it.
pub fn failure_words(stored: &str, reader: Reader, l: Locale) -> Option<String> {
    let Reader::Manager(registration) = reader else {
        return None;
    };
    Some(match Failure::from_stored(stored) {
        Failure::ForeignHost { service, host } => {
            let id = match service {
                Service::Roster => "service_foreign_host_roster",
                Service::Grades => "service_foreign_host_grades",
            };
            l.tr(
                id,
                &[
                    ("host", host.into()),
                    ("registration", registration.get().to_string().into()),
                ],
            )
        }
        Failure::Text(t) => t,
    })
}
