//! Live fan-out of coaching events to the screens connected to this instance.
//!
//! The event table is the truth; the hub only says when to look at it. A subscriber of a
//! session (an SSE connection, say) is woken with the highest sequence number this instance
//! knows of, and reads what it has not sent yet from the store
//! ([`Store::events_since`](crate::store::Store::events_since)) after the last sequence
//! number it tracks itself. So a wake-up never carries data, a lagging subscriber never
//! holds a buffer, and a missed wake-up costs at most one re-read.
//!
//! - On SQLite (one instance) the writer calls [`Hub::published`] after its commit.
//! - On PostgreSQL the writer does the same (for this instance's screens, without a round
//!   trip), and [`Hub::start`] runs this instance's one listener task, which relays every
//!   instance's `NOTIFY` (its own included: wake-ups are deduplicated by sequence number) and,
//!   after the listener reconnected, wakes every subscriber to re-read.
//!
//! **Architecture Invariant:** the hub holds no event, no content and no per-subscriber
//! buffer: one small watch channel per followed session, dropped with its last subscriber.
//!
//! `streams` counts the event streams themselves (per person and session, per client
//! address, in all) so that screens cannot take every file descriptor of the instance.

mod hub;
pub mod live;
mod relay;
pub mod streams;

pub use hub::{Hub, Subscription, Wake};
pub use relay::Relayed;
