//! Table `activity_grades`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_grades")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity: String,
    /// The points the activity is worth in the gradebook (None: the default).
    pub points: Option<f64>,
    /// The `scoreMaximum` the LMS line item was last given by us.
    pub points_synced: Option<f64>,
    /// When the line item update is tried next (Unix seconds).
    pub points_next_at: i64,
    /// Why the last line item update failed.
    pub points_error: Option<String>,
    /// When staff last read the LMS results (Unix seconds).
    pub results_read_at: Option<i64>,
    /// Why that read failed, the platform's words.
    pub results_error: Option<String>,
    /// The line item the tool found or created in the `lineitems` container (when the
    /// launch names none); a launch never overwrites it.
    pub lineitem: Option<String>,
    /// Until when an instance holds the right to find or create that line item (Unix
    /// seconds): one instance at a time, so one line item per activity.
    pub lineitem_claimed_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
