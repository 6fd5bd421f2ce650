//! The foundation: platform registrations, deployments, tool keys, login states, and the
//! courses, activities and people seen in launches.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Platforms {
    Table,
    Id,
    Issuer,
    ClientId,
    AuthUrl,
    TokenUrl,
    JwksUrl,
    AcceptNewDeployments,
    FrameOrigins,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deployments {
    Table,
    Id,
    PlatformId,
    DeploymentId,
    Status,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum ToolKeys {
    Table,
    Kid,
    PrivateKeyPem,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Secrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginStates {
    Table,
    State,
    PlatformId,
    Nonce,
    BrowserSecret,
    StorageTarget,
    LoginParams,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    PlatformId,
    DeploymentId,
    ContextId,
    Label,
    Title,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    CourseId,
    ResourceLinkId,
    Title,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Members {
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
    LastLaunchAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Platforms::Table)
                    .col(
                        ColumnDef::new(Platforms::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Platforms::Issuer).string().not_null())
                    .col(ColumnDef::new(Platforms::ClientId).string().not_null())
                    .col(ColumnDef::new(Platforms::AuthUrl).string().not_null())
                    .col(ColumnDef::new(Platforms::TokenUrl).string().not_null())
                    .col(ColumnDef::new(Platforms::JwksUrl).string().not_null())
                    .col(
                        ColumnDef::new(Platforms::AcceptNewDeployments)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Platforms::FrameOrigins)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(Platforms::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("platforms_issuer_client")
                    .table(Platforms::Table)
                    .col(Platforms::Issuer)
                    .col(Platforms::ClientId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deployments::Table)
                    .col(
                        ColumnDef::new(Deployments::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Deployments::PlatformId).integer().not_null())
                    .col(
                        ColumnDef::new(Deployments::DeploymentId)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deployments::Status).string().not_null())
                    .col(
                        ColumnDef::new(Deployments::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deployments::LastSeenAt).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deployments::Table, Deployments::PlatformId)
                            .to(Platforms::Table, Platforms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deployments_platform_deployment")
                    .table(Deployments::Table)
                    .col(Deployments::PlatformId)
                    .col(Deployments::DeploymentId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ToolKeys::Table)
                    .col(
                        ColumnDef::new(ToolKeys::Kid)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ToolKeys::PrivateKeyPem).text().not_null())
                    .col(ColumnDef::new(ToolKeys::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(ToolKeys::RetiredAt).big_integer().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Secrets::Table)
                    .col(
                        ColumnDef::new(Secrets::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Secrets::Value).text().not_null())
                    .col(ColumnDef::new(Secrets::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginStates::Table)
                    .col(
                        ColumnDef::new(LoginStates::State)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginStates::PlatformId).integer().not_null())
                    .col(ColumnDef::new(LoginStates::Nonce).string().not_null())
                    .col(
                        ColumnDef::new(LoginStates::BrowserSecret)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LoginStates::StorageTarget).string().null())
                    .col(ColumnDef::new(LoginStates::LoginParams).text().not_null())
                    .col(
                        ColumnDef::new(LoginStates::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginStates::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(LoginStates::ConsumedAt).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(LoginStates::Table, LoginStates::PlatformId)
                            .to(Platforms::Table, Platforms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_states_expires")
                    .table(LoginStates::Table)
                    .col(LoginStates::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Courses::Table)
                    .col(
                        ColumnDef::new(Courses::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Courses::PlatformId).integer().not_null())
                    .col(ColumnDef::new(Courses::DeploymentId).string().not_null())
                    .col(ColumnDef::new(Courses::ContextId).string().not_null())
                    .col(ColumnDef::new(Courses::Label).string().null())
                    .col(ColumnDef::new(Courses::Title).string().null())
                    .col(ColumnDef::new(Courses::UpdatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Courses::Table, Courses::PlatformId)
                            .to(Platforms::Table, Platforms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("courses_scope")
                    .table(Courses::Table)
                    .col(Courses::PlatformId)
                    .col(Courses::DeploymentId)
                    .col(Courses::ContextId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(
                        ColumnDef::new(Activities::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Activities::CourseId).integer().not_null())
                    .col(
                        ColumnDef::new(Activities::ResourceLinkId)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activities::Title).string().null())
                    .col(
                        ColumnDef::new(Activities::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Activities::Table, Activities::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("activities_scope")
                    .table(Activities::Table)
                    .col(Activities::CourseId)
                    .col(Activities::ResourceLinkId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(
                        ColumnDef::new(Members::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Members::CourseId).integer().not_null())
                    .col(ColumnDef::new(Members::UserId).string().not_null())
                    .col(ColumnDef::new(Members::Name).string().null())
                    .col(ColumnDef::new(Members::GivenName).string().null())
                    .col(ColumnDef::new(Members::FamilyName).string().null())
                    .col(ColumnDef::new(Members::Email).string().null())
                    .col(ColumnDef::new(Members::Picture).string().null())
                    .col(ColumnDef::new(Members::Roles).text().not_null())
                    .col(ColumnDef::new(Members::LastLaunchAt).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Members::Table, Members::CourseId)
                            .to(Courses::Table, Courses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("members_scope")
                    .table(Members::Table)
                    .col(Members::CourseId)
                    .col(Members::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Members::Table.into_iden(),
            Activities::Table.into_iden(),
            Courses::Table.into_iden(),
            LoginStates::Table.into_iden(),
            Secrets::Table.into_iden(),
            ToolKeys::Table.into_iden(),
            Deployments::Table.into_iden(),
            Platforms::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
