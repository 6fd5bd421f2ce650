//! The live session as an event-sourced state machine: a member's [`Command`] is checked
//! against the [`Session`] and becomes [`Event`]s; the store persists the events with sequence
//! numbers and rebuilds the session by folding them through [`Session::apply`].
//!
//! The phases follow the method: the trust framework, preparation alone, the introduction
//! (once, everyone), then per round sharing → objectives → analysis → options → commitments,
//! the round ended, the next round with the roles rotated, the closing, completed. A session
//! can be abandoned at any point before it is completed: a practice session by any member,
//! the guided session (the graded one, [`SessionKind::Guided`]) only when every member agrees.
//!
//! Why everyone must agree on the guided session: abandoning it ends the graded work of the
//! whole group (preparations, rounds, the points they earn), and a real pair would not let
//! one member throw away the partner's part alone. So a member's `Abandon` there is a request
//! ([`Change::AbandonRequested`]) that the others confirm with their own `Abandon` (the last
//! one abandons) or turn down with `KeepSession` (which clears it; the requester may withdraw
//! the same way). Every member, not only those online: presence is not part of the method's
//! state, and an absent member's work deserves the same protection; staff can help a group
//! whose member has gone. The session goes on while a request waits.
//!
//! The session's fields are private and change only through events, and [`Session::apply`]
//! re-checks every event against the rules, so a corrupt log cannot build a state the
//! commands could not have reached.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::error::CoachingError;
use super::method::Step;
use super::roles::{GroupSize, Role, Roles, Seat, roles_in};
use super::timer::{
    EXTEND_MINUTES, MAX_EXTENSION_TOTAL_MINUTES, StepTimer, TimerView, Timings, UnixMillis,
};

/// Where the session stands. Rounds are counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Every member must accept the trust framework (confidentiality, benevolence).
    Framework,
    /// Each member prepares their situation alone, then marks themself prepared.
    Preparation,
    /// Step 0: each member presents their situation briefly, once per session.
    Introduction,
    /// A step of a round, led as the method says.
    Round { round: u8, step: Step },
    /// The round's commitments are done and its coach ended it; the next round (or the
    /// closing) has not begun.
    RoundEnded { round: u8 },
    /// After the last round: takeaways and the observer's feedback.
    Closing,
    /// Closed after the closing: the session counts as done.
    Completed,
    /// Given up before completion.
    Abandoned,
}

impl Phase {
    /// An order on the phases of a session that runs to its end, used to say "from this
    /// step on": (stage, round, step number). A round's end sorts after its last step.
    /// `None` for an abandoned session, which has no place in that order.
    pub fn rank(self) -> Option<(u8, u8, u8)> {
        Some(match self {
            Phase::Framework => (0, 0, 0),
            Phase::Preparation => (1, 0, 0),
            Phase::Introduction => (2, 0, 0),
            Phase::Round { round, step } => (3, round, step.number()),
            Phase::RoundEnded { round } => (3, round, 6),
            Phase::Closing => (4, 0, 0),
            Phase::Completed => (5, 0, 0),
            Phase::Abandoned => return None,
        })
    }
}

/// Which of a group's sessions this is, for the rules that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// The activity's graded session (the first of the group): abandoned only by agreement.
    Guided,
    /// A session the group opened afterwards to practise: any member may abandon it.
    Practice,
}

/// What a member asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Accept the trust framework.
    AcceptFramework,
    /// Say one's preparation is done.
    MarkPrepared,
    /// Begin the introduction, once everyone is prepared.
    Start,
    /// Move to the next step; between rounds, open the next round (or the closing).
    NextStep,
    /// Go back one step within the round; between rounds, reopen the round just ended.
    PreviousStep,
    /// Pause the step's timer.
    Pause,
    /// Resume the step's timer.
    Resume,
    /// Give the current step more time.
    Extend { minutes: u32 },
    /// End the round after its commitments.
    EndRound,
    /// After the last round, open the closing; in the closing, complete the session.
    Close,
    /// Give up the session; in the guided session, ask the others (or agree with their
    /// request): it is given up once every member asked.
    Abandon,
    /// Turn down the request to abandon the guided session (or withdraw one's own).
    KeepSession,
}

/// A change to the session, as stored: who made it, when (the server's clock) and what.
///
/// JSON: `{"by":1,"at":1767225600000,"type":"step_advanced","round":1,"step":"objectives"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub by: Seat,
    pub at: UnixMillis,
    #[serde(flatten)]
    pub change: Change,
}

