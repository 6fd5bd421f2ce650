//! Database schema of Binôme, as sea-orm migrations that run on SQLite and PostgreSQL.
//!
//! Every table that holds course data is scoped to a platform registration, a deployment
//! and a course (context), so that one database can serve many LMSs safely.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_roster;
mod m20261201_000003_page_handoffs;
mod m20261201_000004_coaching;
mod m20261201_000005_grades;
mod m20261201_000006_activity_config;
mod m20261201_000008_grades_points;
mod m20261201_000009_dashboard;
mod m20261207_000010_closed_doors;
mod m20261208_000011_draft_keys;
mod m20261208_000012_grades_once;
mod m20261209_000013_sessions_by_change;

/// Applies every migration of the project, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_roster::Migration),
            Box::new(m20261201_000003_page_handoffs::Migration),
            Box::new(m20261201_000004_coaching::Migration),
            Box::new(m20261201_000005_grades::Migration),
            Box::new(m20261201_000006_activity_config::Migration),
            Box::new(m20261201_000008_grades_points::Migration),
            Box::new(m20261201_000009_dashboard::Migration),
            Box::new(m20261207_000010_closed_doors::Migration),
            Box::new(m20261208_000011_draft_keys::Migration),
            Box::new(m20261208_000012_grades_once::Migration),
            Box::new(m20261209_000013_sessions_by_change::Migration),
        ]
    }
}
