//! Restore: every HTTPRoute back exactly as it was before serin (apart
//! from the metadata the server owns), what others changed meanwhile kept,
//! nothing sent for a route serin never wrote, a deleted route skipped.

use serde_json::json;
use serin_kube_fake::Verb;

use crate::mesh_support::{
    NS, as_written, canary, given, stable, with_header_route, with_mirror_route,
};
use crate::support::{API, assert_every_state_valid, on_web, path, route, router, world};

#[tokio::test]
async fn restore_gives_each_route_back_exactly_as_it_was() {
    let w = world().await;
    let names = ["web", "web-internal"];
    let before: Vec<_> = names.iter().map(|n| as_written(route(&w, n))).collect();
    let routing = json!({
        "managedRoutes": [{"name": "beta"}, {"name": "shadow"}],
        "gatewayAPI": {"httpRoutes": [{"name": "web", "rules": ["primary"]}, {"name": "web-internal"}]},
    });
    let release = [
        canary("aaa", "bbb", 10),
        with_header_route(canary("aaa", "bbb", 10), "beta"),
        with_mirror_route(
            with_header_route(canary("aaa", "bbb", 60), "beta"),
            "shadow",
            30,
        ),
        canary("aaa", "bbb", 100),
        stable("bbb"),
    ];
    let routers = given(router(&w, routing), &release).await;

    routers.restore().await.expect("restored");

    let after: Vec<_> = names.iter().map(|n| as_written(route(&w, n))).collect();
    assert_eq!(after, before);
    assert_eq!(routers.read_back().await.expect("read"), None);
    names.iter().for_each(|n| assert_every_state_valid(&w, n));
}

#[tokio::test]
async fn restore_keeps_what_others_changed_meanwhile() {
    let w = world().await;
    let routers = given(
        router(&w, on_web()),
        &[with_header_route(canary("aaa", "bbb", 10), "beta")],
    )
    .await;
    w.fake
        .patch(API, "HTTPRoute", Some(NS), "web", &json!({"metadata": {"annotations": {"note": "kept"}}, "spec": {"hostnames": ["web.example.org"]}}))
        .expect("another writer");

    routers.restore().await.expect("restored");

    let web = route(&w, "web");
    assert_eq!(web["spec"]["hostnames"], json!(["web.example.org"]));
    assert_eq!(
        web["metadata"]["annotations"],
        json!({"team": "shop", "note": "kept"})
    );
    assert_eq!(
        web["spec"]["rules"][0]["backendRefs"],
        json!([{"name": "web-stable", "port": 80}, {"name": "web-canary", "port": 80, "weight": 0}])
    );
}

#[tokio::test]
async fn restore_sends_nothing_for_routes_serin_never_wrote() {
    let w = world().await;
    let version = w.fake.resource_version();

    router(&w, on_web()).restore().await.expect("restored");

    assert_eq!(w.fake.resource_version(), version);
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}

#[tokio::test]
async fn restore_skips_a_route_deleted_since() {
    let w = world().await;
    let routers = given(router(&w, on_web()), &[canary("aaa", "bbb", 10)]).await;
    w.fake
        .delete(API, "HTTPRoute", Some(NS), "web")
        .expect("deleted");

    routers.restore().await.expect("nothing left to restore");
}
