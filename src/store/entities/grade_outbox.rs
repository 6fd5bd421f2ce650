//! Table `grade_outbox`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "grade_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub course_id: i32,
    pub platform_id: i32,
    pub activity: String,
    pub person_id: String,
    pub lineitem: Option<String>,
    pub lineitems: Option<String>,
    pub score_given: Option<f64>,
    pub score_maximum: Option<f64>,
    pub activity_progress: String,
    pub grading_progress: String,
    pub comment: Option<String>,
    pub timestamp: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
