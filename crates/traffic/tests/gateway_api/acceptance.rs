//! The read-back waits for the Gateways: where the route reports it, a
//! traffic counts as in effect only once every parent says `Accepted: True`
//! for the route's current generation. The fake runs no Gateway
//! controller, so the tests write the status as one would.

use serde_json::{Value, json};
use serin_traffic::Routers;

use crate::mesh_support::{NS, World, canary};
use crate::support::{API, on_web, route, router, world};

/// Writes the route's status as a Gateway controller would: one parent,
/// `Accepted` with `status` for `observed`.
fn report(w: &World, status: &str, observed: i64) {
    let parents = json!({"parents": [{
        "parentRef": {"name": "edge", "namespace": "infra"},
        "controllerName": "example.com/gateway-controller",
        "conditions": [{
            "type": "Accepted",
            "status": status,
            "reason": if status == "True" { "Accepted" } else { "NotAllowedByListeners" },
            "message": "",
            "observedGeneration": observed,
            "lastTransitionTime": "2026-11-22T00:00:00Z",
        }],
    }]});
    w.fake
        .patch_status(
            API,
            "HTTPRoute",
            Some(NS),
            "web",
            &json!({"status": parents}),
        )
        .expect("the status is written");
}

async fn applied(w: &World) -> (Routers, i64) {
    let routers = router(w, on_web());
    routers
        .apply(&canary("aaa", "bbb", 20))
        .await
        .expect("applied");
    let generation = route(w, "web")["metadata"]["generation"]
        .as_i64()
        .expect("a generation");
    (routers, generation)
}

async fn read(routers: &Routers) -> Option<Value> {
    routers
        .read_back()
        .await
        .expect("read")
        .map(|t| serde_json::to_value(t).expect("serializes"))
}

#[tokio::test]
async fn a_route_no_gateway_reports_on_reads_back_as_written() {
    let w = world().await;
    let (routers, _) = applied(&w).await;
    assert_eq!(
        read(&routers).await,
        Some(json!({"stable": "aaa", "canary": "bbb", "canaryWeight": 20}))
    );
}

#[tokio::test]
async fn a_route_accepted_for_an_older_generation_reads_back_nothing() {
    let w = world().await;
    let (routers, generation) = applied(&w).await;
    report(&w, "True", generation - 1);
    route(&w, "web");

    assert_eq!(read(&routers).await, None);
}

#[tokio::test]
async fn a_route_accepted_for_its_generation_reads_back_the_traffic() {
    let w = world().await;
    let (routers, generation) = applied(&w).await;
    report(&w, "True", generation);
    route(&w, "web");

    assert_eq!(
        read(&routers).await.map(|t| t["canaryWeight"].clone()),
        Some(json!(20))
    );
}

#[tokio::test]
async fn a_route_a_gateway_refused_reads_back_nothing() {
    let w = world().await;
    let (routers, generation) = applied(&w).await;
    report(&w, "False", generation);
    route(&w, "web");

    assert_eq!(read(&routers).await, None);
}

#[tokio::test]
async fn a_new_weight_is_pending_until_the_gateway_catches_up() {
    let w = world().await;
    let (routers, generation) = applied(&w).await;
    report(&w, "True", generation);
    routers
        .apply(&canary("aaa", "bbb", 50))
        .await
        .expect("applied");
    let next = route(&w, "web")["metadata"]["generation"]
        .as_i64()
        .expect("a generation");
    assert!(next > generation, "a weight change is a new generation");

    assert_eq!(
        read(&routers).await,
        None,
        "still accepted for the old weights only"
    );
    report(&w, "True", next);
    assert_eq!(
        read(&routers).await.map(|t| t["canaryWeight"].clone()),
        Some(json!(50))
    );
}
