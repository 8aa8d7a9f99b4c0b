//! `maxSurge` and `maxUnavailable` of a canary, and the replica counts they
//! allow in one pass. A scale-up only fills the room that the counts already
//! asked for (every version's) leave under `replicas + maxSurge`, never room
//! that a scale-down of the same pass is about to free; a scale-down keeps at
//! least `replicas - maxUnavailable` of the stable's and the canary's ready
//! replicas, counting the unready ones as the first to go. So the platform may
//! apply a pass's actions in any order, or only some of them, and still stay
//! within both bounds.

use serde::Serialize;
use serde_json::Value;
use serin_api::canary::CanaryStrategy;

use crate::context::{Cx, Draft};
use crate::strategy::{self, Shape, Split};

/// Each of `maxSurge` and `maxUnavailable` when unset: 25% (as Argo Rollouts
/// and Kubernetes Deployments).
const DEFAULT_PERCENT: u64 = 25;

/// The largest percentage taken, so that the arithmetic cannot overflow.
const MAX_PERCENT: u64 = 1_000_000;

/// How far a canary's replicas may stray from `spec.replicas` while it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Budget {
    /// Replicas that may be asked for above `spec.replicas`, every version counted.
    pub surge: u32,
    /// Replicas of `spec.replicas` that may be unavailable.
    pub unavailable: u32,
}

/// Which way a percentage rounds.
#[derive(Clone, Copy)]
enum Round {
    Up,
    Down,
}

impl Budget {
    /// The budget of a canary of `replicas`: a percentage of `maxSurge`
    /// rounds up and one of `maxUnavailable` down, each unset one is 25%, and
    /// when both come to zero one replica may be unavailable (validation
    /// should refuse both zero; a percentage rounding down can still get
    /// there), else no replica could ever move.
    pub fn of(c: &CanaryStrategy, replicas: u32) -> Self {
        let surge = resolve(c.max_surge.as_ref(), replicas, Round::Up);
        let unavailable = resolve(c.max_unavailable.as_ref(), replicas, Round::Down).min(replicas);
        let unavailable = if surge == 0 && unavailable == 0 {
            replicas.min(1)
        } else {
            unavailable
        };
        Self { surge, unavailable }
    }
}

/// An int-or-percent amount of `total`. A negative number is zero; a string
/// that is neither `N%` nor a whole number is the default.
fn resolve<T: Serialize>(value: Option<&T>, total: u32, round: Round) -> u32 {
    let percent = match value.and_then(|v| serde_json::to_value(v).ok()) {
        Some(Value::Number(n)) => return count(n.as_i64().unwrap_or(0)),
        Some(Value::String(s)) => {
            let s = s.trim();
            match s.strip_suffix('%').map(|p| p.trim().parse::<i64>()) {
                Some(Ok(p)) => u64::try_from(p).unwrap_or(0),
                Some(Err(_)) => DEFAULT_PERCENT,
                None => match s.parse::<i64>() {
                    Ok(n) => return count(n),
                    Err(_) => DEFAULT_PERCENT,
                },
            }
        }
        _ => DEFAULT_PERCENT,
    };
    let scaled = u64::from(total) * percent.min(MAX_PERCENT);
    let amount = match round {
        Round::Up => scaled.div_ceil(100),
        Round::Down => scaled / 100,
    };
    u32::try_from(amount).unwrap_or(u32::MAX)
}

/// A whole number of replicas, negative as zero.
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Replicas of the stable and of the canary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pair {
    pub stable: u32,
    pub canary: u32,
}

/// What the platform reports of a stable and a canary.
struct Fleet {
    asked: Pair,
    ready: Pair,
    /// Replicas asked for, every version counted (those being retired too).
    total: u32,
}

impl Fleet {
    fn observe(cx: &Cx<'_>, stable: &str, canary: &str) -> Self {
        let version = |rev: &str| cx.obs.version(rev);
        let (s, c) = (version(stable), version(canary));
        Self {
            asked: Pair {
                stable: s.replicas,
                canary: c.replicas,
            },
            // Ready replicas above the count asked for are about to go.
            ready: Pair {
                stable: s.ready.min(s.replicas),
                canary: c.ready.min(c.replicas),
            },
            total: total_asked(cx),
        }
    }

