//! The weights serin owns on a weighted list of backends (an HTTPRoute
//! rule's `backendRefs`, a VirtualService route's `route`): which entry
//! serves which [`Arm`], the weights a [`Traffic`] asks for out of the
//! route's total ([`Split`]), and the record of the weights before serin
//! ([`Recorded`]) that a restore puts back. Pure; shared by the Gateway API
//! and Istio routers.

use std::collections::BTreeMap;

use serde_json::Value;
use serin_api::status::Traffic;

/// The arm of a rollout a backend serves.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Arm {
    /// The stable version.
    Stable,
    /// The canary.
    Canary,
}

impl Arm {
    /// Both arms, stable first.
    pub(crate) const BOTH: [Arm; 2] = [Arm::Stable, Arm::Canary];
}

/// The weights of both arms, out of the route's total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// The stable arm's weight.
    pub stable: i64,
    /// The canary arm's weight.
    pub canary: i64,
}

impl Split {
    /// `traffic`'s canary percentage scaled to `total` (`maxTrafficWeight`,
    /// 100 by default), rounded to the nearest; the stable arm has the rest,
    /// so the two always add up to `total`.
    pub(crate) fn of(traffic: &Traffic, total: i32) -> Self {
        let total = i64::from(total.max(1));
        let percent = i64::from(traffic.canary_weight.clamp(0, 100));
        let canary = (percent * total + 50) / 100;
        Self {
            stable: total - canary,
            canary,
        }
    }

    /// The weight of `arm`.
    pub(crate) fn of_arm(self, arm: Arm) -> i64 {
        match arm {
            Arm::Stable => self.stable,
            Arm::Canary => self.canary,
        }
    }
}

/// The `weight` of each arm before serin, per owned rule or route (by its
/// key: its name, or `#<index>`); `null` when the entry had no `weight`.
pub(crate) type Recorded = BTreeMap<String, BTreeMap<Arm, Value>>;

/// The arm missing from `backends`, if any: serin moves weight between two
/// entries that must both be there.
pub(crate) fn missing_arm(
    backends: &[Value],
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> Option<Arm> {
    Arm::BOTH
        .into_iter()
        .find(|arm| !backends.iter().any(|b| arm_of(b) == Some(*arm)))
}

/// The `weight` of each arm's first entry, as found (`null` when absent).
pub(crate) fn current(
    backends: &[Value],
    arm_of: impl Fn(&Value) -> Option<Arm>,
) -> BTreeMap<Arm, Value> {
    let mut found = BTreeMap::new();
    for b in backends {
        if let Some(arm) = arm_of(b) {
            found.entry(arm).or_insert_with(|| b["weight"].clone());
        }
    }
    found
}

/// Sets every entry of each arm to `split`'s weight.
pub(crate) fn set(backends: &mut [Value], arm_of: impl Fn(&Value) -> Option<Arm>, split: Split) {
    for b in backends.iter_mut() {
        if let (Some(arm), Some(map)) = (arm_of(b), b.as_object_mut()) {
            map.insert("weight".into(), Value::from(split.of_arm(arm)));
        }
    }
}

/// Puts back each arm's `weight` as `before` has it (removed when it was
/// absent); arms `before` does not name are left as they are.
pub(crate) fn restore(
    backends: &mut [Value],
    arm_of: impl Fn(&Value) -> Option<Arm>,
    before: &BTreeMap<Arm, Value>,
) {
    for b in backends.iter_mut() {
        let Some(arm) = arm_of(b) else { continue };
        let (Some(weight), Some(map)) = (before.get(&arm), b.as_object_mut()) else {
            continue;
        };
        if weight.is_null() {
            map.remove("weight");
        } else {
            map.insert("weight".into(), weight.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn weight(percent: i32) -> Traffic {
        Traffic {
            canary_weight: percent,
            ..Traffic::default()
        }
    }

    #[test]
    fn a_split_always_adds_up_to_the_total() {
        assert_eq!(
            Split::of(&weight(20), 100),
            Split {
                stable: 80,
                canary: 20
            }
        );
        assert_eq!(
            Split::of(&weight(5), 1000),
            Split {
                stable: 950,
                canary: 50
            }
        );
        assert_eq!(
            Split::of(&weight(33), 10),
            Split {
                stable: 7,
                canary: 3
            }
        );
        assert_eq!(
            Split::of(&weight(100), 7),
            Split {
                stable: 0,
                canary: 7
            }
        );
        assert_eq!(
            Split::of(&weight(150), 100),
            Split {
                stable: 0,
                canary: 100
            }
        );
    }

    #[test]
    fn restore_removes_a_weight_that_was_absent_and_puts_back_one_that_was_there() {
        let arm_of = |b: &Value| match b["name"].as_str() {
            Some("s") => Some(Arm::Stable),
            Some("c") => Some(Arm::Canary),
            _ => None,
        };
        let mut refs = vec![
            json!({"name": "s"}),
            json!({"name": "c", "weight": 0}),
            json!({"name": "x"}),
        ];
        let before = current(&refs, arm_of);
        set(
            &mut refs,
            arm_of,
            Split {
                stable: 70,
                canary: 30,
            },
        );
        assert_eq!(refs[0], json!({"name": "s", "weight": 70}));
        restore(&mut refs, arm_of, &before);
        assert_eq!(
            refs,
            vec![
                json!({"name": "s"}),
                json!({"name": "c", "weight": 0}),
                json!({"name": "x"})
            ]
        );
    }
}
