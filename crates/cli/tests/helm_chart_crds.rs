//! The Helm chart's CRDs (`deploy/helm/serin/crds/`) are exactly what
//! `serin crd` prints, byte for byte, so the chart never installs stale
//! schemas. When this fails, regenerate them:
//! `cargo run -q -p serin -- crd > deploy/helm/serin/crds/serin-crds.yaml`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn helm_chart_crds_are_serin_crd_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_serin"))
        .arg("crd")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/helm/serin/crds");
    let mut files: Vec<_> = std::fs::read_dir(&crds)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["serin-crds.yaml"],
        "the chart's crds/ holds one file"
    );
    let chart = std::fs::read_to_string(crds.join("serin-crds.yaml")).unwrap();
    assert!(
        chart == String::from_utf8(out.stdout).unwrap(),
        "deploy/helm/serin/crds/serin-crds.yaml differs from `serin crd`; regenerate it with \
         `cargo run -q -p serin -- crd > deploy/helm/serin/crds/serin-crds.yaml`"
    );
}
