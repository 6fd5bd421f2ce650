//! Where a session stands beyond its status, as staff see it: who is prepared, which step of
//! which round, the closing words. A fact about progress, never content. The store keeps it
//! as text in `coaching_sessions.status_detail` through [`StatusDetail`]'s `Display` and
//! `FromStr`, the one codec of that column: `prepared:0,2`, `1:analysis`, `1:ended`,
//! `closing`.

use std::fmt;
use std::str::FromStr;

use super::{Seat, Session, Status, Step};

/// The detail of a session's status for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusDetail {
    /// Not started yet: the seats whose preparation is done (at least one), in seat order,
    /// so staff see "1 of 2 prepared" and who.
    Prepared(Vec<Seat>),
    /// Under way at `step` of `round` (the introduction is round 0).
    Step { round: u8, step: Step },
    /// Under way, between rounds: `round` has ended.
    RoundEnded { round: u8 },
    /// All rounds are done; the members are writing their closing words.
    Closing,
}

impl StatusDetail {
    /// The detail of a session now; none when its status says it all (nobody prepared yet,
    /// everyone prepared, completed, abandoned).
    pub fn of(s: &Session) -> Option<StatusDetail> {
        match s.status() {
            Status::NotStarted => {
                let seats: Vec<Seat> = s.size().seats().filter(|m| s.is_prepared(*m)).collect();
                (!seats.is_empty()).then_some(StatusDetail::Prepared(seats))
            }
            Status::InProgress {
                round,
                step: Some(step),
            } => Some(StatusDetail::Step { round, step }),
            Status::InProgress { round, step: None } => Some(StatusDetail::RoundEnded { round }),
            Status::Closing => Some(StatusDetail::Closing),
            Status::Prepared | Status::Completed | Status::Abandoned => None,
        }
    }

    /// The seats whose preparation is done, as far as the detail says (only a session not
    /// started yet lists them).
    pub fn prepared_seats(detail: Option<&StatusDetail>) -> &[Seat] {
        match detail {
            Some(StatusDetail::Prepared(seats)) => seats,
            _ => &[],
        }
    }
}

const PREPARED: &str = "prepared:";
const CLOSING: &str = "closing";
const ENDED: &str = "ended";

impl fmt::Display for StatusDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusDetail::Prepared(seats) => {
                f.write_str(PREPARED)?;
                for (i, seat) in seats.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{seat}")?;
                }
                Ok(())
            }
            StatusDetail::Step { round, step } => write!(f, "{round}:{}", step.key()),
            StatusDetail::RoundEnded { round } => write!(f, "{round}:{ENDED}"),
            StatusDetail::Closing => f.write_str(CLOSING),
        }
    }
}

/// Text that is not a status detail as [`StatusDetail`]'s `Display` writes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a session status detail: {0:?}")]
pub struct BadStatusDetail(pub String);

impl FromStr for StatusDetail {
    type Err = BadStatusDetail;

    fn from_str(s: &str) -> Result<StatusDetail, BadStatusDetail> {
        let bad = || BadStatusDetail(s.chars().take(40).collect());
        if s == CLOSING {
            return Ok(StatusDetail::Closing);
        }
        if let Some(list) = s.strip_prefix(PREPARED) {
            let seats = list
                .split(',')
                .map(|x| x.parse().map(Seat))
                .collect::<Result<Vec<Seat>, _>>()
                .map_err(|_| bad())?;
            return Ok(StatusDetail::Prepared(seats));
        }
        let (round, rest) = s.split_once(':').ok_or_else(bad)?;
        let round: u8 = round.parse().map_err(|_| bad())?;
        if rest == ENDED {
            return Ok(StatusDetail::RoundEnded { round });
        }
        let step = Step::ALL
            .into_iter()
            .find(|st| st.key() == rest)
            .ok_or_else(bad)?;
        Ok(StatusDetail::Step { round, step })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GroupSize, SessionKind, Timings};

    #[test]
    fn every_detail_round_trips_through_its_text() {
        let check = |d: StatusDetail, text: &str| {
            assert_eq!(d.to_string(), text);
            assert_eq!(text.parse::<StatusDetail>(), Ok(d));
        };
        check(StatusDetail::Prepared(vec![Seat(1)]), "prepared:1");
        check(
            StatusDetail::Prepared(vec![Seat(0), Seat(2)]),
            "prepared:0,2",
        );
        check(
            StatusDetail::Step {
                round: 0,
                step: Step::Introduction,
            },
            "0:introduction",
        );
        check(
            StatusDetail::Step {
                round: 2,
                step: Step::Analysis,
            },
            "2:analysis",
        );
        check(StatusDetail::RoundEnded { round: 1 }, "1:ended");
        check(StatusDetail::Closing, "closing");
        for step in Step::ALL {
            check(
                StatusDetail::Step { round: 3, step },
                &format!("3:{}", step.key()),
            );
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "round 1 step 1",
            "prepared:",
            "prepared:x",
            "prepared:1,",
            "prepared:256",
            "1:",
            "1:bogus",
            "x:analysis",
            "-1:analysis",
            "256:ended",
            ":analysis",
            "Closing",
            "closing ",
        ] {
            assert!(bad.parse::<StatusDetail>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_session_has_no_detail_and_prepared_seats_come_from_the_detail() {
        let s = Session::new(GroupSize::Pair, SessionKind::Guided, Timings::default());
        assert_eq!(StatusDetail::of(&s), None);
        let d = StatusDetail::Prepared(vec![Seat(1)]);
        assert_eq!(StatusDetail::prepared_seats(Some(&d)), &[Seat(1)]);
        assert_eq!(
            StatusDetail::prepared_seats(Some(&StatusDetail::Closing)),
            &[]
        );
        assert_eq!(StatusDetail::prepared_seats(None), &[]);
    }
}
