//! The people of a course: the roster from NRPS and its sync status, the people seen in
//! launches, their display names, and pages of them. All scoped by course.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use super::entities::{course, member, roster_member};
use super::{CourseId, PersonId, Store, StoreError};
use crate::lti::RegistrationId;

pub use crate::lti::nrps::MemberStatus;

/// The one mapping of a member's status to the `roster_members.status` column, which holds
/// the spec's three names only. A status the spec does not name is kept as `Inactive`: the
/// column holds what the product acts on, and such a member must never become pairable or
/// manage (the staff page shows them as inactive).
fn stored_status(s: &MemberStatus) -> &'static str {
    match s {
        MemberStatus::Active => "Active",
        MemberStatus::Inactive | MemberStatus::Other(_) => "Inactive",
        MemberStatus::Deleted => "Deleted",
    }
}

/// A stored status, exactly as [`stored_status`] wrote it.
pub(super) fn status_from_stored(s: &str) -> Option<MemberStatus> {
    [
        MemberStatus::Active,
        MemberStatus::Inactive,
        MemberStatus::Deleted,
    ]
    .into_iter()
    .find(|m| stored_status(m) == s)
}

/// One person of a course roster, kept as NRPS gives it (a person who launched but is not on
/// the roster read yet is one too, from the launch's claims).
pub type RosterEntry = crate::lti::nrps::NrpsMember;

/// A course as the staff page needs it.
#[derive(Debug, Clone)]
pub struct CourseInfo {
    pub id: CourseId,
    pub registration: RegistrationId,
    pub deployment_id: String,
    pub context_id: String,
    pub title: Option<String>,
    pub memberships_url: Option<String>,
    pub differences_url: Option<String>,
    pub last_sync_at: Option<i64>,
    /// The last complete read (as opposed to a read of the differences only).
    pub last_full_sync_at: Option<i64>,
    pub last_sync_error: Option<String>,
    pub last_sync_count: Option<i32>,
}

/// A learner as a picker shows them: the id and the one display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerName {
    pub user_id: PersonId,
    pub name: Option<String>,
}

/// One page of the pairable learners of a course, in user id order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LearnerPage {
    pub learners: Vec<LearnerName>,
    /// The `after` of the next page; none on the last page.
    pub next: Option<String>,
}

/// A person of a roster page: the entry (with the one display name in `name`) and their
/// last launch, if they launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterPageEntry {
    pub entry: RosterEntry,
    pub launched_at: Option<i64>,
}

/// One page of the people of a course, in user id order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterPage {
    pub entries: Vec<RosterPageEntry>,
    /// The `after` of the next page; none on the last page.
    pub next: Option<String>,
    /// Whether the people come from an NRPS roster (else from launches).
    pub from_roster: bool,
}

/// The largest page a caller may ask for.
pub const MAX_PAGE: u64 = 500;

fn to_info(c: course::Model) -> CourseInfo {
    CourseInfo {
        id: CourseId::new(c.id),
        registration: RegistrationId::new(c.platform_id),
        deployment_id: c.deployment_id,
        context_id: c.context_id,
        title: c.title.or(c.label),
        memberships_url: c.memberships_url,
        differences_url: c.differences_url,
        last_sync_at: c.last_sync_at,
        last_full_sync_at: c.last_full_sync_at,
        last_sync_error: c.last_sync_error,
        last_sync_count: c.last_sync_count,
    }
}

impl Store {
    /// A course by id, only within its registration and deployment.
    pub async fn course_in_scope(
        &self,
        id: CourseId,
        reg: RegistrationId,
        deployment_id: &str,
    ) -> Result<Option<CourseInfo>, StoreError> {
        let row = course::Entity::find_by_id(id.get())
            .filter(course::Column::PlatformId.eq(reg.get()))
            .filter(course::Column::DeploymentId.eq(deployment_id))
            .one(&self.db)
            .await?;
        Ok(row.map(to_info))
    }

