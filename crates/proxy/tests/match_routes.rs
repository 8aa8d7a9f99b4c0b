//! AND groups over real HTTP: a match route needs every condition, and a
//! mirror with match groups copies only the requests one of them matches.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serin_proxy::{Arm, Condition, MatchGroup, MatchRoute, MirrorSpec, RequestPart};
use support::{TestProxy, Upstream, client, eventually, get, two_arms};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_one_of_two_conditions_stays_on_stable_and_with_both_goes_to_canary() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    table.routes.match_routes = vec![MatchRoute {
        name: "beta".into(),
        all: vec![
            Condition {
                header: Some("x-user".into()),
                exact: Some("beta".into()),
                ..Default::default()
            },
            Condition {
                cookie: Some("canary".into()),
                exact: Some("1".into()),
                ..Default::default()
            },
        ],
        arm: None,
    }];
    let p = TestProxy::start(table).await;
    let c = client();
    let url = p.url("/");
    for (headers, want) in [
        (&[("x-user", "beta")][..], "stable"),
        (&[("cookie", "canary=1")][..], "stable"),
        (&[("x-user", "beta"), ("cookie", "canary=1")][..], "canary"),
        (&[("x-user", "alpha"), ("cookie", "canary=1")][..], "stable"),
    ] {
        for _ in 0..10 {
            assert_eq!(get(&c, &url, headers).await.body, want, "{headers:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_with_a_path_match_copies_only_matching_requests() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    let shadow = Upstream::start("shadow").await;
    let mut arm = table.arms["canary"].clone();
    arm.endpoints = vec![shadow.endpoint()];
    table.arms.insert("shadow".into(), arm);
    table.mirror = Some(MirrorSpec {
        percentage: 100.0,
        matches: vec![MatchGroup {
            all: vec![Condition {
                request: Some(RequestPart::Path),
                prefix: Some("/api/".into()),
                ..Default::default()
            }],
        }],
    });
    let p = TestProxy::start(table).await;
    let c = client();
    for path in ["/api/orders", "/web", "/apiary"] {
        for _ in 0..10 {
            assert_eq!(get(&c, &p.url(path), &[]).await.body, "stable");
        }
    }
    let proxy = p.proxy.clone();
    eventually("mirrored copies finish", Duration::from_secs(20), || {
        let proxy = proxy.clone();
        async move { proxy.in_flight("web", Arm::Shadow).unwrap() == 0 }
    })
    .await;
    assert_eq!(shadow.control.hits(), 10);
}
