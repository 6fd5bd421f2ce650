//! Roster and pairing: the NRPS roster of each course and its sync status, course settings
//! (field-context tags, pairing policy), learners' profiles, hierarchical and do-not-pair
//! links, pair sets (draft and published, per module) and the audit trail of their changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    MembershipsUrl,
    DifferencesUrl,
    LastSyncAt,
    LastFullSyncAt,
    LastAttemptAt,
    LastSyncError,
    LastSyncCount,
}

#[derive(DeriveIden)]
enum RosterMembers {
    Table,
    Id,
    CourseId,
    UserId,
    Name,
    GivenName,
    FamilyName,
    Email,
    Picture,
    Roles,
    Status,
    SyncedAt,
}

#[derive(DeriveIden)]
enum CourseSettings {
    Table,
    CourseId,
    TagOptions,
    Policy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LearnerProfiles {
    Table,
    Id,
    CourseId,
    UserId,
    Tags,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Links {
    Table,
    Id,
    CourseId,
    AUser,
    BUser,
    Kind,
    Source,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PairSets {
    Table,
    Id,
    CourseId,
    Module,
    Status,
    Groups,
    UpdatedBy,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum PairingEvents {
    Table,
    Id,
    CourseId,
    Actor,
    Action,
    Detail,
    At,
}

fn course_fk<T: IntoIden + 'static>(table: T, col: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Courses::Table, Courses::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for col in [
            ColumnDef::new(Courses::MembershipsUrl)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::DifferencesUrl)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::LastSyncAt)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::LastFullSyncAt)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::LastAttemptAt)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::LastSyncError)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Courses::LastSyncCount)
                .integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Courses::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RosterMembers::Table)
                    .col(
                        ColumnDef::new(RosterMembers::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RosterMembers::CourseId).integer().not_null())
                    .col(ColumnDef::new(RosterMembers::UserId).string().not_null())
                    .col(ColumnDef::new(RosterMembers::Name).string().null())
                    .col(ColumnDef::new(RosterMembers::GivenName).string().null())
                    .col(ColumnDef::new(RosterMembers::FamilyName).string().null())
                    .col(ColumnDef::new(RosterMembers::Email).string().null())
                    .col(ColumnDef::new(RosterMembers::Picture).text().null())
                    .col(ColumnDef::new(RosterMembers::Roles).text().not_null())
                    .col(ColumnDef::new(RosterMembers::Status).string().not_null())
                    .col(
                        ColumnDef::new(RosterMembers::SyncedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut course_fk(
                        RosterMembers::Table,
                        RosterMembers::CourseId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roster_members_scope")
                    .table(RosterMembers::Table)
                    .col(RosterMembers::CourseId)
                    .col(RosterMembers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CourseSettings::Table)
                    .col(
                        ColumnDef::new(CourseSettings::CourseId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(CourseSettings::TagOptions).text().not_null())
                    .col(ColumnDef::new(CourseSettings::Policy).string().not_null())
                    .col(
                        ColumnDef::new(CourseSettings::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut course_fk(
                        CourseSettings::Table,
                        CourseSettings::CourseId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LearnerProfiles::Table)
                    .col(
                        ColumnDef::new(LearnerProfiles::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LearnerProfiles::CourseId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LearnerProfiles::UserId).string().not_null())
                    .col(ColumnDef::new(LearnerProfiles::Tags).text().not_null())
                    .col(
                        ColumnDef::new(LearnerProfiles::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(&mut course_fk(
                        LearnerProfiles::Table,
                        LearnerProfiles::CourseId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("learner_profiles_scope")
                    .table(LearnerProfiles::Table)
                    .col(LearnerProfiles::CourseId)
                    .col(LearnerProfiles::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Links::Table)
                    .col(
                        ColumnDef::new(Links::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Links::CourseId).integer().not_null())
                    .col(ColumnDef::new(Links::AUser).string().not_null())
                    .col(ColumnDef::new(Links::BUser).string().not_null())
                    .col(ColumnDef::new(Links::Kind).string().not_null())
                    .col(ColumnDef::new(Links::Source).string().not_null())
                    .col(ColumnDef::new(Links::CreatedBy).string().not_null())
                    .col(ColumnDef::new(Links::CreatedAt).big_integer().not_null())
                    .foreign_key(&mut course_fk(Links::Table, Links::CourseId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("links_unique")
                    .table(Links::Table)
                    .col(Links::CourseId)
                    .col(Links::AUser)
                    .col(Links::BUser)
                    .col(Links::Kind)
                    .col(Links::Source)
                    .col(Links::CreatedBy)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PairSets::Table)
                    .col(
                        ColumnDef::new(PairSets::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PairSets::CourseId).integer().not_null())
                    .col(ColumnDef::new(PairSets::Module).string().not_null())
                    .col(ColumnDef::new(PairSets::Status).string().not_null())
                    .col(ColumnDef::new(PairSets::Groups).text().not_null())
                    .col(ColumnDef::new(PairSets::UpdatedBy).string().not_null())
                    .col(ColumnDef::new(PairSets::UpdatedAt).big_integer().not_null())
                    .col(ColumnDef::new(PairSets::PublishedAt).big_integer().null())
                    .foreign_key(&mut course_fk(PairSets::Table, PairSets::CourseId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("pair_sets_scope")
                    .table(PairSets::Table)
                    .col(PairSets::CourseId)
                    .col(PairSets::Module)
                    .col(PairSets::Status)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PairingEvents::Table)
                    .col(
                        ColumnDef::new(PairingEvents::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PairingEvents::CourseId).integer().not_null())
                    .col(ColumnDef::new(PairingEvents::Actor).string().not_null())
                    .col(ColumnDef::new(PairingEvents::Action).string().not_null())
                    .col(ColumnDef::new(PairingEvents::Detail).text().not_null())
                    .col(ColumnDef::new(PairingEvents::At).big_integer().not_null())
                    .foreign_key(&mut course_fk(
                        PairingEvents::Table,
                        PairingEvents::CourseId,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PairingEvents::Table.into_iden(),
            PairSets::Table.into_iden(),
            Links::Table.into_iden(),
            LearnerProfiles::Table.into_iden(),
            CourseSettings::Table.into_iden(),
            RosterMembers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        for c in [
            Courses::MembershipsUrl,
            Courses::DifferencesUrl,
            Courses::LastSyncAt,
            Courses::LastFullSyncAt,
            Courses::LastAttemptAt,
            Courses::LastSyncError,
            Courses::LastSyncCount,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Courses::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
