//! Table `roster_members`: a course's roster as the platform's NRPS service last gave it.

people_table!("roster_members" {
    pub status: String,
    pub synced_at: i64,
});
