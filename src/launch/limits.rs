//! Limits on anonymous logins (token buckets per client address and per registration) and
//! on a person's writes in a live session (a token bucket per member), in process memory, in
//! maps whose size is bounded so that the limiter itself cannot be used to exhaust memory.
//!
//! Each instance limits on its own (several instances behind a load balancer each allow the
//! configured rate); that is enough to stop a flood from one client, which is what they are for.
//!
//! The bucket is written here rather than taken from `governor`: governor's keyed limiter
//! keeps every key until someone calls `retain_recent`, and has no bound of its own; this one
//! is bounded by construction, in forty lines.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Largest number of buckets one limiter keeps. Beyond it, full buckets (clients that have
/// been quiet long enough to be back to their whole allowance) are dropped first; if that is
/// not enough the map is cleared, which only forgives the clients in it — the
/// per-registration limit still holds for all of them.
const MAX_BUCKETS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per key: `per_minute` requests may come at once, then `per_minute / 60`
/// per second.
pub struct RateLimiter<K> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
    /// The series its refusals are counted under, if any.
    counted: Option<crate::metrics::Limit>,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    /// A limiter allowing `per_minute` requests per key and minute; 0 turns it off.
    pub fn new(per_minute: u32) -> RateLimiter<K> {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
            counted: None,
        }
    }

    /// The same, with its refusals counted in the metrics under `limit`.
    pub fn counted(per_minute: u32, limit: crate::metrics::Limit) -> RateLimiter<K> {
        RateLimiter {
            counted: Some(limit),
            ..RateLimiter::new(per_minute)
        }
    }

    fn capacity(&self) -> f64 {
        f64::from(self.per_minute)
    }

    fn refill(&self, b: &Bucket, now: Instant) -> f64 {
        let per_sec = self.capacity() / 60.0;
        (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec)
            .min(self.capacity())
    }

    /// Takes one request for `key`; `Err(seconds)` says when the next one would be allowed.
    pub fn check(&self, key: K, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_BUCKETS && !map.contains_key(&key) {
            map.retain(|_, b| self.refill(b, now) < self.capacity());
            if map.len() >= MAX_BUCKETS {
                map.clear();
            }
        }
        let cap = self.capacity();
        let b = map.entry(key).or_insert(Bucket {
            tokens: cap,
            at: now,
        });
        let tokens = self.refill(b, now);
        if tokens >= 1.0 {
            *b = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *b = Bucket { tokens, at: now };
            if let Some(limit) = self.counted {
                crate::metrics::global().rate_limited(limit);
            }
            let wait = (1.0 - tokens) / (cap / 60.0);
            Err(wait.ceil().max(1.0) as u64)
        }
    }

    /// How many keys are remembered (for tests of the bound).
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A token bucket per member of a course, for the writes a page makes on a person's behalf
/// in a live session (commands, field saves, presence, deleting notes). Keyed by a keyed
/// hash of the course and the person, so each bucket costs a few bytes whatever the LMS's
/// ids, and nobody can pick ids that share a bucket on purpose.
pub struct PersonRate {
    keys: RandomState,
    limiter: RateLimiter<u64>,
}

impl PersonRate {
    /// `per_minute` writes per member and minute (as a burst, then 1/60 of it per second);
    /// 0 turns the limit off.
    pub fn new(per_minute: u32) -> PersonRate {
        PersonRate {
            keys: RandomState::new(),
            limiter: RateLimiter::counted(per_minute, crate::metrics::Limit::SessionWrites),
        }
    }

    /// Takes one write of `person` in `course`; `Err(seconds)` says when the next one would
    /// be allowed.
    pub fn check(&self, course: i32, person: &str, now: Instant) -> Result<(), u64> {
        self.limiter
            .check(self.keys.hash_one((course, person)), now)
    }
}

/// The key a client address is limited under: the address itself for IPv4, its /64 prefix
/// for IPv6 (one household or host usually holds a whole /64, so single IPv6 addresses would
/// give one client millions of allowances).
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client address of a request: the TCP peer, or — only when the operator said a trusted
/// reverse proxy is in front (`BINOME_TRUST_PROXY`) — the last address of `X-Forwarded-For`,
/// the one that proxy appended itself (earlier entries are whatever the client wrote).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trust_proxy: bool,
) -> Option<IpAddr> {
    if trust_proxy
        && let Some(ip) = forwarded_for
            .and_then(|h| h.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok())
    {
        return Some(ip);
    }
    peer
}

