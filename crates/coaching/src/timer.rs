//! The step timer the server owns: the configured durations, and for the current step when
//! it started, its pauses and its extensions.
//!
//! The domain has no clock: every moment is a [`UnixMillis`] the caller passes. Overtime is
//! shown as a negative remaining time and never stops anything, as the method's timings are
//! indicative.

use serde::{Deserialize, Serialize};

use super::error::CoachingError;
use super::method::Step;

/// A moment, in milliseconds since the Unix epoch (UTC), as the server's clock read it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// Milliseconds from `earlier` to `self`, never negative: two server instances' clocks
    /// may disagree slightly, and a step must not gain time from that.
    pub fn millis_since(self, earlier: UnixMillis) -> i64 {
        self.0.saturating_sub(earlier.0).max(0)
    }
}

impl From<time::OffsetDateTime> for UnixMillis {
    fn from(at: time::OffsetDateTime) -> Self {
        let millis = at.unix_timestamp_nanos() / 1_000_000;
        UnixMillis(i64::try_from(millis).unwrap_or(i64::MAX))
    }
}

/// Bounds of a step's configured duration, in minutes.
pub const STEP_MINUTES: std::ops::RangeInclusive<u32> = 1..=60;
/// Bounds of one extension, in minutes.
pub const EXTEND_MINUTES: std::ops::RangeInclusive<u32> = 1..=30;
/// The most a single step may be extended in total, in minutes.
pub const MAX_EXTENSION_TOTAL_MINUTES: u32 = 60;

