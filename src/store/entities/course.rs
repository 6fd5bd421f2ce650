//! Table `courses`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub platform_id: i32,
    pub deployment_id: String,
    pub context_id: String,
    pub label: Option<String>,
    pub title: Option<String>,
    pub updated_at: i64,
    pub memberships_url: Option<String>,
    pub differences_url: Option<String>,
    pub last_sync_at: Option<i64>,
    pub last_full_sync_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_sync_error: Option<String>,
    pub last_sync_count: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
