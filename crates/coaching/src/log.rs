//! The format of a session's log (`coaching_events.payload`, JSON): one [`Entry`] per row.
//!
//! The log holds two kinds of entries: the method's events ([`Event`], replayed into the
//! state) and notes that only tell screens to redraw (a field saved, a presence change, the
//! step durations, the next session). Neither carries a word of what was written: the text
//! lives in the fields table alone, so deleting one's notes deletes them from the database.
//!
//! A field is named in the log and in the fields table by its id ([`field_id`]):
//! `<key>.s<seat>` for a member's own field, `<key>.r<round>` for a round's, `<key>.g` for
//! the group's.

use serde::{Deserialize, Serialize};

use super::{Event, FieldKey, FieldRef, Seat, UnixMillis};

/// An entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Method(Event),
    Note(Note),
}

/// An entry that is not part of the method's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Note {
    /// A field changed (its id and new version; never its text). An empty id with version 0
    /// says a member deleted their notes.
    FieldSaved {
        by: Seat,
        at: UnixMillis,
        field: String,
        version: i64,
    },
    /// The step durations of a session the group opened on its own (first entry only).
    Timings {
        by: Seat,
        at: UnixMillis,
        minutes: [u32; 6],
    },
    /// The group opened its next session (`ordinal`) after this one ended: the screens still
    /// following this one redraw, find the newer one and follow it.
    NextSession {
        by: Seat,
        at: UnixMillis,
        ordinal: i32,
    },
    /// A member's screen came, went away or came back.
    Presence {
        by: Seat,
        at: UnixMillis,
        presence: Presence,
    },
}

/// Where a member is, as the others see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

impl Entry {
    /// The entry as the log stores it.
    pub fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// An entry as the log stored it.
    pub fn decode(payload: &str) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(payload)
    }

    /// The time the entry was written.
    pub fn at(&self) -> UnixMillis {
        match self {
            Entry::Method(e) => e.at,
            Entry::Note(
                Note::FieldSaved { at, .. }
                | Note::Timings { at, .. }
                | Note::NextSession { at, .. }
                | Note::Presence { at, .. },
            ) => *at,
        }
    }

    /// What the entry tells a screen.
    pub fn echo(&self) -> Echo {
        match self {
            Entry::Note(Note::FieldSaved { field, .. })
                if parse_field_id(field).is_some_and(|f| f.key() == FieldKey::CoachScratchpad) =>
            {
                Echo::Quiet
            }
            Entry::Note(Note::FieldSaved { .. }) => Echo::Field,
            Entry::Note(Note::Presence { .. }) => Echo::Presence,
            Entry::Method(_) | Entry::Note(Note::Timings { .. } | Note::NextSession { .. }) => {
                Echo::Change
            }
        }
    }
}

/// What an entry tells the screens following its session: the name of its server-sent
/// event, and nothing of its content. A screen redraws its panel on any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Echo {
    /// The method moved (a step, a pause, the timings, the next session): redraw.
    #[default]
    Change,
    /// A field was saved.
    Field,
    /// A screen came, went away or came back.
    Presence,
    /// Nobody else needs to hear of it: the coach's own scratchpad, which no other member
    /// reads. It still moves the log (so that what is cached of the session knows), but a
    /// stream does not tell it. What the others can tell is only that the log moved by one
    /// entry more than they were told of (the next id they get, the panel's `data-seq`):
    /// never what, nor when.
    Quiet,
}

impl Echo {
    /// The event's name on the stream; none for an entry the stream does not tell.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Echo::Change => Some("change"),
            Echo::Field => Some("field"),
            Echo::Presence => Some("presence"),
            Echo::Quiet => None,
        }
    }

    /// One letter for it, in the PostgreSQL notification that announces an entry.
    pub fn code(self) -> char {
        match self {
            Echo::Change => 'c',
            Echo::Field => 'f',
            Echo::Presence => 'p',
            Echo::Quiet => 'q',
        }
    }

    /// The echo of a [`code`](Self::code).
    pub fn from_code(c: &str) -> Option<Echo> {
        match c {
            "c" => Some(Echo::Change),
            "f" => Some(Echo::Field),
            "p" => Some(Echo::Presence),
            "q" => Some(Echo::Quiet),
            _ => None,
        }
    }
}

/// The id of a field on the wire and in the fields table.
pub fn field_id(f: &FieldRef) -> String {
    match (f.seat(), f.round_no()) {
        (Some(seat), _) => format!("{}.s{}", f.key().key(), seat.0),
        (None, Some(round)) => format!("{}.r{round}", f.key().key()),
        (None, None) => format!("{}.g", f.key().key()),
    }
}

