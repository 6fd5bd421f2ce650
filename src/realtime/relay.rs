//! The listener task of one instance on PostgreSQL: it relays every instance's
//! notifications to this hub's subscribers. The loop ([`Hub::start`]) is separate from the
//! step ([`Hub::relay_step`]), which receives one notice and says what it did.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::Hub;
use crate::store::{Listener, Notice, SessionId, StoreError};

/// The first wait after a failed step; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Announcements waiting to be sent; beyond, they are dropped (the catch-up covers them).
const ANNOUNCE_QUEUE: usize = 65_536;
/// Most announcements in one statement.
const ANNOUNCE_BATCH: usize = 256;
/// How often an instance compares the sessions it follows with the table.
const CATCH_UP: Duration = Duration::from_secs(3);
/// Every this many catch-ups, every followed session is compared, not only the changed ones.
const FULL_EVERY: u32 = 20;
/// How far before the last catch-up's start the next one looks (seconds): the instances'
/// clocks, which stamp the changes, may differ by that much.
const CLOCK_SKEW: i64 = 10;

/// What one step of the relay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// A notification for a session; `woken` subscribers here had not heard of `seq`.
    Delivered {
        session_id: SessionId,
        seq: i64,
        woken: usize,
    },
    /// The listener listens again after a lost connection; every subscriber was told to
    /// re-read.
    Resynced { woken: usize },
}

impl Hub {
    /// On PostgreSQL, listens (returning the error if it cannot) and spawns the relay loop,
    /// which runs until its handle is aborted or the store is closed; none on SQLite, where
    /// the writers' [`Hub::published`] calls are the only wake-ups.
    pub async fn start(&self) -> Result<Option<JoinHandle<()>>, StoreError> {
        let Some(listener) = self.inner.store.listen().await? else {
            return Ok(None);
        };
        // Subscribers that came before the listener may have missed a notification.
        self.resync();
        let (tx, rx) = tokio::sync::mpsc::channel(ANNOUNCE_QUEUE);
        let _ = self.inner.announce.set(tx);
        let (announcer, catch_up) = (self.clone(), self.clone());
        let hub = self.clone();
        Ok(Some(tokio::spawn(async move {
            // The three run together and end with the first to end (the store closed), or
            // when the handle is aborted.
            tokio::select! {
                _ = hub.relay(listener) => {}
                _ = announcer.announce(rx) => {}
                _ = catch_up.catch_up_loop() => {}
            }
        })))
    }

    /// Sends this instance's committed appends to the others, as many per statement as
    /// have queued up meanwhile (one database-wide commit lock for the whole batch).
    async fn announce(
        self,
        mut rx: tokio::sync::mpsc::Receiver<(SessionId, i64, crate::coaching::log::Echo)>,
    ) {
        let mut batch = Vec::with_capacity(ANNOUNCE_BATCH);
        while rx.recv_many(&mut batch, ANNOUNCE_BATCH).await > 0 {
            if let Err(e) = self.inner.store.notify_appended(&batch).await {
                // The others' catch-up finds these events within CATCH_UP.
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    lost = batch.len(),
                    "coaching announcements not sent"
                );
                if matches!(e, StoreError::Closed) {
                    return;
                }
            }
            batch.clear();
        }
    }

    /// Every [`CATCH_UP`], compares the sessions followed here with the table, so that an
    /// announcement lost between another instance's commit and its `NOTIFY` costs a delay,
    /// never an event. Only the sessions changed since the last catch-up are read (with
    /// [`CLOCK_SKEW`] to spare), and every followed one each [`FULL_EVERY`] catch-ups: the
    /// cost follows the changes, not the number of sessions followed.
    async fn catch_up_loop(self) {
        let mut tick = tokio::time::interval(CATCH_UP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut since: Option<i64> = None;
        let mut steps: u32 = 0;
        loop {
            tick.tick().await;
            // The clock the sessions' changes are stamped with, in seconds.
            let started = super::live::unix_millis() / 1000;
            let step = match since.filter(|_| !steps.is_multiple_of(FULL_EVERY)) {
                Some(s) => self.catch_up_since(s - CLOCK_SKEW).await,
                None => self.catch_up_step().await,
            };
            match step {
                Ok(_) => {
                    since = Some(started);
                    steps = steps.wrapping_add(1);
                }
                Err(StoreError::Closed) => return,
                Err(e) => tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "coaching catch-up failed"
                ),
            }
        }
    }

    /// One catch-up: wakes the subscribers of every followed session the table shows ahead
    /// of what this instance knew; returns how many were woken.
    pub async fn catch_up_step(&self) -> Result<usize, StoreError> {
        let followed = self.followed();
        if followed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<SessionId> = followed.iter().map(|(id, _)| *id).collect();
        let rows = self.inner.store.last_seqs(&ids).await?;
        Ok(self.wake_behind(rows))
    }

    /// One catch-up of the sessions changed at or after `since` (Unix seconds); all of them
    /// when too many changed.
    pub async fn catch_up_since(&self, since: i64) -> Result<usize, StoreError> {
        if self.watched() == 0 {
            return Ok(0);
        }
        match self.inner.store.sessions_changed_since(since).await? {
            Some(rows) => Ok(self.wake_behind(rows)),
            None => self.catch_up_step().await,
        }
    }

    /// Wakes the subscribers of each session of `rows` (id, last seq) followed here that is
    /// ahead of what this instance knew ([`Hub::wake`] tells both); returns how many.
    fn wake_behind(&self, rows: Vec<(SessionId, i64)>) -> usize {
        rows.into_iter()
            .map(|(id, last)| self.wake(id, last, None))
            .sum()
    }

    async fn relay(self, mut listener: Listener) {
        let mut backoff = MIN_BACKOFF;
        loop {
            match self.relay_step(&mut listener).await {
                Ok(r) => {
                    backoff = MIN_BACKOFF;
                    if let Relayed::Resynced { woken } = r {
                        tracing::info!(woken, "coaching listener reconnected");
                    }
                }
                Err(StoreError::Closed) => return,
                Err(e) => {
                    tracing::warn!(
                        error = &e as &dyn std::error::Error,
                        retry_in_ms = backoff.as_millis() as u64,
                        "coaching listener lost its connection"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Waits for one notice of the listener and fans it out here.
    pub async fn relay_step(&self, listener: &mut Listener) -> Result<Relayed, StoreError> {
        Ok(match listener.next().await? {
            Notice::Appended {
                session_id,
                seq,
                echo,
            } => Relayed::Delivered {
                session_id,
                seq,
                woken: self.wake(session_id, seq, echo),
            },
            Notice::Reconnected => Relayed::Resynced {
                woken: self.resync(),
            },
        })
    }
}