/// What an [`Event`] changed. The tags are stable: stored events are read back with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// The member accepted the trust framework; the last acceptance opens the preparation.
    FrameworkAccepted,
    /// The member's preparation is done.
    Prepared,
    /// The introduction began.
    Started,
    /// The session moved forward to this step (from the introduction, the previous step,
    /// or the end of the previous round).
    StepAdvanced { round: u8, step: Step },
    /// The session went back to this step (the previous step, or the last step of a round
    /// just ended).
    StepBack { round: u8, step: Step },
    /// The round was ended.
    RoundEnded { round: u8 },
    /// The closing began.
    ClosingOpened,
    /// The session was completed.
    Closed,
    /// The step's timer was paused.
    Paused,
    /// The step's timer was resumed.
    Resumed,
    /// The step got more minutes.
    Extended { minutes: u32 },
    /// The session was given up.
    Abandoned,
    /// The member asked to abandon the guided session (or agreed with a request); not every
    /// member has yet.
    AbandonRequested,
    /// A member turned down the request to abandon (or withdrew their own): it is cleared.
    AbandonDeclined,
}

impl Change {
    /// The command that produces this change, to re-check a stored event. Opening the
    /// closing comes from `NextStep` or `Close` alike; `Close` is the one to check it with.
    fn command(self) -> Command {
        match self {
            Change::FrameworkAccepted => Command::AcceptFramework,
            Change::Prepared => Command::MarkPrepared,
            Change::Started => Command::Start,
            Change::StepAdvanced { .. } => Command::NextStep,
            Change::StepBack { .. } => Command::PreviousStep,
            Change::RoundEnded { .. } => Command::EndRound,
            Change::ClosingOpened | Change::Closed => Command::Close,
            Change::Paused => Command::Pause,
            Change::Resumed => Command::Resume,
            Change::Extended { minutes } => Command::Extend { minutes },
            Change::Abandoned | Change::AbandonRequested => Command::Abandon,
            Change::AbandonDeclined => Command::KeepSession,
        }
    }
}

/// What staff see of a session: where it stands, never what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The framework or someone's preparation is not done yet.
    NotStarted,
    /// Everyone is prepared; the introduction has not begun.
    Prepared,
    /// Under way. The introduction is round 0; `step` is `None` between rounds, once
    /// `round` has ended.
    InProgress { round: u8, step: Option<Step> },
    /// All rounds are done; the members are writing their takeaways.
    Closing,
    /// Completed (see [`Session::completed_at`]).
    Completed,
    /// Given up.
    Abandoned,
}

/// One group's session of one activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    size: GroupSize,
    kind: SessionKind,
    timings: Timings,
    phase: Phase,
    accepted: BTreeSet<Seat>,
    prepared: BTreeSet<Seat>,
    timer: Option<StepTimer>,
    /// Whether the introduction was reached: from then on preparations are shared, even if
    /// the session is later abandoned.
    introduced: bool,
    completed_at: Option<UnixMillis>,
    /// The members who asked to abandon the guided session, while not everyone has.
    abandon_requests: BTreeSet<Seat>,
    /// The moment of the last event, so that events stay in time order.
    last_at: Option<UnixMillis>,
}

impl Session {
    /// A fresh session, waiting for the trust framework.
    pub fn new(size: GroupSize, kind: SessionKind, timings: Timings) -> Session {
        Session {
            size,
            kind,
            timings,
            phase: Phase::Framework,
            accepted: BTreeSet::new(),
            prepared: BTreeSet::new(),
            timer: None,
            introduced: false,
            completed_at: None,
            abandon_requests: BTreeSet::new(),
            last_at: None,
        }
    }

    /// A session rebuilt from its stored events, in sequence order.
    pub fn replay<'a>(
        size: GroupSize,
        kind: SessionKind,
        timings: Timings,
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Result<Session, CoachingError> {
        let mut s = Session::new(size, kind, timings);
        for e in events {
            s.apply(e)?;
        }
        Ok(s)
    }

