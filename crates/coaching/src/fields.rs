//! What the members write during a session, and who may write and read each field when.
//!
//! A field is a [`FieldKey`] (what it is) plus either the member it belongs to (preparation,
//! takeaway) or the round it belongs to (everything said in a round): a [`FieldRef`]. The
//! rules are pure functions of the session, so the web layer asks [`may_write`] before a save
//! and [`may_read`] before showing or streaming anything.
//!
//! Most fields are plain text. Three are lists kept as JSON text in the same column, so a
//! field stays one versioned string for the store and the edit-conflict check:
//! [`FieldKey::Options`] holds `[{"option","pros","cons"}]` ([`OptionItem`]),
//! [`FieldKey::Actions`] holds `[{"action","due"}]` ([`Action`], `due` as `YYYY-MM-DD` or
//! null) and [`FieldKey::Obstacles`] holds `[{"obstacle","overcome"}]` ([`Obstacle`]).
//! [`check_text`] checks a text's length and, for those three, its shape.

use serde::{Deserialize, Serialize};

use super::error::CoachingError;
use super::method::Step;
use super::roles::{GroupSize, Role, Seat};
use super::session::{Phase, Session};

/// The most characters a plain-text field holds.
pub const MAX_FIELD_CHARS: usize = 10_000;
/// Longest meeting link or agreed date.
pub const MAX_MEETING_CHARS: usize = 500;
/// The most characters a list field's JSON text holds.
pub const MAX_LIST_FIELD_CHARS: usize = 20_000;
/// The most entries in a list field.
pub const MAX_LIST_ITEMS: usize = 20;
/// The most characters in one text of a list entry.
pub const MAX_ITEM_CHARS: usize = 2_000;

/// What a field is. The snake_case names are stable storage keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKey {
    /// Preparation: the situation to work on.
    PrepSituation,
    /// Preparation: its context.
    PrepContext,
    /// Preparation: the people involved.
    PrepStakeholders,
    /// Preparation: what the member wants to change or achieve.
    PrepDesiredChange,
    /// Sharing: the coachee's notes on the situation.
    SharingNotes,
    /// Objectives: how the coachee wants the situation to evolve.
    GlobalObjective,
    /// Objectives: the intermediate result this session aims at.
    SessionObjective,
    /// Analysis: the coachee's notes.
    AnalysisNotes,
    /// Options: a JSON list of [`OptionItem`].
    Options,
    /// Options: the ideal option.
    IdealOption,
    /// Options: what the ideal option needs.
    IdealOptionNeeds,
    /// Commitments: a JSON list of [`Action`].
    Actions,
    /// Commitments: a JSON list of [`Obstacle`].
    Obstacles,
    /// Commitments: the people to rely on.
    ResourcesPeople,
    /// Commitments: the material resources to rely on.
    ResourcesMaterial,
    /// The coach's private scratchpad for the round: only its author ever reads it.
    CoachScratchpad,
    /// In a trio, the observer's notes on the round.
    ObserverNotes,
    /// Closing: what the member takes away.
    Takeaway,
    /// Introduction: the member's check-in on the commitments of the previous module
    /// (done, partly, not yet, and why).
    CheckIn,
    /// The whole group's: where they meet online (a link), shown on every screen.
    MeetingLink,
    /// The whole group's: the date and time they agreed on, shown on every screen.
    MeetingDate,
}

/// Whether a field exists once per member or once per round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Member,
    Round,
    /// Once per group: any member writes it while the session is open, everyone reads it.
    Group,
}

/// How a field's text is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldFormat {
    Text,
    /// JSON list of [`OptionItem`].
    Options,
    /// JSON list of [`Action`].
    Actions,
    /// JSON list of [`Obstacle`].
    Obstacles,
    /// A moment: `2027-01-15T13:00:00Z[Europe/Paris]` ([`super::meeting::Moment`]).
    Moment,
}

