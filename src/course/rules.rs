//! Who takes part in what: the product's rules on top of the LTI roles. A learner is paired; a
//! member of the teaching team manages the course unless the LMS made them a Mentor (Canvas
//! gives that role to observers, such as parents).

use crate::lti::roles::{ContextRole, Role, Roles};
use crate::store::{CourseId, PersonId, Standing, Store, StoreError};

/// May be put in a pair: the Learner role in the course and no staff role in it. Institution
/// roles do not decide: an administrator enrolled as a learner is a learner.
pub fn is_pairable_learner(roles: &Roles) -> bool {
    !roles.is_context_staff() && roles.0.iter().any(Role::is_learner)
}

/// [`is_pairable_learner`] on raw role strings, as the store's queries take it.
pub fn is_pairable_roles(raw: &[String]) -> bool {
    is_pairable_learner(&Roles::parse(raw))
}

/// May change the course's set-up (roster, links, pairs): any staff role but Mentor.
pub fn may_manage(roles: &Roles) -> bool {
    roles
        .0
        .iter()
        .any(|r| r.is_staff() && r.role != ContextRole::Mentor)
}

/// Whether a session's person may still manage the course: the stored LMS roster, when the
/// course has one, must list them as active with a role that may manage. Without a roster
/// (or for an anonymous launch) the launch's word stands.
pub async fn may_still_manage(
    store: &Store,
    course: CourseId,
    subject: Option<&PersonId>,
) -> Result<bool, StoreError> {
    let Some(user) = subject else {
        return Ok(true);
    };
    Ok(match store.standing(course, user).await? {
        Standing::NoRoster => true,
        Standing::Absent => false,
        Standing::Listed { roles, status } => {
            status.is_active() && may_manage(&Roles::parse(&roles))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> Roles {
        Roles::parse(r)
    }

    #[test]
    fn learners_managers_and_mentors() {
        let lis = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
        let inst = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";
        let learner = format!("{lis}Learner");
        let ta = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant";
        let admin = format!("{inst}Administrator");
        assert!(is_pairable_learner(&roles(&[&learner])));
        assert!(is_pairable_learner(&roles(&[&learner, &admin])));
        assert!(!is_pairable_learner(&roles(&[&learner, ta])));
        assert!(may_manage(&roles(&["Instructor"])));
        assert!(!may_manage(&roles(&["Mentor"])));
        assert!(!may_manage(&roles(&[&learner])));
    }
}
