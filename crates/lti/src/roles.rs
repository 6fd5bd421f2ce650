//! LTI roles (LTI 1.3 Core §5.3.7 and Appendix A.2): full URIs, the deprecated short forms,
//! sub-roles and institution/system roles, parsed into an open vocabulary.
//!
//! Unknown role URIs are kept as they are: a platform may send roles we do not know, and
//! that must never make a launch fail.

use serde::{Deserialize, Serialize};

const MEMBERSHIP: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership";
const INSTITUTION: &str = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#";
const SYSTEM: &str = "http://purl.imsglobal.org/vocab/lis/v2/system/person#";
const LTI_SYSTEM: &str = "http://purl.imsglobal.org/vocab/lti/system/person#";

/// Where a role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleScope {
    /// A role in the course (context) of the launch.
    Context,
    /// A role in the institution (institution/person).
    Institution,
    /// A role in the platform itself (system/person).
    System,
    /// A role URI we do not recognise.
    Unknown,
}

/// The principal context roles of LIS v2, plus anything else as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContextRole {
    Administrator,
    ContentDeveloper,
    Instructor,
    Learner,
    Mentor,
    Manager,
    Member,
    Officer,
    /// Sub-role `Instructor#TeachingAssistant` (also accepted as a principal role).
    TeachingAssistant,
    /// Any other name, kept verbatim.
    Other(String),
}

/// One role of a launch or of a roster member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The value exactly as the platform sent it.
    pub raw: String,
    /// Where the role applies.
    pub scope: RoleScope,
    /// The principal role; for `membership/Instructor#TeachingAssistant` this is `TeachingAssistant`.
    pub role: ContextRole,
}

impl Role {
    /// Parses one role string in any of the forms platforms send.
    pub fn parse(raw: &str) -> Role {
        let raw_trim = raw.trim();
        let (scope, name) = if let Some(rest) = raw_trim.strip_prefix(MEMBERSHIP) {
            // `#Learner` or `/Instructor#TeachingAssistant`.
            if let Some(name) = rest.strip_prefix('#') {
                (RoleScope::Context, name.to_string())
            } else if let Some(rest) = rest.strip_prefix('/') {
                match rest.split_once('#') {
                    Some((principal, sub)) => (RoleScope::Context, sub_role(principal, sub)),
                    None => (RoleScope::Context, rest.to_string()),
                }
            } else {
                (RoleScope::Unknown, raw_trim.to_string())
            }
        } else if let Some(name) = raw_trim.strip_prefix(INSTITUTION) {
            (RoleScope::Institution, name.to_string())
        } else if let Some(name) = raw_trim
            .strip_prefix(SYSTEM)
            .or_else(|| raw_trim.strip_prefix(LTI_SYSTEM))
        {
            (RoleScope::System, name.to_string())
        } else if let Some(name) = raw_trim.strip_prefix("urn:lti:role:ims/lis/") {
            match name.split_once('/') {
                Some((principal, sub)) => (RoleScope::Context, sub_role(principal, sub)),
                None => (RoleScope::Context, name.to_string()),
            }
        } else if let Some(name) = raw_trim.strip_prefix("urn:lti:instrole:ims/lis/") {
            (RoleScope::Institution, name.to_string())
        } else if let Some(name) = raw_trim.strip_prefix("urn:lti:sysrole:ims/lis/") {
            (RoleScope::System, name.to_string())
        } else if !raw_trim.contains(':') && !raw_trim.contains('/') && !raw_trim.is_empty() {
            // Short form (`Learner`, `Instructor`), deprecated in the id_token but what Moodle's
            // NRPS sends; `Instructor#TeachingAssistant` is a short sub-role.
            match raw_trim.split_once('#') {
                Some((principal, sub)) => (RoleScope::Context, sub_role(principal, sub)),
                None => (RoleScope::Context, raw_trim.to_string()),
            }
        } else {
            (RoleScope::Unknown, raw_trim.to_string())
        };
        let role = if scope == RoleScope::Unknown {
            ContextRole::Other(name)
        } else {
            ContextRole::from_name(&name)
        };
        Role {
            raw: raw.to_string(),
            scope,
            role,
        }
    }

    /// Whether this role gives the staff view in the course.
    ///
    /// Context roles Instructor (and its sub-roles), TeachingAssistant, ContentDeveloper,
    /// Administrator and Mentor are staff; so are institution and system administrators,
    /// who open the tool to configure it. Other institution roles never decide alone.
    pub fn is_staff(&self) -> bool {
        match self.scope {
            RoleScope::Context => matches!(
                self.role,
                ContextRole::Instructor
                    | ContextRole::TeachingAssistant
                    | ContextRole::ContentDeveloper
                    | ContextRole::Administrator
                    | ContextRole::Mentor
            ),
            RoleScope::Institution | RoleScope::System => self.role == ContextRole::Administrator,
            RoleScope::Unknown => false,
        }
    }

