//! A learner's private declarations of a hierarchical link with another learner of the
//! course: seen by their author only, capped per learner, and counted as direct exclusions of
//! the author (never followed across levels like the links staff upload).

use crate::store::{CourseId, Store, StoreError};

use super::pairs;
use super::rules::MAX_DECLARATIONS;

/// What a learner declares of another learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// The other person is my manager.
    MyManager,
    /// The other person reports to me.
    MyReport,
    /// Another hierarchical link.
    Other,
}

impl Declared {
    /// From a form value.
    pub fn parse(v: &str) -> Declared {
        match v {
            "manager" => Declared::MyManager,
            "report" => Declared::MyReport,
            _ => Declared::Other,
        }
    }
}

/// What came of a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclareOutcome {
    Added,
    /// The learner had already declared this link.
    AlreadyDeclared,
    /// The learner already has [`MAX_DECLARATIONS`].
    LimitReached,
    /// The other person is not a learner of the course.
    UnknownPerson,
    /// The learner named themselves.
    Themselves,
}

/// Records `me`'s declaration of a link with `other`.
pub async fn declare(
    store: &Store,
    course: CourseId,
    me: &str,
    other: &str,
    what: Declared,
    now: i64,
) -> Result<DeclareOutcome, StoreError> {
    if me == other {
        return Ok(DeclareOutcome::Themselves);
    }
    let (people, _) = pairs::people(store, course).await?;
    if !people.iter().any(|p| p.user_id == other && p.pairable()) {
        return Ok(DeclareOutcome::UnknownPerson);
    }
    let mine = store.declared_by(course, me).await?;
    if mine.iter().any(|k| {
        (k.a_user == me && k.b_user == other) || (k.a_user == other && k.b_user == me)
    }) {
        return Ok(DeclareOutcome::AlreadyDeclared);
    }
    if mine.len() >= MAX_DECLARATIONS {
        return Ok(DeclareOutcome::LimitReached);
    }
    let (a, b, kind) = match what {
        Declared::MyManager => (other, me, "manages"),
        Declared::MyReport => (me, other, "manages"),
        Declared::Other => (me, other, "hierarchical"),
    };
    store
        .add_link(course, a, b, kind, "declared", me, now)
        .await?;
    Ok(DeclareOutcome::Added)
}
