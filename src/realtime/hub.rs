//! The per-instance hub: who follows which session here, and the wake-ups they get.
//!
//! One `tokio::sync::watch` channel per followed session holds a [`Mark`]: the highest
//! sequence number known and a resync epoch. A watch channel keeps only the latest value, so
//! ten thousand subscribers cost ten thousand receivers (a pointer and a version each), a
//! slow subscriber simply sees the latest mark when it looks again, and nothing lags.
//!
//! The mark also remembers what the session's last few entries tell a screen (their
//! [`Echo`], never their content), as long as it heard of each one in turn: a stream that is
//! only that far behind tells them from here, without reading the store. Anything it cannot
//! vouch for (a gap, a catch-up that only knows the number, a resync) makes the stream read.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::coaching::log::Echo;
use crate::store::{SessionId, Store};

/// How many entries a session's mark remembers.
const RECENT: usize = 8;

/// What a session's channel holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Mark {
    /// The highest sequence number published or heard of for the session.
    seq: i64,
    /// Bumped when every subscriber must re-read (after the listener reconnected).
    epoch: u64,
    /// The echoes of entries `seq - known + 1 ..= seq`, oldest first.
    recent: [Echo; RECENT],
    known: u8,
}

impl Mark {
    /// The session reached `seq`, whose entry tells `echo` when known.
    fn advance(&mut self, seq: i64, echo: Option<Echo>) {
        match echo {
            Some(e) if seq == self.seq + 1 && usize::from(self.known) < RECENT => {
                self.recent[usize::from(self.known)] = e;
                self.known += 1;
            }
            Some(e) if seq == self.seq + 1 => {
                self.recent.rotate_left(1);
                self.recent[RECENT - 1] = e;
            }
            // A gap: only this entry is known now.
            Some(e) => {
                self.recent[0] = e;
                self.known = 1;
            }
            None => self.known = 0,
        }
        self.seq = seq;
    }
}

/// Why a subscriber was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wake {
    /// The highest sequence number this instance knows of for the session (0 when it knows
    /// none: a subscriber never assumes it has everything from this alone).
    pub seq: i64,
    /// Wake-ups may have been missed (the listener lost its connection): re-read even when
    /// `seq` is not beyond what you have.
    pub resync: bool,
    recent: [Echo; RECENT],
    known: u8,
}

impl Wake {
    /// Whether a subscriber that sent everything up to `last_seq` should read the store.
    pub fn needs_read(&self, last_seq: i64) -> bool {
        self.resync || self.seq > last_seq
    }

    /// The entries after `last_seq` (sequence number, echo) when the hub knows them all,
    /// possibly none; `None` when the subscriber must read the store instead.
    pub fn told_after(&self, last_seq: i64) -> Option<Vec<(i64, Echo)>> {
        if self.resync {
            return None;
        }
        let missing = self.seq - last_seq;
        if missing <= 0 {
            return Some(Vec::new());
        }
        let known = i64::from(self.known);
        if missing > known {
            return None;
        }
        let from = (known - missing) as usize;
        let first = last_seq + 1;
        Some(
            self.recent[from..usize::from(self.known)]
                .iter()
                .zip(first..)
                .map(|(e, seq)| (seq, *e))
                .collect(),
        )
    }
}

pub(super) struct Inner {
    pub(super) store: Store,
    sessions: Mutex<HashMap<SessionId, watch::Sender<Mark>>>,
    epoch: AtomicU64,
    /// On PostgreSQL, once started: this instance's committed appends, to announce to the
    /// other instances in batches (see `relay.rs`).
    pub(super) announce: std::sync::OnceLock<tokio::sync::mpsc::Sender<(SessionId, i64, Echo)>>,
}

impl Inner {
    fn sessions(&self) -> MutexGuard<'_, HashMap<SessionId, watch::Sender<Mark>>> {
        // A panic while holding the lock leaves the map consistent (every operation on it
        // is a single insert, lookup or removal), so a poisoned lock is still usable.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The hub of one instance; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("sessions", &self.watched())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub with no subscriber. On PostgreSQL, also [`Hub::start`] its listener.
    pub fn new(store: Store) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                store,
                sessions: Mutex::new(HashMap::new()),
                epoch: AtomicU64::new(0),
                announce: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Follows a session. Subscribe first, then read the store from your last sequence
    /// number, then wait on [`Subscription::wake`]: an event committed in between is then
    /// either in what you read or announced by a wake-up.
    pub fn subscribe(&self, session_id: SessionId) -> Subscription {
        let mut sessions = self.inner.sessions();
        let rx = match sessions.entry(session_id) {
            Entry::Occupied(e) => e.get().subscribe(),
            Entry::Vacant(v) => {
                let epoch = self.inner.epoch.load(Ordering::SeqCst);
                let (tx, rx) = watch::channel(Mark {
                    epoch,
                    ..Mark::default()
                });
                v.insert(tx);
                rx
            }
        };
        let epoch = rx.borrow().epoch;
        Subscription {
            session_id,
            rx,
            epoch,
            hub: self.inner.clone(),
        }
    }

    /// Announces that session `session_id` reached `seq`, an entry that tells `echo` (call
    /// it after the commit, once per entry, in order). Wakes this instance's subscribers of
    /// the session, unless they already heard of `seq` or a later event, and on PostgreSQL
    /// queues the announcement to the other instances; returns how many were woken here.
    pub fn published(&self, session_id: SessionId, seq: i64, echo: Echo) -> usize {
        if let Some(tx) = self.inner.announce.get() {
            // A full queue drops the announcement: the others' catch-up finds the event.
            let _ = tx.try_send((session_id, seq, echo));
        }
        self.wake(session_id, seq, Some(echo))
    }

