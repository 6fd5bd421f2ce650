//! Closed doors: a registration is by invitation or held for approval, may reach private
//! network addresses only when an operator allowed it, and sends its service token only to
//! its own service hosts.
//!
//! Platforms already registered were added by an operator (`binome platform add`) or
//! registered before invitations existed; they keep working as they did: active, trusted with
//! the addresses they have, registered "by the operator".

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Platforms {
    Table,
    Id,
    Status,
    PrivateNetwork,
    ServiceHosts,
    RegisteredVia,
}

#[derive(DeriveIden)]
enum RegistrationInvites {
    Table,
    Id,
    TokenHash,
    Note,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    PlatformId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [
            ColumnDef::new(Platforms::Status)
                .string()
                .not_null()
                .default("active")
                .to_owned(),
            ColumnDef::new(Platforms::PrivateNetwork)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new(Platforms::ServiceHosts)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Platforms::RegisteredVia)
                .string()
                .not_null()
                .default("operator")
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Platforms::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RegistrationInvites::Table)
                    .col(
                        ColumnDef::new(RegistrationInvites::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RegistrationInvites::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(RegistrationInvites::Note).text().null())
                    .col(
                        ColumnDef::new(RegistrationInvites::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RegistrationInvites::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RegistrationInvites::UsedAt)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RegistrationInvites::PlatformId)
                            .integer()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RegistrationInvites::Table, RegistrationInvites::PlatformId)
                            .to(Platforms::Table, Platforms::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistrationInvites::Table).to_owned())
            .await?;
        for col in [
            Platforms::Status,
            Platforms::PrivateNetwork,
            Platforms::ServiceHosts,
            Platforms::RegisteredVia,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Platforms::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
