//! Routing through a real proxy to real upstreams: split accuracy,
//! stickiness, header / cookie / allow-list routes, h2c, and mirroring.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use http::StatusCode;
use serin_proxy::{
    Arm, CookieRoute, HeaderRoute, MirrorSpec, ProxyConfig, StickyCookie, UpstreamProtocol,
};
use support::{TestProxy, Upstream, binomial_999, client, eventually, get, tally, two_arms};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_canary_lands_within_the_binomial_interval_over_10000_requests() {
    let (_stable, _canary, table) = two_arms(10).await;
    let p = TestProxy::start(table).await;
    let n = 10_000;
    let seen = tally(&p.url("/"), n, 16).await;
    let canary = seen.get("canary").copied().unwrap_or(0);
    let stable = seen.get("stable").copied().unwrap_or(0);
    assert_eq!(
        canary + stable,
        n,
        "every request answered by an arm: {seen:?}"
    );
    let (lo, hi) = binomial_999(n, 0.10);
    assert!(
        (lo..=hi).contains(&(canary as f64)),
        "{canary} canary answers outside [{lo:.0}, {hi:.0}]"
    );
    let snap = p.proxy.metrics().snapshot();
    assert_eq!(snap.arm("web", Arm::Canary).0, canary as u64);
    assert_eq!(snap.arm("web", Arm::Stable).0, stable as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sticky_clients_keep_their_arm_and_canary_clients_stay_as_the_weight_grows() {
    let (_stable, _canary, mut table) = two_arms(20).await;
    table.sticky_cookie = Some(StickyCookie {
        name: "serin-bucket".into(),
        max_age_seconds: Some(3600),
    });
    let p = TestProxy::start(table).await;
    let c = client();
    let mut clients = Vec::new();
    for _ in 0..300 {
        let first = get(&c, &p.url("/"), &[]).await;
        let set = first.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(set.contains("Max-Age=3600"), "{set}");
        let cookie = set.split(';').next().unwrap().to_owned();
        clients.push((cookie, first.body));
    }
    assert!(clients.iter().any(|(_, arm)| arm == "canary"));
    for (cookie, arm) in &clients {
        let again = get(&c, &p.url("/"), &[("cookie", cookie)]).await;
        assert_eq!(&again.body, arm, "same weight, same arm for {cookie}");
        assert!(
            !again.headers.contains_key("set-cookie"),
            "a known client gets no new cookie"
        );
    }
    for canary in [30, 50, 90] {
        p.proxy.set_weights("web", 100 - canary, canary).unwrap();
        for (cookie, arm) in clients.iter().filter(|(_, a)| a == "canary") {
            let again = get(&c, &p.url("/"), &[("cookie", cookie)]).await;
            assert_eq!(
                &again.body, arm,
                "canary client {cookie} moved at weight {canary}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_routes_send_matching_requests_to_canary_whatever_the_weight() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    table.routes.header_routes = vec![
        HeaderRoute {
            header: "x-canary".into(),
            exact: Some("always".into()),
            ..Default::default()
        },
        HeaderRoute {
            header: "x-user".into(),
            prefix: Some("beta-".into()),
            ..Default::default()
        },
        HeaderRoute {
            header: "x-tenant".into(),
            regex: Some("^t[0-9]{3}$".into()),
            ..Default::default()
        },
    ];
    let p = TestProxy::start(table).await;
    let c = client();
    let url = p.url("/");
    for (h, v, want) in [
        ("x-canary", "always", "canary"),
        ("x-canary", "always-not", "stable"),
        ("x-user", "beta-ann", "canary"),
        ("x-user", "ann-beta-", "stable"),
        ("x-tenant", "t123", "canary"),
        ("x-tenant", "t1234", "stable"),
    ] {
        for _ in 0..20 {
            assert_eq!(get(&c, &url, &[(h, v)]).await.body, want, "{h}: {v}");
        }
    }
    for _ in 0..50 {
        assert_eq!(get(&c, &url, &[]).await.body, "stable");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_routes_and_the_allow_list_send_matching_clients_to_canary() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    table.routes.cookie_routes = vec![CookieRoute {
        cookie: "beta".into(),
        exact: Some("yes".into()),
        ..Default::default()
    }];
    let p = TestProxy::start(table.clone()).await;
    let c = client();
    let url = p.url("/");
    for _ in 0..20 {
        assert_eq!(
            get(&c, &url, &[("cookie", "a=1; beta=yes")]).await.body,
            "canary"
        );
        assert_eq!(get(&c, &url, &[("cookie", "beta=no")]).await.body, "stable");
    }
    let mut listed = table.clone();
    listed.routes.allow_list = vec!["127.0.0.1".into()];
    p.proxy.set_routing("web", listed).unwrap();
    for _ in 0..20 {
        assert_eq!(
            get(&c, &url, &[]).await.body,
            "canary",
            "127.0.0.1 is allow-listed"
        );
    }
    let mut elsewhere = table;
    elsewhere.routes.allow_list = vec!["10.0.0.0/8".into()];
    p.proxy.set_routing("web", elsewhere).unwrap();
    for _ in 0..20 {
        assert_eq!(
            get(&c, &url, &[]).await.body,
            "stable",
            "127.0.0.1 is not in 10/8"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_route_reaches_the_preview_arm_over_h2c_end_to_end() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    let preview = Upstream::start("preview").await;
    let mut arm = table.arms["canary"].clone();
    arm.version = "v3".into();
    arm.endpoints = vec![preview.endpoint()];
    arm.protocol = UpstreamProtocol::H2c;
    table.arms.insert("preview".into(), arm);
    table.routes.header_routes.push(HeaderRoute {
        header: "x-preview".into(),
        exact: Some("1".into()),
        arm: Some("preview".into()),
        ..Default::default()
    });
    let p = TestProxy::start(table).await;
    let h2: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build_http();
    for (headers, want) in [(&[("x-preview", "1")][..], "preview"), (&[][..], "stable")] {
        let a = get(&h2, &p.url("/"), headers).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, want));
    }
    assert_eq!(preview.control.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shadow_gets_its_share_and_clients_see_only_stable_responses() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    let shadow = Upstream::start("shadow").await;
    let mut arm = table.arms["canary"].clone();
    arm.version = "v2-shadow".into();
    arm.endpoints = vec![shadow.endpoint()];
    table.arms.insert("shadow".into(), arm);
    table.mirror = Some(MirrorSpec::all(30.0));
    let p = TestProxy::start(table).await;
    let n = 2_000;
    let seen = tally(&p.url("/"), n, 8).await;
    assert_eq!(seen.get("stable").copied(), Some(n), "{seen:?}");
    let proxy = p.proxy.clone();
    eventually("mirrored copies finish", Duration::from_secs(20), || {
        let proxy = proxy.clone();
        async move { proxy.in_flight("web", Arm::Shadow).unwrap() == 0 }
    })
    .await;
    let copies = shadow.control.hits();
    let (lo, hi) = binomial_999(n, 0.30);
    assert!(
        (lo..=hi).contains(&(copies as f64)),
        "{copies} copies outside [{lo:.0}, {hi:.0}]"
    );
    assert_eq!(
        p.proxy.metrics().snapshot().arm("web", Arm::Shadow),
        (copies, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_shadow_never_delays_clients_and_its_copies_stay_bounded() {
    let (_stable, _canary, mut table) = two_arms(0).await;
    let shadow = Upstream::start("shadow").await;
    shadow.control.hold();
    let mut arm = table.arms["canary"].clone();
    arm.endpoints = vec![shadow.endpoint()];
    table.arms.insert("shadow".into(), arm);
    table.mirror = Some(MirrorSpec::all(100.0));
    let mut config = ProxyConfig::single("web", "127.0.0.1:0".parse().unwrap(), table);
    config.mirror_limits.max_in_flight = 8;
    let p = TestProxy::start_with(config).await;
    let seen = tally(&p.url("/"), 200, 4).await;
    assert_eq!(seen.get("stable").copied(), Some(200), "{seen:?}");
    assert!(p.proxy.in_flight("web", Arm::Shadow).unwrap() <= 8);
    assert!(shadow.control.hits() <= 8);
    shadow.control.release();
    let proxy = p.proxy.clone();
    eventually("held copies finish", Duration::from_secs(20), || {
        let proxy = proxy.clone();
        async move { proxy.in_flight("web", Arm::Shadow).unwrap() == 0 }
    })
    .await;
}
