//! Grades, exactly once: an activity's line item is resolved once (when the launch names
//! none, the tool finds or creates it in the `lineitems` container) and kept in
//! `activity_grades.lineitem`, where a launch never overwrites it; the instance resolving it
//! holds a claim (`lineitem_claimed_until`), so two instances never both create one.
//!
//! A score a newer score of the same learner and activity replaced before it was delivered is
//! kept, as `superseded`, and never sent again. Scores already parked (or left pending) behind
//! a newer score of the same learner become `superseded` here, so "send the refused grades
//! again" never re-sends a stale one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivityGrades {
    Table,
    Lineitem,
    LineitemClaimedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [
            ColumnDef::new(ActivityGrades::Lineitem)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(ActivityGrades::LineitemClaimedUntil)
                .big_integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityGrades::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        // Parked scores, and unclaimed pending twins, behind a newer score of the same learner.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE grade_outbox SET status = 'superseded' \
                 WHERE (status = 'failed' OR (status = 'pending' AND locked_until IS NULL)) \
                 AND EXISTS (SELECT 1 FROM grade_outbox o \
                   WHERE o.course_id = grade_outbox.course_id \
                   AND o.activity = grade_outbox.activity \
                   AND o.person_id = grade_outbox.person_id \
                   AND o.id > grade_outbox.id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE grade_outbox SET status = 'failed' WHERE status = 'superseded'",
            )
            .await?;
        for col in [
            ActivityGrades::Lineitem,
            ActivityGrades::LineitemClaimedUntil,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityGrades::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