    /// Courses with an NRPS URL whose roster is older than `synced_before` and that someone
    /// launched since `active_since`: the scheduled sync's work list.
    pub async fn courses_due_for_sync(
        &self,
        synced_before: i64,
        active_since: i64,
    ) -> Result<Vec<CourseInfo>, StoreError> {
        let rows = course::Entity::find()
            .filter(course::Column::MembershipsUrl.is_not_null())
            .filter(course::Column::UpdatedAt.gte(active_since))
            .filter(
                course::Column::LastSyncAt
                    .is_null()
                    .or(course::Column::LastSyncAt.lt(synced_before)),
            )
            .order_by_asc(course::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_info).collect())
    }

    /// Replaces the roster of a course with a complete new one, atomically: readers see the
    /// old roster or the new one, never a mix, and a failed write leaves the old one. `full`
    /// says whether it came from a complete read (rather than the previous roster merged with
    /// the differences). A person listed twice is stored once (the last entry wins).
    pub async fn replace_roster(
        &self,
        course_id: CourseId,
        members: &[RosterEntry],
        differences_url: Option<&str>,
        full: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut unique: Vec<&RosterEntry> = Vec::with_capacity(members.len());
        let mut seen = std::collections::HashMap::new();
        for m in members {
            match seen.get(&m.user_id) {
                Some(&i) => unique[i] = m,
                None => {
                    seen.insert(m.user_id.clone(), unique.len());
                    unique.push(m);
                }
            }
        }
        let members = unique;
        let txn = self.db.begin().await?;
        roster_member::Entity::delete_many()
            .filter(roster_member::Column::CourseId.eq(course_id.get()))
            .exec(&txn)
            .await?;
        for chunk in members.chunks(500) {
            let rows = chunk.iter().map(|m| roster_member::ActiveModel {
                course_id: Set(course_id.get()),
                user_id: Set(m.user_id.to_string()),
                name: Set(m.name.clone()),
                given_name: Set(m.given_name.clone()),
                family_name: Set(m.family_name.clone()),
                email: Set(m.email.clone()),
                picture: Set(m.picture.clone()),
                roles: Set(serde_json::to_string(&m.roles).unwrap_or_else(|_| "[]".into())),
                status: Set(stored_status(&m.status).to_string()),
                synced_at: Set(now),
                ..Default::default()
            });
            roster_member::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        let mut done = course::Entity::update_many()
            .col_expr(course::Column::LastSyncAt, Expr::value(now))
            .col_expr(course::Column::LastAttemptAt, Expr::value(now));
        if full {
            done = done.col_expr(course::Column::LastFullSyncAt, Expr::value(now));
        }
        done.col_expr(
            course::Column::LastSyncError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            course::Column::LastSyncCount,
            Expr::value(members.len() as i32),
        )
        .col_expr(
            course::Column::DifferencesUrl,
            Expr::value(differences_url.map(str::to_string)),
        )
        .filter(course::Column::Id.eq(course_id.get()))
        .exec(&txn)
        .await?;
        txn.commit().await?;
        self.forget_contacts(course_id);
        Ok(())
    }

    /// Records why the last sync failed; the stored roster is left as it is.
    pub async fn record_sync_error(
        &self,
        course_id: CourseId,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        course::Entity::update_many()
            .col_expr(
                course::Column::LastSyncError,
                Expr::value(format!("{now}|{error}")),
            )
            .col_expr(course::Column::LastAttemptAt, Expr::value(now))
            .filter(course::Column::Id.eq(course_id.get()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The stored NRPS roster of a course (empty when never synced).
    pub async fn roster(&self, course_id: CourseId) -> Result<Vec<RosterEntry>, StoreError> {
        let rows = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.get()))
            .order_by_asc(roster_member::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(roster_entry).collect()
    }

    /// People who launched the course: user id → (entry, last launch time).
    pub async fn launched(
        &self,
        course_id: CourseId,
    ) -> Result<HashMap<String, (RosterEntry, Option<i64>)>, StoreError> {
        let rows = member::Entity::find()
            .filter(member::Column::CourseId.eq(course_id.get()))
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|m| {
                let at = m.last_launch_at;
                Ok((m.user_id.clone(), (member_entry(m)?, at)))
            })
            .collect()
    }

    /// Names and pictures of a few people of a course: user id → (name, picture). A person
    /// who launched is named as their launch names them (what they chose to show of
    /// themselves, and the freshest), else as the roster does.
    pub async fn names(
        &self,
        course_id: CourseId,
        ids: &[String],
    ) -> Result<HashMap<String, (Option<String>, Option<String>)>, StoreError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let roster = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.get()))
            .filter(roster_member::Column::UserId.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await?;
        for r in roster {
            out.insert(r.user_id.clone(), (roster_name(&r), r.picture));
        }
        for (user, (name, picture, _)) in launch_names(&self.db, course_id, ids).await? {
            let entry = out.entry(user).or_insert((None, None));
            if name.is_some() {
                entry.0 = name;
            }
            if picture.is_some() {
                entry.1 = picture;
            }
        }
        Ok(out)
    }

    /// A page of the learners of a course who can be paired, with their display names:
    /// those whose user id sorts after `after`, at most `limit` (capped at [`MAX_PAGE`]),
    /// optionally only those whose name contains `search` (case-insensitive). Reads about
    /// one page of rows, not the roster.
    pub async fn learners_page(
        &self,
        course_id: CourseId,
        after: Option<&str>,
        limit: u64,
        search: Option<&str>,
        pairable: Pairable,
    ) -> Result<LearnerPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let from_roster = has_roster(&self.db, course_id).await?;
        let mut after = after.map(str::to_string);
        let mut found: Vec<RosterEntry> = Vec::new();
        // Staff and inactive people are left out after reading, so a batch may yield fewer
        // than it read: read on until the page and one more are found, or the end.
        loop {
            let want = limit + 1 - found.len() as u64;
            let batch = (want * 2).clamp(16, MAX_PAGE);
            let rows = page_rows(
                &self.db,
                course_id,
                from_roster,
                after.as_deref(),
                batch,
                search,
            )
            .await?;
            let read = rows.len() as u64;
            for e in rows {
                after = Some(e.user_id.to_string());
                if e.status.is_active() && pairable(&e.roles) {
                    found.push(e);
                }
            }
            if found.len() as u64 > limit || read < batch {
                break;
            }
        }
        let next = if found.len() as u64 > limit {
            found.truncate(limit as usize);
            found.last().map(|e| e.user_id.to_string())
        } else {
            None
        };
        let ids: Vec<String> = found.iter().map(|e| e.user_id.to_string()).collect();
        let launch = launch_names(&self.db, course_id, &ids).await?;
        let learners = found
            .into_iter()
            .map(|e| LearnerName {
                name: launch
                    .get(e.user_id.as_str())
                    .and_then(|(n, _, _)| n.clone())
                    .or_else(|| display_name(&e)),
                user_id: e.user_id,
            })
            .collect();
        Ok(LearnerPage { learners, next })
    }

    /// A page of the people of a course (the NRPS roster, else those who launched): those
    /// whose user id sorts after `after`, at most `limit` (capped at [`MAX_PAGE`]), each
    /// with the one display name and their last launch.
    pub async fn roster_page(
        &self,
        course_id: CourseId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<RosterPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let from_roster = has_roster(&self.db, course_id).await?;
        let mut rows = page_rows(&self.db, course_id, from_roster, after, limit + 1, None).await?;
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|e| e.user_id.to_string())
        } else {
            None
        };
        let ids: Vec<String> = rows.iter().map(|e| e.user_id.to_string()).collect();
        let launch = launch_names(&self.db, course_id, &ids).await?;
        let entries = rows
            .into_iter()
            .map(|mut entry| {
                let l = launch.get(entry.user_id.as_str());
                entry.name = l
                    .and_then(|(n, _, _)| n.clone())
                    .or_else(|| display_name(&entry));
                entry.given_name = None;
                entry.family_name = None;
                if let Some(p) = l.and_then(|(_, p, _)| p.clone()) {
                    entry.picture = Some(p);
                }
                RosterPageEntry {
                    launched_at: l.and_then(|(_, _, at)| *at),
                    entry,
                }
            })
            .collect();
        Ok(RosterPage {
            entries,
            next,
            from_roster,
        })
    }
}

