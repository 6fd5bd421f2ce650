//! Grades, continued: each activity's points in the gradebook and whether the LMS line item
//! has them yet (a durable "line item update" the grade worker applies, retried until the
//! LMS takes it), and what the LMS gradebook held at staff's last check (AGS results).
//!
//! Kept apart from `activities` (one row per activity that has grade data of its own), so
//! the activity's configuration and its gradebook bookkeeping change independently.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ActivityGrades {
    Table,
    CourseId,
    Activity,
    Points,
    PointsSynced,
    PointsNextAt,
    PointsError,
    ResultsReadAt,
    ResultsError,
}

#[derive(DeriveIden)]
enum LmsResults {
    Table,
    Id,
    CourseId,
    Activity,
    PersonId,
    ResultScore,
    ResultMaximum,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActivityGrades::Table)
                    .col(
                        ColumnDef::new(ActivityGrades::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ActivityGrades::Activity).string().not_null())
                    .col(ColumnDef::new(ActivityGrades::Points).double().null())
                    .col(ColumnDef::new(ActivityGrades::PointsSynced).double().null())
                    .col(
                        ColumnDef::new(ActivityGrades::PointsNextAt)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(ActivityGrades::PointsError).text().null())
                    .col(
                        ColumnDef::new(ActivityGrades::ResultsReadAt)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(ActivityGrades::ResultsError).text().null())
                    .primary_key(
                        Index::create()
                            .col(ActivityGrades::CourseId)
                            .col(ActivityGrades::Activity),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActivityGrades::Table, ActivityGrades::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LmsResults::Table)
                    .col(
                        ColumnDef::new(LmsResults::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LmsResults::CourseId).integer().not_null())
                    .col(ColumnDef::new(LmsResults::Activity).string().not_null())
                    .col(ColumnDef::new(LmsResults::PersonId).string().not_null())
                    .col(ColumnDef::new(LmsResults::ResultScore).double().null())
                    .col(ColumnDef::new(LmsResults::ResultMaximum).double().null())
                    .col(ColumnDef::new(LmsResults::ReadAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(LmsResults::Table, LmsResults::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lms_results_learner")
                    .table(LmsResults::Table)
                    .col(LmsResults::CourseId)
                    .col(LmsResults::Activity)
                    .col(LmsResults::PersonId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LmsResults::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ActivityGrades::Table).to_owned())
            .await?;
        Ok(())
    }
}
