//! Grades: the glue between the live session and LTI Assignment and Grade Services. Scores
//! are enqueued in the store's outbox in the transaction of the event that causes them (see
//! `realtime::live`); [`outbox::deliver_step`] posts a batch of them and says what happened,
//! and [`outbox::run_loop`] calls it again and again; it also gives line items the points
//! staff set (`Store::set_activity_points`). [`gradebook::Gradebook`] reads what the LMS
//! holds (AGS results) when staff ask.
//!
//! Architecture Invariant: a score is never lost and never posted from two instances at once:
//! it leaves the outbox only as delivered, parked as failed with the platform's message, or
//! superseded by a newer score of the same learner (kept, never sent); a claim holds a lease.
//! An activity's line item is resolved once, by one instance at a time.
//!
//! Architecture Invariant: this module knows no actix and no web page; it talks to the LMS
//! through `lti::ags` and `lti::services` only.

pub mod gradebook;
pub mod outbox;

pub use gradebook::{CheckOutcome, Gradebook};
pub use outbox::{Deps, GradeWorker, GradesError, StepReport, deliver_step, run_loop, run_until};

/// The line item tag the tool finds or creates its line items by.
pub const LINEITEM_TAG: &str = "binome";
