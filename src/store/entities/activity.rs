//! Table `activities`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub course_id: i32,
    pub resource_link_id: String,
    pub title: Option<String>,
    pub updated_at: i64,
    /// The AGS `lineitem` of the last launch that carried one.
    pub ags_lineitem: Option<String>,
    /// The AGS `lineitems` container of the last launch that carried one.
    pub ags_lineitems: Option<String>,
    /// The AGS scopes the platform granted, space-separated.
    pub ags_scopes: Option<String>,
    /// The activity's configuration (JSON, `store::activities`); none until staff set it up.
    pub config: Option<String>,
    pub config_updated_at: Option<i64>,
    pub config_updated_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
