//! The relay's catch-up on PostgreSQL asks which sessions changed in the last seconds, so
//! that its cost follows the changes, not the number of sessions an instance follows: the
//! sessions are indexed by the time of their last change.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CoachingSessions {
    Table,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("coaching_sessions_by_change")
                    .table(CoachingSessions::Table)
                    .col(CoachingSessions::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("coaching_sessions_by_change")
                    .table(CoachingSessions::Table)
                    .to_owned(),
            )
            .await
    }
}
