//! Page hand-offs: the single-use codes that carry a session from a redirect to the page it
//! opens, so that no session token ever appears in a URL; and the module of each pairing
//! event, so that a module's history shows that module only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PageHandoffs {
    Table,
    Code,
    Token,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum PairingEvents {
    Table,
    Module,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PageHandoffs::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(PageHandoffs::Code)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PageHandoffs::Token).text().not_null())
                    .col(
                        ColumnDef::new(PageHandoffs::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_page_handoffs_expires")
                    .table(PageHandoffs::Table)
                    .col(PageHandoffs::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PairingEvents::Table)
                    .add_column(ColumnDef::new(PairingEvents::Module).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PairingEvents::Table)
                    .drop_column(PairingEvents::Module)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PageHandoffs::Table).to_owned())
            .await
    }
}
