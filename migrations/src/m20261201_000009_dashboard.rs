//! The staff dashboard: when each coaching session's introduction began, so that staff see
//! the time a group has spent in its session (from the introduction to completion or last
//! activity) without anyone reading the event log's entries.
//!
//! Sessions that were already under way get the moment of their `started` event, the one
//! entry of the log that marks the introduction (entries hold ids and kinds, never texts).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoachingSessions {
    Table,
    StartedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CoachingSessions::Table)
                    .add_column(
                        ColumnDef::new(CoachingSessions::StartedAt)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The same statement on SQLite and PostgreSQL: a correlated subquery over the log.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE coaching_sessions SET started_at = (SELECT MIN(e.at) FROM coaching_events e \
                 WHERE e.session_id = coaching_sessions.id AND e.payload LIKE '%\"type\":\"started\"%') \
                 WHERE status IN ('in_progress', 'completed', 'abandoned')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CoachingSessions::Table)
                    .drop_column(CoachingSessions::StartedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