/// Declares a struct with one `u32` field per step, so the checked [`Timings`] and its
/// unchecked wire form cannot drift apart.
macro_rules! minutes_per_step {
    ($(#[$attr:meta])* $vis:vis struct $name:ident;) => {
        $(#[$attr])*
        $vis struct $name {
            introduction: u32,
            sharing: u32,
            objectives: u32,
            analysis: u32,
            options: u32,
            commitments: u32,
        }
    };
}

minutes_per_step! {
    /// The planned duration of each step, in minutes, as an activity configures it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(try_from = "TimingsWire")]
    pub struct Timings;
}

minutes_per_step! {
    /// The unchecked shape of [`Timings`] on the wire, so deserialising checks the bounds too.
    #[derive(Deserialize)]
    struct TimingsWire;
}

impl TryFrom<TimingsWire> for Timings {
    type Error = CoachingError;

    fn try_from(w: TimingsWire) -> Result<Self, Self::Error> {
        Timings::new([
            w.introduction,
            w.sharing,
            w.objectives,
            w.analysis,
            w.options,
            w.commitments,
        ])
    }
}

impl Default for Timings {
    /// The method's timings, taking the upper end of each indicative range.
    fn default() -> Self {
        let m = Step::ALL.map(|s| s.minutes().1);
        Timings {
            introduction: m[0],
            sharing: m[1],
            objectives: m[2],
            analysis: m[3],
            options: m[4],
            commitments: m[5],
        }
    }
}

impl Timings {
    /// Minutes for each step in the order of [`Step::ALL`], each within [`STEP_MINUTES`].
    pub fn new(minutes: [u32; 6]) -> Result<Timings, CoachingError> {
        for (step, m) in Step::ALL.into_iter().zip(minutes) {
            if !STEP_MINUTES.contains(&m) {
                return Err(CoachingError::InvalidTiming {
                    step,
                    minutes: m,
                    min: *STEP_MINUTES.start(),
                    max: *STEP_MINUTES.end(),
                });
            }
        }
        let [
            introduction,
            sharing,
            objectives,
            analysis,
            options,
            commitments,
        ] = minutes;
        Ok(Timings {
            introduction,
            sharing,
            objectives,
            analysis,
            options,
            commitments,
        })
    }

    /// The planned minutes of a step.
    pub fn minutes(&self, step: Step) -> u32 {
        match step {
            Step::Introduction => self.introduction,
            Step::Sharing => self.sharing,
            Step::Objectives => self.objectives,
            Step::Analysis => self.analysis,
            Step::Options => self.options,
            Step::Commitments => self.commitments,
        }
    }

    /// The planned length of a whole session with this many rounds, in minutes.
    pub fn session_minutes(&self, rounds: u8) -> u32 {
        Step::ALL
            .iter()
            .map(|&s| {
                let n = if s.once_per_session() {
                    1
                } else {
                    u32::from(rounds)
                };
                self.minutes(s) * n
            })
            .sum()
    }
}

/// The timer of the step under way. Pauses are kept to the millisecond so that many short
/// pauses do not drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepTimer {
    started_at: UnixMillis,
    duration_secs: i64,
    paused_since: Option<UnixMillis>,
    paused_total_ms: i64,
    extended_minutes: u32,
}

impl StepTimer {
    /// A running timer for a step of `minutes`, started at `at`.
    pub(crate) fn start(at: UnixMillis, minutes: u32) -> StepTimer {
        StepTimer {
            started_at: at,
            duration_secs: i64::from(minutes) * 60,
            paused_since: None,
            paused_total_ms: 0,
            extended_minutes: 0,
        }
    }

    pub(crate) fn pause(&mut self, at: UnixMillis) {
        // A pause never starts before the step did.
        self.paused_since = Some(at.max(self.started_at));
    }

    pub(crate) fn resume(&mut self, at: UnixMillis) {
        if let Some(since) = self.paused_since.take() {
            self.paused_total_ms = self.paused_total_ms.saturating_add(at.millis_since(since));
        }
    }

    pub(crate) fn extend(&mut self, minutes: u32) {
        self.extended_minutes += minutes;
    }

    /// Whether the timer is paused.
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Minutes added to this step so far.
    pub fn extended_minutes(&self) -> u32 {
        self.extended_minutes
    }

    /// When the step started.
    pub fn started_at(&self) -> UnixMillis {
        self.started_at
    }

    /// Time spent on the step at `now`, pauses excluded, in milliseconds.
    pub fn elapsed_ms(&self, now: UnixMillis) -> i64 {
        let current_pause = self.paused_since.map_or(0, |p| now.millis_since(p));
        (now.millis_since(self.started_at) - self.paused_total_ms - current_pause).max(0)
    }

    /// Seconds left at `now`, counting extensions; negative once the step runs over. Rounded
    /// down, so the display turns negative as soon as the planned time is up.
    pub fn remaining_secs(&self, now: UnixMillis) -> i64 {
        let planned_ms = (self.duration_secs + i64::from(self.extended_minutes) * 60) * 1000;
        (planned_ms - self.elapsed_ms(now)).div_euclid(1000)
    }

    /// What a client needs to run the countdown itself.
    pub fn view(&self) -> TimerView {
        TimerView {
            step_started_at: self.started_at,
            duration_secs: self.duration_secs,
            paused_since: self.paused_since,
            paused_total_ms: self.paused_total_ms,
            extended_secs: i64::from(self.extended_minutes) * 60,
        }
    }
}

/// The timer as sent to a screen. A client computes, with `now` its own clock corrected by
/// its offset from the server's: `duration_secs + extended_secs - (now - step_started_at -
/// paused_total_ms - (now - paused_since if paused)) / 1000`; [`TimerView::remaining_secs`]
/// is that formula. Times are Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerView {
    pub step_started_at: UnixMillis,
    pub duration_secs: i64,
    pub paused_since: Option<UnixMillis>,
    pub paused_total_ms: i64,
    pub extended_secs: i64,
}

impl TimerView {
    /// Seconds left at `now`, negative in overtime (the same answer as the server's).
    pub fn remaining_secs(&self, now: UnixMillis) -> i64 {
        let current_pause = self.paused_since.map_or(0, |p| now.millis_since(p));
        let elapsed =
            (now.millis_since(self.step_started_at) - self.paused_total_ms - current_pause).max(0);
        ((self.duration_secs + self.extended_secs) * 1000 - elapsed).div_euclid(1000)
    }
}
