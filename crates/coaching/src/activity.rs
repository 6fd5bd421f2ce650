//! What a course designer sets for one activity of the training and what the method makes of
//! it: how the group meets ([`SessionMode`]) and what the gradebook gets ([`Grading`]): the
//! grade rules, which milestone a session's change reaches ([`milestones_reached`]) and what
//! each earns ([`Grading::score`]). The store keeps these inside the activity's
//! configuration; the live session reads them.

use serde::{Deserialize, Serialize};

use super::{Seat, Session, Status};

/// Points outside the bounds of [`Grading::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an activity is worth 1 to {max} points and its preparation fewer than that ({points} and {preparation_points} given)", max = MAX_ACTIVITY_POINTS)]
pub struct InvalidGrading {
    pub points: u32,
    pub preparation_points: u32,
}

/// How the members of a group meet for their session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// In the same room: no meeting link is asked for.
    InPerson,
    /// By video call: the group agrees on a meeting link.
    Remote,
    /// The group chooses.
    #[default]
    Either,
}

impl SessionMode {
    pub const ALL: [SessionMode; 3] = [
        SessionMode::InPerson,
        SessionMode::Remote,
        SessionMode::Either,
    ];

    /// The word forms and storage use.
    pub fn key(self) -> &'static str {
        match self {
            SessionMode::InPerson => "in_person",
            SessionMode::Remote => "remote",
            SessionMode::Either => "either",
        }
    }

    pub fn from_key(s: &str) -> Option<SessionMode> {
        SessionMode::ALL.into_iter().find(|m| m.key() == s)
    }

    /// Whether the session screen offers the group's meeting link.
    pub fn uses_meeting_link(self) -> bool {
        self != SessionMode::InPerson
    }
}

/// The largest number of points an activity may be worth.
pub const MAX_ACTIVITY_POINTS: u32 = 1000;

/// A milestone of a member's guided session that the gradebook hears of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// The member finished their preparation.
    Started,
    /// The group reached the introduction.
    InProgress,
    /// The session was completed.
    Completed,
}

/// What an activity is worth, and what earns it: the guided session completed earns every
/// point; the preparation alone may earn part of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GradingWire")]
pub struct Grading {
    points: u32,
    preparation_points: u32,
}

#[derive(Deserialize)]
struct GradingWire {
    points: u32,
    preparation_points: u32,
}

impl TryFrom<GradingWire> for Grading {
    type Error = InvalidGrading;

    fn try_from(w: GradingWire) -> Result<Self, Self::Error> {
        Grading::new(w.points, w.preparation_points)
    }
}

impl Default for Grading {
    /// One point, for completing the guided session.
    fn default() -> Self {
        Grading {
            points: 1,
            preparation_points: 0,
        }
    }
}

/// What a milestone puts in the gradebook: the points given (none: no grade yet) and whether
/// the grade is final. A grade that is not final clears the LMS's (Moodle does), so a
/// preparation's partial points are sent as final until the completion replaces them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MilestoneScore {
    pub given: Option<f64>,
    pub maximum: f64,
    pub final_grade: bool,
    /// The comment that goes with the score, if any.
    pub comment: Option<&'static str>,
}

/// The comment that goes to the gradebook with a completed session's score. Plain English and
/// short: the LMS shows it as it is, on its own page, long after the session and to people
/// whose language the tool does not know then, so it is not a message of the catalogues.
pub const COMPLETED_COMMENT: &str = "Peer-coaching session completed";
/// The comment of the points a preparation alone earns (see [`COMPLETED_COMMENT`]).
pub const PREPARED_COMMENT: &str = "Preparation done; the peer-coaching session is still to come";

/// The milestones each seat reached from `before` to `after` (two states of one session), in
/// the order they happened: a member's preparation, then the group's introduction, then the
/// completion.
pub fn milestones_reached(before: &Session, after: &Session) -> Vec<(Seat, Milestone)> {
    let seats = || after.size().seats();
    let mut out: Vec<(Seat, Milestone)> = seats()
        .filter(|s| !before.is_prepared(*s) && after.is_prepared(*s))
        .map(|s| (s, Milestone::Started))
        .collect();
    if !before.reached_introduction() && after.reached_introduction() {
        out.extend(seats().map(|s| (s, Milestone::InProgress)));
    }
    if before.status() != Status::Completed && after.status() == Status::Completed {
        out.extend(seats().map(|s| (s, Milestone::Completed)));
    }
    out
}

