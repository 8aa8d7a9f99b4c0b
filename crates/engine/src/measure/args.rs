//! Arguments: an AnalysisRun's spec built from its templates, with each
//! argument's value taken from the template's default, replaced by the
//! rollout's `value` or `valueFrom` (a revision, or a field of the rollout);
//! and `{{args.NAME}}` substituted into the query, URL, body, headers and
//! command of a metric.

use std::collections::BTreeMap;

use serin_api::analysis::{AnalysisRunSpec, AnalysisTemplateSpec, Argument, Metric};
use serin_api::analysis_ref::{AnalysisRunArgument, RevisionSelector};
use thiserror::Error;

/// An argument could not be resolved: a fault of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArgsError {
    /// `{{args.NAME}}` names an argument the run does not declare.
    #[error("{{{{args.{name}}}}} is used but no argument '{name}' is declared")]
    Unknown {
        /// The argument's name.
        name: String,
    },
    /// The argument is declared but has no value, neither a default nor one from the rollout.
    #[error("argument '{name}' has no value: give it a value in the template or the rollout")]
    NoValue {
        /// The argument's name.
        name: String,
    },
    /// `valueFrom.podTemplateHashValue: Stable` when there is no stable revision yet.
    #[error("argument '{name}' asks for the stable revision, and there is none yet")]
    NoStableRevision {
        /// The argument's name.
        name: String,
    },
    /// `valueFrom.fieldRef` names a field serin cannot read.
    #[error(
        "argument '{name}': fieldRef '{path}' is not supported; use metadata.name, metadata.namespace or metadata.labels['KEY']"
    )]
    FieldPath {
        /// The argument's name.
        name: String,
        /// The field path.
        path: String,
    },
    /// `fieldRef` names a label the rollout does not have.
    #[error("argument '{name}': the rollout has no label '{label}'")]
    NoLabel {
        /// The argument's name.
        name: String,
        /// The label.
        label: String,
    },
    /// An argument gives neither `value` nor `valueFrom`.
    #[error("argument '{name}' of the rollout has neither value nor valueFrom")]
    Empty {
        /// The argument's name.
        name: String,
    },
    /// Two templates define a metric of the same name.
    #[error("two templates define metric '{name}'; metric names must be unique in a run")]
    DuplicateMetric {
        /// The metric's name.
        name: String,
    },
}

/// What `valueFrom` may read: the rollout's identity and its revisions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgSource {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (`default` on one host).
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The stable revision, if there is one.
    pub stable_revision: Option<String>,
    /// The revision being released.
    pub latest_revision: String,
}

/// The arguments of a run: the templates' declarations with their defaults,
/// each replaced by the rollout's value when it gives one. Arguments the
/// rollout gives that no template declares are kept too. An argument left
/// without a value is kept without one (using it is an error).
pub fn resolve_args(
    declared: &[Argument],
    given: &[AnalysisRunArgument],
    source: &ArgSource,
) -> Result<Vec<Argument>, ArgsError> {
    let mut out: Vec<Argument> = Vec::new();
    for a in declared {
        match out.iter_mut().find(|o| o.name == a.name) {
            Some(o) => {
                if o.value.is_none() {
                    o.value.clone_from(&a.value);
                }
            }
            None => out.push(a.clone()),
        }
    }
    for g in given {
        let value = given_value(g, source)?;
        match out.iter_mut().find(|o| o.name == g.name) {
            Some(o) => o.value = Some(value),
            None => out.push(Argument {
                name: g.name.clone(),
                value: Some(value),
            }),
        }
    }
    Ok(out)
}

fn given_value(g: &AnalysisRunArgument, source: &ArgSource) -> Result<String, ArgsError> {
    if let Some(v) = &g.value {
        return Ok(v.clone());
    }
    let from = g.value_from.as_ref().ok_or_else(|| ArgsError::Empty {
        name: g.name.clone(),
    })?;
    if let Some(which) = from.pod_template_hash_value {
        return match which {
            RevisionSelector::Latest => Ok(source.latest_revision.clone()),
            RevisionSelector::Stable => {
                source
                    .stable_revision
                    .clone()
                    .ok_or_else(|| ArgsError::NoStableRevision {
                        name: g.name.clone(),
                    })
            }
        };
    }
    if let Some(f) = &from.field_ref {
        return field(&g.name, f.field_path.trim(), source);
    }
    Err(ArgsError::Empty {
        name: g.name.clone(),
    })
}

