//! Upstream endpoints and their health: passive ejection after consecutive
//! failures, the flag set by active checks, and round-robin selection that
//! skips unhealthy endpoints. Health is atomics; the only lock is the
//! endpoint's idle-connection stack, held for a push or a pop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use http::uri::Authority;
use serde::Serialize;

use crate::client::IdlePool;
use crate::table::PassiveHealthSpec;

/// Milliseconds since the first call in this process: a cheap monotonic clock.
pub(crate) fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// One upstream address and its health.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) authority: Authority,
    failures: AtomicU32,
    ejected_until_ms: AtomicU64,
    ready: AtomicBool,
    /// Idle HTTP/1.1 connections to this endpoint.
    pub(crate) idle: IdlePool,
}

impl Endpoint {
    fn new(authority: Authority) -> Endpoint {
        Endpoint {
            authority,
            failures: AtomicU32::new(0),
            ejected_until_ms: AtomicU64::new(0),
            ready: AtomicBool::new(true),
            idle: IdlePool::default(),
        }
    }

    /// Healthy: not ejected and not failing its readiness check.
    pub(crate) fn is_available(&self, now_ms: u64) -> bool {
        self.ready.load(Ordering::Relaxed)
            && self.ejected_until_ms.load(Ordering::Relaxed) <= now_ms
    }

    /// A request succeeded: the failure streak ends.
    pub(crate) fn report_success(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }

    /// A request failed; ejects the endpoint once the streak reaches the limit.
    pub(crate) fn report_failure(&self, passive: &PassiveHealthSpec) {
        let streak = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if streak >= passive.consecutive_failures {
            self.failures.store(0, Ordering::Relaxed);
            let now = now_ms();
            let was = self
                .ejected_until_ms
                .swap(now.saturating_add(passive.eject_ms), Ordering::Relaxed);
            // Log the transition only: a dead endpoint keeps failing while ejected.
            if was <= now {
                tracing::warn!(endpoint = %self.authority, eject_ms = passive.eject_ms, "endpoint ejected after consecutive failures");
            }
        }
    }

    /// Records the outcome of an active readiness check.
    pub(crate) fn set_ready(&self, ready: bool) {
        if self.ready.swap(ready, Ordering::Relaxed) != ready {
            tracing::info!(endpoint = %self.authority, ready, "readiness changed");
        }
    }

    /// A point-in-time view for the admin API.
    pub(crate) fn status(&self) -> EndpointStatus {
        let now = now_ms();
        let until = self.ejected_until_ms.load(Ordering::Relaxed);
        EndpointStatus {
            address: self.authority.to_string(),
            ready: self.ready.load(Ordering::Relaxed),
            ejected: until > now,
            ejected_for_ms: until.saturating_sub(now),
            consecutive_failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

/// The health of one endpoint, as reported by [`crate::Proxy::status`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStatus {
    /// `host:port`.
    pub address: String,
    /// The last readiness check passed (true when there is no check).
    pub ready: bool,
    /// Passively ejected right now.
    pub ejected: bool,
    /// Milliseconds left in the ejection.
    pub ejected_for_ms: u64,
    /// The current failure streak.
    pub consecutive_failures: u32,
}

/// An arm's endpoints with a round-robin cursor.
#[derive(Debug)]
pub(crate) struct EndpointSet {
    pub(crate) endpoints: Vec<Arc<Endpoint>>,
    next: AtomicUsize,
}

impl EndpointSet {
    pub(crate) fn new(endpoints: Vec<Arc<Endpoint>>) -> EndpointSet {
        EndpointSet {
            endpoints,
            next: AtomicUsize::new(0),
        }
    }

    /// The next healthy endpoint; when none is healthy, the next one anyway
    /// (failing open beats refusing every request).
    pub(crate) fn pick(&self) -> &Arc<Endpoint> {
        let n = self.endpoints.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        if n == 1 {
            return &self.endpoints[0];
        }
        let now = now_ms();
        (0..n)
            .map(|i| &self.endpoints[(start + i) % n])
            .find(|e| e.is_available(now))
            .unwrap_or(&self.endpoints[start % n])
    }
}

/// Endpoint state shared across routing-table swaps, so health survives a
/// weight change. Locked only when a table is installed.
#[derive(Debug, Default)]
pub(crate) struct EndpointRegistry {
    known: Mutex<HashMap<Authority, Weak<Endpoint>>>,
}

impl EndpointRegistry {
    /// The shared state for `authority`, created if no live table uses it.
    pub(crate) fn get(&self, authority: &Authority) -> Arc<Endpoint> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = known.get(authority).and_then(Weak::upgrade) {
            return e;
        }
        known.retain(|_, w| w.strong_count() > 0);
        let e = Arc::new(Endpoint::new(authority.clone()));
        known.insert(authority.clone(), Arc::downgrade(&e));
        e
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::{Endpoint, EndpointSet};
    use crate::table::PassiveHealthSpec;

    #[test]
    fn consecutive_failures_eject_an_endpoint_and_pick_skips_it() {
        let a = Arc::new(Endpoint::new("127.0.0.1:1".parse().unwrap()));
        let b = Arc::new(Endpoint::new("127.0.0.1:2".parse().unwrap()));
        let set = EndpointSet::new(vec![a.clone(), b.clone()]);
        let passive = PassiveHealthSpec {
            consecutive_failures: 2,
            eject_ms: 60_000,
            count_5xx: false,
        };
        a.report_failure(&passive);
        a.report_success();
        a.report_failure(&passive);
        assert!(
            a.is_available(super::now_ms()),
            "a success resets the streak"
        );
        a.report_failure(&passive);
        assert!(!a.is_available(super::now_ms()));
        for _ in 0..10 {
            assert_eq!(set.pick().authority, b.authority);
        }
    }
}
