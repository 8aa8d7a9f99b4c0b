//! What the test sees of the traffic and what it can break: requests counted
//! by verb and path, injected faults (fail the next N requests that match a
//! verb and a path prefix with a given code) and injected latency.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::error::ApiError;

/// The verb of a request, as RBAC names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// `GET` of one object (or a discovery document).
    Get,
    /// `GET` of a collection.
    List,
    /// `GET` of a collection with `watch=true`.
    Watch,
    /// `POST`.
    Create,
    /// `PUT`.
    Update,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Get => "get",
            Self::List => "list",
            Self::Watch => "watch",
            Self::Create => "create",
            Self::Update => "update",
            Self::Patch => "patch",
            Self::Delete => "delete",
        };
        f.write_str(s)
    }
}

/// A fault to inject: the next `times` requests with `verb` (any when
/// `None`) whose path starts with `path_prefix` fail with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The verb to match, or any.
    pub verb: Option<Verb>,
    /// The start of the paths to match (`/apis/apps/v1/namespaces/default/replicasets`).
    pub path_prefix: String,
    /// The HTTP code to answer with (409, 500, ...).
    pub code: u16,
    /// How many requests fail before the fault is used up.
    pub times: u32,
}

/// Latency to inject: the next `times` requests with `verb` (any when
/// `None`) whose path starts with `path_prefix` are answered after `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    /// The verb to match, or any.
    pub verb: Option<Verb>,
    /// The start of the paths to match.
    pub path_prefix: String,
    /// How long the server waits before answering (wall-clock time).
    pub delay: Duration,
    /// How many requests are delayed before the rule is used up.
    pub times: u32,
}

#[derive(Default)]
struct Inner {
    counts: BTreeMap<(Verb, String), u64>,
    faults: Vec<Fault>,
    delays: Vec<Delay>,
}

/// Request counts and pending faults.
#[derive(Default)]
pub struct Faults {
    inner: Mutex<Inner>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a request, then fail it if a pending fault matches.
    pub fn observe(&self, verb: Verb, path: &str) -> Result<(), ApiError> {
        let mut inner = self.lock();
        *inner.counts.entry((verb, path.to_string())).or_default() += 1;
        let hit = inner.faults.iter_mut().find(|f| {
            f.times > 0 && f.verb.is_none_or(|v| v == verb) && path.starts_with(&f.path_prefix)
        });
        let Some(fault) = hit else {
            return Ok(());
        };
        fault.times -= 1;
        let code = fault.code;
        inner.faults.retain(|f| f.times > 0);
        Err(ApiError::Injected { code })
    }

    /// The delay to apply to this request, if a pending rule matches (and is used once).
    pub fn delay_for(&self, verb: Verb, path: &str) -> Option<Duration> {
        let mut inner = self.lock();
        let rule = inner.delays.iter_mut().find(|d| {
            d.times > 0 && d.verb.is_none_or(|v| v == verb) && path.starts_with(&d.path_prefix)
        })?;
        rule.times -= 1;
        let delay = rule.delay;
        inner.delays.retain(|d| d.times > 0);
        Some(delay)
    }

    /// Add a delay rule.
    pub fn delay(&self, delay: Delay) {
        self.lock().delays.push(delay);
    }

    /// Add a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// How many requests with `verb` went to exactly `path`.
    pub fn count(&self, verb: Verb, path: &str) -> u64 {
        self.lock()
            .counts
            .get(&(verb, path.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// How many requests with `verb` went to paths starting with `prefix`.
    pub fn count_prefix(&self, verb: Verb, prefix: &str) -> u64 {
        self.lock()
            .counts
            .iter()
            .filter(|((v, p), _)| *v == verb && p.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }
}
