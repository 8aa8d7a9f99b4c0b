//! Rules of AnalysisTemplates, ClusterAnalysisTemplates and AnalysisRuns:
//! unique metric names, exactly one provider per metric and each provider's
//! own rules, conditions (checked in `condition`), limits and counts, and
//! the metric names that `dryRun` and `measurementRetention` refer to.

use std::collections::BTreeSet;

use super::common::{check_duration, check_exactly_one, check_non_negative};
use super::condition::check_condition;
use super::{Errors, Path};
use crate::analysis::{
    AnalysisRunSpec, AnalysisTemplateSpec, Argument, BuiltinMetric, MeasurementRetention, Metric,
    MetricSelector, SequentialMetric, WebMetric,
};

/// Every provider a metric may have.
const PROVIDERS: [&str; 5] = ["prometheus", "web", "exec", "builtin", "sequential"];

/// Every rule of a template's spec.
pub(crate) fn check_template_spec(spec: &AnalysisTemplateSpec, errors: &mut Errors) {
    check_parts(
        &spec.metrics,
        &spec.args,
        &spec.dry_run,
        &spec.measurement_retention,
        errors,
    );
}

/// Every rule of a run's spec.
pub(crate) fn check_run_spec(spec: &AnalysisRunSpec, errors: &mut Errors) {
    check_parts(
        &spec.metrics,
        &spec.args,
        &spec.dry_run,
        &spec.measurement_retention,
        errors,
    );
}

fn check_parts(
    metrics: &[Metric],
    args: &[Argument],
    dry_run: &[MetricSelector],
    retention: &[MeasurementRetention],
    errors: &mut Errors,
) {
    let spec = Path::root().field("spec");
    if metrics.is_empty() {
        errors.push(&spec.field("metrics"), "is empty; give at least one metric");
    }
    for (i, arg) in args.iter().enumerate() {
        let name = spec.field("args").index(i).field("name");
        if arg.name.trim().is_empty() {
            errors.push(&name, "is empty");
        } else if args[..i].iter().any(|a| a.name == arg.name) {
            errors.push(&name, format!("'{}' is declared twice", arg.name));
        }
    }
    let arg_names: BTreeSet<&str> = args.iter().map(|a| a.name.as_str()).collect();
    for (i, metric) in metrics.iter().enumerate() {
        let path = spec.field("metrics").index(i);
        if metric.name.trim().is_empty() {
            errors.push(&path.field("name"), "is empty");
        } else if let Some(first) = metrics[..i].iter().position(|m| m.name == metric.name) {
            errors.push(
                &path.field("name"),
                format!("'{}' is already the name of metrics[{first}]", metric.name),
            );
        }
        check_metric(metric, &arg_names, &path, errors);
    }
    let names: BTreeSet<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    for (i, selector) in dry_run.iter().enumerate() {
        check_metric_name(
            &selector.metric_name,
            &names,
            &spec.field("dryRun").index(i).field("metricName"),
            errors,
        );
    }
    for (i, r) in retention.iter().enumerate() {
        let path = spec.field("measurementRetention").index(i);
        check_metric_name(&r.metric_name, &names, &path.field("metricName"), errors);
        if r.limit < 1 {
            errors.push(&path.field("limit"), format!("{} is below 1", r.limit));
        }
    }
}

fn check_metric_name(name: &str, names: &BTreeSet<&str>, path: &Path, errors: &mut Errors) {
    if name != "*" && !names.contains(name) {
        errors.push(path, format!("'{name}' is not the name of a metric (or *)"));
    }
}

