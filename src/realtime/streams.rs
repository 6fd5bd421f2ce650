//! How many event streams this instance keeps open: a few per person and session, a cap per
//! client address, and a cap in all kept below the process's open-file limit, so that one
//! learner (or one address) cannot take every file descriptor and leave `/healthz`, the
//! database and other people's launches waiting.
//!
//! A stream takes a [`Slot`] when it opens and gives it back when it ends ([`Slot`]'s
//! `Drop`), whatever ends it: the tab closed, the network lost, the stream's own end of life.
//!
//! **A reload never locks a learner out.** When a person already holds their share of
//! streams on a session, a new one is not refused: it closes that person's *oldest* stream
//! instead (its [`Slot::replaced`] resolves). The oldest is most likely a tab already closed
//! whose connection the server has not seen go yet, or a tab left behind; refusing the
//! newest would leave the person's current screen without live updates until the old
//! connection timed out. The replaced screen is told so and stops reconnecting by itself.
//! For the same reason, a person who already holds a stream on the session gets a new one
//! in place of their oldest when the address's or the instance's cap is reached.
//!
//! **A stopping instance sends its screens elsewhere.** On SIGTERM the server stops accepting
//! connections and [`Streams::drain`]s: every open stream's [`Slot::farewell`] resolves with
//! its last words — an SSE `retry:` line (a delay spread over a few seconds,
//! so that thousands of screens do not come back at the same instant) and `event: reconnect`
//! — after which the stream ends and the page connects again, through the load balancer, to
//! an instance that is still running. New streams are refused meanwhile (503), and the
//! graceful shutdown is no longer held by streams that would otherwise stay open for minutes.
//!
//! The bookkeeping is small and bounded: one map entry per person and session with a short
//! list of tickets, one counter per client address, one oneshot channel per stream
//! (about 200 bytes a stream), so 10,000 idle streams cost about 2 MB here.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, watch};

use crate::store::{PersonId, SessionId};

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefused {
    /// The client address holds as many streams as one address may.
    #[error("too many event streams from this client address")]
    Client,
    /// The instance holds as many streams as it may.
    #[error("too many event streams on this instance")]
    Server,
}

/// The caps, as configured and as the open-file limit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Streams one person keeps on one session before a new one replaces the oldest.
    pub per_person: usize,
    /// Streams from one client address (see `launch::limits::client_key`).
    pub per_client: usize,
    /// Streams in all.
    pub total: usize,
}

impl StreamLimits {
    /// The limits of this process: the settings, with the total lowered to stay below the
    /// soft open-file limit read from `/proc/self/limits` (when there is one).
    pub fn of(settings: &crate::config::Settings) -> StreamLimits {
        let soft = std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|text| soft_open_files(&text));
        let total = total_cap(settings.max_event_streams, soft);
        if total < settings.max_event_streams {
            tracing::warn!(
                open_file_limit = soft,
                streams = total,
                "the open-file limit allows fewer event streams than BINOME_MAX_EVENT_STREAMS; raise it (ulimit -n, LimitNOFILE) for more"
            );
        }
        StreamLimits {
            per_person: settings.event_streams_per_person as usize,
            per_client: settings.event_streams_per_client as usize,
            total,
        }
    }
}

/// The soft "Max open files" of a `/proc/<pid>/limits` text; none when unlimited or absent.
pub fn soft_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

/// The streams an instance may hold: the setting, lowered to leave a reserve of file
/// descriptors for everything else (the database pool and SQLite's files, the listening
/// socket, launches, outbound requests to platforms, `/healthz`): a fifth of the limit, at
/// least 256, but never more than half of it.
pub fn total_cap(setting: usize, soft_open_files: Option<u64>) -> usize {
    let Some(soft) = soft_open_files else {
        return setting;
    };
    let reserve = (soft / 5).max(256).min(soft / 2);
    let usable = usize::try_from(soft - reserve).unwrap_or(usize::MAX);
    setting.min(usable.max(1))
}

/// A stream held by a person on a session.
struct Held {
    ticket: u64,
    client: Option<IpAddr>,
    /// Dropped or fired to tell the stream it was replaced.
    replace: oneshot::Sender<()>,
}

