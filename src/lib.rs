//! Binôme: an LTI 1.3 tool that runs structured peer coaching in pairs inside an LMS.
//!
//! See `ARCHITECTURE.md` for the map of modules and their invariants.

pub mod cli;
pub mod coaching;
pub mod config;
pub mod grades;
pub mod health;
pub mod i18n;
pub mod launch;
pub mod lti;
pub mod metrics;
pub mod pairing;
pub mod read;
pub mod realtime;
pub mod roster;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