fn check_metric(metric: &Metric, args: &BTreeSet<&str>, path: &Path, errors: &mut Errors) {
    check_duration(metric.interval.as_ref(), &path.field("interval"), errors);
    check_duration(
        metric.initial_delay.as_ref(),
        &path.field("initialDelay"),
        errors,
    );
    if let Some(count) = metric.count {
        if count < 1 {
            errors.push(&path.field("count"), format!("{count} is below 1"));
        } else if count > 1 && metric.interval.is_none() {
            errors.push(
                &path.field("count"),
                format!("{count} measurements need an interval"),
            );
        }
    }
    for (field, condition) in [
        ("successCondition", &metric.success_condition),
        ("failureCondition", &metric.failure_condition),
    ] {
        if let Some(source) = condition {
            check_condition(source, &path.field(field), errors);
        }
    }
    check_non_negative(metric.failure_limit, &path.field("failureLimit"), errors);
    check_non_negative(
        metric.inconclusive_limit,
        &path.field("inconclusiveLimit"),
        errors,
    );
    check_non_negative(
        metric.consecutive_error_limit,
        &path.field("consecutiveErrorLimit"),
        errors,
    );

    let provider = &metric.provider;
    let provider_path = path.field("provider");
    check_exactly_one(
        &provider.set_fields(),
        &PROVIDERS,
        "a provider",
        &provider_path,
        errors,
    );
    if let Some(p) = &provider.prometheus {
        let p_path = provider_path.field("prometheus");
        check_url(&p.address, &p_path.field("address"), errors);
        check_not_blank(&p.query, &p_path.field("query"), errors);
        check_arg_refs(&p.query, args, &p_path.field("query"), errors);
        check_duration(p.timeout.as_ref(), &p_path.field("timeout"), errors);
    }
    if let Some(web) = &provider.web {
        check_web(web, args, &provider_path.field("web"), errors);
    }
    if let Some(exec) = &provider.exec {
        let e_path = provider_path.field("exec");
        match exec.command.first() {
            None => errors.push(
                &e_path.field("command"),
                "is empty; give the program and its arguments",
            ),
            Some(p) if p.trim().is_empty() => {
                errors.push(&e_path.field("command").index(0), "is empty")
            }
            Some(_) => {}
        }
        for (i, part) in exec.command.iter().enumerate() {
            check_arg_refs(part, args, &e_path.field("command").index(i), errors);
        }
        check_duration(exec.timeout.as_ref(), &e_path.field("timeout"), errors);
    }
    if let Some(builtin) = &provider.builtin {
        check_builtin(builtin, &provider_path.field("builtin"), errors);
    }
    if let Some(seq) = &provider.sequential {
        check_sequential(seq, &provider_path.field("sequential"), errors);
    }
}

fn check_web(web: &WebMetric, args: &BTreeSet<&str>, path: &Path, errors: &mut Errors) {
    check_url(&web.url, &path.field("url"), errors);
    check_arg_refs(&web.url, args, &path.field("url"), errors);
    if let Some(method) = &web.method
        && method != "GET"
        && method != "POST"
    {
        errors.push(
            &path.field("method"),
            format!("'{method}' is not GET or POST"),
        );
    }
    if web.body.is_some() && web.method.as_deref() != Some("POST") {
        errors.push(&path.field("body"), "is set without method POST");
    }
    if let Some(t) = web.timeout_seconds.filter(|t| *t < 1) {
        errors.push(&path.field("timeoutSeconds"), format!("{t} is below 1"));
    }
}

fn check_builtin(builtin: &BuiltinMetric, path: &Path, errors: &mut Errors) {
    if let Some(q) = builtin.quantile {
        check_open_unit(q, &path.field("quantile"), errors);
    }
    check_duration(builtin.window.as_ref(), &path.field("window"), errors);
}

fn check_sequential(seq: &SequentialMetric, path: &Path, errors: &mut Errors) {
    if let Some(alpha) = seq.alpha
        && !(alpha > 0.0 && alpha <= 0.5)
    {
        errors.push(&path.field("alpha"), format!("{alpha} is not in (0, 0.5]"));
    }
    if let Some(effect) = seq.min_effect
        && !(effect > 1.0 && effect.is_finite())
    {
        errors.push(&path.field("minEffect"), format!("{effect} is not above 1"));
    }
    if let Some(n) = seq.max_samples.filter(|n| *n < 1) {
        errors.push(&path.field("maxSamples"), format!("{n} is not above 0"));
    }
    if let Some(q) = seq.latency_quantile {
        check_open_unit(q, &path.field("latencyQuantile"), errors);
    }
}

/// `value` is in the open interval (0, 1).
fn check_open_unit(value: f64, path: &Path, errors: &mut Errors) {
    if !(value > 0.0 && value < 1.0) {
        errors.push(path, format!("{value} is not in (0, 1)"));
    }
}

fn check_not_blank(text: &str, path: &Path, errors: &mut Errors) {
    if text.trim().is_empty() {
        errors.push(path, "is empty");
    }
}

/// An `http://` or `https://` URL, or one that starts with a placeholder.
fn check_url(url: &str, path: &Path, errors: &mut Errors) {
    if url.trim().is_empty() {
        errors.push(path, "is empty");
    } else if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{"))
    {
        errors.push(path, format!("'{url}' is not an http:// or https:// URL"));
    }
}

/// Every `{{args.NAME}}` in `text` names a declared argument.
fn check_arg_refs(text: &str, args: &BTreeSet<&str>, path: &Path, errors: &mut Errors) {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if let Some(name) = inner.strip_prefix("args.")
            && !args.contains(name)
        {
            errors.push(
                path,
                format!("refers to {{{{args.{name}}}}}, which is not declared in spec.args"),
            );
        }
        rest = &after[end + 2..];
    }
}
