//! `for_rollout`: the routers a spec needs.

use serde_json::json;

use crate::support::World;

#[tokio::test]
async fn a_spec_naming_no_service_has_no_router() {
    let w = World::start().await;
    let routers = w.routers(json!({"canary": {"steps": [{"setWeight": 20}]}}));
    assert!(routers.is_empty());
    assert_eq!(routers.read_back().await.expect("read"), None);
}

#[tokio::test]
async fn a_spec_naming_services_gets_the_service_router() {
    let w = World::start().await;
    for strategy in [
        json!({"blueGreen": {"activeService": "web-active"}}),
        json!({"canary": {"canaryService": "web-canary"}}),
        json!({"canary": {"stableService": "web-stable", "canaryService": "web-canary"}}),
    ] {
        assert_eq!(
            w.routers(strategy.clone()).names(),
            ["service"],
            "{strategy}"
        );
    }
}
