//! Table `coaching_events`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_events")]
pub struct Model {
    pub course_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: i64,
    /// 1-based, per session.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub actor: String,
    /// JSON, as the caller wrote it.
    pub payload: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
