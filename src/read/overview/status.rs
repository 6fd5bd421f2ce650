//! The status columns of a session in words for staff: where a learner stands in a module,
//! where a group stands in its session (from the status and its detail), the time it spent,
//! and a learner's gradebook delivery. Only status columns are read here, never a snapshot,
//! an event or a field.

use crate::coaching::{StatusDetail, method};
use crate::i18n::Locale;
use crate::store::{GradeStatus, SessionStatus, SessionSummary};

use crate::read::staff::{Reader, failure_words};

/// Where a learner stands in a module, as the course overview and its chart count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Completed the module's guided session.
    Completed,
    /// The session has begun (someone accepted the framework) and is not completed; an
    /// abandoned session counts here too: it was started, and it is not done.
    InProgress,
    /// No group, or a session nobody has acted in yet.
    NotStarted,
}

impl Stage {
    pub fn key(self) -> &'static str {
        match self {
            Stage::Completed => "completed",
            Stage::InProgress => "in_progress",
            Stage::NotStarted => "not_started",
        }
    }

    pub(super) fn of(session: Option<&SessionSummary>) -> Stage {
        match session {
            Some(s) if s.status == SessionStatus::Completed => Stage::Completed,
            Some(s) if s.last_seq > 0 => Stage::InProgress,
            _ => Stage::NotStarted,
        }
    }

    pub fn words(self, l: Locale) -> String {
        l.t(match self {
            Stage::Completed => "dash_progress_completed",
            Stage::InProgress => "dash_progress_in_progress",
            Stage::NotStarted => "dash_progress_not_started",
        })
    }
}

/// Whether member `seat` of a session has done their preparation.
pub fn is_prepared(s: &SessionSummary, seat: usize) -> bool {
    match s.status {
        SessionStatus::NotStarted => StatusDetail::prepared_seats(s.status_detail.as_ref())
            .iter()
            .any(|x| usize::from(x.0) == seat),
        SessionStatus::Prepared | SessionStatus::InProgress | SessionStatus::Completed => true,
        // Given up: prepared only if it had reached the introduction.
        SessionStatus::Abandoned => s.started_at.is_some(),
    }
}

/// Where a session stands, in words: not prepared, k of n prepared, in progress at step N of
/// round R (the step's name), closing, completed, abandoned.
pub fn status_words(s: Option<&SessionSummary>, members: usize, l: Locale) -> String {
    let Some(s) = s else {
        return l.t("dash_not_prepared");
    };
    let n = i64::try_from(members).unwrap_or(0);
    match s.status {
        SessionStatus::NotStarted => {
            let k = StatusDetail::prepared_seats(s.status_detail.as_ref()).len();
            if k == 0 {
                l.t("dash_not_prepared")
            } else {
                l.tr("dash_prepared_some", &[("k", k.into()), ("n", n.into())])
            }
        }
        SessionStatus::Prepared => l.tr("dash_prepared_all", &[("n", n.into())]),
        SessionStatus::InProgress => match &s.status_detail {
            Some(StatusDetail::Step { round: 0, .. }) => l.t("dash_in_progress_introduction"),
            Some(StatusDetail::Step { round, step }) => l.tr(
                "dash_in_progress_step",
                &[
                    ("step", i64::from(step.number()).into()),
                    ("steps", i64::from(method::steps_per_round()).into()),
                    ("round", i64::from(*round).into()),
                    ("rounds", n.into()),
                    ("name", l.t(step.name_id()).into()),
                ],
            ),
            Some(StatusDetail::RoundEnded { round: 0 }) => l.t("dash_in_progress_introduction"),
            Some(StatusDetail::RoundEnded { round }) => l.tr(
                "dash_in_progress_round_ended",
                &[("round", i64::from(*round).into()), ("rounds", n.into())],
            ),
            Some(StatusDetail::Closing) => l.t("dash_in_progress_closing"),
            Some(StatusDetail::Prepared(_)) | None => l.t("live_status_in_progress"),
        },
        SessionStatus::Completed => l.t("live_status_completed"),
        SessionStatus::Abandoned => l.t("live_status_abandoned"),
    }
}

/// The round and step of a session for the export ("round 1 of 2, step 3 of 5"), or empty.
pub fn step_round_words(s: &SessionSummary, members: usize, l: Locale) -> String {
    if s.status != SessionStatus::InProgress {
        return String::new();
    }
    match &s.status_detail {
        Some(StatusDetail::Step { round, step }) => l.tr(
            "dash_round_step",
            &[
                ("round", i64::from(*round).into()),
                ("rounds", i64::try_from(members).unwrap_or(0).into()),
                ("step", i64::from(step.number()).into()),
                ("name", l.t(step.name_id()).into()),
            ],
        ),
        _ => status_words(Some(s), members, l),
    }
}