    /// Whether this is the context Learner role (or one of its sub-roles).
    pub fn is_learner(&self) -> bool {
        self.scope == RoleScope::Context && self.role == ContextRole::Learner
    }
}

/// Maps `Principal#Sub` to the role that matters: TeachingAssistant is named as such, other
/// sub-roles count as their principal role (`Learner#NonCreditLearner` is a Learner).
fn sub_role(principal: &str, sub: &str) -> String {
    if sub == "TeachingAssistant" || sub.starts_with("TeachingAssistant") {
        "TeachingAssistant".into()
    } else {
        principal.to_string()
    }
}

impl ContextRole {
    fn from_name(name: &str) -> ContextRole {
        match name {
            "Administrator" => ContextRole::Administrator,
            "ContentDeveloper" => ContextRole::ContentDeveloper,
            "Instructor" => ContextRole::Instructor,
            "Learner" => ContextRole::Learner,
            "Mentor" => ContextRole::Mentor,
            "Manager" => ContextRole::Manager,
            "Member" => ContextRole::Member,
            "Officer" => ContextRole::Officer,
            "TeachingAssistant" => ContextRole::TeachingAssistant,
            other => ContextRole::Other(other.to_string()),
        }
    }
}

/// The set of roles of one person in one launch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles(pub Vec<Role>);

impl Roles {
    /// Parses every role string; none is ever rejected.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Roles {
        Roles(raw.iter().map(|r| Role::parse(r.as_ref())).collect())
    }

    /// Staff if any role is a staff role (Learner + TeachingAssistant is staff).
    pub fn is_staff(&self) -> bool {
        self.0.iter().any(Role::is_staff)
    }

    /// A learner in the course: the Learner context role and no staff role.
    pub fn is_learner(&self) -> bool {
        !self.is_staff() && self.0.iter().any(Role::is_learner)
    }

    /// Staff by a role in the course itself (institution and system roles aside).
    pub fn is_context_staff(&self) -> bool {
        self.0
            .iter()
            .any(|r| r.scope == RoleScope::Context && r.is_staff())
    }

    /// The raw strings, as sent.
    pub fn raw(&self) -> Vec<String> {
        self.0.iter().map(|r| r.raw.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, scope: RoleScope, role: ContextRole, staff: bool) {
        let r = Role::parse(raw);
        assert_eq!(
            (r.scope, r.role.clone(), r.is_staff()),
            (scope, role, staff),
            "{raw}"
        );
        assert_eq!(r.raw, raw);
    }

    #[test]
    fn all_role_forms() {
        use ContextRole::*;
        use RoleScope::*;
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
            Context,
            Learner,
            false,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
            Context,
            Instructor,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
            Context,
            TeachingAssistant,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner",
            Context,
            Learner,
            false,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
            Context,
            Mentor,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
            Context,
            ContentDeveloper,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            Institution,
            Administrator,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff",
            Institution,
            Other("Staff".into()),
            false,
        );
        check(
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
            System,
            Administrator,
            true,
        );
        check(
            "http://purl.imsglobal.org/vocab/lti/system/person#TestUser",
            System,
            Other("TestUser".into()),
            false,
        );
        check("Learner", Context, Learner, false);
        check("Instructor", Context, Instructor, true);
        check("TeachingAssistant", Context, TeachingAssistant, true);
        check("urn:lti:role:ims/lis/Instructor", Context, Instructor, true);
        check(
            "urn:lti:instrole:ims/lis/Student",
            Institution,
            Other("Student".into()),
            false,
        );
        check(
            "http://example.com/roles#Wizard",
            Unknown,
            Other("http://example.com/roles#Wizard".into()),
            false,
        );
    }

    #[test]
    fn learner_and_assistant_is_staff() {
        let roles = Roles::parse(&[
            "Learner",
            "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        ]);
        assert!(roles.is_staff());
        assert!(!roles.is_learner());
    }

    #[test]
    fn institution_administrator_enrolled_as_learner_and_mentors() {
        let admin = Roles::parse(&[
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        ]);
        assert!(
            !admin.is_context_staff(),
            "an institution role is not a course role"
        );
        assert!(admin.is_staff(), "still gets the staff page");
        let mentor = Roles::parse(&["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]);
        assert!(mentor.is_staff() && mentor.is_context_staff());
    }

    #[test]
    fn institution_manager_taking_the_course_is_a_learner() {
        let roles = Roles::parse(&[
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        ]);
        assert!(roles.is_learner());
    }
}
