//! Activity configuration: what a course designer set for each activity (title, instructions,
//! module, pairing policy, step durations, session mode, language, grading), stored on the
//! activity, and the configurations a Deep Linking response created that wait for the first
//! launch of their resource link (the LMS gives the link its id only then).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Config,
    ConfigUpdatedAt,
    ConfigUpdatedBy,
}

#[derive(DeriveIden)]
enum ActivityDrafts {
    Table,
    Id,
    CourseId,
    Key,
    Config,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(ColumnDef::new(Activities::Config).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(
                        ColumnDef::new(Activities::ConfigUpdatedAt)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(ColumnDef::new(Activities::ConfigUpdatedBy).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityDrafts::Table)
                    .col(
                        ColumnDef::new(ActivityDrafts::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ActivityDrafts::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ActivityDrafts::Key).string().not_null())
                    .col(ColumnDef::new(ActivityDrafts::Config).text().not_null())
                    .col(ColumnDef::new(ActivityDrafts::CreatedBy).text().not_null())
                    .col(
                        ColumnDef::new(ActivityDrafts::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActivityDrafts::Table, ActivityDrafts::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("activity_drafts_key")
                    .table(ActivityDrafts::Table)
                    .col(ActivityDrafts::CourseId)
                    .col(ActivityDrafts::Key)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActivityDrafts::Table).to_owned())
            .await?;
        for col in [
            Activities::Config,
            Activities::ConfigUpdatedAt,
            Activities::ConfigUpdatedBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
