//! sea-orm entities, one per table of `migrations/`.

pub mod activity;
pub mod course;
pub mod deployment;
pub mod login_state;
pub mod member;
pub mod platform;
pub mod secret;
pub mod tool_key;
