//! Table `members`: the people who launched in a course, with their last launch.

people_table!("members" {
    pub last_launch_at: Option<i64>,
});
