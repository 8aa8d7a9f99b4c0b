//! The clone, the write and the read-back of one canary Ingress, without a
//! server.

use serde_json::json;
use serin_api::status::Traffic;

use super::*;
use crate::nginx::testing::{config as config_with, weighted};

fn config() -> NginxConfig {
    config_with(None)
}

fn ingress(value: Value) -> Ingress {
    serde_json::from_value(value).expect("an Ingress")
}

/// Two hosts; the second one also serves `/docs` from another Service.
fn stable() -> Ingress {
    ingress(json!({
        "metadata": {"name": "web", "namespace": "default", "resourceVersion": "7",
                     "annotations": {"kubernetes.io/ingress.class": "nginx", "team": "shop"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["web.example"], "secretName": "web-tls"}],
            "rules": [
                {"host": "web.example", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web-stable", "port": {"number": 80}}}},
                ]}},
                {"host": "www.example", "http": {"paths": [
                    {"path": "/docs", "pathType": "Prefix",
                     "backend": {"service": {"name": "docs", "port": {"number": 80}}}},
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web-stable", "port": {"name": "http"}}}},
                ]}},
                {"host": "docs.example", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "docs", "port": {"number": 80}}}},
                ]}},
            ],
        },
    }))
}

fn want(traffic: &Traffic) -> Desired {
    desired(&config(), "app", "web-app-canary", &stable(), traffic).expect("clonable")
}

/// The canary Ingress as the server would hold it after creating `want`.
fn created(traffic: &Traffic) -> Ingress {
    let Some(Write::Create(mut made)) = write(&config(), &want(traffic), None).expect("plans")
    else {
        panic!("a create");
    };
    made.metadata.resource_version = Some("9".into());
    *made
}

fn read(stable: &Ingress, canary: Option<&Ingress>) -> Option<Traffic> {
    carried(&config(), "app", stable, canary).expect("readable")
}

#[test]
fn the_clone_keeps_only_paths_to_the_stable_service_turned_to_the_canary() {
    let spec = serde_json::to_value(want(&weighted(10)).spec).expect("json");
    assert_eq!(
        spec,
        json!({
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["web.example"], "secretName": "web-tls"}],
            "rules": [
                {"host": "web.example", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web-canary", "port": {"number": 80}}}},
                ]}},
                {"host": "www.example", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web-canary", "port": {"name": "http"}}}},
                ]}},
            ],
        })
    );
}

#[test]
fn a_new_canary_ingress_is_created_labelled_with_the_rollout() {
    let made = serde_json::to_value(created(&weighted(10))).expect("json");
    assert_eq!(made["metadata"]["name"], json!("web-app-canary"));
    assert_eq!(
        made["metadata"]["labels"],
        json!({"serin.dev/rollout": "app"})
    );
    assert_eq!(
        made["metadata"]["annotations"],
        json!({
            "kubernetes.io/ingress.class": "nginx",
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "10",
            "serin.dev/traffic": r#"{"stable":"aaa","canary":"bbb","canaryWeight":10}"#,
        })
    );
}

#[test]
fn the_same_traffic_again_writes_nothing() {
    let current = created(&weighted(10));
    assert_eq!(
        write(&config(), &want(&weighted(10)), Some(&current)).expect("plans"),
        None
    );
}

#[test]
fn a_new_weight_patches_only_the_weight_and_the_record() {
    let current = created(&weighted(10));
    let Some(Write::Patch(body)) =
        write(&config(), &want(&weighted(30)), Some(&current)).expect("plans")
    else {
        panic!("a patch");
    };
    assert_eq!(
        body,
        json!({"metadata": {
            "resourceVersion": "9",
            "annotations": {
                "nginx.ingress.kubernetes.io/canary-weight": "30",
                "serin.dev/traffic": r#"{"stable":"aaa","canary":"bbb","canaryWeight":30}"#,
            },
        }})
    );
}

#[test]
fn a_header_route_taken_away_removes_its_annotations() {
    let routed = Traffic {
        header_routes: vec![
            serde_json::from_value(json!({"name": "qa", "match": [
                {"headerName": "x-qa", "headerValue": {"exact": "yes"}}]}))
            .expect("a route"),
        ],
        ..weighted(0)
    };
    let current = created(&routed);
    let Some(Write::Patch(body)) =
        write(&config(), &want(&weighted(0)), Some(&current)).expect("plans")
    else {
        panic!("a patch");
    };
    let annotations = &body["metadata"]["annotations"];
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/canary-by-header"],
        Value::Null
    );
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/canary-by-header-value"],
        Value::Null
    );
    assert!(
        annotations
            .as_object()
            .expect("a map")
            .contains_key("nginx.ingress.kubernetes.io/canary-by-header"),
        "removed with null"
    );
}

#[test]
fn a_changed_stable_ingress_is_followed_and_the_read_back_waits_for_it() {
    let current = created(&weighted(10));
    let mut changed = stable();
    if let Some(spec) = changed.spec.as_mut() {
        spec.tls = None;
    }
    let want =
        desired(&config(), "app", "web-app-canary", &changed, &weighted(10)).expect("clonable");
    let Some(Write::Patch(body)) = write(&config(), &want, Some(&current)).expect("plans") else {
        panic!("a patch");
    };
    assert_eq!(body["spec"], json!({"tls": null}));
    assert_eq!(read(&changed, Some(&current)), None);
}

#[test]
fn the_read_back_is_the_recorded_traffic_while_the_ingress_agrees() {
    let current = created(&weighted(10));
    assert_eq!(read(&stable(), Some(&current)), Some(weighted(10)));
    assert_eq!(read(&stable(), None), None);
    let mut edited = current;
    edited.metadata.annotations.get_or_insert_default().insert(
        "nginx.ingress.kubernetes.io/canary-weight".into(),
        "99".into(),
    );
    assert_eq!(read(&stable(), Some(&edited)), None);
}

#[test]
fn an_ingress_serin_did_not_make_is_never_taken_over() {
    let foreign = ingress(json!({"metadata": {"name": "web-app-canary", "namespace": "default"}}));
    let e = write(&config(), &want(&weighted(10)), Some(&foreign)).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "nginx: Ingress default/web-app-canary: exists and was not made by serin for rollout app \
         (no label serin.dev/rollout=app); serin does not take over an Ingress it did not make"
    );
    assert!(carried(&config(), "app", &stable(), Some(&foreign)).is_err());
}

#[test]
fn a_stable_ingress_without_a_path_to_the_stable_service_is_refused() {
    let mut config = config();
    config.stable_service = Some("other".into());
    let e = desired(&config, "app", "x", &stable(), &weighted(0)).expect_err("refused");
    assert!(
        e.to_string().contains(
            "Ingress default/web: spec.rules has no path whose backend is the stableService other"
        ),
        "{e}"
    );
}