/// The field an id names; none when the id is not one [`field_id`] writes for a field that
/// can exist.
pub fn parse_field_id(id: &str) -> Option<FieldRef> {
    let (key, slot) = id.split_once('.')?;
    let key = FieldKey::ALL.into_iter().find(|k| k.key() == key)?;
    if slot == "g" {
        return FieldRef::group(key).ok();
    }
    let n: u8 = slot.get(1..)?.parse().ok()?;
    match slot.as_bytes().first()? {
        b's' => FieldRef::member(key, Seat(n)).ok(),
        b'r' => FieldRef::round(key, n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, fields::Scope};

    #[test]
    fn entries_round_trip_through_the_log_format() {
        let at = UnixMillis(1_767_225_600_000);
        let by = Seat(1);
        for entry in [
            Entry::Note(Note::FieldSaved {
                by,
                at,
                field: "prep_situation.s1".into(),
                version: 3,
            }),
            Entry::Note(Note::Timings {
                by,
                at,
                minutes: [5, 5, 5, 10, 10, 10],
            }),
            Entry::Note(Note::NextSession { by, at, ordinal: 2 }),
            Entry::Note(Note::Presence {
                by,
                at,
                presence: Presence::Away,
            }),
            Entry::Method(Event {
                by,
                at,
                change: Change::Started,
            }),
        ] {
            let text = entry.encode().unwrap();
            assert_eq!(Entry::decode(&text).unwrap(), entry, "{text}");
            assert_eq!(entry.at(), at);
        }
    }

    #[test]
    fn the_stored_format_is_stable() {
        let note = Entry::Note(Note::Presence {
            by: Seat(0),
            at: UnixMillis(7),
            presence: Presence::Online,
        });
        assert_eq!(
            note.encode().unwrap(),
            r#"{"type":"presence","by":0,"at":7,"presence":"online"}"#
        );
        let saved = r#"{"type":"field_saved","by":1,"at":9,"field":"x.g","version":2}"#;
        assert!(matches!(
            Entry::decode(saved).unwrap(),
            Entry::Note(Note::FieldSaved { version: 2, .. })
        ));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"type":"presence","by":0,"at":7,"presence":"dancing"}"#,
            r#"{"type":"no_such_note","by":0,"at":7}"#,
            r#"{"type":"timings","by":0,"at":7,"minutes":[1,2]}"#,
        ] {
            assert!(Entry::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_field_id_round_trips() {
        let mut seen = 0;
        for key in FieldKey::ALL {
            let refs: Vec<FieldRef> = match key.scope() {
                Scope::Group => FieldRef::group(key).into_iter().collect(),
                _ => (0..4)
                    .flat_map(|n| [FieldRef::member(key, Seat(n)), FieldRef::round(key, n)])
                    .filter_map(Result::ok)
                    .collect(),
            };
            for f in refs {
                let id = field_id(&f);
                assert_eq!(parse_field_id(&id), Some(f), "{id}");
                seen += 1;
            }
        }
        assert!(seen > FieldKey::ALL.len(), "{seen}");
    }

    #[test]
    fn malformed_field_ids_are_refused() {
        let key = FieldKey::ALL[0].key();
        for bad in [
            String::new(),
            key.to_string(),
            format!("{key}."),
            format!("{key}.s"),
            format!("{key}.x1"),
            format!("{key}.s-1"),
            format!("{key}.s256"),
            "no_such_field.g".to_string(),
            ".g".to_string(),
        ] {
            assert_eq!(parse_field_id(&bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod echo_tests {
    use super::*;

    #[test]
    fn each_echo_has_its_own_code_and_name() {
        for e in [Echo::Change, Echo::Field, Echo::Presence, Echo::Quiet] {
            assert_eq!(Echo::from_code(&e.code().to_string()), Some(e));
        }
        assert_eq!(Echo::from_code("x"), None);
        assert_eq!(Echo::from_code(""), None);
        let at = UnixMillis(1);
        let by = Seat(0);
        let field = Entry::Note(Note::FieldSaved {
            by,
            at,
            field: "x.g".into(),
            version: 1,
        });
        assert_eq!(field.echo().as_str(), Some("field"));
        let scratch = Entry::Note(Note::FieldSaved {
            by,
            at,
            field: "coach_scratchpad.r1".into(),
            version: 2,
        });
        assert_eq!(scratch.echo(), Echo::Quiet);
        assert_eq!(scratch.echo().as_str(), None);
        let next = Entry::Note(Note::NextSession { by, at, ordinal: 1 });
        assert_eq!(next.echo(), Echo::Change);
    }
}
