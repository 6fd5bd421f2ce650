//! A person's standing in a course's stored LMS roster, asked on every staff write: the
//! session token says what the LMS said at launch, the roster what it says now.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use std::collections::HashMap;
use std::time::Duration;

use super::entities::{member, roster_member};
use super::roster::{MemberStatus, status_from_stored};
use super::{CourseId, PersonId, Store, StoreError};

/// How long [`Store::contacts`] keeps a person's contact.
pub const CONTACTS_TTL: Duration = Duration::from_secs(60);

/// The contacts kept, by (course, person); `None` for a person neither launched nor listed.
pub(super) type ContactCache = moka::future::Cache<(i32, String), Option<Contact>>;

/// At most 200,000 people (a few hundred bytes each), for [`CONTACTS_TTL`].
pub(super) fn contact_cache() -> ContactCache {
    moka::future::Cache::builder()
        .max_capacity(200_000)
        .time_to_live(CONTACTS_TTL)
        .support_invalidation_closures()
        .build()
}

/// How a learner's partner is shown to them, and how to reach them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

fn best_name(
    name: Option<String>,
    given: Option<String>,
    family: Option<String>,
) -> Option<String> {
    name.or_else(|| match (given, family) {
        (Some(g), Some(f)) => Some(format!("{g} {f}")),
        (g, f) => g.or(f),
    })
}

/// A person's profile as one of the two people tables holds it.
#[derive(Debug, sea_orm::FromQueryResult)]
struct ContactRow {
    /// From `members` (their own launch), else from `roster_members`.
    launched: bool,
    user_id: String,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    picture: Option<String>,
}

/// What the stored roster says of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The course has no stored roster (no roster service, or never synced).
    NoRoster,
    /// The roster does not list the person.
    Absent,
    /// The roster lists the person with these roles and this status.
    Listed {
        roles: Vec<String>,
        status: MemberStatus,
    },
}

impl Store {
    /// The standing of `user` in the stored roster of `course`.
    pub async fn standing(
        &self,
        course: CourseId,
        user: &PersonId,
    ) -> Result<Standing, StoreError> {
        // Whether there is a roster first, then the person: a roster replaced between the two
        // reads is replaced by another complete one, so an empty roster filled meanwhile can
        // never make a listed person look absent.
        let any = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course.get()))
            .count(&self.db)
            .await?;
        if any == 0 {
            return Ok(Standing::NoRoster);
        }
        let row = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course.get()))
            .filter(roster_member::Column::UserId.eq(user.as_str()))
            .one(&self.db)
            .await?;
        let Some(r) = row else {
            return Ok(Standing::Absent);
        };
        let roles = serde_json::from_str(&r.roles)
            .map_err(|e| StoreError::corrupt("roster_members", r.id, format!("roles: {e}")))?;
        let status = status_from_stored(&r.status)
            .ok_or_else(|| StoreError::corrupt("roster_members", r.id, "unknown status"))?;
        Ok(Standing::Listed { roles, status })
    }

    /// Names, emails and pictures of a few people of a course. The name a person's own launch
    /// gave wins over the roster's (the LMS's roster service may mangle it); the roster fills
    /// in what launches did not say. Kept a minute per person: this instance's launches and
    /// roster syncs forget what they change at once, another instance's are seen within
    /// [`CONTACTS_TTL`].
    pub async fn contacts(
        &self,
        course: CourseId,
        ids: &[PersonId],
    ) -> Result<HashMap<PersonId, Contact>, StoreError> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.contacts.get(&(course.get(), id.to_string())).await {
                Some(Some(c)) => {
                    out.insert(id.clone(), c);
                }
                Some(None) => {}
                None => missing.push(id.to_string()),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let mut read = self.read_contacts(course, &missing).await?;
        for id in missing {
            let c = read.remove(&id);
            self.contacts
                .insert((course.get(), id.clone()), c.clone())
                .await;
            if let Some(c) = c {
                out.insert(PersonId::new(id), c);
            }
        }
        Ok(out)
    }

    /// Forgets what [`Store::contacts`] keeps of a person (their launch changed it).
    pub(super) async fn forget_contact(&self, course: CourseId, id: &str) {
        self.contacts
            .invalidate(&(course.get(), id.to_string()))
            .await;
    }

    /// Forgets what [`Store::contacts`] keeps of a course (its roster was replaced).
    pub(super) fn forget_contacts(&self, course: CourseId) {
        let course = course.get();
        // Only fails when the cache was built without closures, which `contact_cache` asks for.
        let _ = self
            .contacts
            .invalidate_entries_if(move |(c, _), _| *c == course);
    }

    async fn read_contacts(
        &self,
        course: CourseId,
        ids: &[String],
    ) -> Result<HashMap<String, Contact>, StoreError> {
        let mut out: HashMap<String, Contact> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        // Both tables in one statement (a launch's page asks for the person's own contact,
        // and each statement is a round trip to the database): the roster's rows first, then
        // the launches' over them.
        use sea_orm::sea_query::UnionType;
        use sea_orm::{FromQueryResult, QuerySelect, QueryTrait};
        let ids = || ids.iter().cloned();
        let mut query = roster_member::select_profiles(course.get(), ids())
            .column_as(Expr::val(false), "launched")
            .into_query();
        query.union(
            UnionType::All,
            member::select_profiles(course.get(), ids())
                .column_as(Expr::val(true), "launched")
                .into_query(),
        );
        let mut rows = ContactRow::find_by_statement(self.db.get_database_backend().build(&query))
            .all(&self.db)
            .await?;
        // A person has at most one row in each table: the roster's fills an empty contact,
        // the launch's then overrides what it says.
        rows.sort_by_key(|r| r.launched);
        for r in rows {
            let name = best_name(r.name, r.given_name, r.family_name);
            let c = out.entry(r.user_id).or_default();
            if name.is_some() {
                c.name = name;
            }
            c.email = r.email.or(c.email.take());
            c.picture = r.picture.or(c.picture.take());
        }
        Ok(out)
    }
}