/// The pending-login counts of each registration, read from the database at most once a
/// second and counted locally in between, so that the cap costs no query on most logins.
/// Keyed by registration, which only an administrator can create: bounded.
#[derive(Default)]
pub struct PendingLogins {
    counts: Mutex<HashMap<i32, (u64, Instant)>>,
}

/// How long a count read from the database is trusted (plus local increments).
const PENDING_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

impl PendingLogins {
    /// The count for `registration` if it was read recently.
    pub fn cached(&self, registration: i32, now: Instant) -> Option<u64> {
        let map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&registration)
            .filter(|(_, at)| now.saturating_duration_since(*at) < PENDING_REFRESH)
            .map(|(n, _)| *n)
    }

    /// Remembers a count just read from the database.
    pub fn set(&self, registration: i32, count: u64, now: Instant) {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(registration, (count, now));
    }

    /// Counts one more login stored by this process.
    pub fn add_one(&self, registration: i32) {
        let mut map = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((n, _)) = map.get_mut(&registration) {
            *n += 1;
        }
    }
}

/// Every limit on logins of one process.
pub struct LoginLimits {
    /// Per person at an address: the address and the login's `login_hint`, hashed with
    /// `keys` so a bucket costs a few bytes whatever the hint's length.
    pub per_person: RateLimiter<u64>,
    keys: RandomState,
    /// Per address, everyone behind it together.
    pub per_address: RateLimiter<IpAddr>,
    pub per_registration: RateLimiter<i32>,
    pub pending: PendingLogins,
    pub max_pending: u64,
}

impl LoginLimits {
    pub fn new(settings: &crate::config::Settings) -> LoginLimits {
        LoginLimits {
            per_person: RateLimiter::counted(
                settings.login_rate_per_client,
                crate::metrics::Limit::LoginPerClient,
            ),
            keys: RandomState::new(),
            per_address: RateLimiter::counted(
                settings.login_rate_per_address,
                crate::metrics::Limit::LoginPerAddress,
            ),
            per_registration: RateLimiter::counted(
                settings.login_rate_per_platform,
                crate::metrics::Limit::LoginPerPlatform,
            ),
            pending: PendingLogins::default(),
            max_pending: settings.max_pending_logins,
        }
    }

    /// Takes one login from `client` for the person `hint` names: within that person's
    /// allowance at the address, then the address's. A class behind one NAT shares the
    /// address's allowance, each learner with their own; one flood is held by the first
    /// bucket when it repeats a hint and by the second when it varies them. `Err(seconds)`
    /// says when the next one would be allowed.
    pub fn check_client(
        &self,
        client: IpAddr,
        hint: Option<&str>,
        now: Instant,
    ) -> Result<(), u64> {
        let address = client_key(client);
        self.per_person
            .check(self.keys.hash_one((address, hint.unwrap_or(""))), now)?;
        self.per_address.check(address, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let l = RateLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(l.check(1u8, t0).is_ok());
        }
        assert_eq!(l.check(1u8, t0), Err(1));
        // Another key has its own allowance.
        assert!(l.check(2u8, t0).is_ok());
        // One per second comes back.
        assert!(l.check(1u8, t0 + Duration::from_millis(1100)).is_ok());
        assert!(l.check(1u8, t0 + Duration::from_millis(1200)).is_err());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let l = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(l.check(1u8, t0).is_ok());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn the_map_stays_bounded() {
        let l = RateLimiter::new(10);
        let t0 = Instant::now();
        for i in 0..(MAX_BUCKETS as u32 + 10) {
            let _ = l.check(i, t0);
        }
        assert!(l.len() <= MAX_BUCKETS);
    }

    #[test]
    fn each_member_has_a_bucket_of_their_own() {
        let l = PersonRate::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(1, "ann", t0).is_ok());
        }
        assert_eq!(l.check(1, "ann", t0), Err(20), "3 a minute: one every 20 s");
        assert!(l.check(1, "bob", t0).is_ok());
        assert!(
            l.check(2, "ann", t0).is_ok(),
            "the same id in another course"
        );
    }

    #[test]
    fn client_addresses() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let xff = Some("1.2.3.4, 5.6.7.8");
        assert_eq!(client_address(Some(peer), xff, false), Some(peer));
        assert_eq!(
            client_address(Some(peer), xff, true),
            Some("5.6.7.8".parse().unwrap())
        );
        assert_eq!(
            client_address(Some(peer), Some("garbage"), true),
            Some(peer)
        );
        assert_eq!(
            client_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_key("::ffff:1.2.3.4".parse().unwrap()),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }
}