fn field(name: &str, path: &str, source: &ArgSource) -> Result<String, ArgsError> {
    match path {
        "metadata.name" => return Ok(source.name.clone()),
        "metadata.namespace" => return Ok(source.namespace.clone()),
        _ => {}
    }
    let label = path
        .strip_prefix("metadata.labels[")
        .and_then(|rest| rest.strip_suffix(']'))
        .map(|key| key.trim_matches(|c| c == '\'' || c == '"'))
        .or_else(|| path.strip_prefix("metadata.labels."))
        .filter(|k| !k.is_empty());
    let Some(label) = label else {
        return Err(ArgsError::FieldPath {
            name: name.to_string(),
            path: path.to_string(),
        });
    };
    source
        .labels
        .get(label)
        .cloned()
        .ok_or_else(|| ArgsError::NoLabel {
            name: name.to_string(),
            label: label.to_string(),
        })
}

/// Replaces every `{{args.NAME}}` (spaces inside the braces allowed) with the
/// argument's value. Other `{{...}}` text is left as it is.
pub fn substitute(text: &str, args: &[Argument]) -> Result<String, ArgsError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let Some(close) = after.find("}}") else {
            out.push_str(after);
            return Ok(out);
        };
        let inner = after[2..close].trim();
        match inner.strip_prefix("args.") {
            Some(name) => {
                let arg =
                    args.iter()
                        .find(|a| a.name == name)
                        .ok_or_else(|| ArgsError::Unknown {
                            name: name.to_string(),
                        })?;
                let value = arg.value.as_ref().ok_or_else(|| ArgsError::NoValue {
                    name: name.to_string(),
                })?;
                out.push_str(value);
            }
            None => out.push_str(&after[..close + 2]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The metric with `{{args.NAME}}` replaced in its Prometheus address and
/// query, its web URL, headers and body, and its command.
pub fn resolve_metric(metric: &Metric, args: &[Argument]) -> Result<Metric, ArgsError> {
    let mut m = metric.clone();
    if let Some(p) = &mut m.provider.prometheus {
        p.address = substitute(&p.address, args)?;
        p.query = substitute(&p.query, args)?;
        for h in &mut p.headers {
            h.value = substitute(&h.value, args)?;
        }
    }
    if let Some(w) = &mut m.provider.web {
        w.url = substitute(&w.url, args)?;
        for h in &mut w.headers {
            h.value = substitute(&h.value, args)?;
        }
        if let Some(body) = &w.body {
            w.body = Some(substitute(body, args)?);
        }
    }
    if let Some(e) = &mut m.provider.exec {
        for part in &mut e.command {
            *part = substitute(part, args)?;
        }
    }
    Ok(m)
}

/// The spec of a run from its templates and the rollout's arguments: the
/// metrics, `dryRun` and `measurementRetention` of every template, and the
/// arguments resolved by [`resolve_args`]. Every metric's `{{args.NAME}}` is
/// checked here, so a missing argument is reported before anything runs.
pub fn build_run_spec(
    templates: &[AnalysisTemplateSpec],
    given: &[AnalysisRunArgument],
    source: &ArgSource,
) -> Result<AnalysisRunSpec, ArgsError> {
    let declared: Vec<Argument> = templates.iter().flat_map(|t| t.args.clone()).collect();
    let args = resolve_args(&declared, given, source)?;
    let mut spec = AnalysisRunSpec {
        args,
        ..AnalysisRunSpec::default()
    };
    for t in templates {
        for m in &t.metrics {
            if spec.metrics.iter().any(|x| x.name == m.name) {
                return Err(ArgsError::DuplicateMetric {
                    name: m.name.clone(),
                });
            }
            resolve_metric(m, &spec.args)?;
            spec.metrics.push(m.clone());
        }
        spec.dry_run.extend(t.dry_run.iter().cloned());
        spec.measurement_retention
            .extend(t.measurement_retention.iter().cloned());
    }
    Ok(spec)
}
