//! Parsing and validation never panic, whatever the input: random text,
//! deeply nested YAML, random documents built from serin's field names, and
//! well-shaped Rollouts and templates with random values (weights, durations,
//! regexes, CEL conditions, addresses).
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Value, json};
use serin_api::document;
use serin_api::validate;

/// Parses and validates `text`, ignoring the outcome.
fn lint(text: &str) {
    if let Ok(each) = document::parse_each(text) {
        let docs: Vec<_> = each.into_iter().filter_map(Result::ok).collect();
        let _ = validate::validate(&docs);
    }
}

const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "strategy",
    "canary",
    "blueGreen",
    "steps",
    "setWeight",
    "pause",
    "duration",
    "analysis",
    "templates",
    "templateName",
    "clusterScope",
    "args",
    "value",
    "valueFrom",
    "setCanaryScale",
    "replicas",
    "weight",
    "matchTrafficWeight",
    "setHeaderRoute",
    "setMirrorRoute",
    "match",
    "headerName",
    "cookieName",
    "headerValue",
    "cookieValue",
    "exact",
    "prefix",
    "regex",
    "percentage",
    "local",
    "command",
    "version",
    "listen",
    "probes",
    "readiness",
    "path",
    "period",
    "template",
    "workloadRef",
    "trafficRouting",
    "managedRoutes",
    "maxTrafficWeight",
    "stepWeight",
    "stepWeights",
    "maxWeight",
    "interval",
    "startingStep",
    "activeService",
    "previewService",
    "metrics",
    "provider",
    "prometheus",
    "sequential",
    "alpha",
    "successCondition",
    "count",
    "dryRun",
    "metricName",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-200i32..200).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        ".*".prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(FIELDS), inner, 0..5).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

fn step() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(|w| json!({"setWeight": w})),
        ".{0,12}".prop_map(|d| json!({"pause": {"duration": d}})),
        (".{0,12}", ".{0,12}").prop_map(|(n, r)| json!({"setHeaderRoute": {"name": n, "match": [{"headerName": "x", "headerValue": {"regex": r}}]}})),
        (any::<i32>(), ".{0,8}").prop_map(|(p, r)| json!({"setMirrorRoute": {"name": "m", "percentage": p, "match": [{"path": {"prefix": r}}]}})),
        (any::<i32>(), any::<i32>()).prop_map(|(r, w)| json!({"setCanaryScale": {"replicas": r, "weight": w}})),
        Just(json!({})),
    ]
}

fn rollout() -> impl Strategy<Value = Value> {
    (prop::collection::vec(step(), 0..6), any::<i32>(), ".{0,20}", ".{0,10}", any::<i32>()).prop_map(
        |(steps, replicas, listen, name, start)| {
            json!({
                "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": name},
                "spec": {"replicas": replicas, "local": {"command": ["app"], "version": "v1", "listen": listen},
                    "strategy": {"canary": {"steps": steps,
                        "analysis": {"templates": [{"templateName": "t"}], "startingStep": start}}}}
            })
        },
    )
}

fn template() -> impl Strategy<Value = Value> {
    (".{0,40}", any::<f64>(), any::<f64>(), any::<i64>(), ".{0,12}").prop_map(|(cond, alpha, q, n, interval)| {
        json!({
            "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "t"},
            "spec": {"metrics": [
                {"name": "a", "successCondition": cond, "failureCondition": cond, "interval": interval, "count": 3,
                 "provider": {"sequential": {"test": "latency", "alpha": alpha, "latencyQuantile": q, "maxSamples": n}}},
                {"name": "b", "provider": {"builtin": {"metric": "latency", "quantile": q, "window": interval}}}]}
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        lint(&text);
    }

    #[test]
    fn random_documents_of_serin_fields_never_panic(spec in tree(), kind in prop::sample::select(document::KINDS.to_vec())) {
        let doc = json!({"apiVersion": "serin.dev/v1alpha1", "kind": kind, "metadata": {"name": "x"}, "spec": spec});
        lint(&doc.to_string());
    }

    #[test]
    fn well_shaped_documents_with_random_values_never_panic(r in rollout(), t in template()) {
        lint(&format!("{r}\n---\n{t}"));
    }
}

#[test]
fn nasty_inputs_never_panic() {
    let deep_list = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_map = "a: {".repeat(5_000) + &"}".repeat(5_000);
    let condition = |c: String| {
        format!(
            "apiVersion: serin.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {{name: t}}\n\
             spec: {{metrics: [{{name: m, successCondition: '{c}', provider: {{builtin: {{metric: latency}}}}}}]}}"
        )
    };
    let cel_deep = condition(format!("{}result{}", "(".repeat(32), ")".repeat(32)));
    let cel_deeper = condition(format!("{}result{}", "[".repeat(5_000), "]".repeat(5_000)));
    let cel_long = condition(vec!["result"; 5_000].join(" + "));
    let anchors = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\ne: [*d, *d]\n";
    for text in [
        "",
        "---\n---\n",
        "~",
        "- 1\n- 2",
        "apiVersion: serin.dev/v1alpha1\nkind: Rollout\nmetadata: []\nspec: 3",
        "apiVersion: serin.dev/v1alpha1\nkind: Rollout\nspec: {strategy: {canary: {steps: [{setWeight: 99999999999}]}}}",
        "apiVersion: serin.dev/v1alpha1\nkind: Rollout\nmetadata: {name: a}\nspec: {local: {command: [x], version: v, listen: '[::1]:99999'}, strategy: {canary: {analysis: {templates: [], startingStep: -2147483648}}}}",
        "\u{0}\u{feff}apiVersion: \"\\u0000\"",
        "apiVersion: serin.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec: {metrics: [{name: m, successCondition: '((((((((((((((((((((((((((((((result', provider: {exec: {command: ['']}}}]}",
        "apiVersion: serin.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec: {metrics: [{name: m, successCondition: 'result.all(x, x.all(y, y.exists(z, z)))', provider: {web: {url: '{{args.', method: get}}}]}",
        &deep_list,
        &deep_map,
        anchors,
        &cel_deep,
        &cel_deeper,
        &cel_long,
    ] {
        eprintln!("nasty input: {:.60}", text.escape_debug().to_string());
        lint(text);
    }
}