    /// The events `cmd` from `actor` at `now` produces, or why it is refused. Does not
    /// change the session: apply the events (after storing them) with [`Session::apply`].
    ///
    /// An event is never dated before the previous one: a `now` from a clock slightly
    /// behind is moved up to the last event's time.
    pub fn decide(
        &self,
        actor: Seat,
        cmd: &Command,
        now: UnixMillis,
    ) -> Result<Vec<Event>, CoachingError> {
        if !self.size.has(actor) {
            return Err(CoachingError::NotAMember { seat: actor });
        }
        if matches!(self.phase, Phase::Completed | Phase::Abandoned) {
            return Err(CoachingError::SessionOver);
        }
        let change = match *cmd {
            Command::AcceptFramework => self.accept(actor)?,
            Command::MarkPrepared => self.mark_prepared(actor)?,
            Command::Start => self.start()?,
            Command::NextStep => self.next_step(actor)?,
            Command::PreviousStep => self.previous_step(actor)?,
            Command::Pause => match self.timer {
                None => return Err(CoachingError::NoTimer),
                Some(t) if t.is_paused() => return Err(CoachingError::AlreadyPaused),
                Some(_) => Change::Paused,
            },
            Command::Resume => match self.timer {
                None => return Err(CoachingError::NoTimer),
                Some(t) if !t.is_paused() => return Err(CoachingError::NotPaused),
                Some(_) => Change::Resumed,
            },
            Command::Extend { minutes } => self.extend(minutes)?,
            Command::EndRound => self.end_round(actor)?,
            Command::Close => match self.phase {
                Phase::Closing => Change::Closed,
                Phase::RoundEnded { round } if round == self.size.rounds() => Change::ClosingOpened,
                _ => return Err(CoachingError::CloseTooEarly),
            },
            Command::Abandon => self.abandon(actor)?,
            Command::KeepSession => {
                if self.abandon_requests.is_empty() {
                    return Err(CoachingError::NoAbandonRequest);
                }
                Change::AbandonDeclined
            }
        };
        let at = self.last_at.map_or(now, |last| now.max(last));
        Ok(vec![Event {
            by: actor,
            at,
            change,
        }])
    }

    /// Decides and applies at once, returning the events to store. For callers that hold
    /// the session while storing; others call [`decide`](Self::decide), store, then
    /// [`apply`](Self::apply).
    pub fn handle(
        &mut self,
        actor: Seat,
        cmd: &Command,
        now: UnixMillis,
    ) -> Result<Vec<Event>, CoachingError> {
        let events = self.decide(actor, cmd, now)?;
        for e in &events {
            self.apply(e)?;
        }
        Ok(events)
    }

    /// Applies one event. It is checked first: only an event that [`decide`](Self::decide)
    /// would produce at this point fits, so replaying a log cannot reach an illegal state.
    pub fn apply(&mut self, event: &Event) -> Result<(), CoachingError> {
        let misfit = |reason: String| CoachingError::EventDoesNotFit { reason };
        let expected = self
            .decide(event.by, &event.change.command(), event.at)
            .map_err(|e| misfit(e.to_string()))?;
        // Logs written before the guided session needed everyone's agreement hold a lone
        // `Abandoned` there; it was legal when it was written, so it still replays (the
        // rule is `decide`'s, for new commands).
        let legacy_abandon = event.change == Change::Abandoned
            && expected
                .iter()
                .all(|e| e.change == Change::AbandonRequested)
            && expected
                .iter()
                .all(|e| e.by == event.by && e.at == event.at);
        if !expected.contains(event) && !legacy_abandon {
            return Err(misfit(format!(
                "{event:?} where the session expected {expected:?}"
            )));
        }
        self.transition(event);
        Ok(())
    }

    /// The state change of a checked event.
    fn transition(&mut self, e: &Event) {
        let at = e.at;
        match e.change {
            Change::FrameworkAccepted => {
                self.accepted.insert(e.by);
                if self.accepted.len() == usize::from(self.size.members()) {
                    self.phase = Phase::Preparation;
                }
            }
            Change::Prepared => {
                self.prepared.insert(e.by);
            }
            Change::Started => {
                self.phase = Phase::Introduction;
                self.introduced = true;
                self.timer = Some(StepTimer::start(
                    at,
                    self.timings.minutes(Step::Introduction),
                ));
            }
            Change::StepAdvanced { round, step } | Change::StepBack { round, step } => {
                // Each step gets its full time again, even when going back to it.
                self.phase = Phase::Round { round, step };
                self.timer = Some(StepTimer::start(at, self.timings.minutes(step)));
            }
            Change::RoundEnded { round } => {
                self.phase = Phase::RoundEnded { round };
                self.timer = None;
            }
            Change::ClosingOpened => {
                self.phase = Phase::Closing;
                self.timer = None;
            }
            Change::Closed => {
                self.phase = Phase::Completed;
                self.completed_at = Some(at);
            }
            Change::Paused => {
                if let Some(t) = &mut self.timer {
                    t.pause(at);
                }
            }
            Change::Resumed => {
                if let Some(t) = &mut self.timer {
                    t.resume(at);
                }
            }
            Change::Extended { minutes } => {
                if let Some(t) = &mut self.timer {
                    t.extend(minutes);
                }
            }
            Change::Abandoned => {
                self.phase = Phase::Abandoned;
                self.timer = None;
                self.abandon_requests.clear();
            }
            Change::AbandonRequested => {
                self.abandon_requests.insert(e.by);
            }
            Change::AbandonDeclined => {
                self.abandon_requests.clear();
            }
        }
        self.last_at = Some(at);
    }