#[derive(Default)]
struct Inner {
    open: usize,
    next_ticket: u64,
    by_client: HashMap<IpAddr, usize>,
    /// (session id, keyed hash of the person id) → their streams, oldest first.
    by_person: HashMap<(SessionId, u64), Vec<Held>>,
}

impl Inner {
    fn release_client(&mut self, client: Option<IpAddr>) {
        let Some(c) = client else { return };
        if let Some(n) = self.by_client.get_mut(&c) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_client.remove(&c);
            }
        }
    }
}

/// The event streams open on this instance.
pub struct Streams {
    limits: StreamLimits,
    /// A keyed hash, so nobody can choose person ids that share a slot list.
    keys: RandomState,
    inner: Mutex<Inner>,
    /// True once the instance is stopping: every stream ends, no new one opens.
    draining: watch::Sender<bool>,
}

impl Streams {
    pub fn new(limits: StreamLimits) -> Arc<Streams> {
        Arc::new(Streams {
            limits,
            keys: RandomState::new(),
            inner: Mutex::new(Inner::default()),
            draining: watch::Sender::new(false),
        })
    }

    /// The instance is stopping: tells every open stream to say goodbye and end, and refuses
    /// new ones from now on.
    pub fn drain(&self) {
        self.draining.send_replace(true);
    }

    /// Whether [`drain`](Self::drain) was called.
    pub fn draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// The caps in force.
    pub fn limits(&self) -> StreamLimits {
        self.limits
    }

    /// How many streams are open.
    pub fn open_count(&self) -> usize {
        self.lock().open
    }