    /// Wakes this instance's subscribers of a session that reached `seq` (heard from
    /// another instance with its echo, or found by the catch-up without); returns how many
    /// were woken.
    pub(super) fn wake(&self, session_id: SessionId, seq: i64, echo: Option<Echo>) -> usize {
        let sessions = self.inner.sessions();
        let Some(tx) = sessions.get(&session_id) else {
            return 0;
        };
        let moved = tx.send_if_modified(|m| {
            if seq > m.seq {
                m.advance(seq, echo);
                true
            } else {
                false
            }
        });
        if moved { tx.receiver_count() } else { 0 }
    }

    /// Wakes every subscriber of this instance to re-read (wake-ups may have been missed);
    /// returns how many were woken.
    pub fn resync(&self) -> usize {
        let epoch = self.inner.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        let sessions = self.inner.sessions();
        let mut woken = 0;
        for tx in sessions.values() {
            tx.send_modify(|m| m.epoch = epoch);
            woken += tx.receiver_count();
        }
        woken
    }

    /// The sessions followed here with the highest sequence number known of each.
    pub(super) fn followed(&self) -> Vec<(SessionId, i64)> {
        self.inner
            .sessions()
            .iter()
            .map(|(id, tx)| (*id, tx.borrow().seq))
            .collect()
    }

    /// The highest sequence number this instance heard of for a session it follows; none
    /// for a session nobody follows here.
    pub fn heard(&self, session_id: SessionId) -> Option<i64> {
        self.inner
            .sessions()
            .get(&session_id)
            .map(|tx| tx.borrow().seq)
    }

    /// How many sessions have a subscriber here.
    pub fn watched(&self) -> usize {
        self.inner.sessions().len()
    }

    /// How many subscribers a session has here.
    pub fn subscribers(&self, session_id: SessionId) -> usize {
        self.inner
            .sessions()
            .get(&session_id)
            .map_or(0, |tx| tx.receiver_count())
    }
}

/// One follower of one session; dropping it unsubscribes (and drops the session's channel
/// with its last subscriber).
pub struct Subscription {
    session_id: SessionId,
    rx: watch::Receiver<Mark>,
    /// The resync epoch this subscriber has seen.
    epoch: u64,
    hub: Arc<Inner>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The session followed.
    pub fn session_id(&self) -> SessionId {
        self.session_id
    }

    /// Waits for the next wake-up. Wake-ups that came while the subscriber was busy are
    /// folded into one. Cancel-safe: a `select!` with a keep-alive timer loses nothing.
    pub async fn wake(&mut self) -> Wake {
        if self.rx.changed().await.is_err() {
            // The hub keeps the sender while this receiver exists, so this cannot happen;
            // waiting forever is better than a wake-up loop if it ever did.
            std::future::pending::<()>().await;
        }
        let mark = *self.rx.borrow_and_update();
        let resync = mark.epoch != self.epoch;
        self.epoch = mark.epoch;
        Wake {
            seq: mark.seq,
            resync,
            recent: mark.recent,
            known: mark.known,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut sessions = self.hub.sessions();
        // Counted under the lock that `subscribe` takes, with this receiver still alive: one
        // means this is the last subscriber.
        if let Entry::Occupied(e) = sessions.entry(self.session_id)
            && e.get().receiver_count() <= 1
        {
            e.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wake_of(m: Mark) -> Wake {
        Wake {
            seq: m.seq,
            resync: false,
            recent: m.recent,
            known: m.known,
        }
    }

    #[test]
    fn a_mark_vouches_only_for_entries_it_heard_in_turn() {
        let mut m = Mark::default();
        // The first entry heard: only it is known, not what came before.
        m.advance(57, Some(Echo::Field));
        let w = wake_of(m);
        assert_eq!(w.told_after(56), Some(vec![(57, Echo::Field)]));
        assert_eq!(w.told_after(55), None);
        assert_eq!(w.told_after(57), Some(vec![]));
        m.advance(58, Some(Echo::Change));
        m.advance(59, Some(Echo::Presence));
        assert_eq!(
            wake_of(m).told_after(57),
            Some(vec![(58, Echo::Change), (59, Echo::Presence)])
        );
        assert_eq!(wake_of(m).told_after(55), None);
        // A gap forgets what came before it.
        m.advance(61, Some(Echo::Field));
        assert_eq!(wake_of(m).told_after(59), None);
        assert_eq!(wake_of(m).told_after(60), Some(vec![(61, Echo::Field)]));
        // A number without its echo (the catch-up) vouches for nothing.
        m.advance(62, None);
        assert_eq!(wake_of(m).told_after(61), None);
        // Only the last few are kept.
        for seq in 63..63 + RECENT as i64 + 3 {
            m.advance(seq, Some(Echo::Change));
        }
        let w = wake_of(m);
        assert_eq!(
            w.told_after(w.seq - RECENT as i64).map(|v| v.len()),
            Some(RECENT)
        );
        assert_eq!(w.told_after(w.seq - RECENT as i64 - 1), None);
        assert!(
            w.told_after(w.seq - 3)
                .unwrap()
                .iter()
                .all(|(_, e)| *e == Echo::Change)
        );
        let resync = Wake { resync: true, ..w };
        assert_eq!(resync.told_after(w.seq - 1), None);
    }
}