    /// Ready replicas that may be lost to a scale-down: those above
    /// `replicas - maxUnavailable`.
    fn spare(&self, replicas: u32, budget: Budget) -> u32 {
        let available = self.ready.stable.saturating_add(self.ready.canary);
        available.saturating_sub(replicas.saturating_sub(budget.unavailable))
    }
}

/// The counts to ask of a canary split by replica ratio that moves toward
/// `target`: each version grows (the stable first) as far as the surge room
/// allows, and shrinks as far as the available replicas allow. The room is
/// never below what `target` needs, so the target is always reachable.
pub(crate) fn toward(
    cx: &Cx<'_>,
    c: &CanaryStrategy,
    stable: &str,
    canary: &str,
    target: Pair,
) -> Pair {
    let r = cx.replicas();
    let budget = Budget::of(c, r);
    let fleet = Fleet::observe(cx, stable, canary);
    let cap = r
        .saturating_add(budget.surge)
        .max(target.stable.saturating_add(target.canary));
    let mut room = cap.saturating_sub(fleet.total);
    let mut spare = fleet.spare(r, budget);
    let mut step = |asked: u32, ready: u32, want: u32| {
        if want >= asked {
            grow(asked, want, &mut room)
        } else {
            shrink(asked, ready, want, &mut spare)
        }
    };
    Pair {
        stable: step(fleet.asked.stable, fleet.ready.stable, target.stable),
        canary: step(fleet.asked.canary, fleet.ready.canary, target.canary),
    }
}

/// The count to ask of a stable that `dynamicStableScale` shrinks toward
/// `target`: no lower than the available replicas allow. It grows at once.
pub(crate) fn dynamic_stable(
    cx: &Cx<'_>,
    c: &CanaryStrategy,
    stable: &str,
    canary: &str,
    target: u32,
) -> u32 {
    let r = cx.replicas();
    let fleet = Fleet::observe(cx, stable, canary);
    if target >= fleet.asked.stable {
        return target;
    }
    let mut spare = fleet.spare(r, Budget::of(c, r));
    shrink(fleet.asked.stable, fleet.ready.stable, target, &mut spare)
}

/// The count to ask of the stable alone (no release under way, or an aborted
/// one) on a replica split: it grows back to `target` as far as the surge
/// room left by every version allows.
pub(crate) fn restore(cx: &Cx<'_>, c: &CanaryStrategy, stable: &str, target: u32) -> u32 {
    let r = cx.replicas();
    let budget = Budget::of(c, r);
    let asked = cx.obs.version(stable).replicas;
    if target < asked {
        return target;
    }
    let mut room = r
        .saturating_add(budget.surge)
        .max(target)
        .saturating_sub(total_asked(cx));
    grow(asked, target, &mut room)
}

/// Replicas asked for, every version counted.
fn total_asked(cx: &Cx<'_>) -> u32 {
    cx.obs
        .versions
        .values()
        .fold(0u32, |sum, v| sum.saturating_add(v.replicas))
}

/// Ready replicas that the versions being retired (a replaced canary) must
/// keep in all while a canary split by replica ratio is released: as many as
/// the stable and the canary lack of `replicas - maxUnavailable`. None
/// otherwise, nor once the release is aborted (all its traffic is back on
/// stable; the canary goes when due).
///
/// The stable and the canary only ever spend what they have above that
/// bound, so when they lack some they spend nothing, and the two never
/// spend the same replicas.
pub(crate) fn keep_ready(cx: &Cx<'_>, d: &Draft) -> u32 {
    let Shape::Canary(c) = strategy::shape(cx.spec) else {
        return 0;
    };
    if strategy::split(cx.spec, c) != Split::Replicas || !d.releasing() || d.aborted() {
        return 0;
    }
    let r = cx.replicas();
    let fleet = Fleet::observe(cx, &d.stable(), &d.current());
    let least = r.saturating_sub(Budget::of(c, r).unavailable);
    least.saturating_sub(fleet.ready.stable.saturating_add(fleet.ready.canary))
}

