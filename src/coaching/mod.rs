//! The peer-coaching method as data: the preparation, the six steps of a round, their
//! indicative timings and who speaks. Pure: no I/O, no database, no HTTP.
//!
//! The live session state machine builds on these steps; pages use them to explain the
//! method to learners and staff.

pub mod method;
