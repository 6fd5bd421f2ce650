//! Live coaching sessions: one row per session of a group in an activity (its members, its
//! last event and the state after it), the session's event log (the sequence numbers the
//! event stream resumes from), the versioned text fields people write, and each learner's
//! completion of an activity.
//!
//! Every table carries its course, so every query is scoped by course; the tables of a
//! session's content also reference the session and go with it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CoachingSessions {
    Table,
    Id,
    CourseId,
    Activity,
    Module,
    GroupKey,
    Members,
    Ordinal,
    LastSeq,
    Snapshot,
    Status,
    StatusDetail,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum CoachingEvents {
    Table,
    CourseId,
    SessionId,
    Seq,
    Actor,
    Payload,
    At,
}

#[derive(DeriveIden)]
enum CoachingFields {
    Table,
    CourseId,
    SessionId,
    Owner,
    Field,
    Text,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CoachingCompletions {
    Table,
    CourseId,
    Activity,
    PersonId,
    SessionId,
    CompletedAt,
}

fn course_fk<T: IntoIden + 'static>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Courses::Table, Courses::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn session_fk<T: IntoIden + 'static>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(CoachingSessions::Table, CoachingSessions::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CoachingSessions::Table)
                    .col(
                        ColumnDef::new(CoachingSessions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CoachingSessions::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingSessions::Activity)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoachingSessions::Module).string().not_null())
                    .col(
                        ColumnDef::new(CoachingSessions::GroupKey)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoachingSessions::Members).text().not_null())
                    .col(
                        ColumnDef::new(CoachingSessions::Ordinal)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingSessions::LastSeq)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoachingSessions::Snapshot).text().null())
                    .col(ColumnDef::new(CoachingSessions::Status).string().not_null())
                    .col(ColumnDef::new(CoachingSessions::StatusDetail).text().null())
                    .col(
                        ColumnDef::new(CoachingSessions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingSessions::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingSessions::CompletedAt)
                            .big_integer()
                            .null(),
                    )
                    .foreign_key(&mut course_fk(
                        CoachingSessions::Table,
                        CoachingSessions::CourseId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("coaching_sessions_scope")
                    .table(CoachingSessions::Table)
                    .col(CoachingSessions::CourseId)
                    .col(CoachingSessions::Activity)
                    .col(CoachingSessions::GroupKey)
                    .col(CoachingSessions::Ordinal)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CoachingEvents::Table)
                    .col(
                        ColumnDef::new(CoachingEvents::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingEvents::SessionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoachingEvents::Seq).big_integer().not_null())
                    .col(ColumnDef::new(CoachingEvents::Actor).string().not_null())
                    .col(ColumnDef::new(CoachingEvents::Payload).text().not_null())
                    .col(ColumnDef::new(CoachingEvents::At).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(CoachingEvents::SessionId)
                            .col(CoachingEvents::Seq),
                    )
                    .foreign_key(&mut course_fk(
                        CoachingEvents::Table,
                        CoachingEvents::CourseId,
                    ))
                    .foreign_key(&mut session_fk(
                        CoachingEvents::Table,
                        CoachingEvents::SessionId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CoachingFields::Table)
                    .col(
                        ColumnDef::new(CoachingFields::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingFields::SessionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CoachingFields::Owner).string().not_null())
                    .col(ColumnDef::new(CoachingFields::Field).string().not_null())
                    .col(ColumnDef::new(CoachingFields::Text).text().not_null())
                    .col(
                        ColumnDef::new(CoachingFields::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingFields::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CoachingFields::SessionId)
                            .col(CoachingFields::Owner)
                            .col(CoachingFields::Field),
                    )
                    .foreign_key(&mut course_fk(
                        CoachingFields::Table,
                        CoachingFields::CourseId,
                    ))
                    .foreign_key(&mut session_fk(
                        CoachingFields::Table,
                        CoachingFields::SessionId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CoachingCompletions::Table)
                    .col(
                        ColumnDef::new(CoachingCompletions::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingCompletions::Activity)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingCompletions::PersonId)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingCompletions::SessionId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CoachingCompletions::CompletedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CoachingCompletions::CourseId)
                            .col(CoachingCompletions::Activity)
                            .col(CoachingCompletions::PersonId),
                    )
                    .foreign_key(&mut course_fk(
                        CoachingCompletions::Table,
                        CoachingCompletions::CourseId,
                    ))
                    .foreign_key(&mut session_fk(
                        CoachingCompletions::Table,
                        CoachingCompletions::SessionId,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CoachingCompletions::Table.into_iden(),
            CoachingFields::Table.into_iden(),
            CoachingEvents::Table.into_iden(),
            CoachingSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
