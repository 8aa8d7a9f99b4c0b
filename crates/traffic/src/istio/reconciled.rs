//! Whether Istio has pushed an object's current spec to the proxies: with
//! status reporting on (istiod's `PILOT_ENABLE_STATUS`), istiod writes a
//! `Reconciled` condition to `status.conditions`, with the generation it
//! looked at (`observedGeneration`, an integer or a string, on the
//! condition or on the status). Pure; the answer is the Gateway API
//! router's [`Acceptance`].

use serde_json::Value;

use crate::gateway_api::acceptance::Acceptance;
use crate::gateway_api::objects::list;

/// What `object`'s status says of its `metadata.generation`: not reported
/// without a `Reconciled` condition; pending while the generation it
/// observed is older; rejected when it is not `True`.
pub(super) fn of(object: &Value) -> Acceptance {
    let status = &object["status"];
    let Some(condition) = list(status, "conditions")
        .iter()
        .find(|c| c["type"] == "Reconciled")
    else {
        return Acceptance::NotReported;
    };
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(0);
    let observed = generation_of(&condition["observedGeneration"])
        .or_else(|| generation_of(&status["observedGeneration"]))
        .unwrap_or(-1);
    if observed < generation {
        Acceptance::Pending
    } else if condition["status"] == "True" {
        Acceptance::Accepted
    } else {
        Acceptance::Rejected
    }
}

/// An `observedGeneration`, an integer or a string holding one.
fn generation_of(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(status: Value) -> Value {
        json!({"metadata": {"generation": 4}, "status": status})
    }

    #[test]
    fn an_object_istio_reports_nothing_on_is_taken_as_in_effect() {
        assert_eq!(of(&object(json!(null))), Acceptance::NotReported);
        assert_eq!(
            of(&object(json!({"validationMessages": []}))),
            Acceptance::NotReported
        );
    }

    #[test]
    fn reconciled_counts_only_for_the_current_generation_or_later() {
        let now = json!({"conditions": [{"type": "Reconciled", "status": "True"}], "observedGeneration": "4"});
        assert_eq!(of(&object(now)), Acceptance::Accepted);
        let old = json!({"conditions": [{"type": "Reconciled", "status": "True", "observedGeneration": 3}]});
        assert_eq!(of(&object(old)), Acceptance::Pending);
        let unknown = json!({"conditions": [{"type": "Reconciled", "status": "True"}]});
        assert_eq!(of(&object(unknown)), Acceptance::Pending);
        let failed = json!({"conditions": [{"type": "Reconciled", "status": "False", "observedGeneration": 4}]});
        assert_eq!(of(&object(failed)), Acceptance::Rejected);
    }
}
