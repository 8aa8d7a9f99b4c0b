//! Rules of the canary strategy: the steps form or the Flagger form (not
//! both), exactly one field per step and each step's own rules, weights and
//! their bounds, routes managed by the router on Kubernetes, background
//! analysis, and the strategy's durations and delays.

use super::common::{check_duration, check_exactly_one, check_non_negative, check_range};
use super::rollout::Platform;
use super::routes::{check_header_routing_match, check_route_match};
use super::{Context, Errors, Path, analysis_ref};
use crate::canary::{CanaryStep, CanaryStrategy, SetCanaryScale};
use crate::traffic_routing::TrafficRouting;

/// Every field a step may have, in declaration order.
const STEP_FIELDS: [&str; 6] = [
    "setWeight",
    "pause",
    "analysis",
    "setCanaryScale",
    "setHeaderRoute",
    "setMirrorRoute",
];

/// Every rule of a canary strategy at `path`.
pub(crate) fn check(
    canary: &CanaryStrategy,
    platform: Platform,
    context: &Context,
    path: &Path,
    errors: &mut Errors,
) {
    check_form(canary, path, errors);
    let max_weight = canary
        .traffic_routing
        .as_ref()
        .and_then(|t| t.max_traffic_weight);
    let managed: Option<Vec<&str>> = (platform == Platform::Kubernetes).then(|| {
        canary
            .traffic_routing
            .iter()
            .flat_map(|t| t.managed_routes.iter().map(|r| r.name.as_str()))
            .collect()
    });
    for (i, step) in canary.steps.iter().enumerate() {
        let step_path = path.field("steps").index(i);
        check_step(
            step,
            max_weight,
            managed.as_deref(),
            context,
            &step_path,
            errors,
        );
    }
    if let Some(routing) = &canary.traffic_routing {
        check_traffic_routing(routing, canary, platform, path, errors);
    }
    if let Some(analysis) = &canary.analysis {
        let analysis_path = path.field("analysis");
        analysis_ref::check(
            &analysis.templates,
            &analysis.args,
            context,
            &analysis_path,
            errors,
        );
        if let Some(start) = analysis.starting_step {
            let steps = canary.effective_steps().len();
            if start < 0 {
                errors.push(
                    &analysis_path.field("startingStep"),
                    format!("{start} is negative"),
                );
            } else if usize::try_from(start).unwrap_or(usize::MAX) >= steps {
                errors.push(
                    &analysis_path.field("startingStep"),
                    format!("{start} is not below the number of steps ({steps})"),
                );
            }
        }
    }
    if let (Some(stable), Some(canary_service)) = (&canary.stable_service, &canary.canary_service)
        && stable == canary_service
    {
        errors.push(
            &path.field("canaryService"),
            format!("'{canary_service}' is the same as stableService"),
        );
    }
    check_non_negative(
        canary.scale_down_delay_seconds,
        &path.field("scaleDownDelaySeconds"),
        errors,
    );
    check_non_negative(
        canary.abort_scale_down_delay_seconds,
        &path.field("abortScaleDownDelaySeconds"),
        errors,
    );
    if let Some(affinity) = &canary.session_affinity {
        check_duration(
            affinity.max_age.as_ref(),
            &path.field("sessionAffinity").field("maxAge"),
            errors,
        );
    }
}

/// The steps form and the Flagger form are exclusive; the Flagger form's
/// weights are in range and increasing.
fn check_form(canary: &CanaryStrategy, path: &Path, errors: &mut Errors) {
    let mut flagger = Vec::new();
    if canary.step_weight.is_some() {
        flagger.push("stepWeight");
    }
    if !canary.step_weights.is_empty() {
        flagger.push("stepWeights");
    }
    if canary.max_weight.is_some() {
        flagger.push("maxWeight");
    }
    if !canary.steps.is_empty() && !flagger.is_empty() {
        errors.push(
            path,
            format!(
                "has steps and {}; use either steps or the Flagger form (stepWeight/stepWeights/maxWeight)",
                super::common::join_and(&flagger)
            ),
        );
    }
    if canary.step_weight.is_some() && !canary.step_weights.is_empty() {
        errors.push(path, "has stepWeight and stepWeights; use one");
    }
    if let Some(w) = canary.step_weight {
        check_range(w.into(), 1, 100, &path.field("stepWeight"), errors);
    }
    if let Some(w) = canary.max_weight {
        check_range(w.into(), 1, 100, &path.field("maxWeight"), errors);
        if canary.step_weight.is_none() {
            errors.push(&path.field("maxWeight"), "needs stepWeight");
        }
        if let Some(step) = canary.step_weight.filter(|s| *s > w) {
            errors.push(
                &path.field("maxWeight"),
                format!("{w} is below stepWeight {step}"),
            );
        }
    }
    for (i, w) in canary.step_weights.iter().enumerate() {
        let w_path = path.field("stepWeights").index(i);
        check_range((*w).into(), 1, 100, &w_path, errors);
        if let Some(prev) = i.checked_sub(1).map(|p| canary.step_weights[p])
            && *w <= prev
        {
            errors.push(
                &w_path,
                format!("{w} is not above the previous weight {prev}"),
            );
        }
    }
    if canary.interval.is_some() && flagger.is_empty() {
        errors.push(
            &path.field("interval"),
            "applies only to the Flagger form (stepWeight or stepWeights)",
        );
    }
    check_duration(canary.interval.as_ref(), &path.field("interval"), errors);
}

