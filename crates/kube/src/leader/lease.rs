//! The pure part of leader election: given the Lease as read (or its
//! absence), this candidate and the time, what to do ([`step`]), and the
//! Lease to write for each choice. No I/O, so every rule is unit-tested.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// What a candidate does with the Lease it just read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// There is no Lease: create one naming us.
    Create,
    /// We hold it: renew it.
    Renew,
    /// It was released (no holder) or has expired: take it over.
    Take,
    /// Someone else holds it and it has not expired: wait.
    Wait {
        /// The current holder.
        holder: String,
    },
}

/// The holder named in `lease`, if any (an empty name is none).
pub fn holder(lease: &Lease) -> Option<&str> {
    lease
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.as_deref())
        .filter(|h| !h.is_empty())
}

/// Whether `lease` has expired at `now`: its last renewal (or acquisition)
/// plus its duration is in the past. A Lease missing either is expired.
pub fn expired(lease: &Lease, now: Timestamp) -> bool {
    let Some(spec) = &lease.spec else {
        return true;
    };
    let last = spec.renew_time.as_ref().or(spec.acquire_time.as_ref());
    match (last, spec.lease_duration_seconds) {
        (Some(MicroTime(at)), Some(secs)) => at
            .saturating_add(SignedDuration::from_secs(i64::from(secs)))
            .is_ok_and(|until| until < now),
        _ => true,
    }
}

/// What `identity` does with `lease` (None: there is none) at `now`.
pub fn step(lease: Option<&Lease>, identity: &str, now: Timestamp) -> Step {
    let Some(lease) = lease else {
        return Step::Create;
    };
    match holder(lease) {
        Some(h) if h == identity => Step::Renew,
        None => Step::Take,
        Some(_) if expired(lease, now) => Step::Take,
        Some(h) => Step::Wait {
            holder: h.to_string(),
        },
    }
}

/// A new Lease `namespace/name` held by `identity` from `now`.
pub fn created(namespace: &str, name: &str, identity: &str, seconds: i32, now: Timestamp) -> Lease {
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(identity.to_string()),
            lease_duration_seconds: Some(seconds),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        }),
    }
}

/// `lease` renewed by its holder at `now` (keeps `resourceVersion`, so the
/// write fails with 409 if anyone wrote it since it was read).
pub fn renewed(lease: &Lease, seconds: i32, now: Timestamp) -> Lease {
    let mut out = lease.clone();
    let spec = out.spec.get_or_insert_with(LeaseSpec::default);
    spec.renew_time = Some(MicroTime(now));
    spec.lease_duration_seconds = Some(seconds);
    out
}

/// `lease` taken over by `identity` at `now`: a transition is counted when
/// the holder changes (a released Lease has none, so taking it counts).
pub fn taken(lease: &Lease, identity: &str, seconds: i32, now: Timestamp) -> Lease {
    let changes_hands = holder(lease) != Some(identity);
    let mut out = lease.clone();
    let spec = out.spec.get_or_insert_with(LeaseSpec::default);
    let transitions = spec.lease_transitions.unwrap_or(0);
    spec.holder_identity = Some(identity.to_string());
    spec.lease_duration_seconds = Some(seconds);
    spec.acquire_time = Some(MicroTime(now));
    spec.renew_time = Some(MicroTime(now));
    spec.lease_transitions = Some(if changes_hands {
        transitions.saturating_add(1)
    } else {
        transitions
    });
    out
}

/// `lease` released at `now`: no holder, so any candidate takes it at once.
pub fn released(lease: &Lease, now: Timestamp) -> Lease {
    let mut out = lease.clone();
    let spec = out.spec.get_or_insert_with(LeaseSpec::default);
    spec.holder_identity = None;
    spec.renew_time = Some(MicroTime(now));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("in range")
    }

    fn held_by(identity: &str, renewed_at: i64) -> Lease {
        created("ns", "l", identity, 15, at(renewed_at))
    }

    #[test]
    fn no_lease_is_created() {
        assert_eq!(step(None, "a", at(0)), Step::Create);
    }

    #[test]
    fn our_own_lease_is_renewed_even_when_expired() {
        assert_eq!(step(Some(&held_by("a", 0)), "a", at(100)), Step::Renew);
    }

    #[test]
    fn another_holder_s_live_lease_is_waited_on() {
        let wait = step(Some(&held_by("b", 0)), "a", at(15));
        assert_eq!(wait, Step::Wait { holder: "b".into() });
    }

    #[test]
    fn another_holder_s_lease_is_taken_once_renew_time_plus_duration_passed() {
        assert_eq!(step(Some(&held_by("b", 0)), "a", at(16)), Step::Take);
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        let free = released(&held_by("b", 0), at(1));
        assert_eq!(step(Some(&free), "a", at(1)), Step::Take);
    }

    #[test]
    fn taking_from_another_counts_a_transition_renewing_does_not() {
        let lease = held_by("b", 0);
        let taken_over = taken(&lease, "a", 15, at(20));
        let spec = taken_over.spec.as_ref().expect("spec");
        assert_eq!(spec.lease_transitions, Some(1));
        assert_eq!(spec.holder_identity.as_deref(), Some("a"));
        assert_eq!(spec.acquire_time, Some(MicroTime(at(20))));
        let again = renewed(&taken_over, 15, at(22));
        let spec = again.spec.as_ref().expect("spec");
        assert_eq!(spec.lease_transitions, Some(1));
        assert_eq!(spec.renew_time, Some(MicroTime(at(22))));
        assert_eq!(spec.acquire_time, Some(MicroTime(at(20))));
    }

    #[test]
    fn retaking_our_own_expired_lease_is_no_transition() {
        let lease = taken(&held_by("a", 0), "a", 15, at(40));
        assert_eq!(lease.spec.and_then(|s| s.lease_transitions), Some(0));
    }

    #[test]
    fn a_lease_without_renew_time_or_duration_is_expired() {
        let mut lease = held_by("b", 0);
        if let Some(spec) = lease.spec.as_mut() {
            spec.lease_duration_seconds = None;
        }
        assert!(expired(&lease, at(1)));
    }
}
