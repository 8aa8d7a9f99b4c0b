//! `examples/canary-kubernetes-gateway-api.yaml`: its HTTPRoute passes the
//! CRD schema, its spec's router takes a step of each kind on it (every
//! state valid), and gives it back as it was.

use serde_json::{Value, json};
use serin_traffic::TrafficRouter;
use serin_traffic::gateway_api::GatewayApiRouter;

use crate::mesh_support::examples::Example;
use crate::mesh_support::{
    as_written, canary, schema, stable, with_header_route, with_mirror_route,
};
use crate::support::API;

#[tokio::test]
async fn the_example_route_takes_every_kind_of_step_and_is_given_back() {
    let ex = Example::load(include_str!(
        "../../../../examples/canary-kubernetes-gateway-api.yaml"
    ))
    .await;
    let stored = || {
        ex.fake
            .object(API, "HTTPRoute", Some("shop"), "checkout")
            .expect("the example's route")
    };
    let before = as_written(stored());
    let router = GatewayApiRouter::for_spec(&ex.target, &ex.spec).expect("a router");

    let step = with_mirror_route(
        with_header_route(canary("aaa", "bbb", 5), "qa-header"),
        "shadow",
        20,
    );
    router.apply(&step).await.expect("applied");

    let route = stored();
    let names: Vec<Value> = route["spec"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            json!("serin-affinity"),
            json!("serin-qa-header"),
            json!("serin-shadow"),
            json!("main"),
            json!("static")
        ]
    );
    let main = &route["spec"]["rules"][3]["backendRefs"];
    assert_eq!(
        (main[0]["weight"].clone(), main[1]["weight"].clone()),
        (json!(950), json!(50))
    );

    router.apply(&stable("aaa")).await.expect("aborted");
    router.restore().await.expect("restored");
    assert_eq!(as_written(stored()), before);
    for change in ex.fake.history_of("HTTPRoute", Some("shop"), "checkout") {
        schema::assert_valid(&change.object);
    }
}