/// The time a group has spent in its session, in seconds: from the moment the introduction
/// began to completion, or to the last activity while it is not completed. None before the
/// introduction (preparation is done alone, at each member's pace, and is not counted).
pub fn time_spent(s: &SessionSummary) -> Option<i64> {
    let start = s.started_at?;
    let end = s.completed_at.unwrap_or(s.updated_at);
    Some((end - start).max(0))
}

/// A duration for people: "1 h 05 min", "12 min", and "40 s" below a minute (a group that
/// just began has not spent "0 min").
pub fn duration_words(secs: i64, l: Locale) -> String {
    if secs < 60 {
        return l.tr("dash_duration_seconds", &[("s", secs.max(0).into())]);
    }
    let minutes = secs / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if h > 0 {
        l.tr(
            "dash_duration_hours",
            &[("h", h.into()), ("m", format!("{m:02}").into())],
        )
    } else {
        l.tr("dash_duration_minutes", &[("m", m.into())])
    }
}

/// A learner's gradebook delivery in words: waiting, sent, or refused; staff who may manage
/// also read why (the platform's status and short reason, or a foreign host with its fix).
/// Its key is the page's `data-grade`.
pub fn grade_words(
    status: GradeStatus,
    last_error: Option<&str>,
    reader: Reader,
    l: Locale,
) -> (&'static str, String) {
    let why = last_error.and_then(|e| failure_words(e, reader, l));
    match (status, why) {
        (GradeStatus::Pending, None) => ("pending", l.t("live_grade_pending")),
        (GradeStatus::Pending, Some(why)) => (
            "pending",
            l.tr("live_grade_waiting", &[("message", why.into())]),
        ),
        (GradeStatus::Delivered, _) => ("delivered", l.t("live_grade_delivered")),
        (GradeStatus::Failed, None) => ("failed", l.t("live_grade_refused")),
        (GradeStatus::Failed, Some(why)) => (
            "failed",
            l.tr("live_grade_failed", &[("message", why.into())]),
        ),
        (GradeStatus::Superseded, _) => ("superseded", l.t("live_grade_superseded")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(status: SessionStatus, detail: Option<&str>) -> SessionSummary {
        SessionSummary {
            id: crate::store::SessionId::new(1),
            module: "m".into(),
            group_key: "k".into(),
            members: vec!["a".into(), "b".into()],
            ordinal: 0,
            last_seq: 3,
            status,
            status_detail: detail.map(|d| d.parse().unwrap()),
            created_at: 100,
            updated_at: 4_000,
            completed_at: None,
            started_at: None,
        }
    }

    #[test]
    fn status_words_say_where_a_group_stands() {
        let l = Locale::En;
        let check = |s: Option<SessionSummary>, expected: &str| {
            assert_eq!(status_words(s.as_ref(), 2, l), expected);
        };
        check(None, "not prepared");
        check(
            Some(session(SessionStatus::NotStarted, None)),
            "not prepared",
        );
        check(
            Some(session(SessionStatus::NotStarted, Some("prepared:1"))),
            "1 of 2 prepared",
        );
        check(
            Some(session(SessionStatus::Prepared, None)),
            "2 of 2 prepared, introduction not begun",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("0:introduction"))),
            "in progress: introduction",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("2:analysis"))),
            "in progress: round 2 of 2, step 3 of 5 (Analysis)",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("1:ended"))),
            "in progress: round 1 of 2 ended",
        );
        check(
            Some(session(SessionStatus::InProgress, Some("closing"))),
            "in progress: closing words",
        );
        check(Some(session(SessionStatus::Completed, None)), "completed");
    }

    #[test]
    fn time_spent_runs_from_the_introduction() {
        let mut s = session(SessionStatus::NotStarted, None);
        assert_eq!(time_spent(&s), None, "preparation is not counted");
        s.started_at = Some(1_000);
        assert_eq!(time_spent(&s), Some(3_000), "to the last activity");
        s.completed_at = Some(5_500);
        assert_eq!(time_spent(&s), Some(4_500), "to completion");
        assert_eq!(duration_words(4_500, Locale::En), "1 h 15 min");
        assert_eq!(duration_words(600, Locale::En), "10 min");
        assert_eq!(duration_words(60, Locale::En), "1 min");
        assert_eq!(duration_words(42, Locale::En), "42 s");
        assert_eq!(duration_words(0, Locale::Fr), "0 s");
    }

    #[test]
    fn prepared_is_per_seat() {
        let s = session(SessionStatus::NotStarted, Some("prepared:1"));
        assert!(!is_prepared(&s, 0));
        assert!(is_prepared(&s, 1));
        assert!(is_prepared(&session(SessionStatus::InProgress, None), 0));
    }
}
