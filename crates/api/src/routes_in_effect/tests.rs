//! How the routes in effect follow a canary's steps.

use super::RoutesInEffect;
use crate::canary::{CanaryStep, SetHeaderRoute, SetMirrorRoute};
use crate::routes::{HeaderRoutingMatch, RouteMatch, StringMatch};

fn header(name: &str, value: Option<&str>) -> CanaryStep {
    let matches = value
        .map(|v| HeaderRoutingMatch {
            header_name: Some("x-canary".into()),
            header_value: Some(StringMatch {
                exact: Some(v.into()),
                ..StringMatch::default()
            }),
            ..HeaderRoutingMatch::default()
        })
        .into_iter()
        .collect();
    CanaryStep {
        set_header_route: Some(SetHeaderRoute {
            name: name.into(),
            matches,
        }),
        ..CanaryStep::default()
    }
}

fn mirror(name: &str, path: Option<&str>, percentage: Option<i32>) -> CanaryStep {
    let matches = path
        .map(|p| RouteMatch {
            path: Some(StringMatch {
                prefix: Some(p.into()),
                ..StringMatch::default()
            }),
            ..RouteMatch::default()
        })
        .into_iter()
        .collect();
    CanaryStep {
        set_mirror_route: Some(SetMirrorRoute {
            name: name.into(),
            matches,
            percentage,
        }),
        ..CanaryStep::default()
    }
}

fn walk(steps: &[CanaryStep]) -> RoutesInEffect {
    let mut routes = RoutesInEffect::default();
    for (i, step) in steps.iter().enumerate() {
        routes.step(i, step.kind());
    }
    routes
}

fn header_names(r: &RoutesInEffect) -> Vec<String> {
    r.header_routes().into_iter().map(|h| h.name).collect()
}

fn mirror_names(r: &RoutesInEffect) -> Vec<String> {
    r.mirror_routes().into_iter().map(|m| m.name).collect()
}

#[test]
fn only_route_steps_are_reported_as_changing_the_routes() {
    let mut routes = RoutesInEffect::default();
    assert!(!routes.step(0, CanaryStep::weight(10).kind()));
    assert!(!routes.step(1, CanaryStep::pause(None).kind()));
    assert!(!routes.step(2, CanaryStep::default().kind()));
    assert!(routes.step(3, header("a", Some("1")).kind()));
    assert!(routes.step(4, mirror("m", None, Some(5)).kind()));
    assert_eq!(routes.header_step(0), Some(3));
    assert_eq!(routes.mirror_step(0), Some(4));
}

#[test]
fn a_route_of_the_same_name_replaces_the_earlier_one_and_goes_last() {
    let routes = walk(&[
        header("a", Some("1")),
        header("b", Some("1")),
        header("a", Some("2")),
    ]);
    assert_eq!(header_names(&routes), ["b", "a"]);
    assert_eq!(routes.header_step(1), Some(2));
    let value = &routes.header_routes()[1].matches[0].header_value;
    assert_eq!(value.as_ref().and_then(|v| v.exact.as_deref()), Some("2"));
}

#[test]
fn a_header_route_with_no_match_removes_the_route_of_its_name() {
    let routes = walk(&[
        header("a", Some("1")),
        header("b", Some("1")),
        header("a", None),
    ]);
    assert_eq!(header_names(&routes), ["b"]);
    assert_eq!(routes.header_step(0), Some(1));
    assert_eq!(routes.header_step(1), None);
}

#[test]
fn a_mirror_route_with_no_match_and_no_percentage_removes_the_route_of_its_name() {
    let routes = walk(&[mirror("m", Some("/api"), None), mirror("m", None, None)]);
    assert!(routes.mirror_routes().is_empty());
}

#[test]
fn a_mirror_route_with_a_percentage_and_no_match_mirrors_every_request() {
    let routes = walk(&[mirror("m", None, Some(25))]);
    let m = &routes.mirror_routes()[0];
    assert!(m.matches.is_empty());
    assert_eq!(m.percentage, 25);
}

#[test]
fn a_mirror_percentage_defaults_to_100_and_is_clamped_to_0_through_100() {
    let routes = walk(&[
        mirror("a", Some("/a"), None),
        mirror("b", Some("/b"), Some(150)),
        mirror("c", Some("/c"), Some(-5)),
    ]);
    let got: Vec<i32> = routes
        .mirror_routes()
        .iter()
        .map(|m| m.percentage)
        .collect();
    assert_eq!(got, [100, 100, 0]);
}

#[test]
fn header_and_mirror_routes_of_the_same_name_are_independent() {
    let routes = walk(&[
        header("x", Some("1")),
        mirror("x", Some("/x"), None),
        header("x", None),
    ]);
    assert!(routes.header_routes().is_empty());
    assert_eq!(mirror_names(&routes), ["x"]);
}
