//! A fixed course for the overview's tests (and the page snapshots of `web/`): two modules,
//! five learners, one published pair set with a completed session and one under way, and a
//! refused score, with fixed ids, names and times.

use std::collections::HashMap;
use std::sync::Arc;

use super::Overview;
use crate::course::pair_set::StoredPlan;
use crate::course::people::Person;
use crate::store::{
    ActivityConfig, CourseSession, GradeStatus, ModuleRow, ScoreState, SessionStatus,
    SessionSummary,
};

/// 2027-01-15 09:00:00 UTC, in seconds.
pub const T0: i64 = 1_800_003_600;

fn person(id: &str, name: Option<&str>, learner: bool) -> Person {
    Person {
        user_id: id.into(),
        name: name.map(str::to_string),
        email: Some(format!("{id}@example.edu")),
        picture: None,
        status: crate::store::MemberStatus::Active,
        learner,
        staff: !learner,
        launched_at: None,
        tags: Vec::new(),
    }
}

fn session(
    group: &[&str],
    status: SessionStatus,
    detail: Option<&str>,
    last_seq: i64,
) -> SessionSummary {
    SessionSummary {
        id: crate::store::SessionId::new(1),
        module: "m-conflicts".into(),
        group_key: crate::realtime::live::group_key(
            &group
                .iter()
                .map(|m| crate::store::PersonId::new(*m))
                .collect::<Vec<_>>(),
        ),
        members: group
            .iter()
            .map(|m| crate::store::PersonId::new(*m))
            .collect(),
        ordinal: 0,
        last_seq,
        status,
        status_detail: detail.map(|d| d.parse().unwrap()),
        created_at: T0,
        updated_at: T0 + 3_600,
        completed_at: (status == SessionStatus::Completed).then_some(T0 + 5_400),
        started_at: Some(T0 + 600),
    }
}

/// The course.
pub fn course() -> Overview {
    let everyone = vec![
        person("p-ana", Some("Ana Lima"), true),
        person("p-ben", Some("Ben Okafor"), true),
        person("p-cleo", Some("Cléo Martin"), true),
        person("p-dan", None, true),
        person("p-eve", Some("=Eve"), true),
        person("t-tom", Some("Tom Teacher"), false),
    ];
    // The second module is numbered first, so it comes first.
    let modules = vec![
        ModuleRow {
            id: "m-intro".into(),
            title: Some("Introduction".into()),
            seen_order: 1,
        },
        ModuleRow {
            id: "m-conflicts".into(),
            title: Some("LMS title".into()),
            seen_order: 2,
        },
    ];
    let configs = Arc::new(HashMap::from([(
        "m-conflicts".to_string(),
        ActivityConfig {
            module_number: Some(1),
            module_name: "Conflicts".into(),
            ..ActivityConfig::default()
        },
    )]));
    let plan: StoredPlan = serde_json::from_str(
        r#"{"groups":[{"members":["p-ana","p-ben"]},{"members":["p-cleo","p-dan","p-eve"]}]}"#,
    )
    .expect("a stored plan");
    let plans = HashMap::from([("m-conflicts".to_string(), plan)]);
    let sessions = vec![
        CourseSession {
            activity: "m-conflicts".into(),
            session: session(&["p-ana", "p-ben"], SessionStatus::Completed, None, 40),
        },
        CourseSession {
            activity: "m-conflicts".into(),
            session: session(
                &["p-cleo", "p-dan", "p-eve"],
                SessionStatus::InProgress,
                Some("2:analysis"),
                12,
            ),
        },
    ];
    let scores = vec![
        ScoreState {
            activity: "m-conflicts".into(),
            person_id: "p-ana".into(),
            status: GradeStatus::Delivered,
            last_error: None,
        },
        ScoreState {
            activity: "m-conflicts".into(),
            person_id: "p-ben".into(),
            status: GradeStatus::Failed,
            last_error: Some("400 Bad Request: score too high".into()),
        },
    ];
    Overview::new(everyone, modules, configs, plans, sessions, scores)
}
