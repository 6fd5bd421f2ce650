//! Why the coaching domain refused something: one error type for the state machine, the
//! timer settings and the fields, so the web layer maps them to answers in one place.

use super::fields::FieldKey;
use super::method::Step;
use super::roles::Seat;

/// A refused command, setting, field access or event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoachingError {
    /// A group has two or three members; this size is neither.
    #[error("a group has 2 or 3 members, not {size}")]
    InvalidGroupSize { size: u8 },
    /// The seat is not one of the group's members.
    #[error("seat {seat} is not a member of this group")]
    NotAMember { seat: Seat },
    /// The session is completed or abandoned: nothing changes any more.
    #[error("the session is over")]
    SessionOver,
    /// The command has no meaning in the current phase (say, marking oneself prepared
    /// during a round).
    #[error("this cannot be done at this point of the session")]
    WrongPhase,
    /// This member has already accepted the trust framework.
    #[error("the trust framework is already accepted")]
    AlreadyAccepted,
    /// Preparation and everything after it wait until every member accepted the framework.
    #[error("every member must first accept the trust framework")]
    FrameworkNotAccepted,
    /// This member has already marked themself prepared.
    #[error("already marked as prepared")]
    AlreadyPrepared,
    /// The session starts only once every member is prepared.
    #[error("every member must be prepared before the session starts")]
    NotEveryonePrepared,
    /// Only the coach of the round moves its steps and ends it.
    #[error("only the coach of this round ({coach}) may do this")]
    NotTheCoach { coach: Seat },
    /// The first step of a round (and the introduction) has no step before it.
    #[error("there is no step before this one")]
    NoPreviousStep,
    /// The last step is reached: the round must be ended before the next one opens.
    #[error("end this round before going further")]
    EndRoundFirst,
    /// A round ends only from its last step, commitments; steps are never skipped.
    #[error("a round ends after its commitments step; this is step {step:?}")]
    RoundNotFinished { step: Step },
    /// The session closes only after its last round has ended.
    #[error("the session closes only after the last round")]
    CloseTooEarly,
    /// Pausing, resuming and extending need a timed step (the introduction or a round's
    /// step); between rounds and in the closing there is no timer.
    #[error("no step is being timed now")]
    NoTimer,
    /// The timer is already paused.
    #[error("the timer is already paused")]
    AlreadyPaused,
    /// The timer is running, so there is nothing to resume.
    #[error("the timer is not paused")]
    NotPaused,
    /// One extension adds between 1 and 30 minutes.
    #[error("an extension is {min} to {max} minutes, not {minutes}")]
    ExtensionOutOfRange { minutes: u32, min: u32, max: u32 },
    /// A step's extensions together may not pass the cap.
    #[error("this step is already extended by {extended} minutes; the cap is {max}")]
    ExtensionCapReached { extended: u32, max: u32 },
    /// A step's configured duration is outside the allowed bounds.
    #[error("{step:?} lasts {min} to {max} minutes, not {minutes}")]
    InvalidTiming {
        step: Step,
        minutes: u32,
        min: u32,
        max: u32,
    },
    /// The round number is not one of this session's rounds.
    #[error("this session has no round {round}")]
    NoSuchRound { round: u8 },
    /// The field is kept per member and was named per round, or the other way round.
    #[error("field {key:?} is not kept that way (per member or per round)")]
    FieldScopeMismatch { key: FieldKey },
    /// The field belongs to someone else (another member, or another role this round).
    #[error("this field is written by someone else")]
    NotYourField,
    /// The field opens at a later step or phase.
    #[error("this field cannot be written yet")]
    FieldNotOpenYet,
    /// Observer notes exist only in a trio.
    #[error("a pair has no observer")]
    NoObserver,
    /// The text is longer than the field allows.
    #[error("the text is {chars} characters long; the limit is {max}")]
    FieldTooLong { chars: usize, max: usize },
    /// A structured field (a list of options, actions or obstacles) does not have its shape.
    #[error("the field's content is malformed: {reason}")]
    FieldMalformed { reason: String },
    /// The meeting link is not an `http://` or `https://` link to a host.
    #[error("not a meeting link: it starts with https:// (or http://)")]
    NotALink,
    /// The meeting's time is not a date and time.
    #[error("not a date and time")]
    NotAMoment,
    /// This member already asked to abandon the guided session; the others have not all
    /// agreed yet.
    #[error("you already asked to abandon this session; the others have not all agreed")]
    AbandonAlreadyRequested,
    /// Nobody asked to abandon the session, so there is no request to turn down.
    #[error("nobody asked to abandon this session")]
    NoAbandonRequest,
    /// Replaying a stored event that the state at that point could not have produced (a
    /// corrupt or reordered event log).
    #[error("event does not fit the session's state: {reason}")]
    EventDoesNotFit { reason: String },
}