/// Whether a course has a synced NRPS roster (else its people are those who launched).
async fn has_roster<C: ConnectionTrait>(db: &C, course_id: CourseId) -> Result<bool, StoreError> {
    let one: Option<i32> = roster_member::Entity::find()
        .select_only()
        .column(roster_member::Column::Id)
        .filter(roster_member::Column::CourseId.eq(course_id.get()))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(one.is_some())
}

/// Whether someone is a learner of the course who can be paired (active, Learner role, no
/// staff role in the course), by the roster when there is one, else by their launches.
pub(super) async fn pairable_in<C: ConnectionTrait>(
    db: &C,
    course_id: CourseId,
    user_id: &str,
    pairable: Pairable,
) -> Result<bool, StoreError> {
    let entry = if has_roster(db, course_id).await? {
        roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.get()))
            .filter(roster_member::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .map(roster_entry)
            .transpose()?
    } else {
        member::Entity::find()
            .filter(member::Column::CourseId.eq(course_id.get()))
            .filter(member::Column::UserId.eq(user_id))
            .one(db)
            .await?
            .map(member_entry)
            .transpose()?
    };
    Ok(entry.is_some_and(|e| e.status.is_active() && pairable(&e.roles)))
}

/// The product's rule of who may be paired, given a person's LTI roles: the roster layer
/// owns it and hands it to the queries that filter by it.
pub type Pairable = fn(&[String]) -> bool;

