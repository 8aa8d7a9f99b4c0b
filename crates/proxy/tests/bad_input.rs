//! Bad configuration and bad routing changes are refused with the exact field
//! path, and the routing in effect stays as it was.
#![allow(clippy::unwrap_used)]

mod support;

use serin_proxy::{Arm, HeaderRoute, ProxyConfig, ProxyError, RoutingTable};
use support::{TestProxy, client, get, two_arms};

const FIXTURE: &str = include_str!("fixtures/proxy.yaml");

fn config_error(yaml: &str) -> String {
    match ProxyConfig::from_yaml(yaml) {
        Err(e @ (ProxyError::InvalidConfig(_) | ProxyError::ParseConfig(_))) => e.to_string(),
        other => panic!("expected a refused config, got {other:?}"),
    }
}

#[test]
fn the_documented_fixture_config_is_valid() {
    let config = ProxyConfig::from_yaml(FIXTURE).unwrap();
    assert_eq!(config.listeners.len(), 2);
    assert_eq!(config.listeners[0].routing.weights["canary"], 10);
    assert_eq!(config.listeners[1].rollout_name(), "api");
    let routing = &config.listeners[0].routing;
    assert_eq!(routing.routes.match_routes[0].all.len(), 3);
    assert_eq!(routing.mirror.as_ref().unwrap().matches[0].all.len(), 2);
}

#[test]
fn config_weights_that_do_not_sum_to_100_are_refused_naming_the_field() {
    let yaml = FIXTURE.replace("{stable: 90, canary: 10}", "{stable: 90, canary: 5}");
    assert_eq!(
        config_error(&yaml),
        "invalid config: listeners[0].routing.weights: stable + canary must sum to 100, got 90 + 5 = 95"
    );
}

#[test]
fn config_with_an_unknown_arm_is_refused_naming_the_field() {
    let yaml = FIXTURE.replace("        shadow:\n", "        blue:\n");
    assert_eq!(
        config_error(&yaml),
        "invalid config: listeners[0].routing.arms.blue: unknown arm \"blue\" (expected stable, canary, preview or shadow)"
    );
    let yaml = FIXTURE.replace("{stable: 90, canary: 10}", "{stable: 90, green: 10}");
    assert!(
        config_error(&yaml)
            .starts_with("invalid config: listeners[0].routing.weights.green: unknown arm")
    );
}

#[test]
fn config_with_an_arm_without_endpoints_is_refused_naming_the_field() {
    let yaml = FIXTURE.replace("endpoints: [127.0.0.1:9101]", "endpoints: []");
    assert_eq!(
        config_error(&yaml),
        "invalid config: listeners[0].routing.arms.canary.endpoints: an arm needs at least one endpoint"
    );
}

#[test]
fn config_with_a_regex_that_does_not_compile_is_refused_naming_the_field() {
    let yaml = FIXTURE.replace("^beta-[a-z]+$", "^beta-([a-z]+$");
    let message = config_error(&yaml);
    assert!(
        message.starts_with(
            "invalid config: listeners[0].routing.routes.headerRoutes[1].regex: unclosed group"
        ),
        "{message}"
    );
}

#[test]
fn config_with_a_misspelled_key_is_refused_naming_the_key() {
    let yaml = FIXTURE.replace("stickyCookie:", "stickyCokie:");
    let message = config_error(&yaml);
    assert!(message.contains("stickyCokie"), "{message}");
}

#[test]
fn config_with_duplicate_listener_names_is_refused_naming_the_field() {
    let yaml = FIXTURE.replace("name: api", "name: web");
    assert_eq!(
        config_error(&yaml),
        "invalid config: listeners[1].name: duplicate listener name \"web\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_routing_change_leaves_the_routing_in_effect_unchanged() {
    let (_stable, _canary, table) = two_arms(0).await;
    let p = TestProxy::start(table.clone()).await;
    let before = p.proxy.routing("web").unwrap();
    let mut regex = table.clone().with_weights(0, 100);
    regex.routes.header_routes = vec![
        HeaderRoute {
            header: "x-a".into(),
            exact: Some("1".into()),
            ..Default::default()
        },
        HeaderRoute {
            header: "x-b".into(),
            regex: Some("(unclosed".into()),
            ..Default::default()
        },
    ];
    let mut no_endpoints = table.clone().with_weights(0, 100);
    no_endpoints
        .arms
        .get_mut("canary")
        .unwrap()
        .endpoints
        .clear();
    let mut unknown_arm = table.clone().with_weights(0, 100);
    unknown_arm
        .arms
        .insert("purple".into(), table.arms["canary"].clone());
    let cases: Vec<(RoutingTable, &str)> = vec![
        (
            table.clone().with_weights(50, 60),
            "weights: stable + canary must sum to 100, got 50 + 60 = 110",
        ),
        (regex, "routes.headerRoutes[1].regex: unclosed group"),
        (
            no_endpoints,
            "arms.canary.endpoints: an arm needs at least one endpoint",
        ),
        (unknown_arm, "arms.purple: unknown arm \"purple\""),
    ];
    let c = client();
    for (bad, expected) in cases {
        let err = p.proxy.set_routing("web", bad).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("invalid routing table: {expected}")),
            "{message}"
        );
        assert_eq!(
            p.proxy.routing("web").unwrap(),
            before,
            "routing unchanged after {expected}"
        );
        for _ in 0..10 {
            assert_eq!(
                get(&c, &p.url("/"), &[]).await.body,
                "stable",
                "traffic unchanged after {expected}"
            );
        }
    }
    assert!(matches!(
        p.proxy.set_weights("web", 10, 10),
        Err(ProxyError::InvalidTable(e)) if e.field == "weights"
    ));
    assert!(matches!(
        p.proxy.set_routing("nope", table),
        Err(ProxyError::UnknownListener(_))
    ));
    assert!(matches!(
        p.proxy.begin_drain("web", Arm::Preview),
        Err(ProxyError::UndefinedArm { .. })
    ));
}
