//! `serin crd`: prints every CRD serin installs as multi-document YAML, ready
//! for `kubectl apply -f -`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `serin crd`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the CRDs.
pub fn run(_args: &Args) -> anyhow::Result<ExitCode> {
    let text = render()?;
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing the CRDs to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The CRDs as YAML documents separated by `---`.
pub fn render() -> anyhow::Result<String> {
    let crds = serin_api::crd::all();
    let mut out = String::new();
    for crd in &crds {
        // Through serde_json::Value so that the YAML holds exactly what the
        // API server would receive as JSON.
        let value = serde_json::to_value(crd).context("serializing a CRD")?;
        let yaml = serde_saphyr::to_string(&value).context("writing a CRD as YAML")?;
        out.push_str("---\n");
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}