impl FieldKey {
    /// Every field, in the order a session meets them.
    pub const ALL: [FieldKey; 21] = [
        FieldKey::PrepSituation,
        FieldKey::PrepContext,
        FieldKey::PrepStakeholders,
        FieldKey::PrepDesiredChange,
        FieldKey::SharingNotes,
        FieldKey::GlobalObjective,
        FieldKey::SessionObjective,
        FieldKey::AnalysisNotes,
        FieldKey::Options,
        FieldKey::IdealOption,
        FieldKey::IdealOptionNeeds,
        FieldKey::Actions,
        FieldKey::Obstacles,
        FieldKey::ResourcesPeople,
        FieldKey::ResourcesMaterial,
        FieldKey::CoachScratchpad,
        FieldKey::ObserverNotes,
        FieldKey::Takeaway,
        FieldKey::CheckIn,
        FieldKey::MeetingLink,
        FieldKey::MeetingDate,
    ];

    /// The stable storage key (the serde name).
    pub fn key(self) -> &'static str {
        match self {
            FieldKey::PrepSituation => "prep_situation",
            FieldKey::PrepContext => "prep_context",
            FieldKey::PrepStakeholders => "prep_stakeholders",
            FieldKey::PrepDesiredChange => "prep_desired_change",
            FieldKey::SharingNotes => "sharing_notes",
            FieldKey::GlobalObjective => "global_objective",
            FieldKey::SessionObjective => "session_objective",
            FieldKey::AnalysisNotes => "analysis_notes",
            FieldKey::Options => "options",
            FieldKey::IdealOption => "ideal_option",
            FieldKey::IdealOptionNeeds => "ideal_option_needs",
            FieldKey::Actions => "actions",
            FieldKey::Obstacles => "obstacles",
            FieldKey::ResourcesPeople => "resources_people",
            FieldKey::ResourcesMaterial => "resources_material",
            FieldKey::CoachScratchpad => "coach_scratchpad",
            FieldKey::ObserverNotes => "observer_notes",
            FieldKey::Takeaway => "takeaway",
            FieldKey::CheckIn => "check_in",
            FieldKey::MeetingLink => "meeting_link",
            FieldKey::MeetingDate => "meeting_date",
        }
    }

    /// Once per member or once per round.
    pub fn scope(self) -> Scope {
        match self {
            FieldKey::PrepSituation
            | FieldKey::PrepContext
            | FieldKey::PrepStakeholders
            | FieldKey::PrepDesiredChange
            | FieldKey::Takeaway
            | FieldKey::CheckIn => Scope::Member,
            FieldKey::MeetingLink | FieldKey::MeetingDate => Scope::Group,
            _ => Scope::Round,
        }
    }

    /// Whether the field is written in the preparation.
    pub fn is_preparation(self) -> bool {
        matches!(
            self,
            FieldKey::PrepSituation
                | FieldKey::PrepContext
                | FieldKey::PrepStakeholders
                | FieldKey::PrepDesiredChange
        )
    }

    /// For a round's field: the role that writes it and the step from which it is open.
    /// `None` for per-member fields, which their owner writes.
    pub fn round_writer(self) -> Option<(Role, Step)> {
        Some(match self {
            FieldKey::SharingNotes => (Role::Coachee, Step::Sharing),
            FieldKey::GlobalObjective | FieldKey::SessionObjective => {
                (Role::Coachee, Step::Objectives)
            }
            FieldKey::AnalysisNotes => (Role::Coachee, Step::Analysis),
            FieldKey::Options | FieldKey::IdealOption | FieldKey::IdealOptionNeeds => {
                (Role::Coachee, Step::Options)
            }
            FieldKey::Actions
            | FieldKey::Obstacles
            | FieldKey::ResourcesPeople
            | FieldKey::ResourcesMaterial => (Role::Coachee, Step::Commitments),
            // The coach and observer take notes from the moment the coachee speaks.
            FieldKey::CoachScratchpad => (Role::Coach, Step::Sharing),
            FieldKey::ObserverNotes => (Role::Observer, Step::Sharing),
            FieldKey::PrepSituation
            | FieldKey::PrepContext
            | FieldKey::PrepStakeholders
            | FieldKey::PrepDesiredChange
            | FieldKey::Takeaway
            | FieldKey::CheckIn
            | FieldKey::MeetingLink
            | FieldKey::MeetingDate => return None,
        })
    }

    /// How the field's text is shaped.
    pub fn format(self) -> FieldFormat {
        match self {
            FieldKey::Options => FieldFormat::Options,
            FieldKey::Actions => FieldFormat::Actions,
            FieldKey::Obstacles => FieldFormat::Obstacles,
            FieldKey::MeetingDate => FieldFormat::Moment,
            _ => FieldFormat::Text,
        }
    }

    /// The most characters the field's text holds.
    pub fn max_chars(self) -> usize {
        match self.format() {
            FieldFormat::Text | FieldFormat::Moment if self.scope() == Scope::Group => {
                MAX_MEETING_CHARS
            }
            FieldFormat::Text | FieldFormat::Moment => MAX_FIELD_CHARS,
            _ => MAX_LIST_FIELD_CHARS,
        }
    }
}

