//! The platforms' public key sets, fetched and cached (LTI Security Framework §6.3).
//!
//! The cache honours `Cache-Control: max-age` / `no-store` and `Expires`, refetches once when
//! a token names an unknown `kid` (the platform rotated its key), and never refetches one
//! platform's set more than once per `min_refetch` for unknown kids, so that forged tokens
//! cannot make us hammer an LMS. Concurrent misses share one fetch.
//!
//! A forger must not be able to block a real rotation by spending the refetch allowance just
//! before it: a miss inside the interval waits for the next allowed refetch (one fetch shared
//! by every waiter) instead of failing. The wait is bounded by [`MAX_KID_WAIT`]: Moodle's
//! id_token lives 60 s, and a browser should not hang; with a `min_refetch` longer than that
//! the launch is refused at once and the next one succeeds. A `kid` that a refetch made after
//! it was asked did not contain is refused without any fetch for [`MISSING_KID_TTL`] (at least
//! `min_refetch`), so forged tokens fail fast instead of queueing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use moka::future::Cache;

use super::LaunchError;
use super::outbound::Reach;

/// Longest time a key set is kept, whatever the headers say.
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// Time a key set is kept when the platform sends no cache headers.
const DEFAULT_TTL: Duration = Duration::from_secs(600);
/// Largest key set document we read.
const MAX_BODY: usize = 256 * 1024;
/// Longest a launch with an unknown `kid` waits for the next allowed refetch.
pub const MAX_KID_WAIT: Duration = Duration::from_secs(10);
/// How long a `kid` that a fresh refetch did not contain is refused without a new fetch.
pub const MISSING_KID_TTL: Duration = Duration::from_secs(60);
/// Largest number of missing kids remembered per key set (forgers choose them freely).
const MAX_MISSING_KIDS: u64 = 1024;

#[derive(Clone)]
struct CachedSet {
    keys: Vec<(Option<String>, DecodingKey)>,
    fetched_at: Instant,
    expires: Instant,
}

/// One platform's key set. The set itself stays by hand, not in a TTL cache: an expired set
/// is still used when the platform cannot be reached, and its refetches are scheduled.
struct Entry {
    cached: Mutex<Option<CachedSet>>,
    /// When the last refetch for an unknown kid happened, or is scheduled (in the future).
    last_forced: Mutex<Option<Instant>>,
    fetching: tokio::sync::Mutex<()>,
    /// Kids a refetch made after they were asked did not contain, for [`MISSING_KID_TTL`]
    /// (at least `min_refetch`), at most [`MAX_MISSING_KIDS`] of them.
    missing: Cache<String, ()>,
}

impl Entry {
    fn new(missing_ttl: Duration) -> Entry {
        Entry {
            cached: Mutex::default(),
            last_forced: Mutex::default(),
            fetching: tokio::sync::Mutex::default(),
            missing: Cache::builder()
                .max_capacity(MAX_MISSING_KIDS)
                .time_to_live(missing_ttl)
                .build(),
        }
    }

    fn is_missing(&self, kid: &str) -> bool {
        self.missing.contains_key(kid)
    }

    async fn note_missing(&self, kid: &str) {
        self.missing
            .insert(kid.chars().take(100).collect(), ())
            .await;
    }
}

