//! The live session as the web layer uses it: opens a group's session, rebuilds its state
//! from the event log, runs a member's command and saves a member's field, each in one
//! transaction with the event that tells the other screens, then wakes this instance's
//! screens (other instances hear it through PostgreSQL).
//!
//! Times passed in are Unix milliseconds (the method's clock); the store keeps seconds.
//!
//! The log's format and the field ids are [`coaching::log`]'s; the status detail staff read
//! is [`coaching::StatusDetail`]; which milestones a change reaches and what each earns in
//! the gradebook are [`coaching::activity`]'s (pure, and on a floor this one may import:
//! `grades/` is beside it). This module orchestrates: it reads, decides, appends in one
//! transaction and wakes the screens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use moka::future::Cache;

use super::Hub;
use crate::coaching::log::{Echo, Entry, Note};
pub use crate::coaching::log::{Presence, field_id, parse_field_id};
use crate::coaching::{
    self, Change, CoachingError, Command, FieldKey, Grading, GroupSize, Milestone, Seat, Session,
    SessionKind, Status, StatusDetail, Timings, UnixMillis,
};
use crate::lti::ags::{ActivityProgress, GradingProgress};
use crate::store::{
    ActivityConfig, CourseId, EventRow, FieldOwner, FieldRow, FieldSave, NewEvent, NewSession,
    PersonId, SessionId, SessionRow, SessionStatus, Store, StoreError, Tx,
};

/// Most entries a session's log may hold: every entry is a member's deliberate act or a
/// debounced save, so a real session stays far below (a few hundred to a few thousand); a
/// script cannot grow it forever.
pub const MAX_LOG: i64 = 20_000;
/// Most log entries one group keeps for one activity, all its sessions together (guided and
/// practice). Measured on SQLite, an entry (row and primary-key index) takes about 113 bytes
/// with Moodle's short person ids, 155 with Canvas's 40-character ones and 390 with the
/// longest ids OpenID allows (255): 100,000 entries are 11 to 16 MB, 39 MB at worst. That is
/// five full logs, or fifty practice sessions of a real size.
pub const GROUP_LOG_BUDGET: i64 = 100_000;
/// Most bytes of field text one group keeps for one activity, all its sessions together:
/// about three sessions whose every field is full, or thousands of real ones.
pub const GROUP_TEXT_BUDGET: i64 = 8 * 1024 * 1024;
/// Most practice sessions a group keeps per activity: each is opened by a member's click, and
/// a script must not make the server store sessions forever.
pub const MAX_PRACTICE: i32 = 100;
/// How often a member's presence may change the log.
const PRESENCE_EVERY_MS: i64 = 2_000;
/// How many times a command is retried when another member's event came first.
const RETRIES: usize = 20;