impl Grading {
    /// `points` in 1..=[`MAX_ACTIVITY_POINTS`]; `preparation_points` below `points`.
    pub fn new(points: u32, preparation_points: u32) -> Result<Grading, InvalidGrading> {
        if !(1..=MAX_ACTIVITY_POINTS).contains(&points) || preparation_points >= points {
            return Err(InvalidGrading {
                points,
                preparation_points,
            });
        }
        Ok(Grading {
            points,
            preparation_points,
        })
    }

    pub fn points(&self) -> u32 {
        self.points
    }

    pub fn preparation_points(&self) -> u32 {
        self.preparation_points
    }

    /// The score a milestone sends.
    pub fn score(&self, m: Milestone) -> MilestoneScore {
        let maximum = f64::from(self.points);
        let partial = (self.preparation_points > 0).then_some(f64::from(self.preparation_points));
        match m {
            Milestone::Started | Milestone::InProgress => MilestoneScore {
                given: partial,
                maximum,
                final_grade: partial.is_some(),
                comment: partial.map(|_| PREPARED_COMMENT),
            },
            Milestone::Completed => MilestoneScore {
                given: Some(maximum),
                maximum,
                final_grade: true,
                comment: Some(COMPLETED_COMMENT),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GroupSize, SessionKind, Timings};

    #[test]
    fn grading_is_bounded_and_partial_points_stay_below_the_whole() {
        assert!(Grading::new(0, 0).is_err());
        assert!(Grading::new(10, 10).is_err());
        assert!(Grading::new(MAX_ACTIVITY_POINTS + 1, 0).is_err());
        let g = Grading::new(10, 4).unwrap();
        assert_eq!(g.score(Milestone::Started).given, Some(4.0));
        assert!(g.score(Milestone::InProgress).final_grade);
        let c = g.score(Milestone::Completed);
        assert_eq!(
            (c.given, c.maximum, c.final_grade),
            (Some(10.0), 10.0, true)
        );
        let plain = Grading::default().score(Milestone::Started);
        assert_eq!((plain.given, plain.final_grade), (None, false));
        assert!(
            serde_json::from_str::<Grading>(r#"{"points":5,"preparation_points":9}"#).is_err(),
            "an out-of-bounds stored grading does not parse"
        );
    }

    #[test]
    fn each_milestone_says_what_it_earns_and_why() {
        let check = |g: Grading, m: Milestone, want: (Option<f64>, f64, bool, Option<&str>)| {
            let s = g.score(m);
            assert_eq!(
                (s.given, s.maximum, s.final_grade, s.comment),
                want,
                "{m:?}"
            );
        };
        let partial = Grading::new(10, 4).unwrap();
        let plain = Grading::default();
        check(
            partial,
            Milestone::Started,
            (Some(4.0), 10.0, true, Some(PREPARED_COMMENT)),
        );
        check(
            partial,
            Milestone::InProgress,
            (Some(4.0), 10.0, true, Some(PREPARED_COMMENT)),
        );
        check(
            partial,
            Milestone::Completed,
            (Some(10.0), 10.0, true, Some(COMPLETED_COMMENT)),
        );
        check(plain, Milestone::Started, (None, 1.0, false, None));
        check(plain, Milestone::InProgress, (None, 1.0, false, None));
        check(
            plain,
            Milestone::Completed,
            (Some(1.0), 1.0, true, Some(COMPLETED_COMMENT)),
        );
    }

    #[test]
    fn nothing_is_reached_between_equal_states() {
        let s = Session::new(GroupSize::Trio, SessionKind::Guided, Timings::default());
        assert!(milestones_reached(&s, &s).is_empty());
    }

    #[test]
    fn modes_round_trip_their_keys() {
        for m in SessionMode::ALL {
            assert_eq!(SessionMode::from_key(m.key()), Some(m));
        }
        assert!(!SessionMode::InPerson.uses_meeting_link());
    }
}
