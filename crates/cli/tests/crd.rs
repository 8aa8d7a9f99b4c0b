//! `serin crd` end to end: its YAML holds exactly the CRDs of
//! `serin_api::crd::all()`, and (when `.venv/bin/kubernetes-validate` is
//! installed, as `scripts/test` does) Kubernetes 1.33 accepts them strictly.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

fn crd_yaml() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_serin"))
        .arg("crd")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn crd_output_is_every_crd_as_yaml_documents() {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&crd_yaml()).unwrap();
    let expected: Vec<serde_json::Value> = serin_api::crd::all()
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs, expected);
    let names: Vec<&str> = docs
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "rollouts.serin.dev",
            "analysistemplates.serin.dev",
            "clusteranalysistemplates.serin.dev",
            "analysisruns.serin.dev"
        ]
    );
}

#[test]
fn crd_output_passes_kubernetes_validate_strict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let validator = root.join(".venv/bin/kubernetes-validate");
    if !validator.exists() {
        eprintln!(
            "NOTICE: {} is not installed; skipped (scripts/test installs it)",
            validator.display()
        );
        return;
    }
    let file = std::env::temp_dir().join(format!("serin-crd-{}.yaml", std::process::id()));
    std::fs::write(&file, crd_yaml()).unwrap();
    let out = Command::new(&validator)
        .args(["--strict", "-k", "1.33.0"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubernetes-validate failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout
            .matches(" passed for resource customresourcedefinition/")
            .count(),
        4,
        "{stdout}"
    );
}