fn check_step(
    step: &CanaryStep,
    max_weight: Option<i32>,
    managed: Option<&[&str]>,
    context: &Context,
    path: &Path,
    errors: &mut Errors,
) {
    check_exactly_one(&step.set_fields(), &STEP_FIELDS, "a step", path, errors);
    if let Some(w) = step.set_weight {
        check_weight(w, max_weight, &path.field("setWeight"), errors);
    }
    if let Some(pause) = &step.pause {
        check_duration(
            pause.duration.as_ref(),
            &path.field("pause").field("duration"),
            errors,
        );
    }
    if let Some(analysis) = &step.analysis {
        analysis_ref::check(
            &analysis.templates,
            &analysis.args,
            context,
            &path.field("analysis"),
            errors,
        );
    }
    if let Some(scale) = &step.set_canary_scale {
        check_canary_scale(scale, &path.field("setCanaryScale"), errors);
    }
    if let Some(route) = &step.set_header_route {
        let route_path = path.field("setHeaderRoute");
        check_route_name(&route.name, managed, &route_path.field("name"), errors);
        for (i, m) in route.matches.iter().enumerate() {
            check_header_routing_match(m, &route_path.field("match").index(i), errors);
        }
    }
    if let Some(mirror) = &step.set_mirror_route {
        let mirror_path = path.field("setMirrorRoute");
        check_route_name(&mirror.name, managed, &mirror_path.field("name"), errors);
        for (i, m) in mirror.matches.iter().enumerate() {
            check_route_match(m, &mirror_path.field("match").index(i), errors);
        }
        if let Some(p) = mirror.percentage {
            check_range(p.into(), 0, 100, &mirror_path.field("percentage"), errors);
        }
    }
}

/// A weight is a percentage and at most `maxTrafficWeight` when one is set.
fn check_weight(weight: i32, max_weight: Option<i32>, path: &Path, errors: &mut Errors) {
    if !(0..=100).contains(&weight) {
        check_range(weight.into(), 0, 100, path, errors);
    } else if let Some(max) = max_weight.filter(|m| weight > *m) {
        errors.push(path, format!("{weight} is above maxTrafficWeight {max}"));
    }
}

fn check_canary_scale(scale: &SetCanaryScale, path: &Path, errors: &mut Errors) {
    let mut set = Vec::new();
    if scale.replicas.is_some() {
        set.push("replicas");
    }
    if scale.weight.is_some() {
        set.push("weight");
    }
    if scale.match_traffic_weight {
        set.push("matchTrafficWeight");
    }
    check_exactly_one(
        &set,
        &["replicas", "weight", "matchTrafficWeight"],
        "setCanaryScale",
        path,
        errors,
    );
    check_non_negative(scale.replicas, &path.field("replicas"), errors);
    if let Some(w) = scale.weight {
        check_range(w.into(), 0, 100, &path.field("weight"), errors);
    }
}

/// A route's name is not empty and, on Kubernetes, is one the router manages.
fn check_route_name(name: &str, managed: Option<&[&str]>, path: &Path, errors: &mut Errors) {
    if name.trim().is_empty() {
        errors.push(path, "is empty");
    } else if let Some(managed) = managed
        && !managed.contains(&name)
    {
        errors.push(
            path,
            format!("'{name}' is not in trafficRouting.managedRoutes"),
        );
    }
}

fn check_traffic_routing(
    routing: &TrafficRouting,
    canary: &CanaryStrategy,
    platform: Platform,
    canary_path: &Path,
    errors: &mut Errors,
) {
    let path = &canary_path.field("trafficRouting");
    if let Some(max) = routing.max_traffic_weight
        && max < 1
    {
        errors.push(&path.field("maxTrafficWeight"), format!("{max} is below 1"));
    }
    for (i, route) in routing.managed_routes.iter().enumerate() {
        let route_path = path.field("managedRoutes").index(i).field("name");
        if route.name.trim().is_empty() {
            errors.push(&route_path, "is empty");
        } else if routing.managed_routes[..i]
            .iter()
            .any(|r| r.name == route.name)
        {
            errors.push(&route_path, format!("'{}' is listed twice", route.name));
        }
    }
    if let Some(nginx) = &routing.nginx {
        let nginx_path = path.field("nginx");
        match (&nginx.stable_ingress, nginx.stable_ingresses.is_empty()) {
            (None, true) => errors.push(
                &nginx_path,
                "has neither stableIngress nor stableIngresses; give one",
            ),
            (Some(_), false) => errors.push(
                &nginx_path,
                "has stableIngress and stableIngresses; give one",
            ),
            _ => {}
        }
    }
    let kubernetes_router =
        routing.nginx.is_some() || routing.gateway_api.is_some() || routing.istio.is_some();
    if platform == Platform::Kubernetes && kubernetes_router {
        for (field, value) in [
            ("stableService", &canary.stable_service),
            ("canaryService", &canary.canary_service),
        ] {
            if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
                errors.push(
                    &canary_path.field(field),
                    "is required with trafficRouting on Kubernetes",
                );
            }
        }
    }
    if platform == Platform::Local && kubernetes_router {
        errors.push(
            path,
            "names a Kubernetes router (nginx, gatewayAPI or istio) on one host (spec.local)",
        );
    }
}
