//! The read-back waits for Istio where it reports: with a `Reconciled`
//! condition in an object's status, a traffic counts as in effect only once
//! istiod says `True` for the object's current generation. The fake runs
//! no istiod, so the tests write the status as it would.

use serde_json::json;

use crate::mesh_support::{NS, World, canary, given};
use crate::support::{API, hosts, router, vs, world};

/// Writes `web`'s status as istiod would: `Reconciled` for `observed`.
fn report(w: &World, status: &str, observed: i64) {
    let status = json!({"status": {
        "conditions": [{"type": "Reconciled", "status": status, "lastTransitionTime": "2026-11-22T00:00:00Z"}],
        "observedGeneration": observed.to_string(),
    }});
    w.fake
        .patch_status(API, "VirtualService", Some(NS), "web", &status)
        .expect("the status is written");
    vs(w, "web");
}

#[tokio::test]
async fn a_weight_istio_has_not_pushed_yet_reads_back_nothing_until_it_has() {
    let w = world().await;
    let routers = given(router(&w, hosts()), &[canary("aaa", "bbb", 20)]).await;
    let generation = vs(&w, "web")["metadata"]["generation"]
        .as_i64()
        .expect("a generation");

    report(&w, "True", generation - 1);
    assert_eq!(routers.read_back().await.expect("read"), None);

    report(&w, "True", generation);
    assert_eq!(
        routers.read_back().await.expect("read"),
        Some(canary("aaa", "bbb", 20))
    );
}

#[tokio::test]
async fn a_configuration_istio_failed_to_push_reads_back_nothing() {
    let w = world().await;
    let routers = given(router(&w, hosts()), &[canary("aaa", "bbb", 20)]).await;
    let generation = vs(&w, "web")["metadata"]["generation"]
        .as_i64()
        .expect("a generation");

    report(&w, "False", generation);

    assert_eq!(routers.read_back().await.expect("read"), None);
}
