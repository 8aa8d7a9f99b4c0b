//! Restore: every VirtualService and DestinationRule back exactly as it
//! was before serin (apart from the metadata the server owns); nothing
//! sent for objects serin never wrote.

use serin_kube_fake::Verb;

use crate::mesh_support::{
    as_written, canary, given, stable, with_header_route, with_mirror_route,
};
use crate::support::{assert_every_state_valid, dr, hosts, path, router, subsets, vs, world};

#[tokio::test]
async fn restore_gives_the_host_form_back_exactly_as_it_was() {
    let w = world().await;
    let before = as_written(vs(&w, "web"));
    let release = [
        canary("aaa", "bbb", 10),
        with_mirror_route(
            with_header_route(canary("aaa", "bbb", 60), "beta"),
            "shadow",
            30,
        ),
        stable("bbb"),
    ];
    let routers = given(router(&w, hosts()), &release).await;

    routers.restore().await.expect("restored");

    assert_eq!(as_written(vs(&w, "web")), before);
    assert_eq!(routers.read_back().await.expect("read"), None);
    assert_every_state_valid(&w, "VirtualService", "web");
}

#[tokio::test]
async fn restore_gives_the_subset_form_back_exactly_as_it_was() {
    let w = world().await;
    let before = (as_written(vs(&w, "web-subsets")), as_written(dr(&w, "web")));
    let release = [
        with_header_route(canary("aaa", "bbb", 10), "beta"),
        canary("aaa", "bbb", 100),
        stable("bbb"),
    ];
    let routers = given(router(&w, subsets()), &release).await;

    routers.restore().await.expect("restored");

    assert_eq!(
        (as_written(vs(&w, "web-subsets")), as_written(dr(&w, "web"))),
        before
    );
    assert_every_state_valid(&w, "VirtualService", "web-subsets");
    assert_every_state_valid(&w, "DestinationRule", "web");
}

#[tokio::test]
async fn restore_sends_nothing_for_objects_serin_never_wrote() {
    let w = world().await;
    let version = w.fake.resource_version();

    router(&w, subsets()).restore().await.expect("restored");

    assert_eq!(w.fake.resource_version(), version);
    assert_eq!(w.requests(Verb::Patch, &path()), 0);
}
