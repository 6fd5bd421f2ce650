//! Table `coaching_sessions`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coaching_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i32,
    /// The resource link id of the activity.
    pub activity: String,
    pub module: String,
    pub group_key: String,
    /// JSON list of person ids; the index is the seat.
    pub members: String,
    pub ordinal: i32,
    pub last_seq: i64,
    /// JSON state after `last_seq`, as the caller wrote it.
    pub snapshot: Option<String>,
    pub status: String,
    pub status_detail: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    /// When the introduction began (Unix seconds): the start of the time spent.
    pub started_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
