//! Validation through the library API: what the `serin lint` fixtures do not
//! show on their own (references checked only when templates are present,
//! valid forms accepted, error values and document indexes).
#![allow(clippy::unwrap_used)]

use serin_api::document::{self, Document};
use serin_api::validate::{self, Context, FieldError};

fn errors(yaml: &str) -> Vec<String> {
    let docs = document::parse(yaml).unwrap();
    validate::validate(&docs)
        .iter()
        .map(FieldError::to_string)
        .collect()
}

const CANARY: &str = "apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  local: {command: [app], version: v1}
  strategy:
    canary:
      steps:
        - setWeight: 20
        - analysis:
            templates: [{templateName: health}]
";

const TEMPLATE: &str = "apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: other}
spec:
  metrics:
    - name: ok
      successCondition: result.all(r, r.code < 500) && size(result) > 0 && args.min != ''
      provider: {builtin: {metric: successRate}}
";

#[test]
fn template_references_are_not_checked_without_templates_in_the_input() {
    assert_eq!(errors(CANARY), Vec::<String>::new());
}

#[test]
fn template_references_are_checked_when_templates_are_in_the_input() {
    let both = format!("{CANARY}---\n{TEMPLATE}");
    assert_eq!(
        errors(&both),
        [
            "spec.strategy.canary.steps[1].analysis.templates[0].templateName: \
          AnalysisTemplate 'health' is not in the input (it has: other)"
        ]
    );
}

#[test]
fn comprehension_variables_in_conditions_are_allowed() {
    assert_eq!(errors(TEMPLATE), Vec::<String>::new());
}

#[test]
fn errors_carry_the_index_of_their_document() {
    let canary = CANARY
        .replace("setWeight: 20", "setWeight: 101")
        .replace("health", "other");
    let text = format!("{TEMPLATE}---\n{canary}");
    let docs = document::parse(&text).unwrap();
    let all = validate::validate(&docs);
    assert_eq!(
        all,
        [FieldError {
            document: 1,
            path: "spec.strategy.canary.steps[0].setWeight".into(),
            rule: "101 is above 100".into(),
        }]
    );
}

#[test]
fn flagger_form_with_step_weights_is_accepted() {
    let flagger = CANARY.replace(
        "      steps:\n        - setWeight: 20\n        - analysis:\n            templates: [{templateName: health}]\n",
        "      stepWeights: [5, 10, 50]\n      interval: 30s\n",
    );
    assert_eq!(errors(&flagger), Vec::<String>::new());
}

#[test]
fn analysis_runs_are_validated_like_templates() {
    let run = "apiVersion: serin.dev/v1alpha1
kind: AnalysisRun
metadata: {name: web-1}
spec:
  metrics:
    - name: m
      count: 2
      provider: {web: {url: ftp://x}}
";
    assert_eq!(
        errors(run),
        [
            "spec.metrics[0].count: 2 measurements need an interval",
            "spec.metrics[0].provider.web.url: 'ftp://x' is not an http:// or https:// URL",
        ]
    );
}

#[test]
fn per_kind_functions_check_one_resource() {
    let docs = document::parse(CANARY).unwrap();
    let Document::Rollout(rollout) = &docs[0] else {
        panic!("not a rollout")
    };
    assert!(validate::validate_rollout(0, rollout, &Context::empty()).is_empty());
}

#[test]
fn undeclared_template_arguments_are_reported() {
    let template = TEMPLATE.replace(
        "provider: {builtin: {metric: successRate}}",
        "provider: {prometheus: {address: 'http://p:9090', query: 'up{job=\"{{args.job}}\"}'}}",
    );
    assert_eq!(
        errors(&template),
        [
            "spec.metrics[0].provider.prometheus.query: refers to {{args.job}}, which is not declared in spec.args"
        ]
    );
}

#[test]
fn deeply_nested_conditions_are_refused_before_compiling() {
    let deep = format!("{}result{}", "(".repeat(40), ")".repeat(40));
    let template = TEMPLATE.replace(
        "result.all(r, r.code < 500) && size(result) > 0 && args.min != ''",
        &deep,
    );
    assert_eq!(
        errors(&template),
        ["spec.metrics[0].successCondition: nests brackets 40 deep; at most 32 are allowed"]
    );
}

#[test]
fn negative_run_history_limits_are_reported_at_their_paths() {
    let spec = CANARY.replace(
        "  strategy:",
        "  analysis: {successfulRunHistoryLimit: -1, unsuccessfulRunHistoryLimit: -2}\n  strategy:",
    );
    assert_eq!(
        errors(&spec),
        [
            "spec.analysis.successfulRunHistoryLimit: -1 is negative",
            "spec.analysis.unsuccessfulRunHistoryLimit: -2 is negative",
        ]
    );
}

#[test]
fn run_history_limits_of_zero_are_valid() {
    let spec = CANARY.replace(
        "  strategy:",
        "  analysis: {successfulRunHistoryLimit: 0, unsuccessfulRunHistoryLimit: 0}\n  strategy:",
    );
    assert_eq!(errors(&spec), Vec::<String>::new());
}
