//! The plan's rules on HTTPRoutes built in memory: what reads back and
//! when not, the records it refuses, and a restore of a route serin never
//! wrote.

use serde_json::{Value, json};
use serin_api::k8s::{ORIGINAL_ANNOTATION, TRAFFIC_ANNOTATION};

use super::*;

fn backends() -> Backends {
    Backends {
        stable_service: "web-stable".into(),
        canary_service: "web-canary".into(),
        namespace: "shop".into(),
        total: 100,
        managed: vec![],
        affinity: None,
    }
}

fn route(annotations: Value) -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "7", "generation": 2, "annotations": annotations},
        "spec": {"rules": [{"name": "main", "backendRefs": [
            {"name": "web-stable", "port": 80},
            {"name": "web-canary", "port": 80, "weight": 0},
        ]}]},
    })
}

fn canary(weight: i32) -> Traffic {
    Traffic {
        stable: Some("aaa".into()),
        canary: Some("bbb".into()),
        canary_weight: weight,
        ..Traffic::default()
    }
}

/// `route` with `patch` merged in, as the API server would.
fn patched(mut route: Value, patch: &Value) -> Value {
    fn merge(target: &mut Value, patch: &Value) {
        match (target.as_object_mut(), patch.as_object()) {
            (Some(t), Some(p)) => {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
            _ => *target = patch.clone(),
        }
    }
    merge(&mut route, patch);
    route
}

#[test]
fn a_route_serin_never_wrote_carries_nothing_and_restores_to_nothing() {
    let r = route(json!({}));
    assert_eq!(carried(&r, &[], &backends()).expect("reads"), None);
    assert_eq!(restore_patch(&r, &backends()).expect("plans"), None);
}

#[test]
fn the_first_write_is_conditional_and_records_the_weights_before() {
    let patch = apply_patch(&route(json!({})), &[], &backends(), &canary(20))
        .expect("plans")
        .expect("writes");
    assert_eq!(patch["metadata"]["resourceVersion"], "7");
    assert_eq!(
        patch["metadata"]["annotations"][ORIGINAL_ANNOTATION],
        r#"{"rules":{"main":{"stable":null,"canary":0}}}"#
    );
    let written = patched(route(json!({})), &patch);
    assert_eq!(
        carried(&written, &[], &backends()).expect("reads"),
        Some(canary(20))
    );
    assert_eq!(
        apply_patch(&written, &[], &backends(), &canary(20)).expect("plans"),
        None
    );
}

#[test]
fn a_weight_changed_by_hand_reads_back_nothing() {
    let patch = apply_patch(&route(json!({})), &[], &backends(), &canary(20))
        .expect("plans")
        .expect("writes");
    let mut edited = patched(route(json!({})), &patch);
    edited["spec"]["rules"][0]["backendRefs"][1]["weight"] = json!(50);
    assert_eq!(carried(&edited, &[], &backends()).expect("reads"), None);
}

#[test]
fn a_traffic_record_without_the_original_is_refused() {
    let r = route(json!({TRAFFIC_ANNOTATION: r#"{"stable":"aaa","canaryWeight":0}"#}));
    let e = apply_patch(&r, &[], &backends(), &canary(20)).expect_err("refused");
    assert!(
        e.to_string()
            .starts_with("gatewayAPI: HTTPRoute shop/web: annotation serin.dev/traffic without serin.dev/original"),
        "{e}"
    );
}

#[test]
fn an_unreadable_traffic_record_is_an_error_on_read_back_and_rewritten_on_apply() {
    let r = route(json!({ORIGINAL_ANNOTATION: r#"{"rules":{}}"#, TRAFFIC_ANNOTATION: "{"}));
    let e = carried(&r, &[], &backends()).expect_err("unreadable");
    assert!(e.to_string().contains("is not a traffic"), "{e}");
    let patch = apply_patch(&r, &[], &backends(), &canary(20))
        .expect("plans")
        .expect("writes");
    assert!(patch["metadata"]["annotations"][TRAFFIC_ANNOTATION].is_string());
    assert!(
        patch["metadata"]["annotations"]
            .get(ORIGINAL_ANNOTATION)
            .is_none(),
        "written once"
    );
}

#[test]
fn a_backend_ref_of_another_namespace_or_kind_is_not_an_arm() {
    let b = backends();
    assert_eq!(
        arm(&json!({"name": "web-stable"}), "shop", &b),
        Some(Arm::Stable)
    );
    assert_eq!(
        arm(
            &json!({"name": "web-stable", "namespace": "edge"}),
            "shop",
            &b
        ),
        None
    );
    assert_eq!(
        arm(
            &json!({"name": "web-canary", "namespace": "shop"}),
            "edge",
            &b
        ),
        Some(Arm::Canary)
    );
    assert_eq!(
        arm(
            &json!({"name": "web-canary", "kind": "ServiceImport", "group": "multicluster.x-k8s.io"}),
            "shop",
            &b
        ),
        None
    );
}