/// The most bytes of text one session of a group of `size` can hold, every field of every
/// member and round at its longest in 4-byte characters: the bound a new session reserves
/// in the group's storage budget (`realtime::live`). About 2.6 MB for a trio; a real
/// session holds a few kilobytes.
pub fn max_session_text_bytes(size: GroupSize) -> usize {
    FieldKey::ALL
        .into_iter()
        .map(|k| {
            let copies = match k.scope() {
                Scope::Member => usize::from(size.members()),
                Scope::Round => usize::from(size.rounds()),
                Scope::Group => 1,
            };
            copies * k.max_chars() * 4
        })
        .sum()
}

/// Whose or which round's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
enum Slot {
    Seat(Seat),
    Round(u8),
    Group,
}

/// One field of one session: a key with its member or its round, consistent with the key's
/// [`Scope`]. JSON: `{"key":"prep_context","seat":0}` or `{"key":"options","round":2}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "FieldRefWire", into = "FieldRefWire")]
pub struct FieldRef {
    key: FieldKey,
    slot: Slot,
}

#[derive(Serialize, Deserialize)]
struct FieldRefWire {
    key: FieldKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seat: Option<Seat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    round: Option<u8>,
}

impl TryFrom<FieldRefWire> for FieldRef {
    type Error = CoachingError;

    fn try_from(w: FieldRefWire) -> Result<Self, Self::Error> {
        match (w.seat, w.round) {
            (Some(seat), None) => FieldRef::member(w.key, seat),
            (None, Some(round)) => FieldRef::round(w.key, round),
            (None, None) => FieldRef::group(w.key),
            _ => Err(CoachingError::FieldScopeMismatch { key: w.key }),
        }
    }
}

impl From<FieldRef> for FieldRefWire {
    fn from(f: FieldRef) -> Self {
        FieldRefWire {
            key: f.key,
            seat: f.seat(),
            round: f.round_no(),
        }
    }
}

impl FieldRef {
    /// A per-member field (preparation, takeaway) of `owner`.
    pub fn member(key: FieldKey, owner: Seat) -> Result<FieldRef, CoachingError> {
        match key.scope() {
            Scope::Member => Ok(FieldRef {
                key,
                slot: Slot::Seat(owner),
            }),
            Scope::Round | Scope::Group => Err(CoachingError::FieldScopeMismatch { key }),
        }
    }

    /// A field of the whole group (the meeting link and date).
    pub fn group(key: FieldKey) -> Result<FieldRef, CoachingError> {
        match key.scope() {
            Scope::Group => Ok(FieldRef {
                key,
                slot: Slot::Group,
            }),
            _ => Err(CoachingError::FieldScopeMismatch { key }),
        }
    }

