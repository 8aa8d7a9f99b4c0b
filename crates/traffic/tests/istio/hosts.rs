//! The host form: the owned route's stable and canary hosts weighted, a
//! header route and a mirror route just before the owned route (after
//! `admin`), `maxTrafficWeight`, an abort, and the same traffic twice
//! writing nothing.

use serde_json::json;
use serin_kube_fake::Verb;

use crate::mesh_support::{canary, given, stable, with_header_route, with_mirror_route, written};
use crate::support::{assert_every_state_valid, hosts, path, router, vs, world};

#[tokio::test]
async fn set_weight_moves_the_owned_route_weights_and_records_the_originals() {
    let w = world().await;
    router(&w, hosts())
        .apply(&canary("aaa", "bbb", 20))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&vs(&w, "web")));
    assert_every_state_valid(&w, "VirtualService", "web");
}

#[tokio::test]
async fn a_header_route_goes_before_the_owned_route_and_sends_matching_requests_to_the_canary_host_only()
 {
    let w = world().await;
    router(&w, hosts())
        .apply(&with_header_route(canary("aaa", "bbb", 10), "beta"))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&vs(&w, "web")));
    assert_every_state_valid(&w, "VirtualService", "web");
}

#[tokio::test]
async fn a_mirror_route_goes_before_the_owned_route_and_mirrors_a_percentage_to_the_canary_host() {
    let w = world().await;
    router(&w, hosts())
        .apply(&with_mirror_route(canary("aaa", "bbb", 10), "shadow", 25))
        .await
        .expect("applied");

    insta::assert_yaml_snapshot!(written(&vs(&w, "web")));
    assert_every_state_valid(&w, "VirtualService", "web");
}

#[tokio::test]
async fn max_traffic_weight_scales_both_weights_to_the_total() {
    let w = world().await;
    let mut routing = hosts();
    routing["maxTrafficWeight"] = json!(1000);
    router(&w, routing)
        .apply(&canary("aaa", "bbb", 5))
        .await
        .expect("applied");

    let route = &vs(&w, "web")["spec"]["http"][1]["route"];
    assert_eq!(route[0]["weight"], 950);
    assert_eq!(route[1]["weight"], 50);
}

#[tokio::test]
async fn an_abort_sends_every_weight_back_to_stable_and_drops_serins_routes() {
    let w = world().await;
    let release = [with_mirror_route(
        with_header_route(canary("aaa", "bbb", 40), "beta"),
        "shadow",
        10,
    )];
    let routers = given(router(&w, hosts()), &release).await;

    routers.apply(&stable("aaa")).await.expect("aborted");

    let http = vs(&w, "web")["spec"]["http"].clone();
    let names: Vec<_> = http
        .as_array()
        .expect("http")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("admin"), json!("primary")]);
    assert_eq!(http[1]["route"][0]["weight"], 100);
    assert_eq!(http[1]["route"][1]["weight"], 0);
    assert_eq!(
        routers.read_back().await.expect("read"),
        Some(stable("aaa"))
    );
}

#[tokio::test]
async fn applying_the_same_traffic_again_writes_nothing() {
    let w = world().await;
    let routers = router(&w, hosts());
    let traffic = with_mirror_route(
        with_header_route(canary("aaa", "bbb", 20), "beta"),
        "shadow",
        25,
    );
    routers.apply(&traffic).await.expect("first");
    let version = w.fake.resource_version();
    let patches = w.requests(Verb::Patch, &path());

    routers.apply(&traffic).await.expect("again");

    assert_eq!(w.fake.resource_version(), version);
    assert_eq!(
        w.requests(Verb::Patch, &path()),
        patches,
        "no request to write"
    );
    assert_eq!(routers.read_back().await.expect("read"), Some(traffic));
}

#[tokio::test]
async fn a_route_edited_by_hand_reads_back_nothing() {
    let w = world().await;
    let routers = given(router(&w, hosts()), &[canary("aaa", "bbb", 20)]).await;
    let mut http = vs(&w, "web")["spec"]["http"].clone();
    http[1]["route"][1]["weight"] = json!(50);
    w.fake
        .patch(
            crate::support::API,
            "VirtualService",
            Some("default"),
            "web",
            &json!({"spec": {"http": http}}),
        )
        .expect("edited");

    assert_eq!(routers.read_back().await.expect("read"), None);
}
