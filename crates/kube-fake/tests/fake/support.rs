//! Builders shared by the tests.

use k8s_openapi::api::apps::v1::ReplicaSet;
use serde_json::json;

/// A ReplicaSet named `name` with `replicas` and one container, labelled `app: name`.
pub fn replicaset(name: &str, replicas: i32) -> ReplicaSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "demo:1"}]},
            },
        },
    }))
    .expect("a valid ReplicaSet")
}
