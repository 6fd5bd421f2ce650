//! Integration tests through the real HTTP surface, against a test LMS platform.
//! One binary for all of them (faster to build and link).

// The test platform and the load generators are clients of their own, not the server's
// outbound requests that `lti::outbound` guards.
#![allow(clippy::disallowed_methods)]

mod activity_config;
mod bounds;
mod browser;
mod browser_live;
mod cli;
mod coaching_store;
mod coaching_wording;
mod course_copy;
mod dashboard;
mod deep_linking;
mod follow_up;
mod grades;
mod grades_regress;
mod health;
mod helpers;
mod jwks_rotation;
mod launch;
mod launch_origin;
mod live;
mod live_instances;
mod live_panel;
mod live_presence;
mod live_soak;
mod logging;
mod login;
mod login_limits;
mod nrps_names;
mod ops;
mod platform;
mod platform_selftest;
mod refusals;
mod registration;
mod roster;
mod roster_differences;
mod roster_links;
mod service_hosts;
mod session;
mod storage;
mod store;
mod tidy;
