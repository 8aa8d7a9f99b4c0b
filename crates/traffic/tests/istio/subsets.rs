//! The subset form: the DestinationRule's stable and canary subsets
//! narrowed to the revisions, written before the VirtualService's weights;
//! an abort points both subsets at stable.

use serde_json::json;
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;

use crate::mesh_support::{canary, given, stable, with_header_route, written};
use crate::support::{assert_every_state_valid, dr, router, subsets, vs, world};

#[tokio::test]
async fn set_weight_narrows_each_subset_to_its_revision_and_weights_the_subsets() {
    let w = world().await;
    router(&w, subsets())
        .apply(&with_header_route(canary("aaa", "bbb", 30), "beta"))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!("destination_rule", written(&dr(&w, "web")));
    insta::assert_yaml_snapshot!("virtual_service", written(&vs(&w, "web-subsets")));
    assert_every_state_valid(&w, "DestinationRule", "web");
    assert_every_state_valid(&w, "VirtualService", "web-subsets");
}

#[tokio::test]
async fn the_subsets_move_before_the_weights() {
    let w = world().await;
    router(&w, subsets())
        .apply(&canary("aaa", "bbb", 30))
        .await
        .expect("applied");

    let rule = w.fake.history_of("DestinationRule", Some("default"), "web");
    let service = w
        .fake
        .history_of("VirtualService", Some("default"), "web-subsets");
    let (Some(rule), Some(service)) = (rule.last(), service.last()) else {
        panic!("both written");
    };
    assert!(rule.resource_version < service.resource_version);
}

#[tokio::test]
async fn an_abort_points_both_subsets_at_stable() {
    let w = world().await;
    let routers = given(router(&w, subsets()), &[canary("aaa", "bbb", 50)]).await;

    routers.apply(&stable("aaa")).await.expect("aborted");

    let subsets = dr(&w, "web")["spec"]["subsets"].clone();
    assert_eq!(subsets[0]["labels"], json!({"app": "web", HASH: "aaa"}));
    assert_eq!(subsets[1]["labels"], json!({HASH: "aaa"}));
    assert_eq!(subsets[2]["labels"], json!({"app": "web", "debug": "true"}));
    let route = &vs(&w, "web-subsets")["spec"]["http"][0]["route"];
    assert_eq!(
        (route[0]["weight"].clone(), route[1]["weight"].clone()),
        (json!(100), json!(0))
    );
    assert_eq!(
        routers.read_back().await.expect("read"),
        Some(stable("aaa"))
    );
}

#[tokio::test]
async fn a_subset_moved_by_hand_reads_back_nothing() {
    let w = world().await;
    let routers = given(router(&w, subsets()), &[canary("aaa", "bbb", 50)]).await;
    let mut list = dr(&w, "web")["spec"]["subsets"].clone();
    list[1]["labels"][HASH] = json!("ccc");
    w.fake
        .patch(
            crate::support::API,
            "DestinationRule",
            Some("default"),
            "web",
            &json!({"spec": {"subsets": list}}),
        )
        .expect("edited");

    assert_eq!(routers.read_back().await.expect("read"), None);
}
