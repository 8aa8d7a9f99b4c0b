//! `serin lint` end to end: the real binary accepts every example under
//! `examples/` and rejects every fixture under `tests/fixtures/lint/` with
//! exactly the lines the fixture expects. A fixture's first lines are
//! comments: a sentence saying what it proves, then one
//! `# expect: KIND/NAME: PATH: RULE` per error line the lint must print.
//! Fixtures under `tests/fixtures/lint/accepted/` are specs near a refusal
//! (route shapes a router can express) that lint must accept.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn serin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(args)
        .output()
        .unwrap()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn fixtures() -> Vec<PathBuf> {
    yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint"))
}

fn expected_lines(fixture: &Path) -> Vec<String> {
    std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_example_passes_lint() {
    let examples = yaml_files(&workspace().join("examples"));
    assert!(
        examples.len() >= 7,
        "expected the examples under examples/, found {examples:?}"
    );
    for example in &examples {
        let name = example.to_str().unwrap();
        let out = serin(&["lint", "-f", name]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name} was rejected:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with(&format!("{name}: ok (")), "{stdout}");
    }
}

#[test]
fn examples_linted_together_resolve_each_others_templates() {
    let examples = yaml_files(&workspace().join("examples"));
    let mut args = vec!["lint", "-f"];
    args.extend(examples.iter().map(|p| p.to_str().unwrap()));
    let out = serin(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        examples.len()
    );
}

#[test]
fn every_fixture_is_rejected_with_exactly_its_expected_errors() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 25, "only {} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let name = fixture.to_str().unwrap();
        let expected = expected_lines(fixture);
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");
        let out = serin(&["lint", "-f", name]);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let actual: Vec<String> = stdout
            .lines()
            .map(|l| {
                l.strip_prefix(&format!("{name}: "))
                    .unwrap_or(l)
                    .to_string()
            })
            .collect();
        if out.status.code() != Some(1) || actual != expected {
            failures.push(format!(
                "{name}: exit {:?}\n  expected:\n    {}\n  actual:\n    {}",
                out.status.code(),
                expected.join("\n    "),
                actual.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_accepted_fixture_passes_lint() {
    let accepted =
        yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/accepted"));
    assert!(accepted.len() >= 2, "only {accepted:?}");
    for fixture in &accepted {
        let name = fixture.to_str().unwrap();
        let out = serin(&["lint", "-f", name]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{name}: ok (1 document)\n")
        );
        assert!(out.status.success());
    }
}

#[test]
fn all_errors_of_one_document_are_reported_at_once() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/many-errors-at-once.yaml");
    let out = serin(&["lint", "-f", fixture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().count() >= 8, "{stdout}");
    assert!(
        stdout.contains("spec.strategy.canary.steps[0].setWeight: 120 is above 100"),
        "{stdout}"
    );
    assert!(stdout.contains(
        "spec.strategy.canary.analysis.startingStep: 9 is not below the number of steps (5)"
    ));
}

#[test]
fn a_good_file_and_a_bad_file_report_each_on_its_own() {
    let good = workspace().join("examples/bluegreen-local.yaml");
    let bad =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/set-weight-above-100.yaml");
    let (good, bad) = (good.to_str().unwrap(), bad.to_str().unwrap());
    let out = serin(&["lint", "-f", good, bad]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("{good}: ok (1 document)"),
            format!(
                "{bad}: Rollout/web: spec.strategy.canary.steps[0].setWeight: 120 is above 100"
            ),
        ]
    );
}

#[test]
fn a_missing_file_is_reported_and_fails() {
    let out = serin(&["lint", "-f", "/nonexistent/serin.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("/nonexistent/serin.yaml: cannot be read: ")
    );
}

#[test]
fn lint_without_files_is_a_usage_error() {
    let out = serin(&["lint"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_dash_reads_standard_input() {
    use std::io::Write;
    let text = std::fs::read(workspace().join("examples/bluegreen-local.yaml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_serin"))
        .args(["lint", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-: ok (1 document)\n");
}

#[test]
fn help_lists_every_subcommand() {
    let out = serin(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for subcommand in ["lint", "crd"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(subcommand)),
            "{subcommand} missing from:\n{help}"
        );
    }
}
