//! Rules of a Rollout as a whole: its name, exactly one workload (pod
//! template, workload reference or local command), the workload's own rules,
//! and exactly one strategy (checked further in `canary` and `bluegreen`).

use std::net::SocketAddr;

use super::common::{
    check_dns_name, check_duration, check_exactly_one, check_metadata_name, check_non_negative,
};
use super::{Context, Errors, Path, bluegreen, canary, webhook};
use crate::Rollout;
use crate::rollout::{HttpProbe, LocalWorkload, RolloutSpec, WorkloadRef};

/// Where a Rollout runs, as told by its workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Platform {
    /// `template` or `workloadRef`.
    Kubernetes,
    /// `local`.
    Local,
    /// No workload, or more than one (already reported).
    Unknown,
}

/// Every rule of `rollout`.
pub(crate) fn check(rollout: &Rollout, context: &Context, errors: &mut Errors) {
    check_metadata_name(&rollout.metadata, errors);
    let spec_path = Path::root().field("spec");
    let platform = check_workload(&rollout.spec, &spec_path, errors);
    let spec = &rollout.spec;
    check_non_negative(spec.replicas, &spec_path.field("replicas"), errors);
    check_non_negative(
        spec.min_ready_seconds,
        &spec_path.field("minReadySeconds"),
        errors,
    );
    check_non_negative(
        spec.revision_history_limit,
        &spec_path.field("revisionHistoryLimit"),
        errors,
    );
    check_non_negative(
        spec.progress_deadline_seconds,
        &spec_path.field("progressDeadlineSeconds"),
        errors,
    );

    if let Some(history) = &spec.analysis {
        let path = spec_path.field("analysis");
        check_non_negative(
            history.successful_run_history_limit,
            &path.field("successfulRunHistoryLimit"),
            errors,
        );
        check_non_negative(
            history.unsuccessful_run_history_limit,
            &path.field("unsuccessfulRunHistoryLimit"),
            errors,
        );
    }
    webhook::check(&spec.webhooks, &spec_path.field("webhooks"), errors);
    let strategy_path = spec_path.field("strategy");
    let strategy = &spec.strategy;
    let mut set = Vec::new();
    if strategy.canary.is_some() {
        set.push("canary");
    }
    if strategy.blue_green.is_some() {
        set.push("blueGreen");
    }
    check_exactly_one(
        &set,
        &["canary", "blueGreen"],
        "a strategy",
        &strategy_path,
        errors,
    );
    if let Some(c) = &strategy.canary {
        canary::check(c, platform, context, &strategy_path.field("canary"), errors);
    }
    if let Some(bg) = &strategy.blue_green {
        bluegreen::check(
            bg,
            platform,
            context,
            &strategy_path.field("blueGreen"),
            errors,
        );
    }
}

/// Exactly one workload, and that workload's rules; returns the platform.
fn check_workload(spec: &RolloutSpec, path: &Path, errors: &mut Errors) -> Platform {
    let mut set = Vec::new();
    if spec.template.is_some() {
        set.push("template");
    }
    if spec.workload_ref.is_some() {
        set.push("workloadRef");
    }
    if spec.local.is_some() {
        set.push("local");
    }
    check_exactly_one(
        &set,
        &["template", "workloadRef", "local"],
        "a Rollout",
        path,
        errors,
    );
    if let Some(template) = &spec.template {
        check_selector_matches_template(spec, template, path, errors);
    }
    if let Some(workload) = &spec.workload_ref {
        check_workload_ref(workload, &path.field("workloadRef"), errors);
    }
    if let Some(local) = &spec.local {
        check_local(local, &path.field("local"), errors);
    }
    match set.as_slice() {
        ["local"] => Platform::Local,
        ["template"] | ["workloadRef"] => Platform::Kubernetes,
        _ => Platform::Unknown,
    }
}

/// With a pod template, a selector is given and its `matchLabels` are among
/// the template's labels.
fn check_selector_matches_template(
    spec: &RolloutSpec,
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
    path: &Path,
    errors: &mut Errors,
) {
    let Some(selector) = &spec.selector else {
        errors.push(&path.field("selector"), "is required with template");
        return;
    };
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    for (key, value) in selector.match_labels.iter().flatten() {
        if labels.and_then(|l| l.get(key)) != Some(value) {
            errors.push(
                &path.field("selector").field("matchLabels").key(key),
                format!("'{key}: {value}' is not among template.metadata.labels"),
            );
        }
    }
}

fn check_workload_ref(workload: &WorkloadRef, path: &Path, errors: &mut Errors) {
    if workload.api_version != "apps/v1" {
        errors.push(
            &path.field("apiVersion"),
            format!("'{}' is not apps/v1", workload.api_version),
        );
    }
    if workload.kind != "Deployment" {
        errors.push(
            &path.field("kind"),
            format!("'{}' is not Deployment", workload.kind),
        );
    }
    check_dns_name(&workload.name, &path.field("name"), errors);
}

fn check_local(local: &LocalWorkload, path: &Path, errors: &mut Errors) {
    let command = path.field("command");
    match local.command.first() {
        None => errors.push(&command, "is empty; give the program and its arguments"),
        Some(program) if program.trim().is_empty() => {
            errors.push(&command.index(0), "is empty; give the program")
        }
        Some(_) => {}
    }
    if local.version.trim().is_empty() {
        errors.push(&path.field("version"), "is empty");
    }
    for (field, address) in [
        ("listen", &local.listen),
        ("previewListen", &local.preview_listen),
    ] {
        if let Some(address) = address
            && let Err(e) = address.parse::<SocketAddr>()
        {
            errors.push(
                &path.field(field),
                format!("'{address}' is not a socket address such as 127.0.0.1:8080 ({e})"),
            );
        }
    }
    if local.listen.is_some() && local.listen == local.preview_listen {
        errors.push(
            &path.field("previewListen"),
            "is the same address as listen",
        );
    }
    check_non_negative(local.drain_seconds, &path.field("drainSeconds"), errors);
    check_non_negative(local.grace_seconds, &path.field("graceSeconds"), errors);
    let probes = path.field("probes");
    for (field, probe) in [
        ("startup", &local.probes.startup),
        ("readiness", &local.probes.readiness),
        ("liveness", &local.probes.liveness),
    ] {
        if let Some(probe) = probe {
            check_probe(probe, &probes.field(field), errors);
        }
    }
}

fn check_probe(probe: &HttpProbe, path: &Path, errors: &mut Errors) {
    if !probe.path.starts_with('/') {
        errors.push(
            &path.field("path"),
            format!("'{}' does not start with /", probe.path),
        );
    }
    check_duration(probe.period.as_ref(), &path.field("period"), errors);
    check_duration(probe.timeout.as_ref(), &path.field("timeout"), errors);
    if let Some(t) = probe.failure_threshold.filter(|t| *t < 1) {
        errors.push(&path.field("failureThreshold"), format!("{t} is below 1"));
    }
}