    /// A per-round field of round `round` (counted from 1).
    pub fn round(key: FieldKey, round: u8) -> Result<FieldRef, CoachingError> {
        match key.scope() {
            Scope::Round if round >= 1 => Ok(FieldRef {
                key,
                slot: Slot::Round(round),
            }),
            Scope::Round => Err(CoachingError::NoSuchRound { round }),
            Scope::Member | Scope::Group => Err(CoachingError::FieldScopeMismatch { key }),
        }
    }

    pub fn key(&self) -> FieldKey {
        self.key
    }

    /// The owner of a per-member field.
    pub fn seat(&self) -> Option<Seat> {
        match self.slot {
            Slot::Seat(s) => Some(s),
            Slot::Round(_) | Slot::Group => None,
        }
    }

    /// The round of a per-round field.
    pub fn round_no(&self) -> Option<u8> {
        match self.slot {
            Slot::Round(r) => Some(r),
            Slot::Seat(_) | Slot::Group => None,
        }
    }
}

/// Whether `seat` may write `field` now, or why not.
///
/// - Preparation fields: their owner, from the preparation on, while the session is open.
/// - A round's coachee fields: the round's coachee, from the matching step of that round
///   on (so notes can be completed later), while the session is open.
/// - The scratchpad: the round's coach; observer notes: the round's observer (trio only);
///   both from the round's sharing on.
/// - The takeaway: its owner, during the closing.
pub fn may_write(session: &Session, seat: Seat, field: &FieldRef) -> Result<(), CoachingError> {
    let size = session.size();
    if !size.has(seat) {
        return Err(CoachingError::NotAMember { seat });
    }
    if !session.is_open() {
        return Err(CoachingError::SessionOver);
    }
    let phase = session.phase();
    let reached = |from: (u8, u8, u8)| phase.rank().is_some_and(|r| r >= from);
    match field.slot {
        Slot::Seat(owner) => {
            if owner != seat {
                return Err(CoachingError::NotYourField);
            }
            let open = if field.key.is_preparation() || field.key == FieldKey::CheckIn {
                reached(Phase::Preparation.rank().unwrap_or_default())
            } else {
                phase == Phase::Closing
            };
            if open {
                Ok(())
            } else {
                Err(CoachingError::FieldNotOpenYet)
            }
        }
        Slot::Round(round) => {
            let roles = session.roles_of_round(round)?;
            let Some((role, step)) = field.key.round_writer() else {
                return Err(CoachingError::FieldScopeMismatch { key: field.key });
            };
            let writer = match role {
                Role::Coachee => roles.coachee,
                Role::Coach => roles.coach,
                Role::Observer => roles.observer.ok_or(CoachingError::NoObserver)?,
            };
            if writer != seat {
                return Err(CoachingError::NotYourField);
            }
            if reached((3, round, step.number())) {
                Ok(())
            } else {
                Err(CoachingError::FieldNotOpenYet)
            }
        }
        // Any member, whenever the session is open (checked above).
        Slot::Group => Ok(()),
    }
}

/// Whether `seat` may read `field`. A member's preparation reaches the others only from the
/// introduction on (and stays shared after it); a scratchpad only ever reaches its author;
/// everything else reaches every member. Nobody outside the group reads anything.
pub fn may_read(session: &Session, seat: Seat, field: &FieldRef) -> bool {
    let size = session.size();
    if !size.has(seat) {
        return false;
    }
    match field.slot {
        Slot::Seat(owner) => {
            let before_sharing = field.key.is_preparation() || field.key == FieldKey::CheckIn;
            size.has(owner) && (owner == seat || !before_sharing || session.reached_introduction())
        }
        Slot::Group => true,
        Slot::Round(round) => match session.roles_of_round(round) {
            Err(_) => false,
            Ok(roles) => field.key != FieldKey::CoachScratchpad || roles.coach == seat,
        },
    }
}

