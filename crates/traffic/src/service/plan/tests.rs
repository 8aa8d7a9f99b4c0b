//! The plan's rules on Services built in memory: what a write sends, when
//! nothing is sent, what a restore sends, and what reads back.

use serde_json::{Value, json};

use super::*;

const HASH: &str = POD_TEMPLATE_HASH_LABEL;

fn service(selector: Value, annotations: Value) -> Service {
    serde_json::from_value(json!({
        "metadata": {
            "name": "web", "namespace": "shop", "resourceVersion": "7",
            "annotations": annotations,
        },
        "spec": {"selector": selector},
    }))
    .expect("a valid Service")
}

fn stable(rev: &str) -> Traffic {
    Traffic {
        stable: Some(rev.into()),
        ..Traffic::default()
    }
}

/// `svc` with `patch` merged in, as the API server would.
fn patched(svc: &Service, patch: &Value) -> Service {
    let mut doc = serde_json::to_value(svc).expect("serializes");
    merge(&mut doc, patch);
    serde_json::from_value(doc).expect("still a Service")
}

/// `svc` after serin's write of `traffic`, `revision` on its selector.
fn written(svc: &Service, revision: &str, traffic: &Traffic) -> Service {
    let patch = apply_patch(svc, Some(revision), traffic).expect("valid");
    patched(svc, &patch.expect("writes"))
}

fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[test]
fn the_first_write_records_the_selector_before_and_the_traffic() {
    let svc = service(json!({"app": "web"}), Value::Null);
    let patch = apply_patch(&svc, Some("aaa"), &stable("aaa"))
        .expect("valid")
        .expect("writes");
    assert_eq!(
        patch,
        json!({
            "metadata": {
                "resourceVersion": "7",
                "annotations": {
                    ORIGINAL_ANNOTATION: r#"{"app":"web"}"#,
                    TRAFFIC_ANNOTATION: r#"{"stable":"aaa","canaryWeight":0}"#,
                },
            },
            "spec": {"selector": {HASH: "aaa"}},
        })
    );
}

#[test]
fn applying_what_the_service_carries_sends_nothing() {
    let svc = service(json!({"app": "web"}), Value::Null);
    let t = stable("aaa");
    let once = written(&svc, "aaa", &t);
    assert_eq!(apply_patch(&once, Some("aaa"), &t).expect("valid"), None);
}

#[test]
fn a_later_write_keeps_the_first_original() {
    let svc = service(json!({"app": "web"}), Value::Null);
    let once = written(&svc, "aaa", &stable("aaa"));
    let patch = apply_patch(&once, Some("bbb"), &stable("bbb"))
        .expect("valid")
        .expect("writes");
    assert_eq!(
        patch.pointer("/metadata/annotations/serin.dev~1original"),
        None
    );
    assert_eq!(patch["spec"]["selector"][HASH], "bbb");
}

#[test]
fn a_service_selecting_nothing_of_its_own_is_refused() {
    for selector in [Value::Null, json!({}), json!({HASH: "aaa"})] {
        let svc = service(selector.clone(), Value::Null);
        let err = apply_patch(&svc, Some("aaa"), &stable("aaa")).expect_err("refused");
        assert!(
            err.to_string().contains("Service shop/web: spec.selector"),
            "{selector}: {err}"
        );
    }
}

#[test]
fn restore_removes_the_key_serin_added_and_both_annotations() {
    let svc = service(json!({"app": "web"}), json!({"team": "a"}));
    let once = written(&svc, "aaa", &stable("aaa"));
    let back = patched(
        &once,
        &restore_patch(&once).expect("valid").expect("writes"),
    );
    assert_eq!(back.spec, svc.spec);
    assert_eq!(back.metadata.annotations, svc.metadata.annotations);
}

#[test]
fn restore_puts_back_a_hash_value_that_was_there_before() {
    let svc = service(json!({"app": "web", HASH: "old"}), Value::Null);
    let once = written(&svc, "aaa", &stable("aaa"));
    let patch = restore_patch(&once).expect("valid").expect("writes");
    assert_eq!(patch["spec"]["selector"][HASH], "old");
    assert_eq!(
        patch["metadata"]["annotations"],
        Value::Null,
        "none before serin"
    );
    assert_eq!(patched(&once, &patch).spec, svc.spec);
}

#[test]
fn restore_of_a_service_serin_never_wrote_sends_nothing() {
    let svc = service(json!({"app": "web"}), json!({"team": "a"}));
    assert_eq!(restore_patch(&svc).expect("valid"), None);
}

#[test]
fn read_back_needs_the_selector_to_agree_with_the_annotation() {
    let svc = service(json!({"app": "web"}), Value::Null);
    assert_eq!(
        carried(&svc, Role::Active).expect("valid"),
        None,
        "never written"
    );
    let t = stable("aaa");
    let once = written(&svc, "aaa", &t);
    assert_eq!(carried(&once, Role::Active).expect("valid"), Some(t));
    let moved = patched(&once, &json!({"spec": {"selector": {HASH: "zzz"}}}));
    assert_eq!(carried(&moved, Role::Active).expect("valid"), None);
}

#[test]
fn a_broken_annotation_is_an_error_naming_the_service_and_the_annotation() {
    let svc = service(
        json!({"app": "web"}),
        json!({ORIGINAL_ANNOTATION: "{}", TRAFFIC_ANNOTATION: "{not json"}),
    );
    let err = carried(&svc, Role::Active).expect_err("broken");
    let text = err.to_string();
    assert!(
        text.starts_with("service: Service shop/web: annotation serin.dev/traffic"),
        "{text}"
    );

    let svc = service(json!({"app": "web"}), json!({ORIGINAL_ANNOTATION: "[1]"}));
    let err = restore_patch(&svc).expect_err("broken");
    assert!(
        err.to_string().contains("annotation serin.dev/original"),
        "{err}"
    );
}

#[test]
fn a_traffic_record_without_the_original_is_refused() {
    let svc = service(
        json!({"app": "web", HASH: "aaa"}),
        json!({TRAFFIC_ANNOTATION: "{}"}),
    );
    let err = apply_patch(&svc, Some("bbb"), &stable("bbb")).expect_err("refused");
    assert!(
        err.to_string()
            .contains("the selector before serin is unknown"),
        "{err}"
    );
}
