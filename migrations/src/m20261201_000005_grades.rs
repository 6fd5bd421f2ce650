//! Grades (LTI AGS 2.0): each activity's AGS endpoint as the last launch gave it, and the
//! durable outbox of scores to post to the LMS, written in the same transaction as the
//! session event that causes each score.
//!
//! A learner's score timestamps must strictly increase per line item (Moodle answers 409 to
//! two scores in one second): the outbox keeps every score's own timestamp, and a new one is
//! always at least one second after the learner's latest in that activity.

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
    AgsLineitem,
    AgsLineitems,
    AgsScopes,
}

#[derive(DeriveIden)]
enum GradeOutbox {
    Table,
    Id,
    CourseId,
    PlatformId,
    Activity,
    PersonId,
    Lineitem,
    Lineitems,
    ScoreGiven,
    ScoreMaximum,
    ActivityProgress,
    GradingProgress,
    Comment,
    Timestamp,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Activities::AgsLineitem,
            Activities::AgsLineitems,
            Activities::AgsScopes,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .add_column(ColumnDef::new(col).text().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(GradeOutbox::Table)
                    .col(
                        ColumnDef::new(GradeOutbox::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(GradeOutbox::CourseId).integer().not_null())
                    .col(ColumnDef::new(GradeOutbox::PlatformId).integer().not_null())
                    .col(ColumnDef::new(GradeOutbox::Activity).string().not_null())
                    .col(ColumnDef::new(GradeOutbox::PersonId).string().not_null())
                    .col(ColumnDef::new(GradeOutbox::Lineitem).text().null())
                    .col(ColumnDef::new(GradeOutbox::Lineitems).text().null())
                    .col(ColumnDef::new(GradeOutbox::ScoreGiven).double().null())
                    .col(ColumnDef::new(GradeOutbox::ScoreMaximum).double().null())
                    .col(
                        ColumnDef::new(GradeOutbox::ActivityProgress)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GradeOutbox::GradingProgress)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GradeOutbox::Comment).text().null())
                    .col(
                        ColumnDef::new(GradeOutbox::Timestamp)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GradeOutbox::Status).string().not_null())
                    .col(ColumnDef::new(GradeOutbox::Attempts).integer().not_null())
                    .col(
                        ColumnDef::new(GradeOutbox::NextAttemptAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GradeOutbox::LockedUntil)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(GradeOutbox::LastError).text().null())
                    .col(
                        ColumnDef::new(GradeOutbox::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GradeOutbox::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GradeOutbox::DeliveredAt)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GradeOutbox::Table, GradeOutbox::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grade_outbox_due")
                    .table(GradeOutbox::Table)
                    .col(GradeOutbox::Status)
                    .col(GradeOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grade_outbox_learner")
                    .table(GradeOutbox::Table)
                    .col(GradeOutbox::CourseId)
                    .col(GradeOutbox::Activity)
                    .col(GradeOutbox::PersonId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GradeOutbox::Table).to_owned())
            .await?;
        for col in [
            Activities::AgsLineitem,
            Activities::AgsLineitems,
            Activities::AgsScopes,
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
