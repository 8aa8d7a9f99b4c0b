//! `examples/canary-kubernetes-istio.yaml`: its VirtualService and
//! DestinationRule pass the CRD schemas, its spec's router takes a step of
//! each kind on them (every state valid), and gives them back as they were.

use serde_json::{Value, json};
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;
use serin_traffic::TrafficRouter;
use serin_traffic::istio::IstioRouter;

use crate::mesh_support::examples::Example;
use crate::mesh_support::{
    as_written, canary, schema, stable, with_header_route, with_mirror_route,
};
use crate::support::API;

#[tokio::test]
async fn the_example_mesh_takes_every_kind_of_step_and_is_given_back() {
    let ex = Example::load(include_str!(
        "../../../../examples/canary-kubernetes-istio.yaml"
    ))
    .await;
    let stored = |kind: &str| {
        ex.fake
            .object(API, kind, Some("shop"), "checkout")
            .expect("the example's object")
    };
    let before = (
        as_written(stored("VirtualService")),
        as_written(stored("DestinationRule")),
    );
    let router = IstioRouter::for_spec(&ex.target, &ex.spec).expect("a router");

    let step = with_mirror_route(
        with_header_route(canary("aaa", "bbb", 10), "beta"),
        "shadow",
        50,
    );
    router.apply(&step).await.expect("applied");

    let vs = stored("VirtualService");
    let names: Vec<Value> = vs["spec"]["http"]
        .as_array()
        .expect("http")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("admin"),
            json!("serin-beta"),
            json!("serin-shadow"),
            json!("primary")
        ]
    );
    assert_eq!(
        stored("DestinationRule")["spec"]["subsets"][1]["labels"][HASH],
        "bbb"
    );

    router.apply(&stable("aaa")).await.expect("aborted");
    router.restore().await.expect("restored");
    assert_eq!(
        (
            as_written(stored("VirtualService")),
            as_written(stored("DestinationRule"))
        ),
        before
    );
    for kind in ["VirtualService", "DestinationRule"] {
        for change in ex.fake.history_of(kind, Some("shop"), "checkout") {
            schema::assert_valid(&change.object);
        }
    }
}