/// Why a live action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The method does not allow it now (the reason is typed).
    #[error("not allowed now: {0}")]
    Refused(#[from] CoachingError),
    /// The person is not a member of this session's group.
    #[error("not a member of this session")]
    NotAMember,
    /// The log of this session is full.
    #[error("the session's log is full")]
    LogFull,
    /// The group opened as many practice sessions as one activity keeps.
    #[error("too many practice sessions")]
    TooManySessions,
    /// The group's sessions of this activity hold as much as one group may keep there: a
    /// new session could take it past [`GROUP_LOG_BUDGET`] or [`GROUP_TEXT_BUDGET`].
    #[error("the group's storage for this activity is full")]
    GroupFull,
    /// The field id does not name a field.
    #[error("unknown field {0:?}")]
    UnknownField(String),
    /// The stored log does not replay (corrupt or written by an incompatible version).
    #[error("session {session} does not replay: {detail}")]
    Corrupt { session: SessionId, detail: String },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session as rebuilt from its log, with what screens show beside the method's state.
#[derive(Debug, Clone)]
pub struct State {
    pub row: SessionRow,
    pub session: Session,
    /// Each seat's presence and when it last changed.
    pub presence: Vec<(Presence, Option<UnixMillis>)>,
    /// The time of the last entry.
    pub last_at: Option<UnixMillis>,
    /// A member acted in the method (before that, the step durations may still change).
    pub begun: bool,
    /// The group opened a later session after this one (its log says so).
    pub followed: bool,
}

impl State {
    /// The seat of a person in this session, if they are a member.
    pub fn seat_of(&self, person: &PersonId) -> Option<Seat> {
        seat_in(&self.row, person)
    }
}

fn seat_in(row: &SessionRow, person: &PersonId) -> Option<Seat> {
    row.summary
        .members
        .iter()
        .position(|m| m == person)
        .map(|i| Seat(i as u8))
}

/// The stable key of a group: its members, sorted. Person ids are the platform's (at most a
/// few hundred characters each), and a group has two or three.
pub fn group_key(members: &[PersonId]) -> String {
    let mut m: Vec<&str> = members.iter().map(PersonId::as_str).collect();
    m.sort();
    m.join("\u{1f}")
}

/// The live sessions of this instance: the store, the hub, and a cache of rebuilt states.
/// Cheap to clone (a presence written later holds one).
#[derive(Clone)]
pub struct Live {
    store: Store,
    hub: Hub,
    /// Rebuilt states by session, checked against the session's last event at each read (so
    /// no time to live), the least used going first when full.
    cache: Cache<SessionId, Arc<State>>,
    /// Each session's fields as they stood at an entry of its log: every save appends an
    /// entry (the scratchpad's a quiet one), so a panel drawn at that entry reads them from
    /// here, and the save that writes the next entry writes its field here too. Weighed by
    /// their text, so the cache holds at most [`FIELDS_CACHE_BYTES`].
    fields: Cache<SessionId, Arc<FieldsAt>>,
    /// Each group's sessions of an activity as last read, by course, activity and group key:
    /// a panel redrawn after an entry the cached state holds already draws from them
    /// instead of reading them again ([`Live::current_cached`]).
    groups: Cache<(CourseId, String, String), Arc<Vec<SessionRow>>>,
    /// The latest presence each member's screens asked for, by session and person, until it
    /// is written: a change that comes too soon after the last one waits for its turn, and
    /// a later wish replaces it, so the last word (offline, say) is never lost.
    wishes: Arc<Mutex<HashMap<(SessionId, PersonId), u64>>>,
    next_wish: Arc<std::sync::atomic::AtomicU64>,
}

/// A member's presence to write, numbered so that a later wish of the same member takes over.
struct PresenceWish {
    course: CourseId,
    id: SessionId,
    person: PersonId,
    presence: Presence,
    number: u64,
}

impl PresenceWish {
    /// Where the member's latest wish number is kept.
    fn key(&self) -> (SessionId, PersonId) {
        (self.id, self.person.clone())
    }
}

/// What one attempt to record a presence did.
enum PresenceTry {
    /// Recorded, or already what the log says, or a later wish took over: nothing left to do.
    Done,
    /// Too soon after the member's last change: try again in this many milliseconds.
    TooSoon(i64),
}

/// The clock of a presence written later (times passed in are the caller's otherwise).
pub(super) fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

const CACHE_MAX: u64 = 20_000;
/// The most text the fields cache holds.
const FIELDS_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// About the most the cache of groups' sessions holds.
const GROUPS_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// About what a session row weighs in memory.
fn row_weight(r: &SessionRow) -> usize {
    let members: usize = r
        .summary
        .members
        .iter()
        .map(|m| m.as_str().len() + 24)
        .sum();
    let snapshot = r.snapshot.as_ref().map_or(0, String::len);
    members + r.summary.group_key.len() + r.summary.module.len() + r.activity.len() + snapshot + 256
}

/// A session's fields as they stood at entry `seq` of its log (or later).
#[derive(Debug)]
struct FieldsAt {
    seq: i64,
    rows: Vec<FieldRow>,
}

impl FieldsAt {
    /// The same, with one field saved at entry `seq`.
    fn with(&self, seq: i64, saved: FieldRow) -> FieldsAt {
        let mut rows: Vec<FieldRow> = self
            .rows
            .iter()
            .filter(|r| !(r.field == saved.field && r.owner == saved.owner))
            .cloned()
            .collect();
        rows.push(saved);
        FieldsAt { seq, rows }
    }

    /// What it weighs in the cache: its text, and a little per row.
    fn weight(&self) -> u32 {
        let bytes: usize = self
            .rows
            .iter()
            .map(|r| r.text.len() + r.field.len() + 64)
            .sum();
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

impl Live {
    pub fn new(store: Store, hub: Hub) -> Live {
        Live {
            store,
            hub,
            cache: Cache::new(CACHE_MAX),
            fields: Cache::builder()
                .weigher(|_, f: &Arc<FieldsAt>| f.weight())
                .max_capacity(FIELDS_CACHE_BYTES)
                // Fields change through the log; a write that went around it (an operator's)
                // shows within this long.
                .time_to_live(std::time::Duration::from_secs(300))
                .build(),
            groups: Cache::builder()
                .weigher(|_, rows: &Arc<Vec<SessionRow>>| {
                    let bytes: usize = rows.iter().map(row_weight).sum();
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                .max_capacity(GROUPS_CACHE_BYTES)
                // Only the earlier sessions' status and times come from here (the current
                // one's state is checked against its log): they show within this long.
                .time_to_live(std::time::Duration::from_secs(30))
                .build(),
            wishes: Arc::new(Mutex::new(HashMap::new())),
            next_wish: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }

    /// The hub the event streams follow.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The guided session (ordinal 0) or a later practice session of a group, opened on
    /// first use. `members` are in seat order (the published group's order).
    pub async fn open(
        &self,
        course: CourseId,
        activity: &str,
        members: &[PersonId],
        ordinal: i32,
        now: i64,
    ) -> Result<SessionRow, LiveError> {
        let key = group_key(members);
        let row = self
            .store
            .open_session(
                course,
                NewSession {
                    activity,
                    module: activity,
                    group_key: &key,
                    members,
                    ordinal,
                    now: now / 1000,
                },
            )
            .await?;
        self.groups
            .invalidate(&(course, activity.to_string(), key))
            .await;
        Ok(row)
    }

    /// A practice session the group opens on its own after the previous one ended, with its
    /// own step durations (minutes per step, in the method's order). Its first entry records
    /// the timings, so every instance rebuilds the same timer.
    pub async fn open_practice(
        &self,
        previous: &State,
        person: &PersonId,
        timings: Timings,
        now: i64,
    ) -> Result<SessionRow, LiveError> {
        let seat = previous.seat_of(person).ok_or(LiveError::NotAMember)?;
        if previous.session.is_open() {
            return Err(CoachingError::WrongPhase.into());
        }
        let row = previous.row.clone();
        if row.summary.ordinal >= MAX_PRACTICE {
            return Err(LiveError::TooManySessions);
        }
        // The storage budget: what the group keeps already, plus all a new session could
        // hold (a full log, every field at its longest), must fit. Earlier sessions are
        // closed by then (a new one opens only after the last one ended), so they no longer
        // grow, and the new one cannot outgrow what was reserved for it: the group's total
        // stays within the budget without a count on every save.
        let size = previous.session.size();
        let reserve =
            i64::try_from(coaching::fields::max_session_text_bytes(size)).unwrap_or(i64::MAX);
        let used = self
            .store
            .group_usage(row.course, &row.activity, &row.summary.group_key)
            .await?;
        if used.entries + MAX_LOG > GROUP_LOG_BUDGET
            || used.text_bytes.saturating_add(reserve) > GROUP_TEXT_BUDGET
        {
            return Err(LiveError::GroupFull);
        }
        let new = self
            .open(
                row.course,
                &row.activity,
                &row.summary.members,
                row.summary.ordinal + 1,
                now,
            )
            .await?;
        let state = self.state(row.course, new.summary.id).await?;
        if state.row.summary.last_seq == 0 {
            let minutes = crate::coaching::Step::ALL.map(|s| timings.minutes(s));
            let note = Entry::Note(Note::Timings {
                by: seat,
                at: UnixMillis(now),
                minutes,
            });
            match self
                .append(row.course, &state, person, &[note], &state.session, now)
                .await
            {
                // Another member opened it at the same moment: theirs stands.
                Ok(_) | Err(LiveError::Store(StoreError::SessionMoved { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        self.tell_next_session(
            row.course,
            row.summary.id,
            person,
            seat,
            new.summary.ordinal,
            now,
        )
        .await?;
        Ok(new)
    }

    /// Notes in a session that ended that the group opened its next one, so that the screens
    /// still following it (the other members', who did not click) hear of it through their
    /// event stream, redraw and follow the new session. Without it their stream stays on a
    /// session where nothing happens any more. Best effort on a full log.
    async fn tell_next_session(
        &self,
        course: CourseId,
        id: SessionId,
        person: &PersonId,
        seat: Seat,
        ordinal: i32,
        now: i64,
    ) -> Result<(), LiveError> {
        let note = Entry::Note(Note::NextSession {
            by: seat,
            at: UnixMillis(now),
            ordinal,
        });
        for _ in 0..RETRIES {
            let state = self.state(course, id).await?;
            match self
                .append(
                    course,
                    &state,
                    person,
                    std::slice::from_ref(&note),
                    &state.session,
                    now,
                )
                .await
            {
                Err(LiveError::Store(StoreError::SessionMoved { .. })) => continue,
                Ok(_) | Err(LiveError::LogFull) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The configuration of an activity, if staff set it up.
    async fn configured(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Option<ActivityConfig>, LiveError> {
        Ok(self.store.activity_config(course, activity).await?)
    }

    /// Gives a guided session nothing happened in yet its activity's current step durations
    /// (a configuration changed later applies to sessions not yet begun, never to one
    /// under way). A member opening the page or acting first does it; a concurrent one's
    /// note stands.
    pub async fn adopt_timings(
        &self,
        course: CourseId,
        state: &State,
        person: &PersonId,
        now: i64,
    ) -> Result<(), LiveError> {
        if state.begun || state.row.summary.ordinal != 0 {
            return Ok(());
        }
        let timings = self
            .configured(course, &state.row.activity)
            .await?
            .map(|c| c.timings)
            .unwrap_or_default();
        if *state.session.timings() == timings {
            return Ok(());
        }
        let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
        let note = Entry::Note(Note::Timings {
            by: seat,
            at: UnixMillis(now),
            minutes: crate::coaching::Step::ALL.map(|s| timings.minutes(s)),
        });
        match self
            .append(course, state, person, &[note], &state.session, now)
            .await
        {
            Ok(_) | Err(LiveError::Store(StoreError::SessionMoved { .. })) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The sessions of a group, guided first.
    pub async fn sessions_of_group(
        &self,
        course: CourseId,
        activity: &str,
        members: &[PersonId],
    ) -> Result<Arc<Vec<SessionRow>>, LiveError> {
        let key = group_key(members);
        let rows = Arc::new(self.store.sessions_of_group(course, activity, &key).await?);
        self.groups
            .insert((course, activity.to_string(), key), rows.clone())
            .await;
        Ok(rows)
    }

    /// The group's current session and all its sessions of the activity, from what this
    /// instance holds, when that is no older than what the asking screen was told (session
    /// `ordinal`, entry `after` of its log) nor than what this instance heard of, and the
    /// group opened no later session; none otherwise (then read them).
    pub async fn current_cached(
        &self,
        course: CourseId,
        activity: &str,
        members: &[PersonId],
        ordinal: i32,
        after: i64,
    ) -> Option<(Arc<State>, Arc<Vec<SessionRow>>)> {
        let key = (course, activity.to_string(), group_key(members));
        let group = self.groups.get(&key).await?;
        let row = group.iter().max_by_key(|r| r.summary.ordinal)?;
        let state = self.cache.get(&row.summary.id).await?;
        let at = state.row.summary.last_seq;
        let told = match row.summary.ordinal.cmp(&ordinal) {
            std::cmp::Ordering::Less => return None,
            std::cmp::Ordering::Equal => after,
            // A later session than the screen's: it follows this one from here.
            std::cmp::Ordering::Greater => 0,
        };
        let heard = self.hub.heard(row.summary.id).unwrap_or(0);
        if state.followed || at < told.max(heard) {
            return None;
        }
        Some((state, group))
    }

    /// What each member committed to in the group's last completed session of another
    /// module: (person, the commitments as stored: a JSON list of
    /// [`coaching::fields::Action`]), members without any left out. The next module's
    /// session opens with them.
    pub async fn previous_commitments(
        &self,
        row: &SessionRow,
    ) -> Result<Vec<(PersonId, String)>, LiveError> {
        let Some(prev) = self
            .store
            .previous_session_of_group(row.course, &row.summary.group_key, &row.activity)
            .await?
        else {
            return Ok(Vec::new());
        };
        let state = self.state(row.course, prev.summary.id).await?;
        let fields = self.store.fields(row.course, prev.summary.id).await?;
        let mut out = Vec::new();
        for round in 1..=state.session.size().rounds() {
            let Ok(roles) = state.session.roles_of_round(round) else {
                continue;
            };
            let Some(person) = prev.summary.members.get(roles.coachee.0 as usize) else {
                continue;
            };
            let Ok(actions) = coaching::FieldRef::round(FieldKey::Actions, round) else {
                continue;
            };
            let id = field_id(&actions);
            if let Some(f) = fields.iter().find(|f| f.field == id && !f.text.is_empty()) {
                out.push((person.clone(), f.text.clone()));
            }
        }
        Ok(out)
    }

    /// The state of a session now, from the cache when nothing happened since.
    pub async fn state(&self, course: CourseId, id: SessionId) -> Result<Arc<State>, LiveError> {
        let row = self.store.session(course, id).await?;
        self.state_at(row).await
    }

    /// The state of a session whose row was just read (with the group's others, say), from
    /// the cache when nothing happened since: no second read of the row.
    pub async fn state_at(&self, row: SessionRow) -> Result<Arc<State>, LiveError> {
        let (course, id) = (row.course, row.summary.id);
        let cached = self.cache.get(&id).await;
        if let Some(c) = &cached
            && c.row.summary.last_seq == row.summary.last_seq
        {
            if c.row == row {
                return Ok(c.clone());
            }
            // A state its writer cached after an append knows the log, not the columns the
            // store derives from it (status, times): the row just read tells them.
            let state = Arc::new(State {
                row,
                ..(**c).clone()
            });
            self.cache.insert(id, state.clone()).await;
            return Ok(state);
        }
        // A writer cached a later state after this row was read: that one, not a replay.
        if let Some(c) = &cached
            && c.row.summary.last_seq > row.summary.last_seq
        {
            return Ok(c.clone());
        }
        let (mut state, after) =
            match cached.filter(|c| c.row.summary.last_seq < row.summary.last_seq) {
                Some(c) => ((*c).clone(), c.row.summary.last_seq),
                None => (fresh(&row)?, 0),
            };
        let mut after = after;
        loop {
            let page = self
                .store
                .events_since(course, id, after, crate::store::MAX_EVENTS_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                fold(&mut state, e)?;
            }
            if after >= row.summary.last_seq {
                break;
            }
        }
        state.row = row;
        state.row.summary.last_seq = state.row.summary.last_seq.max(after);
        let state = Arc::new(state);
        self.cache.insert(id, state.clone()).await;
        Ok(state)
    }

    /// The state an attempt decides against: the caller's for the first, read again after.
    async fn attempt_state(
        &self,
        first: &mut Option<Arc<State>>,
        course: CourseId,
        id: SessionId,
    ) -> Result<Arc<State>, LiveError> {
        match first.take() {
            Some(s) => Ok(s),
            None => self.state(course, id).await,
        }
    }

    /// Runs a member's command: decided against the current state, appended with the
    /// session's new status (and, when it completes the session, every member's
    /// completion) in one transaction. Retried when another member's event came first.
    /// `current` is the state the caller just read: the first attempt decides against it,
    /// a retry reads again.
    pub async fn command(
        &self,
        current: Arc<State>,
        person: &PersonId,
        cmd: Command,
        now: i64,
    ) -> Result<i64, LiveError> {
        let (course, id) = (current.row.course, current.row.summary.id);
        let mut first = Some(current);
        for _ in 0..RETRIES {
            let mut state = self.attempt_state(&mut first, course, id).await?;
            if !state.begun && state.row.summary.ordinal == 0 {
                self.adopt_timings(course, &state, person, now).await?;
                state = self.state(course, id).await?;
            }
            let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
            let events = state.session.decide(seat, &cmd, UnixMillis(now))?;
            let mut session = state.session.clone();
            for e in &events {
                session.apply(e)?;
            }
            let entries: Vec<Entry> = events.into_iter().map(Entry::Method).collect();
            match self
                .append(course, &state, person, &entries, &session, now)
                .await
            {
                Err(LiveError::Store(StoreError::SessionMoved { .. })) => continue,
                other => return other,
            }
        }
        Err(LiveError::Store(StoreError::SessionMoved {
            session: id,
            last_seq: -1,
        }))
    }

    /// Appends entries after the state's last one, with the status `session` gives.
    async fn append(
        &self,
        course: CourseId,
        state: &State,
        person: &PersonId,
        entries: &[Entry],
        session: &Session,
        now: i64,
    ) -> Result<i64, LiveError> {
        if state.row.summary.last_seq + entries.len() as i64 > MAX_LOG {
            return Err(LiveError::LogFull);
        }
        let (status, detail) = status_of(session);
        let completes =
            session.status() == Status::Completed && state.session.status() != Status::Completed;
        let id = state.row.summary.id;
        let members = state.row.summary.members.clone();
        let mut expected = state.row.summary.last_seq;
        // Only the guided session counts in the gradebook.
        let changes = if state.row.summary.ordinal == 0 {
            progress_changes(&members, &state.session, session)
        } else {
            Vec::new()
        };
        let grading = if changes.is_empty() {
            Grading::default()
        } else {
            self.configured(course, &state.row.activity)
                .await?
                .map(|c| c.grading)
                .unwrap_or_default()
        };
        let first = expected + 1;
        let tx = self.store.begin(course).await?;
        for e in entries {
            let payload = e.encode().map_err(|e| LiveError::Corrupt {
                session: id,
                detail: e.to_string(),
            })?;
            expected = tx
                .append_event(new_event(
                    id, expected, person, &payload, status, &detail, now,
                ))
                .await?;
        }
        if completes {
            for m in &members {
                tx.record_completion(id, m, now / 1000).await?;
            }
        }
        for (person, progress) in &changes {
            tx.enqueue_score(score_for(
                &state.row.activity,
                person,
                *progress,
                &grading,
                now,
            ))
            .await?;
        }
        tx.commit().await?;
        for (e, seq) in entries.iter().zip(first..) {
            self.hub.published(id, seq, e.echo());
        }
        self.appended(state, entries, first).await;
        Ok(expected)
    }

    /// Saves a member's field (as typed: a list one entry per line) if the method lets them
    /// write it now and nobody saved it since `version`; a stale save returns the current
    /// text, as typed. Every save is an entry of the log, so that what is cached of the
    /// session knows of it; the others' screens are told, except of a scratchpad, which
    /// nobody else reads (its entry is quiet: see [`Echo::Quiet`]). `current` is the state
    /// the caller just read, as for [`Live::command`].
    pub async fn save_field(
        &self,
        current: Arc<State>,
        person: &PersonId,
        field: &str,
        text: &str,
        version: i64,
        now: i64,
    ) -> Result<FieldSave, LiveError> {
        let f = parse_field_id(field).ok_or_else(|| LiveError::UnknownField(field.into()))?;
        let (course, id) = (current.row.course, current.row.summary.id);
        let mut first = Some(current);
        for _ in 0..RETRIES {
            let state = self.attempt_state(&mut first, course, id).await?;
            let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
            coaching::may_write(&state.session, seat, &f)?;
            // A list is typed one entry per line and stored as JSON.
            let stored = coaching::lines_to_stored(f.key(), text)?;
            if state.row.summary.last_seq >= MAX_LOG {
                return Err(LiveError::LogFull);
            }
            // The group's fields have one row for everyone; the others belong to their writer
            // (so that deleting one's notes deletes exactly what one wrote).
            let owner = if f.key().scope() == coaching::fields::Scope::Group {
                FieldOwner::Group
            } else {
                FieldOwner::Person(person.clone())
            };
            let tx = self.store.begin(course).await?;
            let saved = tx
                .save_field(id, &owner, field, &stored, version, now / 1000)
                .await?;
            let new = match saved {
                FieldSave::Saved { version } => version,
                FieldSave::Stale {
                    current_text,
                    current_version,
                } => {
                    tx.rollback().await?;
                    return Ok(FieldSave::Stale {
                        current_text: coaching::list_to_lines(f.key(), &current_text),
                        current_version,
                    });
                }
            };
            let note = Entry::Note(Note::FieldSaved {
                by: seat,
                at: UnixMillis(now),
                field: field.to_string(),
                version: new,
            });
            let Some(seq) = self.commit_note(tx, &state, person, &note, now).await? else {
                continue;
            };
            let row = FieldRow {
                session_id: id,
                owner,
                field: field.to_string(),
                text: stored,
                version: new,
                updated_at: now / 1000,
            };
            self.fields_saved(&state, seq, row).await;
            self.hub.published(id, seq, note.echo());
            return Ok(saved);
        }
        Err(LiveError::Store(StoreError::SessionMoved {
            session: id,
            last_seq: -1,
        }))
    }

    /// Records a member's presence when it changed, so the other screens show it. Changes
    /// are written at most every two seconds per member (a tab switched back and forth must
    /// not fill the log): one that comes sooner is written when its turn comes, unless a
    /// later one replaced it by then, and one that loses a race with another entry is tried
    /// again. So the last word always reaches the others: a screen closed right after it was
    /// hidden says offline, not away, within seconds.
    pub async fn presence(
        &self,
        course: CourseId,
        id: SessionId,
        person: &PersonId,
        presence: Presence,
        now: i64,
    ) -> Result<(), LiveError> {
        let wish = PresenceWish {
            course,
            id,
            person: person.clone(),
            presence,
            number: self
                .next_wish
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        self.lock_wishes().insert(wish.key(), wish.number);
        let wait = match self.try_presence(&wish, now).await {
            Ok(PresenceTry::TooSoon(wait)) => wait,
            Ok(PresenceTry::Done) => return Ok(()),
            Err(e) => {
                self.forget_wish(&wish);
                return Err(e);
            }
        };
        let this = self.clone();
        tokio::spawn(async move {
            let mut wait = wait;
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(wait.unsigned_abs())).await;
                match this.try_presence(&wish, unix_millis()).await {
                    Ok(PresenceTry::TooSoon(w)) => wait = w,
                    Ok(PresenceTry::Done) => break,
                    Err(e) => {
                        this.forget_wish(&wish);
                        tracing::warn!(session = id.get(), error = %e, "presence not recorded");
                        break;
                    }
                }
            }
        });
        Ok(())
    }

    /// One attempt at writing `w` (the member's latest wish, or it gives way).
    async fn try_presence(&self, w: &PresenceWish, now: i64) -> Result<PresenceTry, LiveError> {
        let (course, id, person, presence) = (w.course, w.id, &w.person, w.presence);
        for _ in 0..RETRIES {
            if self.lock_wishes().get(&w.key()) != Some(&w.number) {
                return Ok(PresenceTry::Done);
            }
            let state = self.state(course, id).await?;
            let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
            let (was, at) = state.presence[seat.0 as usize];
            if was == presence {
                self.forget_wish(w);
                return Ok(PresenceTry::Done);
            }
            if let Some(at) = at
                && now - at.0 < PRESENCE_EVERY_MS
            {
                let wait = (PRESENCE_EVERY_MS - (now - at.0)).clamp(1, PRESENCE_EVERY_MS);
                return Ok(PresenceTry::TooSoon(wait));
            }
            let note = Entry::Note(Note::Presence {
                by: seat,
                at: UnixMillis(now),
                presence,
            });
            match self
                .append(course, &state, person, &[note], &state.session, now)
                .await
            {
                // Someone else wrote first: read again and retry.
                Err(LiveError::Store(StoreError::SessionMoved { .. })) => continue,
                Ok(_) => {
                    self.forget_wish(w);
                    return Ok(PresenceTry::Done);
                }
                Err(e) => return Err(e),
            }
        }
        // A log this busy is written again within moments; the next change says it.
        self.forget_wish(w);
        Ok(PresenceTry::Done)
    }

    fn lock_wishes(&self) -> std::sync::MutexGuard<'_, HashMap<(SessionId, PersonId), u64>> {
        self.wishes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets a member's wish once written (unless a later one replaced it meanwhile).
    fn forget_wish(&self, w: &PresenceWish) {
        let mut wishes = self.lock_wishes();
        let key = w.key();
        if wishes.get(&key) == Some(&w.number) {
            wishes.remove(&key);
        }
    }

    /// The fields of a session that `person` may read, by field id.
    pub async fn readable_fields(
        &self,
        state: &State,
        person: &PersonId,
    ) -> Result<HashMap<String, FieldRow>, LiveError> {
        let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
        let fields = self.fields_at(state).await?;
        Ok(fields
            .rows
            .iter()
            .filter(|r| {
                parse_field_id(&r.field)
                    .is_some_and(|f| coaching::may_read(&state.session, seat, &f))
            })
            .map(|r| (r.field.clone(), r.clone()))
            .collect())
    }

    /// The session's fields as they stand at the state's entry (or later): from the cache
    /// when it holds them at that entry, read otherwise.
    async fn fields_at(&self, state: &State) -> Result<Arc<FieldsAt>, LiveError> {
        let (id, seq) = (state.row.summary.id, state.row.summary.last_seq);
        if let Some(f) = self.fields.get(&id).await
            && f.seq == seq
        {
            return Ok(f);
        }
        let rows = self.store.fields(state.row.course, id).await?;
        let read = Arc::new(FieldsAt { seq, rows });
        put_unless_later(&self.fields, id, read.clone(), |f| f.seq).await;
        Ok(read)
    }

    /// A field was saved at entry `seq`, right after `before`'s: the cached fields at
    /// `before`'s entry take it (any other cached entry is dropped, as unknown).
    async fn fields_saved(&self, before: &State, seq: i64, saved: FieldRow) {
        let (id, prev) = (before.row.summary.id, before.row.summary.last_seq);
        self.fields
            .entry(id)
            .and_compute_with(|old| {
                let op = match old.map(|o| o.into_value()) {
                    Some(f) if f.seq == prev => {
                        moka::ops::compute::Op::Put(Arc::new(f.with(seq, saved)))
                    }
                    Some(f) if f.seq >= seq => moka::ops::compute::Op::Nop,
                    Some(_) => moka::ops::compute::Op::Remove,
                    None => moka::ops::compute::Op::Nop,
                };
                std::future::ready(op)
            })
            .await;
    }

    /// `entries` were appended after `before`'s last, the first at `first`: the state they
    /// lead to is cached, so the screens' next panels need not replay them from the store.
    async fn appended(&self, before: &State, entries: &[Entry], first: i64) {
        let mut state = before.clone();
        for (e, seq) in entries.iter().zip(first..) {
            if fold_entry(&mut state, e, seq).is_err() {
                // The store's log replays it or says why, at the next read.
                self.cache.invalidate(&before.row.summary.id).await;
                return;
            }
            state.row.summary.last_seq = seq;
        }
        let id = state.row.summary.id;
        put_unless_later(&self.cache, id, Arc::new(state), |s| s.row.summary.last_seq).await;
    }

    /// Deletes every field `person` wrote in this session, from the database.
    pub async fn delete_notes(
        &self,
        course: CourseId,
        id: SessionId,
        person: &PersonId,
        now: i64,
    ) -> Result<u64, LiveError> {
        let n = self.delete_fields_noted(course, id, person, now).await?;
        // After the commit, never inside it: the database's files must not keep the texts.
        // The deletion stands either way; a log not emptied now is emptied by the next one.
        if n > 0 {
            match self.store.reclaim_deleted().await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    session = id.get(),
                    "deleted notes: the write-ahead log could not be emptied yet"
                ),
                Err(e) => {
                    tracing::warn!(session = id.get(), error = %e, "deleted notes: no checkpoint")
                }
            }
        }
        Ok(n)
    }

    /// Deletes a member's fields and notes it in the log in one transaction (retried when
    /// another entry came first), so that the deletion is an entry like any save: no cache
    /// of the fields at an earlier entry can carry the texts past it. A full log takes the
    /// deletion without its note (it must stand); this instance then forgets the session's
    /// fields, and another one's cache holds them at most its time to live.
    async fn delete_fields_noted(
        &self,
        course: CourseId,
        id: SessionId,
        person: &PersonId,
        now: i64,
    ) -> Result<u64, LiveError> {
        for _ in 0..RETRIES {
            let state = self.state(course, id).await?;
            let seat = state.seat_of(person).ok_or(LiveError::NotAMember)?;
            let tx = self.store.begin(course).await?;
            let n = tx.delete_fields(id, person).await?;
            if state.row.summary.last_seq >= MAX_LOG {
                tx.commit().await?;
                self.fields.invalidate(&id).await;
                return Ok(n);
            }
            let note = Entry::Note(Note::FieldSaved {
                by: seat,
                at: UnixMillis(now),
                field: String::new(),
                version: 0,
            });
            let Some(seq) = self.commit_note(tx, &state, person, &note, now).await? else {
                continue;
            };
            self.fields.invalidate(&id).await;
            self.hub.published(id, seq, note.echo());
            return Ok(n);
        }
        Err(LiveError::Store(StoreError::SessionMoved {
            session: id,
            last_seq: -1,
        }))
    }

    /// Appends `note` after `state`'s last entry in `tx` and commits, caching the state it
    /// leads to; none (rolled back) when another entry came first. The caller announces it
    /// once it has updated what else it caches.
    async fn commit_note(
        &self,
        tx: Tx<'_>,
        state: &State,
        person: &PersonId,
        note: &Entry,
        now: i64,
    ) -> Result<Option<i64>, LiveError> {
        let payload = note.encode().map_err(|e| LiveError::Corrupt {
            session: state.row.summary.id,
            detail: e.to_string(),
        })?;
        let (status, detail) = status_of(&state.session);
        let appended = tx
            .append_event(new_event(
                state.row.summary.id,
                state.row.summary.last_seq,
                person,
                &payload,
                status,
                &detail,
                now,
            ))
            .await;
        match appended {
            Ok(seq) => {
                tx.commit().await?;
                self.appended(state, std::slice::from_ref(note), seq).await;
                Ok(Some(seq))
            }
            Err(StoreError::SessionMoved { .. }) => {
                tx.rollback().await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The entries after `after`, for an event stream: (sequence number, echo) only.
    pub async fn entries_since(
        &self,
        course: CourseId,
        id: SessionId,
        after: i64,
    ) -> Result<Vec<(i64, Echo)>, LiveError> {
        let rows = self
            .store
            .events_since(course, id, after, crate::store::MAX_EVENTS_PAGE)
            .await?;
        Ok(rows.iter().map(|r| (r.seq, echo_of(r))).collect())
    }
}

/// Caches `value` for session `id`, unless a writer cached a later entry's meanwhile (`at`
/// tells the entry a value is at): a cache never goes back.
async fn put_unless_later<V: Send + Sync + 'static>(
    cache: &Cache<SessionId, Arc<V>>,
    id: SessionId,
    value: Arc<V>,
    at: impl Fn(&V) -> i64,
) {
    let seq = at(&value);
    cache
        .entry(id)
        .and_compute_with(|old| {
            let op = if old.is_some_and(|o| at(o.value()) > seq) {
                moka::ops::compute::Op::Nop
            } else {
                moka::ops::compute::Op::Put(value)
            };
            std::future::ready(op)
        })
        .await;
}

/// The progress each member made from `before` to `after`, in the order it happened (the
/// rules are [`coaching::activity::milestones_reached`]).
fn progress_changes<'m>(
    members: &'m [PersonId],
    before: &Session,
    after: &Session,
) -> Vec<(&'m PersonId, Milestone)> {
    coaching::activity::milestones_reached(before, after)
        .into_iter()
        .filter_map(|(seat, m)| Some((members.get(usize::from(seat.0))?, m)))
        .collect()
}

/// The score that tells the gradebook of a member's progress (times in milliseconds).
fn score_for<'a>(
    activity: &'a str,
    person: &'a PersonId,
    progress: Milestone,
    grading: &Grading,
    now: i64,
) -> crate::store::NewScore<'a> {
    let score = grading.score(progress);
    // The one mapping of the method's milestones to AGS's progress vocabulary.
    let activity_progress = match progress {
        Milestone::Started => ActivityProgress::Started,
        Milestone::InProgress => ActivityProgress::InProgress,
        Milestone::Completed => ActivityProgress::Completed,
    };
    crate::store::NewScore {
        activity,
        person_id: person,
        score: crate::store::ScoreContent {
            given: score.given,
            maximum: Some(score.maximum),
            activity_progress,
            grading_progress: if score.final_grade {
                GradingProgress::FullyGraded
            } else {
                GradingProgress::Pending
            },
            comment: score.comment.map(str::to_string),
        },
        now_millis: now,
    }
}

/// An entry to append after `expected` (times in milliseconds; the store keeps seconds).
fn new_event<'a>(
    session_id: SessionId,
    expected: i64,
    actor: &'a PersonId,
    payload: &'a str,
    status: SessionStatus,
    detail: &'a Option<StatusDetail>,
    now: i64,
) -> NewEvent<'a> {
    NewEvent {
        session_id,
        expected_last_seq: expected,
        actor,
        payload,
        snapshot: None,
        status,
        status_detail: detail.as_ref(),
        now: now / 1000,
    }
}

/// What an entry tells a screen (an unreadable one: redraw).
fn echo_of(r: &EventRow) -> Echo {
    Entry::decode(&r.payload).map_or(Echo::Change, |e| e.echo())
}

/// The guided session is the group's first (ordinal 0); the others are practice.
fn kind_of_row(row: &SessionRow) -> SessionKind {
    if row.summary.ordinal == 0 {
        SessionKind::Guided
    } else {
        SessionKind::Practice
    }
}

fn fresh(row: &SessionRow) -> Result<State, LiveError> {
    let size =
        GroupSize::try_from(row.summary.members.len() as u8).map_err(|e| LiveError::Corrupt {
            session: row.summary.id,
            detail: e.to_string(),
        })?;
    Ok(State {
        row: row.clone(),
        session: Session::new(size, kind_of_row(row), Timings::default()),
        presence: vec![(Presence::Offline, None); row.summary.members.len()],
        last_at: None,
        begun: false,
        followed: false,
    })
}

fn fold(state: &mut State, e: &EventRow) -> Result<(), LiveError> {
    let entry = Entry::decode(&e.payload).map_err(|x| LiveError::Corrupt {
        session: e.session_id,
        detail: format!("entry {}: {x}", e.seq),
    })?;
    fold_entry(state, &entry, e.seq)
}

/// Folds entry `seq` of the state's session into it.
fn fold_entry(state: &mut State, entry: &Entry, seq: i64) -> Result<(), LiveError> {
    let corrupt = |detail: String| LiveError::Corrupt {
        session: state.row.summary.id,
        detail: format!("entry {seq}: {detail}"),
    };
    match entry {
        Entry::Method(ev) => {
            state
                .session
                .apply(ev)
                .map_err(|x| corrupt(x.to_string()))?;
            state.last_at = Some(ev.at);
            state.begun = true;
        }
        Entry::Note(Note::Presence { by, at, presence }) => {
            if let Some(p) = state.presence.get_mut(by.0 as usize) {
                *p = (*presence, Some(*at));
            }
            state.last_at = Some(*at);
        }
        Entry::Note(Note::FieldSaved { at, .. }) => state.last_at = Some(*at),
        Entry::Note(Note::NextSession { at, .. }) => {
            state.last_at = Some(*at);
            state.followed = true;
        }
        Entry::Note(Note::Timings { at, minutes, .. }) => {
            // Only a session nobody acted in yet takes its timings from the log.
            if !state.begun {
                let timings = Timings::new(*minutes).map_err(|x| corrupt(x.to_string()))?;
                state.session = Session::new(state.session.size(), state.session.kind(), timings);
            }
            state.last_at = Some(*at);
        }
    }
    Ok(())
}

/// What staff see of a session: its status and, while it runs, where it is (no content).
fn status_of(s: &Session) -> (SessionStatus, Option<StatusDetail>) {
    let status = match s.status() {
        Status::NotStarted => SessionStatus::NotStarted,
        Status::Prepared => SessionStatus::Prepared,
        Status::InProgress { .. } | Status::Closing => SessionStatus::InProgress,
        Status::Completed => SessionStatus::Completed,
        Status::Abandoned => SessionStatus::Abandoned,
    };
    (status, StatusDetail::of(s))
}

/// Whether an event changes the step (screens announce those).
pub fn is_step_change(c: &Change) -> bool {
    matches!(
        c,
        Change::Started
            | Change::StepAdvanced { .. }
            | Change::StepBack { .. }
            | Change::RoundEnded { .. }
            | Change::ClosingOpened
            | Change::Closed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_milestone_is_scored_in_the_ags_vocabulary() {
        let partial = Grading::new(10, 4).unwrap();
        let check = |m: Milestone, g: &Grading, want: (ActivityProgress, GradingProgress)| {
            let p = PersonId::new("p");
            let s = score_for("a", &p, m, g, 5_000);
            let c = &s.score;
            assert_eq!((c.activity_progress, c.grading_progress), want, "{m:?}");
            assert_eq!(c.comment.as_deref(), g.score(m).comment);
            assert_eq!(
                (s.activity, s.person_id.as_str(), s.now_millis),
                ("a", "p", 5_000)
            );
        };
        use ActivityProgress as A;
        use GradingProgress as G;
        check(Milestone::Started, &partial, (A::Started, G::FullyGraded));
        check(
            Milestone::InProgress,
            &partial,
            (A::InProgress, G::FullyGraded),
        );
        check(
            Milestone::Completed,
            &partial,
            (A::Completed, G::FullyGraded),
        );
        let plain = Grading::default();
        check(Milestone::Started, &plain, (A::Started, G::Pending));
        check(Milestone::InProgress, &plain, (A::InProgress, G::Pending));
        check(Milestone::Completed, &plain, (A::Completed, G::FullyGraded));
    }

    #[test]
    fn a_new_session_is_not_started_without_detail() {
        let s = Session::new(GroupSize::Pair, SessionKind::Guided, Timings::default());
        assert_eq!(status_of(&s), (SessionStatus::NotStarted, None));
    }
}
