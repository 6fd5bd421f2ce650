//! The peer-coaching method as data and as a state machine: the preparation, the six steps
//! of a round, their timings and who speaks ([`method`]); who plays which role in each round
//! ([`roles`]); the live session, commands in and events out ([`session`]); the server-owned
//! step timer ([`timer`]); who writes and reads each field ([`fields`]); and which prompts
//! each screen shows ([`prompts`]); what an activity's configuration sets for them
//! ([`activity`]: how the group meets, what the gradebook gets); and the group's meeting, its
//! time, link and calendar entry ([`meeting`]). How a session is written down: the format of
//! its log and its field ids ([`log`]) and the status detail staff read ([`status_detail`]).
//! Pure: no I/O, no database, no HTTP, no clock of its own.
//!
//! The store persists a session's [`Event`]s and rebuilds it with [`Session::replay`]; the
//! web layer turns a request into a [`Command`], asks [`Session::decide`], and checks
//! [`may_write`] / [`may_read`] before touching a field.

pub mod activity;
pub mod error;
pub mod fields;
pub mod log;
pub mod meeting;
pub mod method;
pub mod prompts;
pub mod roles;
pub mod session;
pub mod status_detail;
pub mod timer;

#[cfg(test)]
mod tests;

pub use activity::{Grading, Milestone, MilestoneScore, SessionMode};
pub use error::CoachingError;
pub use fields::{
    FieldKey, FieldRef, check_text, lines_to_stored, list_to_lines, may_read, may_write,
};
pub use method::{Lead, Step};
pub use roles::{GroupSize, Role, Roles, Seat, rounds};
pub use session::{Change, Command, Event, Phase, Session, SessionKind, Status};
pub use status_detail::StatusDetail;
pub use timer::{StepTimer, TimerView, Timings, UnixMillis};