/// One option considered in the options step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionItem {
    pub option: String,
    #[serde(default)]
    pub pros: String,
    #[serde(default)]
    pub cons: String,
}

/// One concrete action the coachee commits to, with a date when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub action: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due: Option<String>,
}

/// An obstacle to the commitments and how to get past it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obstacle {
    pub obstacle: String,
    #[serde(default)]
    pub overcome: String,
}

/// Checks a text before it is stored in a field: its length, and for a list field its
/// JSON shape, entry count, entry lengths and dates. An empty text is always allowed (it
/// clears the field).
pub fn check_text(key: FieldKey, text: &str) -> Result<(), CoachingError> {
    let chars = text.chars().count();
    let max = key.max_chars();
    if chars > max {
        return Err(CoachingError::FieldTooLong { chars, max });
    }
    if text.trim().is_empty() {
        return Ok(());
    }
    match key.format() {
        // A link that a page shows as a link: http or https only, so no script can hide in it.
        FieldFormat::Text if key == FieldKey::MeetingLink => {
            if super::meeting::is_meeting_link(text) {
                Ok(())
            } else {
                Err(CoachingError::NotALink)
            }
        }
        FieldFormat::Text => Ok(()),
        FieldFormat::Moment => match super::meeting::Moment::parse(text) {
            Some(_) => Ok(()),
            None => Err(CoachingError::NotAMoment),
        },
        FieldFormat::Options => {
            check_list::<OptionItem>(text, |o| check_items(&[&o.option, &o.pros, &o.cons]))
        }
        FieldFormat::Actions => check_list::<Action>(text, |a| {
            check_items(&[&a.action, a.due.as_deref().unwrap_or("")])?;
            match &a.due {
                Some(d) if parse_date(d).is_none() => {
                    Err(malformed(format!("{d:?} is not a date written YYYY-MM-DD")))
                }
                _ => Ok(()),
            }
        }),
        FieldFormat::Obstacles => {
            check_list::<Obstacle>(text, |o| check_items(&[&o.obstacle, &o.overcome]))
        }
    }
}

fn malformed(reason: String) -> CoachingError {
    CoachingError::FieldMalformed { reason }
}

fn check_list<T: for<'de> Deserialize<'de>>(
    text: &str,
    each: impl Fn(&T) -> Result<(), CoachingError>,
) -> Result<(), CoachingError> {
    let items: Vec<T> = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    if items.len() > MAX_LIST_ITEMS {
        return Err(malformed(format!(
            "{} entries; at most {MAX_LIST_ITEMS}",
            items.len()
        )));
    }
    items.iter().try_for_each(each)
}