/// A `LIKE` pattern that finds `search` anywhere, its wildcards taken literally.
fn contains_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Any of the name columns contains the pattern (case-insensitive).
fn name_like<C: sea_orm::sea_query::IntoColumnRef + Copy>(
    cols: [C; 3],
    pattern: &str,
) -> Condition {
    cols.into_iter().fold(Condition::any(), |c, col| {
        c.add(Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(pattern).escape('\\')))
    })
}

/// Rows of the people of a course after a user id, in user id order.
async fn page_rows<C: ConnectionTrait>(
    db: &C,
    course_id: CourseId,
    from_roster: bool,
    after: Option<&str>,
    limit: u64,
    search: Option<&str>,
) -> Result<Vec<RosterEntry>, StoreError> {
    let pattern = search
        .filter(|s| !s.trim().is_empty())
        .map(contains_pattern);
    // The name a person launched with counts as much as the roster's: it is the one shown.
    let launched_as = |pattern: &str| {
        Query::select()
            .column(member::Column::UserId)
            .from(member::Entity)
            .and_where(member::Column::CourseId.eq(course_id.get()))
            .cond_where(name_like(
                [
                    member::Column::Name,
                    member::Column::GivenName,
                    member::Column::FamilyName,
                ],
                pattern,
            ))
            .to_owned()
    };
    if from_roster {
        let mut q = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.get()))
            .order_by_asc(roster_member::Column::UserId)
            .limit(limit);
        if let Some(after) = after {
            q = q.filter(roster_member::Column::UserId.gt(after));
        }
        if let Some(p) = &pattern {
            q = q.filter(
                name_like(
                    [
                        roster_member::Column::Name,
                        roster_member::Column::GivenName,
                        roster_member::Column::FamilyName,
                    ],
                    p,
                )
                .add(roster_member::Column::UserId.in_subquery(launched_as(p))),
            );
        }
        q.all(db).await?.into_iter().map(roster_entry).collect()
    } else {
        let mut q = member::Entity::find()
            .filter(member::Column::CourseId.eq(course_id.get()))
            .order_by_asc(member::Column::UserId)
            .limit(limit);
        if let Some(after) = after {
            q = q.filter(member::Column::UserId.gt(after));
        }
        if let Some(p) = &pattern {
            q = q.filter(name_like(
                [
                    member::Column::Name,
                    member::Column::GivenName,
                    member::Column::FamilyName,
                ],
                p,
            ));
        }
        q.all(db).await?.into_iter().map(member_entry).collect()
    }
}

