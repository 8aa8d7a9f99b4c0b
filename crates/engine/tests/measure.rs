//! Table tests of `serin_engine::measure`: conditions, limits, schedule,
//! dry run, retention, terminate and arguments.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Argument, Metric};
use serin_api::analysis_ref::AnalysisRunArgument;
use serin_api::{AnalysisPhase, Time};
use serin_engine::measure::{self, ArgSource, ArgsError, Outcome, ResultValue};

use AnalysisPhase::{Error, Failed, Inconclusive, Pending, Running, Successful};

fn metric(v: serde_json::Value) -> Metric {
    let mut v = v;
    if v.get("provider").is_none() {
        v["provider"] = json!({"prometheus": {"address": "http://p", "query": "q"}});
    }
    serde_json::from_value(v).unwrap()
}

fn spec(metrics: Vec<Metric>) -> AnalysisRunSpec {
    AnalysisRunSpec {
        metrics,
        ..AnalysisRunSpec::default()
    }
}

fn t(secs: i64) -> Time {
    Time::from_millis(secs * 1000)
}

fn num(n: f64) -> Outcome {
    Outcome::value(ResultValue::Number(n))
}

fn err() -> Outcome {
    Outcome::Error("query returned no data".into())
}

/// Starts a run at 0 and records `outcomes` for metric `m`, one per second.
fn run(spec: &AnalysisRunSpec, m: &str, outcomes: Vec<Outcome>) -> AnalysisRunStatus {
    let mut status = AnalysisRunStatus::default();
    measure::start(spec, &mut status, t(0));
    for (i, o) in outcomes.into_iter().enumerate() {
        let i = i as i64;
        measure::record(spec, &mut status, m, o, t(i), t(i));
    }
    status
}

fn phase_of(status: &AnalysisRunStatus, m: &str) -> AnalysisPhase {
    status
        .metric_results
        .iter()
        .find(|r| r.name == m)
        .unwrap()
        .phase
}

#[test]
fn conditions_decide_each_measurement_as_argo_does() {
    let cases: &[(Option<&str>, Option<&str>, ResultValue, AnalysisPhase)] = &[
        (
            Some("result > 0.9"),
            None,
            ResultValue::Number(0.95),
            Successful,
        ),
        (Some("result > 0.9"), None, ResultValue::Number(0.5), Failed),
        (None, Some("result > 0.1"), ResultValue::Number(0.5), Failed),
        (
            None,
            Some("result > 0.1"),
            ResultValue::Number(0.05),
            Successful,
        ),
        (
            Some("result < 0.1"),
            Some("result > 0.5"),
            ResultValue::Number(0.05),
            Successful,
        ),
        (
            Some("result < 0.1"),
            Some("result > 0.5"),
            ResultValue::Number(0.9),
            Failed,
        ),
        (
            Some("result < 0.1"),
            Some("result > 0.5"),
            ResultValue::Number(0.3),
            Inconclusive,
        ),
        (
            Some("result > 0"),
            Some("result >= 0"),
            ResultValue::Number(1.0),
            Failed,
        ),
        (None, None, ResultValue::Number(0.0), Successful),
        (
            Some("result[0] >= 0.95"),
            None,
            ResultValue::Vector(vec![0.97]),
            Successful,
        ),
        (
            Some("result.all(x, x < 1)"),
            None,
            ResultValue::Vector(vec![0.5, 2.0]),
            Failed,
        ),
        (
            Some("result == 1"),
            None,
            ResultValue::Number(1.0),
            Successful,
        ),
        (
            Some("result.ok && result.rate < 5"),
            None,
            ResultValue::Json(json!({"ok": true, "rate": 3})),
            Successful,
        ),
        (
            Some("result == 'green'"),
            None,
            ResultValue::Json(json!("red")),
            Failed,
        ),
        (
            Some("result > args.min"),
            None,
            ResultValue::Number(1.0),
            Error,
        ),
        (Some("result"), None, ResultValue::Number(1.0), Error),
        (Some("result > 'x'"), None, ResultValue::Number(1.0), Error),
    ];
    for (success, failure, value, want) in cases {
        let m = metric(json!({
            "name": "m",
            "successCondition": success,
            "failureCondition": failure,
        }));
        let status = run(&spec(vec![m]), "m", vec![Outcome::value(value.clone())]);
        let got = status.metric_results[0].measurements[0].phase;
        assert_eq!(got, *want, "{success:?} / {failure:?} on {value:?}");
    }
}

