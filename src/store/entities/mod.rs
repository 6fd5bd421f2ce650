//! sea-orm entities, one per table of `migrations/`.

pub mod activity;
pub mod activity_draft;
pub mod activity_grade;
pub mod coaching_completion;
pub mod coaching_event;
pub mod coaching_field;
pub mod coaching_session;
pub mod course;
pub mod course_setting;
pub mod deployment;
pub mod grade_outbox;
pub mod learner_profile;
pub mod link;
pub mod lms_result;
pub mod login_state;
pub mod member;
pub mod page_handoff;
pub mod pair_set;
pub mod pairing_event;
pub mod platform;
pub mod registration_invite;
pub mod roster_member;
pub mod secret;
pub mod tool_key;
