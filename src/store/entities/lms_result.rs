//! Table `lms_results`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lms_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i32,
    pub activity: String,
    pub person_id: String,
    pub result_score: Option<f64>,
    pub result_maximum: Option<f64>,
    pub read_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
