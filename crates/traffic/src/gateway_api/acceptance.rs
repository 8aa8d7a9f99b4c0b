//! Whether a Gateway has taken an HTTPRoute's spec as it is now: the
//! route's `status.parents[].conditions`, where a Gateway controller writes,
//! per parent Gateway, an `Accepted` condition with the `observedGeneration`
//! it looked at. Pure.

use serde_json::Value;

use super::objects::list;

/// What an HTTPRoute's status says of its current spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acceptance {
    /// No parent reports anything (no `status.parents`): nothing to wait
    /// for, the spec is taken as in effect.
    NotReported,
    /// Every parent reports `Accepted: True` for this generation or later.
    Accepted,
    /// A parent has not yet looked at this generation (no `Accepted`
    /// condition, or one observed for an older generation).
    Pending,
    /// A parent refused this generation (`Accepted` not `True`).
    Rejected,
}

impl Acceptance {
    /// Whether the spec counts as in effect.
    pub(crate) fn in_effect(self) -> bool {
        matches!(self, Self::NotReported | Self::Accepted)
    }
}

/// What `route`'s status says of its `metadata.generation`.
pub(crate) fn of(route: &Value) -> Acceptance {
    let parents = list(&route["status"], "parents");
    if parents.is_empty() {
        return Acceptance::NotReported;
    }
    let generation = route["metadata"]["generation"].as_i64().unwrap_or(0);
    let mut verdict = Acceptance::Accepted;
    for parent in parents {
        let accepted = list(parent, "conditions")
            .iter()
            .find(|c| c["type"] == "Accepted");
        let Some(condition) = accepted else {
            return Acceptance::Pending;
        };
        let observed = condition["observedGeneration"].as_i64().unwrap_or(-1);
        if observed < generation {
            return Acceptance::Pending;
        }
        if condition["status"] != "True" {
            verdict = Acceptance::Rejected;
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn route(generation: i64, parents: Value) -> Value {
        json!({"metadata": {"generation": generation}, "status": {"parents": parents}})
    }

    fn parent(status: &str, observed: i64) -> Value {
        json!({
            "parentRef": {"name": "gw"},
            "controllerName": "example.com/gateway",
            "conditions": [{"type": "Accepted", "status": status, "observedGeneration": observed}],
        })
    }

    #[test]
    fn a_route_no_controller_reports_on_is_taken_as_in_effect() {
        assert_eq!(
            of(&json!({"metadata": {"generation": 3}})),
            Acceptance::NotReported
        );
        assert_eq!(of(&route(3, json!([]))), Acceptance::NotReported);
        assert!(Acceptance::NotReported.in_effect());
    }

    #[test]
    fn accepted_counts_only_for_the_current_generation_or_later() {
        assert_eq!(
            of(&route(3, json!([parent("True", 3)]))),
            Acceptance::Accepted
        );
        assert_eq!(
            of(&route(3, json!([parent("True", 4)]))),
            Acceptance::Accepted
        );
        assert_eq!(
            of(&route(3, json!([parent("True", 2)]))),
            Acceptance::Pending
        );
        assert!(!Acceptance::Pending.in_effect());
    }

    #[test]
    fn every_parent_must_accept() {
        let two = json!([parent("True", 3), parent("False", 3)]);
        assert_eq!(of(&route(3, two)), Acceptance::Rejected);
        let stale = json!([parent("False", 3), parent("True", 1)]);
        assert_eq!(of(&route(3, stale)), Acceptance::Pending);
        let silent = json!([parent("True", 3), {"parentRef": {"name": "b"}, "conditions": []}]);
        assert_eq!(of(&route(3, silent)), Acceptance::Pending);
        assert!(!Acceptance::Rejected.in_effect());
    }
}
