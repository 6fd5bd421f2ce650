//! Course copy: an activity copied into another course (Moodle's backup and restore or
//! Import, Canvas's course copy) launches with the key of a configuration deep-linked in the
//! original course. The launch looks that key up among the courses of the same platform
//! registration, so the drafts are indexed by key alone too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivityDrafts {
    Table,
    Key,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("activity_drafts_by_key")
                    .table(ActivityDrafts::Table)
                    .col(ActivityDrafts::Key)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("activity_drafts_by_key")
                    .table(ActivityDrafts::Table)
                    .to_owned(),
            )
            .await
    }
}
