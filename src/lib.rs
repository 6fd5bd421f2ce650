//! Binôme: an LTI 1.3 tool that runs structured peer coaching in pairs inside an LMS.
//!
//! See `ARCHITECTURE.md` for the map of modules and their invariants.

// The pure core and the protocol are crates of the workspace, so "no I/O" is a Cargo fact;
// they keep their old paths here.
pub use binome_coaching as coaching;
pub use binome_lti as lti;
pub use binome_pairing as pairing;

pub mod activity;
pub mod cli;
pub mod config;
pub mod course;
pub mod grades;
pub mod health;
pub mod i18n;
pub mod launch;
pub mod metrics;
pub mod pairs;
pub mod read;
pub mod realtime;
pub mod roster;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