    fn abandon(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.kind {
            SessionKind::Practice => Ok(Change::Abandoned),
            SessionKind::Guided if self.abandon_requests.contains(&actor) => {
                Err(CoachingError::AbandonAlreadyRequested)
            }
            SessionKind::Guided => {
                let asked = self.abandon_requests.len() + 1;
                if asked == usize::from(self.size.members()) {
                    Ok(Change::Abandoned)
                } else {
                    Ok(Change::AbandonRequested)
                }
            }
        }
    }

    fn accept(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Framework if !self.accepted.contains(&actor) => Ok(Change::FrameworkAccepted),
            // Past the framework phase, everyone has accepted.
            _ => Err(CoachingError::AlreadyAccepted),
        }
    }

    fn mark_prepared(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Framework => Err(CoachingError::FrameworkNotAccepted),
            Phase::Preparation if !self.prepared.contains(&actor) => Ok(Change::Prepared),
            // Once the session started, everyone was prepared.
            _ => Err(CoachingError::AlreadyPrepared),
        }
    }

    fn start(&self) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Framework => Err(CoachingError::FrameworkNotAccepted),
            Phase::Preparation if self.everyone_prepared() => Ok(Change::Started),
            Phase::Preparation => Err(CoachingError::NotEveryonePrepared),
            _ => Err(CoachingError::WrongPhase),
        }
    }

    fn next_step(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Framework => Err(CoachingError::FrameworkNotAccepted),
            Phase::Preparation | Phase::Closing | Phase::Completed | Phase::Abandoned => {
                Err(CoachingError::WrongPhase)
            }
            // Everyone speaks in the introduction, so anyone may move on from it.
            Phase::Introduction => Ok(Change::StepAdvanced {
                round: 1,
                step: Step::Sharing,
            }),
            Phase::Round { round, step } => {
                self.require_coach(actor, round)?;
                match step.next() {
                    Some(step) => Ok(Change::StepAdvanced { round, step }),
                    None => Err(CoachingError::EndRoundFirst),
                }
            }
            Phase::RoundEnded { round } if round < self.size.rounds() => {
                // The next round's coach leads it, so they open it.
                self.require_coach(actor, round + 1)?;
                Ok(Change::StepAdvanced {
                    round: round + 1,
                    step: Step::Sharing,
                })
            }
            Phase::RoundEnded { .. } => Ok(Change::ClosingOpened),
        }
    }

    fn previous_step(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Framework | Phase::Preparation | Phase::Completed | Phase::Abandoned => {
                Err(CoachingError::WrongPhase)
            }
            Phase::Introduction | Phase::Closing => Err(CoachingError::NoPreviousStep),
            Phase::Round { round, step } => {
                self.require_coach(actor, round)?;
                match step.previous() {
                    Some(step) => Ok(Change::StepBack { round, step }),
                    None => Err(CoachingError::NoPreviousStep),
                }
            }
            // A round ended too soon can be reopened by its coach before the next begins.
            Phase::RoundEnded { round } => {
                self.require_coach(actor, round)?;
                Ok(Change::StepBack {
                    round,
                    step: Step::Commitments,
                })
            }
        }
    }

    fn extend(&self, minutes: u32) -> Result<Change, CoachingError> {
        let Some(timer) = self.timer else {
            return Err(CoachingError::NoTimer);
        };
        if !EXTEND_MINUTES.contains(&minutes) {
            return Err(CoachingError::ExtensionOutOfRange {
                minutes,
                min: *EXTEND_MINUTES.start(),
                max: *EXTEND_MINUTES.end(),
            });
        }
        let extended = timer.extended_minutes();
        if extended + minutes > MAX_EXTENSION_TOTAL_MINUTES {
            return Err(CoachingError::ExtensionCapReached {
                extended,
                max: MAX_EXTENSION_TOTAL_MINUTES,
            });
        }
        Ok(Change::Extended { minutes })
    }

    fn end_round(&self, actor: Seat) -> Result<Change, CoachingError> {
        match self.phase {
            Phase::Round { round, step } => {
                self.require_coach(actor, round)?;
                if step == Step::Commitments {
                    Ok(Change::RoundEnded { round })
                } else {
                    Err(CoachingError::RoundNotFinished { step })
                }
            }
            _ => Err(CoachingError::WrongPhase),
        }
    }

    fn require_coach(&self, actor: Seat, round: u8) -> Result<(), CoachingError> {
        let roles = self.roles_of_round(round)?;
        if roles.coach == actor {
            Ok(())
        } else {
            Err(CoachingError::NotTheCoach { coach: roles.coach })
        }
    }

    /// The roles of a round of this session.
    pub fn roles_of_round(&self, round: u8) -> Result<Roles, CoachingError> {
        roles_in(self.size, round).ok_or(CoachingError::NoSuchRound { round })
    }

    fn everyone_prepared(&self) -> bool {
        self.prepared.len() == usize::from(self.size.members())
    }

    /// The group's size.
    pub fn size(&self) -> GroupSize {
        self.size
    }

    /// The configured step durations.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// Whether this is the guided session or a practice one.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The members who asked to abandon the guided session, while not everyone has (empty
    /// when nobody asked, or after a member turned it down).
    pub fn abandon_requests(&self) -> &BTreeSet<Seat> {
        &self.abandon_requests
    }

    /// Where the session stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The round under way or just ended, counted from 1.
    pub fn round(&self) -> Option<u8> {
        match self.phase {
            Phase::Round { round, .. } | Phase::RoundEnded { round } => Some(round),
            _ => None,
        }
    }

    /// The roles of the round under way or just ended.
    pub fn current_roles(&self) -> Option<Roles> {
        self.round().and_then(|r| roles_in(self.size, r))
    }

    /// A member's role in the round under way or just ended.
    pub fn role_of(&self, seat: Seat) -> Option<Role> {
        self.current_roles().and_then(|r| r.role_of(seat))
    }

    /// Whether the member accepted the trust framework.
    pub fn has_accepted(&self, seat: Seat) -> bool {
        self.accepted.contains(&seat)
    }

    /// Whether the member marked themself prepared.
    pub fn is_prepared(&self, seat: Seat) -> bool {
        self.prepared.contains(&seat)
    }

    /// Whether the introduction was reached (from then on, preparations are shared).
    pub fn reached_introduction(&self) -> bool {
        self.introduced
    }

    /// Whether the session still takes commands and edits: neither completed nor abandoned.
    pub fn is_open(&self) -> bool {
        !matches!(self.phase, Phase::Completed | Phase::Abandoned)
    }

    /// The current step's timer, when a step is being timed.
    pub fn timer(&self) -> Option<&StepTimer> {
        self.timer.as_ref()
    }

    /// The current step's timer as a screen shows it.
    pub fn timer_view(&self) -> Option<TimerView> {
        self.timer.map(|t| t.view())
    }

    /// Seconds left in the current step at `now`, negative in overtime; `None` when no step
    /// is timed.
    pub fn remaining(&self, now: UnixMillis) -> Option<i64> {
        self.timer.map(|t| t.remaining_secs(now))
    }

    /// When the session was completed.
    pub fn completed_at(&self) -> Option<UnixMillis> {
        self.completed_at
    }

    /// The moment of the last event applied.
    pub fn last_event_at(&self) -> Option<UnixMillis> {
        self.last_at
    }

    /// Where the session stands, for staff.
    pub fn status(&self) -> Status {
        match self.phase {
            Phase::Framework => Status::NotStarted,
            Phase::Preparation if self.everyone_prepared() => Status::Prepared,
            Phase::Preparation => Status::NotStarted,
            Phase::Introduction => Status::InProgress {
                round: 0,
                step: Some(Step::Introduction),
            },
            Phase::Round { round, step } => Status::InProgress {
                round,
                step: Some(step),
            },
            Phase::RoundEnded { round } => Status::InProgress { round, step: None },
            Phase::Closing => Status::Closing,
            Phase::Completed => Status::Completed,
            Phase::Abandoned => Status::Abandoned,
        }
    }
}
