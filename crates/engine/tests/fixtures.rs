//! Table tests over YAML fixtures: each file under `fixtures/cases` gives a
//! spec (inline or a file under `fixtures/specs`), an observation and a time,
//! and the actions, status fields and requeue the engine must produce.
//!
//! `expect.actions` is compared exactly (order included); `expect.status` is
//! a subset: every field it names must equal the planned status's field,
//! lists element by element, and `null` asks for an absent field.
//! `expect.absentActions` lists action kinds that must not appear.
//! `expect.requeueAfterMs` is the timer asked for, `null` for none.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use serin_api::{RolloutSpec, Time};
use serin_engine::{Observed, plan};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    #[allow(dead_code)]
    description: String,
    #[serde(default)]
    spec_file: Option<String>,
    #[serde(default)]
    spec: Option<Value>,
    /// Merged over the spec file (JSON merge patch).
    #[serde(default)]
    spec_patch: Option<Value>,
    observed: Observed,
    now: Time,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    actions: Option<Value>,
    #[serde(default)]
    actions_include: Option<Vec<Value>>,
    #[serde(default)]
    absent_actions: Vec<String>,
    #[serde(default)]
    status: Option<Value>,
    /// A number, or `null` for "no timer": absent means not checked.
    #[serde(default, deserialize_with = "present")]
    requeue_after_ms: Option<Option<u64>>,
}

/// A field that is present, even as `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load_spec(case: &Case) -> RolloutSpec {
    let mut spec = match (&case.spec_file, &case.spec) {
        (Some(file), None) => {
            let text = std::fs::read_to_string(fixtures_dir().join("specs").join(file)).unwrap();
            serde_saphyr::from_str::<Value>(&text).unwrap()
        }
        (None, Some(spec)) => spec.clone(),
        _ => panic!("a case has exactly one of specFile and spec"),
    };
    if let Some(patch) = &case.spec_patch {
        merge(&mut spec, patch);
    }
    serde_json::from_value(spec).unwrap()
}

fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Every field of `expected` equals the same field of `actual`.
fn subset(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let child = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => subset(v, av, &child, errors),
                    None if v.is_null() => {}
                    None => errors.push(format!("{child}: missing, expected {v}")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                errors.push(format!(
                    "{path}: {} items, expected {}: {actual}",
                    a.len(),
                    e.len()
                ));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{path}[{i}]"), errors);
            }
        }
        (e, a) if e != a => errors.push(format!("{path}: {a}, expected {e}")),
        _ => {}
    }
}

fn run_case(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let case: Case = serde_saphyr::from_str::<Value>(&text)
        .map_err(|e| e.to_string())
        .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = load_spec(&case);
    let planned = plan(&spec, &case.observed, case.now);
    let actual = serde_json::to_value(&planned).unwrap();
    let mut errors = Vec::new();
    if let Some(actions) = &case.expect.actions {
        subset(actions, &actual["actions"], "actions", &mut errors);
    }
    for wanted in case.expect.actions_include.iter().flatten() {
        let found = actual["actions"].as_array().unwrap().iter().any(|a| {
            let mut e = Vec::new();
            subset(wanted, a, "", &mut e);
            e.is_empty()
        });
        if !found {
            errors.push(format!("no action like {wanted} in {}", actual["actions"]));
        }
    }
    for kind in &case.expect.absent_actions {
        if actual["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == kind.as_str())
        {
            errors.push(format!("unexpected {kind} in {}", actual["actions"]));
        }
    }
    if let Some(status) = &case.expect.status {
        subset(status, &actual["status"], "status", &mut errors);
    }
    if let Some(requeue) = case.expect.requeue_after_ms
        && planned.requeue_after_ms != requeue
    {
        errors.push(format!(
            "requeueAfterMs: {:?}, expected {requeue:?}",
            planned.requeue_after_ms
        ));
    }
    // A second pass over the same observation, with the status written back,
    // changes nothing.
    let again = plan(
        &spec,
        &Observed {
            status: planned.status.clone(),
            ..case.observed.clone()
        },
        case.now,
    );
    if again.status != planned.status {
        errors.push("a second pass over the same observation changed the status".into());
    }
    if again
        .actions
        .iter()
        .any(|a| matches!(a, serin_engine::Action::Event { .. }))
    {
        errors.push(format!("a second pass emitted events: {:?}", again.actions));
    }
    errors
        .into_iter()
        .map(|e| format!("{}: {e}", path.file_name().unwrap().to_string_lossy()))
        .collect()
}

fn case_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn there_are_at_least_sixty_fixture_cases() {
    let count = case_paths().len();
    assert!(
        count >= 60,
        "expected at least 60 fixture cases, found {count}"
    );
}

#[test]
fn every_fixture_case_plans_as_expected() {
    let paths = case_paths();
    let failures: Vec<String> = paths.iter().flat_map(|p| run_case(p)).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