/// The launch names of a few people of a course: user id → (name, picture, last launch).
async fn launch_names<C: ConnectionTrait>(
    db: &C,
    course_id: CourseId,
    ids: &[String],
) -> Result<HashMap<String, (Option<String>, Option<String>, Option<i64>)>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = member::Entity::find()
        .filter(member::Column::CourseId.eq(course_id.get()))
        .filter(member::Column::UserId.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let name = names_of(&m.name, &m.given_name, &m.family_name);
            (m.user_id, (name, m.picture, m.last_launch_at))
        })
        .collect())
}

fn roster_name(r: &roster_member::Model) -> Option<String> {
    names_of(&r.name, &r.given_name, &r.family_name)
}

/// The best name of a roster entry: the full name, else given and family names.
pub fn display_name(e: &RosterEntry) -> Option<String> {
    names_of(&e.name, &e.given_name, &e.family_name)
}

fn names_of(
    name: &Option<String>,
    given: &Option<String>,
    family: &Option<String>,
) -> Option<String> {
    let blank = |s: &&String| !s.trim().is_empty();
    name.as_ref().filter(blank).cloned().or_else(|| {
        match (given.as_ref().filter(blank), family.as_ref().filter(blank)) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(g), None) => Some(g.clone()),
            (None, Some(f)) => Some(f.clone()),
            _ => None,
        }
    })
}

/// A person who launched, as a roster entry (launching makes them Active).
fn member_entry(m: member::Model) -> Result<RosterEntry, StoreError> {
    Ok(RosterEntry {
        roles: roles(&m.roles, "members", m.id)?,
        user_id: PersonId::new(m.user_id),
        name: m.name,
        given_name: m.given_name,
        family_name: m.family_name,
        email: m.email,
        picture: m.picture,
        status: MemberStatus::Active,
    })
}

fn roster_entry(r: roster_member::Model) -> Result<RosterEntry, StoreError> {
    Ok(RosterEntry {
        roles: roles(&r.roles, "roster_members", r.id)?,
        status: status_from_stored(&r.status)
            .ok_or_else(|| StoreError::corrupt("roster_members", r.id, "unknown status"))?,
        user_id: PersonId::new(r.user_id),
        name: r.name,
        given_name: r.given_name,
        family_name: r.family_name,
        email: r.email,
        picture: r.picture,
    })
}

/// A stored JSON list of roles: a list that does not parse would make a learner nobody.
fn roles(json: &str, table: &'static str, id: i32) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::corrupt(table, id, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_name_is_the_full_name_else_given_and_family_names() {
        let check =
            |name: Option<&str>, given: Option<&str>, family: Option<&str>, want: Option<&str>| {
                let o = |s: Option<&str>| s.map(str::to_string);
                assert_eq!(names_of(&o(name), &o(given), &o(family)).as_deref(), want);
            };
        check(
            Some("Ada Lovelace"),
            Some("A"),
            Some("L"),
            Some("Ada Lovelace"),
        );
        check(
            Some("  "),
            Some("Ada"),
            Some("Lovelace"),
            Some("Ada Lovelace"),
        );
        check(None, Some("Ada"), None, Some("Ada"));
        check(None, Some(""), Some("Lovelace"), Some("Lovelace"));
        check(None, None, None, None);
    }

    #[test]
    fn a_stored_status_reads_back_and_an_unnamed_one_is_stored_inactive() {
        for s in [
            MemberStatus::Active,
            MemberStatus::Inactive,
            MemberStatus::Deleted,
        ] {
            assert_eq!(status_from_stored(stored_status(&s)), Some(s));
        }
        let other = MemberStatus::Other("Suspended".into());
        assert_eq!(
            status_from_stored(stored_status(&other)),
            Some(MemberStatus::Inactive)
        );
        assert_eq!(status_from_stored("active"), None, "stored names are exact");
        assert_eq!(status_from_stored("Suspended"), None);
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        assert_eq!(contains_pattern(" Ada "), "%ada%");
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