    /// How many streams `person` holds on session `session` here.
    pub fn held(&self, session: SessionId, person: &PersonId) -> usize {
        let key = (session, self.keys.hash_one(person.as_str()));
        self.lock().by_person.get(&key).map_or(0, Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a new stream of `person` on session `session`, from `client` (already
    /// reduced to the key it is limited under). When the person holds their share already,
    /// their oldest stream is replaced; otherwise the address's and the instance's caps
    /// apply, and when one of them is reached a person who holds a stream here still gets
    /// one, in place of their oldest (a reload on a full server must not lock them out).
    pub fn open(
        self: &Arc<Self>,
        session: SessionId,
        person: &PersonId,
        client: Option<IpAddr>,
    ) -> Result<Slot, StreamRefused> {
        if self.draining() {
            // A stopping instance takes no new stream: the page tries again, elsewhere.
            return Err(StreamRefused::Server);
        }
        let key = (session, self.keys.hash_one(person.as_str()));
        let mut inner = self.lock();
        let (held, oldest) = inner
            .by_person
            .get(&key)
            .map_or((0, None), |h| (h.len(), h.first().map(|h| h.client)));
        let replace = if held >= self.limits.per_person {
            self.fits(&inner, client, oldest)?;
            true
        } else {
            match self.fits(&inner, client, None) {
                Ok(()) => false,
                Err(e) if oldest.is_some() => {
                    self.fits(&inner, client, oldest).map_err(|_| e)?;
                    true
                }
                Err(e) => return Err(e),
            }
        };
        if replace {
            let replaced = inner.by_person.get_mut(&key).map(|held| held.remove(0));
            if let Some(h) = replaced {
                inner.open -= 1;
                inner.release_client(h.client);
                // The stream may have ended at this very moment: nobody to tell then.
                let _ = h.replace.send(());
            }
        }
        inner.next_ticket += 1;
        let ticket = inner.next_ticket;
        let (tx, rx) = oneshot::channel();
        inner.by_person.entry(key).or_default().push(Held {
            ticket,
            client,
            replace: tx,
        });
        inner.open += 1;
        if let Some(c) = client {
            *inner.by_client.entry(c).or_default() += 1;
        }
        Ok(Slot {
            streams: self.clone(),
            key,
            ticket,
            replaced: Some(rx),
            drain: self.draining.subscribe(),
        })
    }

    /// Whether one more stream from `client` fits the address's and the instance's caps,
    /// `freeing` (the client of a stream it replaces) counted as gone.
    fn fits(
        &self,
        inner: &Inner,
        client: Option<IpAddr>,
        freeing: Option<Option<IpAddr>>,
    ) -> Result<(), StreamRefused> {
        if let Some(c) = client {
            let from_client = inner.by_client.get(&c).copied().unwrap_or(0);
            let freed_here = usize::from(freeing == Some(Some(c)));
            if from_client - freed_here >= self.limits.per_client {
                return Err(StreamRefused::Client);
            }
        }
        if inner.open - usize::from(freeing.is_some()) >= self.limits.total {
            return Err(StreamRefused::Server);
        }
        Ok(())
    }
}

/// One open stream's place; given back when dropped.
pub struct Slot {
    streams: Arc<Streams>,
    key: (SessionId, u64),
    ticket: u64,
    replaced: Option<oneshot::Receiver<()>>,
    drain: watch::Receiver<bool>,
}

/// The least and the spread of the reconnection delay a stopping instance gives its screens
/// (milliseconds): at least a second, so the load balancer has seen the instance go; spread
/// over four more, so the screens do not all arrive on the other instances at once.
const RETRY_MIN_MS: u64 = 1_000;
const RETRY_SPREAD_MS: u64 = 4_000;

impl Slot {
    /// Resolves when the instance starts stopping (and never otherwise) with the stream's
    /// last words: how long to wait before connecting again (`retry:`, in milliseconds,
    /// spread per stream) and `event: reconnect`. The future borrows nothing, so a stream can
    /// wait for it beside [`replaced`](Self::replaced).
    pub fn farewell(&self) -> impl Future<Output = String> + Send + 'static {
        let mut drain = self.drain.clone();
        let spread = self.streams.keys.hash_one(self.ticket) % RETRY_SPREAD_MS;
        let words = format!(
            "retry: {}\nevent: reconnect\ndata: {{}}\n\n",
            RETRY_MIN_MS + spread
        );
        async move {
            if drain.wait_for(|d| *d).await.is_err() {
                std::future::pending::<()>().await;
            }
            words
        }
    }

    /// Resolves when a newer stream of the same person on the same session replaced this
    /// one (and never otherwise, while the slot is held).
    pub async fn replaced(&mut self) {
        match self.replaced.as_mut() {
            Some(rx) => {
                let _ = rx.await;
                self.replaced = None;
            }
            None => std::future::pending().await,
        }
    }

    /// Whether the same person still has another stream open on the same session here
    /// (then their screen is still online when this one goes).
    pub fn others_open(&self) -> bool {
        let inner = self.streams.lock();
        inner
            .by_person
            .get(&self.key)
            .is_some_and(|held| held.iter().any(|h| h.ticket != self.ticket))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut inner = self.streams.lock();
        let Some(held) = inner.by_person.get_mut(&self.key) else {
            return;
        };
        // A replaced stream was counted out when it was replaced.
        let Some(at) = held.iter().position(|h| h.ticket == self.ticket) else {
            return;
        };
        let h = held.remove(at);
        if held.is_empty() {
            inner.by_person.remove(&self.key);
        }
        inner.open -= 1;
        inner.release_client(h.client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams(per_person: usize, per_client: usize, total: usize) -> Arc<Streams> {
        Streams::new(StreamLimits {
            per_person,
            per_client,
            total,
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[tokio::test]
    async fn a_new_stream_replaces_the_persons_oldest() {
        let s = streams(2, 10, 10);
        let mut first = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        let second = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        assert!(first.others_open());
        let third = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        assert_eq!(s.open_count(), 2);
        tokio::time::timeout(std::time::Duration::from_secs(1), first.replaced())
            .await
            .expect("the oldest is told it was replaced");
        drop(first);
        assert_eq!(
            s.open_count(),
            2,
            "a replaced slot is not counted out twice"
        );
        // Another session of the same person, another person: their own shares.
        let _other_session = s
            .open(SessionId::new(2), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        let _bob = s
            .open(SessionId::new(1), &PersonId::new("bob"), ip("10.0.0.1"))
            .unwrap();
        assert_eq!(s.open_count(), 4);
        drop((second, third));
        assert_eq!(s.open_count(), 2);
    }

    #[test]
    fn an_address_and_the_instance_have_caps_and_slots_come_back() {
        let s = streams(4, 2, 3);
        let a = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        let _b = s
            .open(SessionId::new(1), &PersonId::new("bob"), ip("10.0.0.1"))
            .unwrap();
        assert_eq!(
            s.open(SessionId::new(1), &PersonId::new("cid"), ip("10.0.0.1"))
                .err(),
            Some(StreamRefused::Client)
        );
        let _c = s
            .open(SessionId::new(1), &PersonId::new("cid"), ip("10.0.0.2"))
            .unwrap();
        assert_eq!(
            s.open(SessionId::new(1), &PersonId::new("dan"), ip("10.0.0.3"))
                .err(),
            Some(StreamRefused::Server)
        );
        drop(a);
        let _d = s
            .open(SessionId::new(1), &PersonId::new("dan"), ip("10.0.0.3"))
            .unwrap();
        assert_eq!(s.open_count(), 3);
        assert!(s.lock().by_client.len() <= 3);
    }

    #[test]
    fn a_person_with_a_stream_may_always_reopen_even_when_everything_is_full() {
        let s = streams(4, 1, 2);
        let _first = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        let _bob = s
            .open(SessionId::new(1), &PersonId::new("bob"), ip("10.0.0.2"))
            .unwrap();
        // Full everywhere, yet the same person reloading gets a stream, in place of theirs.
        let _again = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        assert_eq!(s.open_count(), 2);
        assert!(!_again.others_open(), "the first one was replaced");
        assert_eq!(
            s.open(SessionId::new(1), &PersonId::new("cid"), ip("10.0.0.3"))
                .err(),
            Some(StreamRefused::Server)
        );
        // Not from an address that is full with other people's streams, though.
        assert_eq!(
            s.open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.2"))
                .err(),
            Some(StreamRefused::Client)
        );
    }

    #[test]
    fn the_bookkeeping_empties_when_every_stream_ends() {
        let s = streams(4, 100, 100);
        let slots: Vec<Slot> = (0..50)
            .map(|i| {
                s.open(
                    SessionId::new(i),
                    &PersonId::new(format!("p{i}")),
                    ip(&format!("10.0.0.{i}")),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(s.open_count(), 50);
        drop(slots);
        let inner = s.lock();
        assert_eq!(inner.open, 0);
        assert!(inner.by_client.is_empty() && inner.by_person.is_empty());
    }

    #[tokio::test]
    async fn a_draining_instance_ends_its_streams_with_a_retry_hint_and_opens_none() {
        let s = streams(4, 10, 10);
        let a = s
            .open(SessionId::new(1), &PersonId::new("ann"), ip("10.0.0.1"))
            .unwrap();
        let b = s
            .open(SessionId::new(2), &PersonId::new("bob"), ip("10.0.0.2"))
            .unwrap();
        s.drain();
        for slot in [&a, &b] {
            let bye = tokio::time::timeout(std::time::Duration::from_secs(1), slot.farewell())
                .await
                .expect("every stream is told");
            let ms: u64 = bye
                .strip_prefix("retry: ")
                .and_then(|r| r.split('\n').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            assert!(
                (RETRY_MIN_MS..RETRY_MIN_MS + RETRY_SPREAD_MS).contains(&ms),
                "{bye}"
            );
            assert!(bye.ends_with("event: reconnect\ndata: {}\n\n"), "{bye}");
        }
        assert_eq!(
            s.open(SessionId::new(3), &PersonId::new("cid"), ip("10.0.0.3"))
                .err(),
            Some(StreamRefused::Server)
        );
        drop((a, b));
        assert_eq!(s.open_count(), 0);
    }

    #[test]
    fn the_total_stays_below_the_open_file_limit() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max cpu time              unlimited            unlimited            seconds   \n\
                    Max open files            1024                 1048576              files     \n";
        assert_eq!(soft_open_files(text), Some(1024));
        assert_eq!(
            soft_open_files("Max open files  unlimited unlimited files"),
            None
        );
        assert_eq!(soft_open_files("nothing here"), None);
        assert_eq!(total_cap(10_000, Some(1024)), 768);
        assert_eq!(total_cap(500, Some(1024)), 500, "the setting may lower it");
        assert_eq!(total_cap(100_000, Some(65_536)), 52_429);
        assert_eq!(total_cap(10_000, Some(300)), 150);
        assert_eq!(total_cap(10_000, Some(1)), 1);
        assert_eq!(total_cap(10_000, None), 10_000);
    }
}
