//! Which steps of a spec each router refuses, found from the spec alone.

use serde_json::json;
use serin_api::RolloutSpec;

use super::check;

fn spec(routing: serde_json::Value, steps: serde_json::Value) -> RolloutSpec {
    serde_json::from_value(json!({"strategy": {"canary": {
        "stableService": "web-stable",
        "canaryService": "web-canary",
        "trafficRouting": routing,
        "steps": steps,
    }}}))
    .expect("a spec")
}

fn nginx() -> serde_json::Value {
    json!({"managedRoutes": [{"name": "a"}, {"name": "b"}], "nginx": {"stableIngress": "web"}})
}

fn header(name: &str, header: &str) -> serde_json::Value {
    json!({"setHeaderRoute": {"name": name, "match": [{"headerName": header, "headerValue": {"exact": "1"}}]}})
}

fn lines(spec: &RolloutSpec) -> Vec<String> {
    check(spec).iter().map(ToString::to_string).collect()
}

#[test]
fn a_second_header_route_in_effect_is_refused_at_the_step_that_adds_it() {
    let s = spec(
        nginx(),
        json!([header("a", "x-a"), {"setWeight": 10}, header("b", "x-b")]),
    );
    assert_eq!(
        lines(&s),
        [
            "spec.strategy.canary.steps[2].setHeaderRoute: is a second header route (after 'a'); \
          a canary Ingress holds one header rule"
        ]
    );
}

#[test]
fn a_header_route_removed_before_the_next_is_added_is_accepted() {
    let s = spec(
        nginx(),
        json!([header("a", "x-a"), {"setHeaderRoute": {"name": "a"}}, header("b", "x-b")]),
    );
    assert_eq!(lines(&s), Vec::<String>::new());
}

#[test]
fn a_refusal_in_effect_over_several_steps_is_reported_once() {
    let s = spec(
        nginx(),
        json!([{"setMirrorRoute": {"name": "a", "percentage": 10}}, header("b", "x-b"), {"setWeight": 20}]),
    );
    assert_eq!(
        lines(&s),
        [
            "spec.strategy.canary.steps[0].setMirrorRoute: is a mirror route; ingress-nginx canary \
          annotations cannot mirror"
        ]
    );
}

#[test]
fn only_the_routers_the_spec_names_are_asked() {
    let two_cookies = json!([{"setHeaderRoute": {"name": "a", "match": [
        {"cookieName": "x", "cookieValue": {"exact": "always"}},
        {"cookieName": "y", "cookieValue": {"exact": "always"}},
    ]}}]);
    let gateway = json!({"managedRoutes": [{"name": "a"}], "gatewayAPI": {"httpRoute": "web"}});
    let found = check(&spec(gateway, two_cookies.clone()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].router, "gatewayAPI");
    assert_eq!(
        found[0].path,
        "spec.strategy.canary.steps[0].setHeaderRoute.match[1]"
    );
    let none = json!({"managedRoutes": [{"name": "a"}]});
    assert_eq!(check(&spec(none, two_cookies)), vec![]);
}
