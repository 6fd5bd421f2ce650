//! Who plays what in each round: a group's members are seats (0, 1, 2) and the roles of
//! coachee, coach and observer rotate so that everyone is coachee once and coach once.
//!
//! The domain never knows who a person is: the store maps a person to a seat in their group.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::CoachingError;

/// A member's position in their group. Any number can be written, so a seat coming from a
/// request is checked against the session ([`GroupSize::has`]) before it acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Seat(pub u8);

impl fmt::Display for Seat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How many people a group has: pairs are the rule, an odd learner makes one trio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSize {
    Pair,
    Trio,
}

impl GroupSize {
    /// The number of members.
    pub fn members(self) -> u8 {
        match self {
            GroupSize::Pair => 2,
            GroupSize::Trio => 3,
        }
    }

    /// The seats of the group, in order.
    pub fn seats(self) -> impl Iterator<Item = Seat> {
        (0..self.members()).map(Seat)
    }

    /// Whether the seat belongs to the group.
    pub fn has(self, seat: Seat) -> bool {
        seat.0 < self.members()
    }

    /// The number of rounds: one per member, so each is coachee once.
    pub fn rounds(self) -> u8 {
        self.members()
    }
}

impl TryFrom<u8> for GroupSize {
    type Error = CoachingError;

    fn try_from(size: u8) -> Result<Self, Self::Error> {
        match size {
            2 => Ok(GroupSize::Pair),
            3 => Ok(GroupSize::Trio),
            _ => Err(CoachingError::InvalidGroupSize { size }),
        }
    }
}

/// A member's part in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Brings a situation and works on it.
    Coachee,
    /// Listens, then asks open questions.
    Coach,
    /// In a trio only: watches the exchange and gives feedback at the closing.
    Observer,
}

/// Who holds each role in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Roles {
    pub coachee: Seat,
    pub coach: Seat,
    pub observer: Option<Seat>,
}

impl Roles {
    /// The role of a seat this round; `None` for a seat outside the group.
    pub fn role_of(&self, seat: Seat) -> Option<Role> {
        if seat == self.coachee {
            Some(Role::Coachee)
        } else if seat == self.coach {
            Some(Role::Coach)
        } else if Some(seat) == self.observer {
            Some(Role::Observer)
        } else {
            None
        }
    }
}

const PAIR: [Roles; 2] = [
    Roles {
        coachee: Seat(0),
        coach: Seat(1),
        observer: None,
    },
    Roles {
        coachee: Seat(1),
        coach: Seat(0),
        observer: None,
    },
];

// Each seat moves one role along per round (coachee → observer → coach → coachee), so over
// three rounds everyone holds every role exactly once.
const TRIO: [Roles; 3] = [
    Roles {
        coachee: Seat(0),
        coach: Seat(1),
        observer: Some(Seat(2)),
    },
    Roles {
        coachee: Seat(1),
        coach: Seat(2),
        observer: Some(Seat(0)),
    },
    Roles {
        coachee: Seat(2),
        coach: Seat(0),
        observer: Some(Seat(1)),
    },
];

/// The roles of every round, in order: index 0 is round 1.
pub fn rounds(size: GroupSize) -> &'static [Roles] {
    match size {
        GroupSize::Pair => &PAIR,
        GroupSize::Trio => &TRIO,
    }
}

/// The roles of one round, counted from 1; `None` outside the session's rounds.
pub fn roles_in(size: GroupSize, round: u8) -> Option<Roles> {
    let index = usize::from(round.checked_sub(1)?);
    rounds(size).get(index).copied()
}