#[test]
fn a_condition_nested_too_deep_is_an_error_not_a_crash() {
    let deep = format!("{}result{} > 1.0", "(".repeat(40), ")".repeat(40));
    let s = spec(vec![metric(json!({"name": "m", "successCondition": deep}))]);
    let status = run(&s, "m", vec![num(2.0)]);
    let m = &status.metric_results[0].measurements[0];
    assert_eq!(m.phase, Error);
    assert!(m.message.as_deref().unwrap().contains("40 deep"));
}

#[test]
fn conditions_read_args_as_strings() {
    let mut s = spec(vec![metric(json!({
        "name": "m", "successCondition": "string(result) == args.want"
    }))]);
    s.args = vec![Argument {
        name: "want".into(),
        value: Some("2".into()),
    }];
    let status = run(&s, "m", vec![num(2.0)]);
    assert_eq!(phase_of(&status, "m"), Successful);

    let mut s = spec(vec![metric(json!({
        "name": "m", "successCondition": "result < double(args.maxLatency)"
    }))]);
    s.args = vec![Argument {
        name: "maxLatency".into(),
        value: Some("0.5".into()),
    }];
    assert_eq!(phase_of(&run(&s, "m", vec![num(0.25)]), "m"), Successful);
    assert_eq!(phase_of(&run(&s, "m", vec![num(0.75)]), "m"), Failed);
}

#[test]
fn a_command_without_conditions_passes_only_on_exit_zero() {
    let m = metric(json!({"name": "m", "provider": {"exec": {"command": ["true"]}}}));
    let s = spec(vec![m]);
    let failed = Outcome::Value {
        result: ResultValue::Number(3.0),
        unconditioned: Failed,
        note: Some("stderr: boom".into()),
    };
    let status = run(&s, "m", vec![failed]);
    assert_eq!(status.phase, Failed);
    let m = &status.metric_results[0].measurements[0];
    assert_eq!(
        (m.value.as_deref(), m.message.as_deref()),
        (Some("3"), Some("stderr: boom"))
    );
    assert_eq!(run(&s, "m", vec![num(0.0)]).phase, Successful);
}

