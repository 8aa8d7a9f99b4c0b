//! What the DestinationRule of the subset form must become: the stable and
//! canary subsets' `labels` narrowed to a revision by the key
//! [`POD_TEMPLATE_HASH_LABEL`], as the Service router narrows a selector.
//! serin owns that one key in those two subsets, the `serin.dev/original`
//! annotation (the two subsets' `labels` before serin, written once) and
//! `serin.dev/traffic`. Pure.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL;
use serin_api::status::Traffic;

use super::virtual_service::ROUTER;
use crate::RouterError;
use crate::gateway_api::objects::{Object, list};
use crate::gateway_api::planned::Plan;
use crate::gateway_api::weights::Arm;

/// The subsets serin points, by arm: the plan of the DestinationRule.
#[derive(Clone, Debug)]
pub(super) struct Subsets {
    /// The stable subset's name.
    pub stable: String,
    /// The canary subset's name.
    pub canary: String,
}

impl Subsets {
    fn of(&self, arm: Arm) -> &str {
        match arm {
            Arm::Stable => &self.stable,
            Arm::Canary => &self.canary,
        }
    }
}

impl Plan for Subsets {
    fn apply_patch(&self, rule: &Value, traffic: &Traffic) -> Result<Option<Value>, RouterError> {
        apply_patch(rule, self, traffic)
    }

    fn restore_patch(&self, rule: &Value) -> Result<Option<Value>, RouterError> {
        restore_patch(rule)
    }

    fn carried(&self, rule: &Value) -> Result<Option<Traffic>, RouterError> {
        carried(rule, self)
    }
}

/// serin's record: each of its subsets' `labels` before serin (`null` when
/// it had none), by subset name.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Original {
    subsets: BTreeMap<String, Value>,
}

/// The revision the `arm` subset selects under `traffic`: the canary one
/// on stable when there is no canary.
fn revision(traffic: &Traffic, arm: Arm) -> Option<&str> {
    match arm {
        Arm::Stable => traffic.stable.as_deref(),
        Arm::Canary => traffic.canary.as_deref().or(traffic.stable.as_deref()),
    }
}

/// The merge patch that points `rule`'s subsets at `traffic`'s revisions;
/// `None` when they already are.
///
/// # Errors
/// [`RouterError::Invalid`] when a subset is missing or serin's record is
/// unreadable.
pub(super) fn apply_patch(
    rule: &Value,
    subsets: &Subsets,
    traffic: &Traffic,
) -> Result<Option<Value>, RouterError> {
    let obj = Object::new(ROUTER, rule);
    let recorded: Option<Original> = obj.original()?;
    let (wanted, before) = desired(obj, subsets, recorded.as_ref(), traffic)?;
    let mut spec = Map::new();
    if wanted != list(&rule["spec"], "subsets") {
        spec.insert("subsets".into(), Value::Array(wanted));
    }
    let first = recorded.is_none().then_some(before);
    obj.apply_patch(first.as_ref(), traffic, spec)
}

/// The merge patch that gives `rule` back as serin found it; `None` when
/// serin never wrote it.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's record is unreadable.
pub(super) fn restore_patch(rule: &Value) -> Result<Option<Value>, RouterError> {
    let obj = Object::new(ROUTER, rule);
    let Some(recorded) = obj.original::<Original>()? else {
        return Ok(None);
    };
    let current = list(&rule["spec"], "subsets");
    let mut subsets = current.to_vec();
    for subset in &mut subsets {
        let Some(before) = subset["name"]
            .as_str()
            .and_then(|n| recorded.subsets.get(n))
        else {
            continue;
        };
        let was = before[POD_TEMPLATE_HASH_LABEL].as_str();
        set_key(subset, was, before.is_null());
    }
    let mut spec = Map::new();
    if subsets != current {
        spec.insert("subsets".into(), Value::Array(subsets));
    }
    Ok(Some(obj.restore_patch(spec)))
}

/// The traffic `rule` carries: the one in its annotation when its subsets
/// select what that traffic asks and istiod, where it reports, has
/// reconciled its generation; `None` otherwise.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's annotations are unreadable or a
/// subset is missing.
pub(super) fn carried(rule: &Value, subsets: &Subsets) -> Result<Option<Traffic>, RouterError> {
    let obj = Object::new(ROUTER, rule);
    let Some(recorded) = obj.original::<Original>()? else {
        return Ok(None);
    };
    let Some(traffic) = obj.traffic()? else {
        return Ok(None);
    };
    let (wanted, _) = desired(obj, subsets, Some(&recorded), &traffic)?;
    let in_effect =
        (wanted == list(&rule["spec"], "subsets")) && super::reconciled::of(rule).in_effect();
    Ok(in_effect.then_some(traffic))
}

/// The subsets `traffic` asks for, and serin's record of them as they are.
fn desired(
    obj: Object<'_>,
    subsets: &Subsets,
    recorded: Option<&Original>,
    traffic: &Traffic,
) -> Result<(Vec<Value>, Original), RouterError> {
    let mut all = list(&obj.value["spec"], "subsets").to_vec();
    let mut before = Original::default();
    for arm in Arm::BOTH {
        let name = subsets.of(arm);
        let subset = all
            .iter_mut()
            .find(|s| s["name"].as_str() == Some(name))
            .ok_or_else(|| obj.invalid(format!("spec.subsets has no subset named {name}")))?;
        let labels = subset.get("labels").cloned().unwrap_or(Value::Null);
        let was = recorded
            .and_then(|r| r.subsets.get(name))
            .unwrap_or(&labels)[POD_TEMPLATE_HASH_LABEL]
            .as_str()
            .map(str::to_string);
        let want = revision(traffic, arm).map(str::to_string).or(was);
        set_key(subset, want.as_deref(), false);
        before.subsets.insert(name.to_string(), labels);
    }
    Ok((all, before))
}

/// Sets the hash key of `subset`'s labels to `value` (removes it when
/// `None`; removes `labels` too when it is left empty and `drop_empty`).
fn set_key(subset: &mut Value, value: Option<&str>, drop_empty: bool) {
    let Some(map) = subset.as_object_mut() else {
        return;
    };
    let labels = map
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(labels) = labels.as_object_mut() {
        match value {
            Some(v) => {
                labels.insert(POD_TEMPLATE_HASH_LABEL.into(), Value::String(v.into()));
            }
            None => {
                labels.remove(POD_TEMPLATE_HASH_LABEL);
            }
        }
        if labels.is_empty() && (drop_empty || value.is_none()) {
            map.remove("labels");
        }
    }
}