/// Per-process cache of platform key sets, keyed by JWKS URL.
pub struct JwksCache {
    http: super::outbound::Outbound,
    min_refetch: Duration,
    /// By JWKS URL; as many as registered platforms, so no bound is needed.
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl JwksCache {
    pub fn new(http: super::outbound::Outbound, min_refetch: Duration) -> JwksCache {
        JwksCache {
            http,
            min_refetch,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entry(&self, url: &str) -> Arc<Entry> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(url.to_string())
            .or_insert_with(|| Arc::new(Entry::new(MISSING_KID_TTL.max(self.min_refetch))))
            .clone()
    }

    /// The candidate keys for a token: the one with this `kid`, or every key when the token
    /// names none.
    pub async fn keys_for(
        &self,
        jwks_url: &str,
        reach: Reach,
        kid: Option<&str>,
    ) -> Result<Vec<DecodingKey>, LaunchError> {
        let entry = self.entry(jwks_url);
        let now = Instant::now();
        let cached = entry
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let fresh = cached.as_ref().filter(|c| c.expires > now);
        if let Some(set) = fresh {
            if let Some(found) = pick(set, kid) {
                return Ok(found);
            }
            // Fresh set without this kid: the platform may have rotated its key.
            let unknown = || LaunchError::UnknownKid(kid.unwrap_or("").chars().take(100).collect());
            if kid.is_some_and(|k| entry.is_missing(k)) {
                return Err(unknown());
            }
            // The refetch this miss may use: one scheduled already (shared), or the first
            // allowed after the last one.
            let slot = {
                let mut last = entry.last_forced.lock().unwrap_or_else(|e| e.into_inner());
                let slot = match *last {
                    None => now,
                    Some(t) if t >= now => t,
                    Some(t) => (t + self.min_refetch).max(now),
                };
                if slot.saturating_duration_since(now) > MAX_KID_WAIT {
                    return Err(unknown());
                }
                *last = Some(slot);
                slot
            };
            tokio::time::sleep_until(tokio::time::Instant::from_std(slot)).await;
            let set = self.refresh(&entry, jwks_url, reach, Some(slot)).await?;
            return match pick(&set, kid) {
                Some(found) => Ok(found),
                None => {
                    if let Some(k) = kid {
                        entry.note_missing(k).await;
                    }
                    Err(unknown())
                }
            };
        }
        match self.refresh(&entry, jwks_url, reach, None).await {
            Ok(set) => pick(&set, kid).ok_or_else(|| {
                LaunchError::UnknownKid(kid.unwrap_or("").chars().take(100).collect())
            }),
            // A stale set still verifies the platform's current key in most outages.
            Err(e) => match cached.as_ref().and_then(|c| pick(c, kid)) {
                Some(found) => Ok(found),
                None => Err(e),
            },
        }
    }

    /// Fetches the set once, sharing the fetch with callers that asked at the same time: a
    /// set fetched after `asked_at` is fresh enough for them.
    async fn refresh(
        &self,
        entry: &Entry,
        url: &str,
        reach: Reach,
        asked_at: Option<Instant>,
    ) -> Result<CachedSet, LaunchError> {
        let asked_at = asked_at.unwrap_or_else(Instant::now);
        let _guard = entry.fetching.lock().await;
        let cached = entry
            .cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(c) = cached.filter(|c| c.fetched_at >= asked_at) {
            return Ok(c);
        }
        let set = self.fetch(url, reach).await?;
        *entry.cached.lock().unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
        Ok(set)
    }

    async fn fetch(&self, url: &str, reach: Reach) -> Result<CachedSet, LaunchError> {
        let unavailable = |m: String| LaunchError::JwksUnavailable(m);
        let http = self.http.client(reach);
        let resp = http
            .send(http.get(url).header("Accept", "application/json"))
            .await
            .map_err(|e| unavailable(format!("request failed: {}", e.short())))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("HTTP {}", resp.status().as_u16())));
        }
        let ttl = cache_ttl(resp.headers(), self.min_refetch);
        let body = read_limited(resp, MAX_BODY).await.map_err(unavailable)?;
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| {
            unavailable(format!(
                "not a JWK set: {}",
                super::remote::json_problem(&e)
            ))
        })?;
        let keys: Vec<_> = set
            .keys
            .iter()
            .filter(|k| matches!(k.algorithm, AlgorithmParameters::RSA(_)))
            .filter(|k| {
                k.common
                    .public_key_use
                    .as_ref()
                    .is_none_or(|u| *u == PublicKeyUse::Signature)
            })
            .filter(|k| {
                k.common
                    .key_algorithm
                    .is_none_or(|a| a == KeyAlgorithm::RS256)
            })
            .filter_map(|k| {
                DecodingKey::from_jwk(k)
                    .ok()
                    .map(|d| (k.common.key_id.clone(), d))
            })
            .collect();
        if keys.is_empty() {
            return Err(unavailable("no RS256 signing key in the set".into()));
        }
        let now = Instant::now();
        Ok(CachedSet {
            keys,
            fetched_at: now,
            expires: now + ttl,
        })
    }
}

fn pick(set: &CachedSet, kid: Option<&str>) -> Option<Vec<DecodingKey>> {
    match kid {
        Some(kid) => set
            .keys
            .iter()
            .find(|(k, _)| k.as_deref() == Some(kid))
            .map(|(_, d)| vec![d.clone()]),
        None => Some(set.keys.iter().map(|(_, d)| d.clone()).collect()),
    }
}

/// How long a response may be cached, from its headers, kept between `floor` and a day.
/// `Expires` is read by `httpdate`; of `Cache-Control` only `max-age`, `no-store` and
/// `no-cache` matter here, a few lines that a typed-headers crate would not shorten.
pub fn cache_ttl(headers: &reqwest::header::HeaderMap, floor: Duration) -> Duration {
    let ttl = if let Some(cc) = headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    {
        let cc = cc.to_ascii_lowercase();
        if cc.contains("no-store") || cc.contains("no-cache") {
            Some(Duration::ZERO)
        } else {
            cc.split(',')
                .filter_map(|d| d.trim().strip_prefix("max-age="))
                .filter_map(|v| v.trim_matches('"').parse::<u64>().ok())
                .map(Duration::from_secs)
                .next()
        }
    } else {
        None
    };
    let ttl = ttl.or_else(|| {
        let expires = headers.get(reqwest::header::EXPIRES)?.to_str().ok()?;
        let at = httpdate::parse_http_date(expires).ok()?;
        Some(
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    });
    ttl.unwrap_or(DEFAULT_TTL).clamp(floor, MAX_TTL)
}

/// Reads a response body up to `limit` bytes.
pub async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading failed: {}", short_error(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("response larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A short, log- and page-safe account of a failed request to a platform: the kind of
/// failure only (reqwest's own text names the URL, query string included).
pub fn short_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else if e.is_redirect() {
        "redirect refused".into()
    } else if e.is_body() || e.is_decode() {
        "the answer could not be read".into()
    } else if e.is_builder() {
        "not a usable address".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn h(name: &'static str, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn cache_headers_are_honoured_within_bounds() {
        let floor = Duration::from_secs(5);
        assert_eq!(cache_ttl(&HeaderMap::new(), floor), DEFAULT_TTL);
        assert_eq!(
            cache_ttl(&h("cache-control", "public, max-age=120"), floor),
            Duration::from_secs(120)
        );
        assert_eq!(cache_ttl(&h("cache-control", "no-store"), floor), floor);
        assert_eq!(
            cache_ttl(&h("cache-control", "max-age=99999999"), floor),
            MAX_TTL
        );
        assert_eq!(
            cache_ttl(&h("expires", "Thu, 01 Jan 1970 00:00:00 GMT"), floor),
            floor
        );
    }
}