#[test]
fn limits_turn_measurements_into_the_metric_verdict() {
    let ok = || num(1.0);
    let bad = || num(0.0);
    let unsure = || num(0.5);
    // successCondition result > 0.9, failureCondition result < 0.1; interval, no count.
    let cases: Vec<(serde_json::Value, Vec<Outcome>, AnalysisPhase)> = vec![
        (json!({}), vec![ok(), ok()], Running),
        (json!({}), vec![ok(), bad()], Failed),
        (json!({"failureLimit": 1}), vec![bad(), ok()], Running),
        (json!({"failureLimit": 1}), vec![bad(), ok(), bad()], Failed),
        (
            json!({"inconclusiveLimit": 0}),
            vec![unsure()],
            Inconclusive,
        ),
        (
            json!({"inconclusiveLimit": 2}),
            vec![unsure(), unsure()],
            Running,
        ),
        (
            json!({"inconclusiveLimit": 2}),
            vec![unsure(), unsure(), unsure()],
            Inconclusive,
        ),
        (json!({}), vec![err(), err(), err(), err()], Running),
        (json!({}), vec![err(), err(), err(), err(), err()], Error),
        (
            json!({}),
            vec![err(), err(), err(), err(), ok(), err(), err()],
            Running,
        ),
        (json!({"consecutiveErrorLimit": 0}), vec![err()], Error),
        (
            json!({"consecutiveErrorLimit": 1}),
            vec![err(), err()],
            Error,
        ),
        (json!({"count": 3}), vec![ok(), err(), ok()], Running),
        (
            json!({"count": 3}),
            vec![ok(), err(), ok(), ok()],
            Successful,
        ),
        (
            json!({"count": 3, "failureLimit": 1}),
            vec![ok(), bad(), ok()],
            Successful,
        ),
        (
            json!({"count": 2, "inconclusiveLimit": 1}),
            vec![unsure(), ok()],
            Successful,
        ),
    ];
    for (extra, outcomes, want) in cases {
        let mut v = json!({
            "name": "m", "interval": "10s",
            "successCondition": "result > 0.9", "failureCondition": "result < 0.1",
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        let n = outcomes.len();
        let status = run(&spec(vec![metric(v)]), "m", outcomes);
        assert_eq!(phase_of(&status, "m"), want, "{extra} after {n} outcomes");
        let run_want = if want == Pending { Running } else { want };
        assert_eq!(status.phase, run_want, "{extra}: run phase");
    }
}

#[test]
fn an_empty_result_is_an_error_never_a_success() {
    let s = spec(vec![metric(
        json!({"name": "m", "successCondition": "result[0] > 0.9"}),
    )]);
    let status = run(&s, "m", vec![err()]);
    let r = &status.metric_results[0];
    assert_eq!((r.phase, r.error, r.count), (Running, 1, 0));
    assert_eq!(r.measurements[0].phase, Error);
    assert_eq!(
        r.measurements[0].message.as_deref(),
        Some("query returned no data")
    );
    let status = run(&s, "m", (0..5).map(|_| err()).collect());
    assert_eq!(status.phase, Error);
    assert!(status.message.unwrap().contains("query returned no data"));
}

#[test]
fn the_run_is_the_worst_of_its_metrics() {
    let cases: &[(&[AnalysisPhase], AnalysisPhase)] = &[
        (&[Successful, Successful], Successful),
        (&[Successful, Running], Running),
        (&[Running, Inconclusive], Inconclusive),
        (&[Inconclusive, Error], Error),
        (&[Error, Failed], Failed),
        (&[Failed, Successful, Running], Failed),
        (&[], Successful),
    ];
    for (phases, want) in cases {
        let metrics: Vec<Metric> = (0..phases.len())
            .map(|i| metric(json!({"name": format!("m{i}")})))
            .collect();
        let s = spec(metrics);
        let mut status = AnalysisRunStatus::default();
        measure::start(&s, &mut status, t(0));
        for (r, p) in status.metric_results.iter_mut().zip(phases.iter()) {
            r.phase = *p;
        }
        assert_eq!(measure::run_phase(&s, &status), *want, "{phases:?}");
    }
}

#[test]
fn a_dry_run_metric_is_recorded_but_never_fails_the_run() {
    let mut s = spec(vec![
        metric(json!({"name": "real", "successCondition": "result > 0.9"})),
        metric(json!({"name": "trial", "successCondition": "result > 0.9"})),
    ]);
    s.dry_run = serde_json::from_value(json!([{"metricName": "trial"}])).unwrap();
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    measure::record(&s, &mut status, "trial", num(0.0), t(0), t(0));
    assert_eq!(phase_of(&status, "trial"), Failed);
    assert!(
        status
            .metric_results
            .iter()
            .any(|r| r.name == "trial" && r.dry_run)
    );
    assert_eq!(status.phase, Running);
    assert!(status.message.as_deref().unwrap().contains("(dry run)"));
    measure::record(&s, &mut status, "real", num(1.0), t(1), t(1));
    assert_eq!(status.phase, Successful);
}

#[test]
fn with_only_dry_run_metrics_the_run_waits_for_them_then_succeeds() {
    let mut s = spec(vec![metric(
        json!({"name": "trial", "successCondition": "result > 0.9"}),
    )]);
    s.dry_run = serde_json::from_value(json!([{"metricName": "*"}])).unwrap();
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    assert_eq!(status.phase, Running);
    measure::record(&s, &mut status, "trial", num(0.0), t(0), t(0));
    assert_eq!(status.phase, Successful);
}

#[test]
fn the_schedule_respects_initial_delay_interval_and_count() {
    let s = spec(vec![
        metric(json!({"name": "once"})),
        metric(json!({"name": "late", "initialDelay": "30s"})),
        metric(json!({"name": "every", "interval": "10s", "count": 2})),
    ]);
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(100));
    assert_eq!(measure::due(&s, &status, t(100)), ["once", "every"]);
    assert_eq!(measure::next_due(&s, &status, "late"), Some(t(130)));
    measure::record(&s, &mut status, "once", num(1.0), t(100), t(101));
    measure::record(&s, &mut status, "every", num(1.0), t(100), t(102));
    assert_eq!(measure::next_due(&s, &status, "once"), None);
    assert_eq!(measure::next_due(&s, &status, "every"), Some(t(112)));
    assert!(measure::due(&s, &status, t(111)).is_empty());
    assert_eq!(measure::due(&s, &status, t(130)), ["late", "every"]);
    measure::record(&s, &mut status, "every", num(1.0), t(112), t(112));
    assert_eq!(measure::next_due(&s, &status, "every"), None);
    assert_eq!(phase_of(&status, "every"), Successful);
    assert_eq!(status.phase, Running);
    measure::record(&s, &mut status, "late", num(1.0), t(130), t(130));
    assert_eq!(status.phase, Successful);
    assert!(measure::due(&s, &status, t(1000)).is_empty());
}

#[test]
fn a_metric_without_interval_retries_an_error_after_ten_seconds() {
    let s = spec(vec![metric(json!({"name": "m"}))]);
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    measure::record(&s, &mut status, "m", err(), t(0), t(1));
    assert_eq!(measure::next_due(&s, &status, "m"), Some(t(11)));
    measure::record(&s, &mut status, "m", num(1.0), t(11), t(11));
    assert_eq!(status.phase, Successful);
}

#[test]
fn retention_keeps_the_last_measurements_per_metric() {
    let mut s = spec(vec![
        metric(json!({"name": "a", "interval": "1s"})),
        metric(json!({"name": "b", "interval": "1s"})),
        metric(json!({"name": "c", "interval": "1s"})),
    ]);
    s.measurement_retention = serde_json::from_value(
        json!([{"metricName": "a", "limit": 2}, {"metricName": "*", "limit": 3}]),
    )
    .unwrap();
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    for i in 0..12 {
        for m in ["a", "b", "c"] {
            measure::record(
                &s,
                &mut status,
                m,
                num(f64::from(i)),
                t(i.into()),
                t(i.into()),
            );
        }
    }
    let kept = |m: &str| {
        let r = status.metric_results.iter().find(|r| r.name == m).unwrap();
        (
            r.count,
            r.measurements
                .iter()
                .map(|x| x.value.clone().unwrap())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(kept("a"), (12, vec!["10".into(), "11".into()]));
    assert_eq!(kept("b"), (12, vec!["9".into(), "10".into(), "11".into()]));
    s.measurement_retention.clear();
    assert_eq!(measure::retention(&s, "a"), 10);
}

#[test]
fn terminate_ends_the_run_with_the_verdict_so_far() {
    let s = spec(vec![
        metric(json!({"name": "a", "interval": "1s", "successCondition": "result > 0.5"})),
        metric(
            json!({"name": "b", "interval": "1s", "inconclusiveLimit": 3, "successCondition": "result > 0.5", "failureCondition": "result < 0.1"}),
        ),
    ]);
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    measure::record(&s, &mut status, "a", num(1.0), t(0), t(0));
    let mut ended = status.clone();
    measure::terminate(&s, &mut ended);
    assert_eq!(ended.phase, Successful);
    assert!(ended.message.as_deref().unwrap().starts_with("terminated"));
    assert!(measure::due(&s, &ended, t(100)).is_empty());

    measure::record(&s, &mut status, "a", num(0.0), t(1), t(1));
    measure::terminate(&s, &mut status);
    assert_eq!(status.phase, Failed);

    let mut s2 = s.clone();
    s2.terminate = true;
    let mut fresh = AnalysisRunStatus::default();
    measure::start(&s2, &mut fresh, t(0));
    assert!(measure::due(&s2, &fresh, t(0)).is_empty());
}

#[test]
fn a_decided_metric_or_run_is_not_changed_by_late_results() {
    let s = spec(vec![metric(
        json!({"name": "m", "interval": "1s", "successCondition": "result > 0.5"}),
    )]);
    let mut status = run(&s, "m", vec![num(0.0)]);
    assert_eq!(status.phase, Failed);
    let before = status.clone();
    measure::record(&s, &mut status, "m", num(1.0), t(5), t(5));
    assert_eq!(status, before);
}

#[test]
fn args_are_substituted_and_a_missing_one_is_a_clear_error() {
    let args = vec![
        Argument {
            name: "svc".into(),
            value: Some("web".into()),
        },
        Argument {
            name: "unset".into(),
            value: None,
        },
    ];
    assert_eq!(
        measure::substitute(
            "rate(x{svc=\"{{args.svc}}\"}[1m]) {{ args.svc }} {{other}}",
            &args
        ),
        Ok("rate(x{svc=\"web\"}[1m]) web {{other}}".into())
    );
    assert_eq!(
        measure::substitute("{{args.nope}}", &args),
        Err(ArgsError::Unknown {
            name: "nope".into()
        })
    );
    assert_eq!(
        measure::substitute("{{args.unset}}", &args),
        Err(ArgsError::NoValue {
            name: "unset".into()
        })
    );
    let e = measure::substitute("{{args.unset}}", &args)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'unset' has no value"), "{e}");

    let m = metric(json!({"name": "m", "provider": {
        "web": {"url": "http://h/{{args.svc}}", "body": "{\"s\":\"{{args.svc}}\"}",
                "headers": [{"key": "X-Svc", "value": "{{args.svc}}"}]}
    }}));
    let r = measure::resolve_metric(&m, &args).unwrap();
    let w = r.provider.web.unwrap();
    assert_eq!(w.url, "http://h/web");
    assert_eq!(w.body.as_deref(), Some("{\"s\":\"web\"}"));
    assert_eq!(w.headers[0].value, "web");
    let e =
        metric(json!({"name": "m", "provider": {"exec": {"command": ["check", "{{args.svc}}"]}}}));
    assert_eq!(
        measure::resolve_metric(&e, &args)
            .unwrap()
            .provider
            .exec
            .unwrap()
            .command,
        ["check", "web"]
    );
}

#[test]
fn rollout_args_override_template_defaults_and_value_from_reads_the_rollout() {
    let source = ArgSource {
        name: "web".into(),
        namespace: "shop".into(),
        labels: [("team".to_string(), "pay".to_string())].into(),
        stable_revision: Some("v1".into()),
        latest_revision: "v2".into(),
    };
    let declared = vec![
        Argument {
            name: "a".into(),
            value: Some("default".into()),
        },
        Argument {
            name: "b".into(),
            value: Some("default".into()),
        },
        Argument {
            name: "stable".into(),
            value: None,
        },
        Argument {
            name: "latest".into(),
            value: None,
        },
        Argument {
            name: "name".into(),
            value: None,
        },
        Argument {
            name: "ns".into(),
            value: None,
        },
        Argument {
            name: "team".into(),
            value: None,
        },
        Argument {
            name: "team2".into(),
            value: None,
        },
    ];
    let given: Vec<AnalysisRunArgument> = serde_json::from_value(json!([
        {"name": "b", "value": "given"},
        {"name": "stable", "valueFrom": {"podTemplateHashValue": "Stable"}},
        {"name": "latest", "valueFrom": {"podTemplateHashValue": "Latest"}},
        {"name": "name", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "ns", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "team", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['team']"}}},
        {"name": "team2", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels.team"}}},
    ]))
    .unwrap();
    let got = measure::resolve_args(&declared, &given, &source).unwrap();
    let values: Vec<(&str, &str)> = got
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref().unwrap()))
        .collect();
    assert_eq!(
        values,
        [
            ("a", "default"),
            ("b", "given"),
            ("stable", "v1"),
            ("latest", "v2"),
            ("name", "web"),
            ("ns", "shop"),
            ("team", "pay"),
            ("team2", "pay")
        ]
    );

    let bad = |v: serde_json::Value, src: &ArgSource| {
        let given: Vec<AnalysisRunArgument> = serde_json::from_value(json!([v])).unwrap();
        measure::resolve_args(&[], &given, src).unwrap_err()
    };
    let no_stable = ArgSource {
        stable_revision: None,
        ..source.clone()
    };
    assert!(matches!(
        bad(
            json!({"name": "s", "valueFrom": {"podTemplateHashValue": "Stable"}}),
            &no_stable
        ),
        ArgsError::NoStableRevision { .. }
    ));
    assert!(matches!(
        bad(
            json!({"name": "s", "valueFrom": {"fieldRef": {"fieldPath": "spec.replicas"}}}),
            &source
        ),
        ArgsError::FieldPath { .. }
    ));
    assert!(matches!(
        bad(
            json!({"name": "s", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['x']"}}}),
            &source
        ),
        ArgsError::NoLabel { .. }
    ));
    assert!(matches!(
        bad(json!({"name": "s"}), &source),
        ArgsError::Empty { .. }
    ));
}

#[test]
fn a_run_spec_merges_templates_and_checks_every_argument_first() {
    let t1: serin_api::analysis::AnalysisTemplateSpec = serde_json::from_value(json!({
        "args": [{"name": "svc"}],
        "metrics": [{"name": "a", "provider": {"prometheus": {"address": "http://p", "query": "up{job=\"{{args.svc}}\"}"}}}],
        "dryRun": [{"metricName": "a"}],
    }))
    .unwrap();
    let t2: serin_api::analysis::AnalysisTemplateSpec = serde_json::from_value(json!({
        "metrics": [{"name": "b", "provider": {"exec": {"command": ["true"]}}}],
        "measurementRetention": [{"metricName": "b", "limit": 1}],
    }))
    .unwrap();
    let given: Vec<AnalysisRunArgument> =
        serde_json::from_value(json!([{"name": "svc", "value": "web"}])).unwrap();
    let s =
        measure::build_run_spec(&[t1.clone(), t2.clone()], &given, &ArgSource::default()).unwrap();
    assert_eq!(s.metrics.len(), 2);
    assert!(measure::is_dry_run(&s, "a") && !measure::is_dry_run(&s, "b"));
    assert_eq!(measure::retention(&s, "b"), 1);
    assert_eq!(
        measure::build_run_spec(std::slice::from_ref(&t1), &[], &ArgSource::default()),
        Err(ArgsError::NoValue { name: "svc".into() })
    );
    assert!(matches!(
        measure::build_run_spec(&[t2.clone(), t2], &[], &ArgSource::default()),
        Err(ArgsError::DuplicateMetric { .. })
    ));
}

#[test]
fn a_run_that_cannot_be_measured_ends_as_error_with_the_reason() {
    let mut status = AnalysisRunStatus::default();
    measure::fail_run(&mut status, "argument 'svc' has no value");
    assert_eq!(status.phase, Error);
    assert_eq!(
        status.message.as_deref(),
        Some("argument 'svc' has no value")
    );
}

#[test]
fn a_sequential_metric_ends_on_the_judges_verdict_not_on_count() {
    let s = spec(vec![metric(
        json!({"name": "seq", "interval": "10s", "count": 1,
        "provider": {"sequential": {"test": "errors"}}}),
    )]);
    let judged = |phase| Outcome::Judged {
        phase,
        value: "{}".into(),
        message: "look".into(),
    };
    let mut status = AnalysisRunStatus::default();
    measure::start(&s, &mut status, t(0));
    measure::record(&s, &mut status, "seq", judged(Running), t(0), t(0));
    measure::record(&s, &mut status, "seq", judged(Running), t(10), t(10));
    assert_eq!((status.phase, status.metric_results[0].count), (Running, 2));
    assert_eq!(measure::next_due(&s, &status, "seq"), Some(t(20)));
    measure::record(&s, &mut status, "seq", judged(Failed), t(20), t(20));
    assert_eq!(status.phase, Failed);
    let mut ok = AnalysisRunStatus::default();
    measure::start(&s, &mut ok, t(0));
    measure::record(&s, &mut ok, "seq", judged(Successful), t(0), t(0));
    assert_eq!(ok.phase, Successful);
}
