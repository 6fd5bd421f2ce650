//! sea-orm entities, one per table of `migrations/`.

/// Declares a table of people in a course: who they are as the platform gives them (NRPS
/// member fields, roles as a JSON list), then the table's own columns. `members` (people who
/// launched) and `roster_members` (the platform's roster) hold the same profile, so a profile
/// reads the same from either.
macro_rules! people_table {
    ($table:literal { $($own:tt)* }) => {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i32,
            pub course_id: i32,
            pub user_id: String,
            pub name: Option<String>,
            pub given_name: Option<String>,
            pub family_name: Option<String>,
            pub email: Option<String>,
            pub picture: Option<String>,
            pub roles: String,
            $($own)*
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}

        /// The profile columns of the people of course `course_id` among `ids`, in the same
        /// order in every people table (so that two such selects can be united).
        pub fn select_profiles(
            course_id: i32,
            ids: impl IntoIterator<Item = String>,
        ) -> Select<Entity> {
            use sea_orm::QuerySelect;
            Entity::find()
                .select_only()
                .columns([
                    Column::UserId,
                    Column::Name,
                    Column::GivenName,
                    Column::FamilyName,
                    Column::Email,
                    Column::Picture,
                ])
                .filter(Column::CourseId.eq(course_id))
                .filter(Column::UserId.is_in(ids))
        }
    };
}

pub mod activity;
pub mod activity_draft;
pub mod activity_grade;
pub mod coaching_completion;
pub mod coaching_event;
pub mod coaching_field;
pub mod coaching_session;
pub mod course;
pub mod course_setting;
pub mod deployment;
pub mod grade_outbox;
pub mod learner_profile;
pub mod link;
pub mod lms_result;
pub mod login_state;
pub mod member;
pub mod page_handoff;
pub mod pair_set;
pub mod pairing_event;
pub mod platform;
pub mod registration_invite;
pub mod roster_member;
pub mod secret;
pub mod tool_key;