/// From `asked` up toward `want`, using up `room`.
fn grow(asked: u32, want: u32, room: &mut u32) -> u32 {
    let add = want.saturating_sub(asked).min(*room);
    *room -= add;
    asked + add
}

/// From `asked` down toward `want`: the unready replicas go freely, each
/// ready one uses up one of `spare`.
fn shrink(asked: u32, ready: u32, want: u32, spare: &mut u32) -> u32 {
    let lose = ready.saturating_sub(want).min(*spare);
    *spare -= lose;
    want.max(ready - lose).min(asked)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn amount(value: Value, total: u32, round: Round) -> u32 {
        resolve(Some(&value), total, round)
    }

    fn budget(spec: Value, replicas: u32) -> Budget {
        let c: CanaryStrategy = serde_json::from_value(spec).unwrap_or_default();
        Budget::of(&c, replicas)
    }

    #[test]
    fn a_surge_percentage_rounds_up_and_an_unavailable_one_down() {
        assert_eq!(amount(json!("25%"), 10, Round::Up), 3);
        assert_eq!(amount(json!("25%"), 10, Round::Down), 2);
        assert_eq!(amount(json!("25%"), 1, Round::Up), 1);
        assert_eq!(amount(json!("25%"), 1, Round::Down), 0);
    }

    #[test]
    fn each_unset_amount_is_a_quarter() {
        let both = budget(json!({}), 8);
        assert_eq!((both.surge, both.unavailable), (2, 2));
        let surge_set = budget(json!({"maxSurge": 1}), 8);
        assert_eq!((surge_set.surge, surge_set.unavailable), (1, 2));
    }

    #[test]
    fn whole_numbers_count_replicas_and_negatives_are_zero() {
        assert_eq!(amount(json!(3), 10, Round::Up), 3);
        assert_eq!(amount(json!(-3), 10, Round::Up), 0);
        assert_eq!(amount(json!("4"), 10, Round::Up), 4);
    }

    #[test]
    fn text_that_is_no_amount_is_the_default() {
        for text in ["", "%", "x%", "lots", "-"] {
            assert_eq!(amount(json!(text), 8, Round::Down), 2, "{text:?}");
        }
    }

    #[test]
    fn huge_percentages_saturate_instead_of_overflowing() {
        let huge = json!(format!("{}%", i64::MAX));
        assert_eq!(amount(huge, u32::MAX, Round::Up), u32::MAX);
    }

    #[test]
    fn both_zero_lets_one_replica_be_unavailable() {
        let b = budget(json!({"maxSurge": 0, "maxUnavailable": "10%"}), 5);
        assert_eq!((b.surge, b.unavailable), (0, 1));
        let none = budget(json!({"maxSurge": 0, "maxUnavailable": 0}), 0);
        assert_eq!((none.surge, none.unavailable), (0, 0));
    }

    #[test]
    fn no_more_than_all_replicas_are_unavailable() {
        assert_eq!(budget(json!({"maxUnavailable": 50}), 4).unavailable, 4);
    }

    #[test]
    fn shrinking_loses_unready_replicas_first() {
        let mut spare = 0;
        assert_eq!(shrink(10, 7, 2, &mut spare), 7);
        let mut spare = 2;
        assert_eq!(shrink(10, 7, 2, &mut spare), 5);
        assert_eq!(spare, 0);
        let mut spare = 9;
        assert_eq!(shrink(10, 7, 2, &mut spare), 2);
        assert_eq!(spare, 4);
    }

    #[test]
    fn growing_uses_the_room_up() {
        let mut room = 2;
        assert_eq!(grow(4, 9, &mut room), 6);
        assert_eq!(room, 0);
        assert_eq!(grow(6, 9, &mut room), 6);
    }
}