fn check_items(texts: &[&str]) -> Result<(), CoachingError> {
    for t in texts {
        let chars = t.chars().count();
        if chars > MAX_ITEM_CHARS {
            return Err(CoachingError::FieldTooLong {
                chars,
                max: MAX_ITEM_CHARS,
            });
        }
    }
    Ok(())
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || m.len() != 2
        || d.len() != 2
        || !text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// A list field as the lines a person edits: one entry per line, its parts separated by
/// `" | "` (option | pros | cons; action | date; obstacle | how to get past it). A text
/// field is returned as it is; a stored list that does not parse is shown raw.
pub fn list_to_lines(key: FieldKey, stored: &str) -> String {
    fn join<T: for<'de> Deserialize<'de>>(
        stored: &str,
        parts: impl Fn(&T) -> Vec<String>,
    ) -> String {
        match serde_json::from_str::<Vec<T>>(stored) {
            Ok(items) => items
                .iter()
                .map(|i| {
                    let mut p = parts(i);
                    while p.last().is_some_and(|s| s.is_empty()) {
                        p.pop();
                    }
                    p.join(" | ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(_) => stored.to_string(),
        }
    }
    if stored.trim().is_empty() {
        return String::new();
    }
    match key.format() {
        FieldFormat::Text | FieldFormat::Moment => stored.to_string(),
        FieldFormat::Options => join::<OptionItem>(stored, |o| {
            vec![o.option.clone(), o.pros.clone(), o.cons.clone()]
        }),
        FieldFormat::Actions => join::<Action>(stored, |a| {
            vec![a.action.clone(), a.due.clone().unwrap_or_default()]
        }),
        FieldFormat::Obstacles => {
            join::<Obstacle>(stored, |o| vec![o.obstacle.clone(), o.overcome.clone()])
        }
    }
}

/// The stored form of what a person typed in a field: for a list field, its lines (see
/// [`list_to_lines`]) as the JSON list, checked; for a text field, the text, checked.
pub fn lines_to_stored(key: FieldKey, typed: &str) -> Result<String, CoachingError> {
    let lines: Vec<Vec<String>> = typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').map(|p| p.trim().to_string()).collect())
        .collect();
    let part = |p: &[String], i: usize| p.get(i).cloned().unwrap_or_default();
    let stored = match key.format() {
        FieldFormat::Text => typed.to_string(),
        // Stored in one form whatever the page sent (an empty text clears it).
        FieldFormat::Moment => match super::meeting::Moment::parse(typed) {
            Some(m) => m.stored(),
            None => typed.to_string(),
        },
        _ if lines.is_empty() => String::new(),
        FieldFormat::Options => serde_json::to_string(
            &lines
                .iter()
                .map(|p| OptionItem {
                    option: part(p, 0),
                    pros: part(p, 1),
                    // A cons part may itself hold a separator: keep everything after.
                    cons: p.get(2..).map(|r| r.join(" | ")).unwrap_or_default(),
                })
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
        FieldFormat::Actions => serde_json::to_string(
            &lines
                .iter()
                .map(|p| {
                    // The last part is the date when it reads as one; otherwise it belongs
                    // to the action.
                    let (action, due) = match p.split_last() {
                        Some((last, rest)) if !rest.is_empty() && parse_date(last).is_some() => {
                            (rest.join(" | "), Some(last.clone()))
                        }
                        _ => (p.join(" | "), None),
                    };
                    Action { action, due }
                })
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
        FieldFormat::Obstacles => serde_json::to_string(
            &lines
                .iter()
                .map(|p| Obstacle {
                    obstacle: part(p, 0),
                    overcome: p.get(1..).map(|r| r.join(" | ")).unwrap_or_default(),
                })
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
    };
    check_text(key, &stored)?;
    Ok(stored)
}

#[cfg(test)]
mod lines_tests {
    use super::*;

    #[test]
    fn lines_round_trip_through_the_stored_lists() {
        let typed = "Ask my manager | quick | may refuse\nDo nothing";
        let stored = lines_to_stored(FieldKey::Options, typed).unwrap();
        assert_eq!(list_to_lines(FieldKey::Options, &stored), typed);
        let typed = "Call the client | 2027-01-31\nWrite the plan";
        let stored = lines_to_stored(FieldKey::Actions, typed).unwrap();
        assert!(stored.contains("\"due\":\"2027-01-31\""), "{stored}");
        assert_eq!(list_to_lines(FieldKey::Actions, &stored), typed);
        assert_eq!(lines_to_stored(FieldKey::Obstacles, "  \n").unwrap(), "");
        assert_eq!(
            lines_to_stored(FieldKey::Takeaway, "a | b").unwrap(),
            "a | b"
        );
    }

    #[test]
    fn too_many_lines_are_refused() {
        let typed = "x\n".repeat(MAX_LIST_ITEMS + 1);
        assert!(lines_to_stored(FieldKey::Obstacles, &typed).is_err());
    }
}
