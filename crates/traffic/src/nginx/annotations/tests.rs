//! The annotations of each kind of traffic, and the traffic NGINX cannot
//! express.

use serde_json::{Value as Json, json};
use serin_api::routes::{HeaderRoute, MirrorRoute};
use serin_api::status::Traffic;

use super::*;
use crate::nginx::testing::{config, weighted};

fn route(name: &str, matches: Json) -> HeaderRoute {
    serde_json::from_value(json!({"name": name, "match": matches})).expect("a route")
}

fn with_routes(routes: Vec<HeaderRoute>) -> Traffic {
    Traffic {
        header_routes: routes,
        ..weighted(0)
    }
}

fn rendered(config: &NginxConfig, traffic: &Traffic) -> Json {
    json!(render(config, traffic).expect("expressible"))
}

fn refusal(traffic: &Traffic) -> String {
    render(&config(None), traffic)
        .expect_err("not expressible")
        .to_string()
}

#[test]
fn a_weight_is_the_canary_weight_annotation() {
    assert_eq!(
        rendered(&config(None), &weighted(20)),
        json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "20",
        })
    );
}

#[test]
fn a_max_traffic_weight_above_100_scales_the_weight_and_sets_the_total() {
    assert_eq!(
        rendered(&config(Some(1000)), &weighted(5)),
        json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "50",
            "nginx.ingress.kubernetes.io/canary-weight-total": "1000",
        })
    );
    assert_eq!(scaled_weight(33, Some(250)), (83, Some(250)), "rounded");
    assert_eq!(scaled_weight(100, Some(250)), (250, Some(250)));
}

#[test]
fn a_max_traffic_weight_of_100_or_less_writes_the_percentage_nginx_counts_out_of_100() {
    assert_eq!(scaled_weight(20, Some(100)), (20, None));
    assert_eq!(scaled_weight(20, Some(50)), (20, None));
    assert_eq!(scaled_weight(150, None), (100, None), "clamped");
}

#[test]
fn an_exact_header_match_is_a_header_value() {
    let t = with_routes(vec![route(
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"exact": "yes"}}]),
    )]);
    assert_eq!(
        rendered(&config(None), &t),
        json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "0",
            "nginx.ingress.kubernetes.io/canary-by-header": "x-qa",
            "nginx.ingress.kubernetes.io/canary-by-header-value": "yes",
        })
    );
}

#[test]
fn a_prefix_header_match_is_an_escaped_anchored_pattern() {
    let t = with_routes(vec![route(
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"prefix": "team.a-"}}]),
    )]);
    assert_eq!(
        rendered(&config(None), &t)["nginx.ingress.kubernetes.io/canary-by-header-pattern"],
        json!(r"^team\.a-")
    );
}

#[test]
fn a_regex_header_match_is_a_pattern_anchored_at_both_ends() {
    let t = with_routes(vec![route(
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"regex": "a|b"}}]),
    )]);
    let got = rendered(&config(None), &t);
    assert_eq!(
        got["nginx.ingress.kubernetes.io/canary-by-header-pattern"],
        json!("^(?:a|b)$")
    );
    assert_eq!(
        got.get("nginx.ingress.kubernetes.io/canary-by-header-value"),
        None
    );
}

#[test]
fn an_empty_exact_value_is_a_pattern_since_nginx_reads_an_empty_value_as_unset() {
    let t = with_routes(vec![route(
        "qa",
        json!([{"headerName": "x-qa", "headerValue": {"exact": ""}}]),
    )]);
    assert_eq!(
        rendered(&config(None), &t)["nginx.ingress.kubernetes.io/canary-by-header-pattern"],
        json!("^$")
    );
}

#[test]
fn a_cookie_set_to_always_is_a_cookie_rule_beside_a_header_rule() {
    let t = with_routes(vec![
        route(
            "qa",
            json!([{"headerName": "x-qa", "headerValue": {"exact": "yes"}}]),
        ),
        route(
            "beta",
            json!([{"cookieName": "beta", "cookieValue": {"exact": "always"}}]),
        ),
    ]);
    let got = rendered(&config(None), &t);
    assert_eq!(
        got["nginx.ingress.kubernetes.io/canary-by-cookie"],
        json!("beta")
    );
    assert_eq!(
        got["nginx.ingress.kubernetes.io/canary-by-header"],
        json!("x-qa")
    );
}

#[test]
fn a_route_with_two_matches_is_refused() {
    let t = with_routes(vec![route(
        "qa",
        json!([
            {"headerName": "x-qa", "headerValue": {"exact": "yes"}},
            {"headerName": "x-team", "headerValue": {"exact": "a"}},
        ]),
    )]);
    assert_eq!(
        refusal(&t),
        "nginx: route 'qa' has 2 matches; ingress-nginx matches one header or one cookie per rule"
    );
}

#[test]
fn two_header_routes_are_refused() {
    let one = |name: &str| {
        route(
            name,
            json!([{"headerName": "x-qa", "headerValue": {"exact": "yes"}}]),
        )
    };
    let t = with_routes(vec![one("a"), one("b")]);
    assert!(refusal(&t).contains("route 'b' is a second header route (after 'a')"));
}

#[test]
fn a_cookie_value_other_than_always_is_refused() {
    let t = with_routes(vec![route(
        "beta",
        json!([{"cookieName": "beta", "cookieValue": {"exact": "yes"}}]),
    )]);
    assert!(refusal(&t).contains("other than exactly 'always'"));
}

#[test]
fn a_mirror_route_is_refused() {
    let t = Traffic {
        mirror_routes: vec![MirrorRoute {
            name: "shadow".into(),
            matches: vec![],
            percentage: 10,
        }],
        ..weighted(10)
    };
    assert!(refusal(&t).contains("route 'shadow' is a mirror route"));
}
