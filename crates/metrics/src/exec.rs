//! The `exec` provider (one host): runs a command; exit status 0 passes.
//! The value is the exit code, so conditions may also judge it
//! (`result == 0 || result == 3`). The command is killed when its time runs
//! out or the analysis stops. The tail of its stderr is kept in the
//! measurement's message.

use std::process::Stdio;
use std::time::Duration;

use serin_api::AnalysisPhase;
use serin_api::analysis::ExecMetric;
use serin_engine::measure::{Outcome, ResultValue};

use crate::MeasureError;
use crate::http::tail;

const NAME: &str = "exec";
/// Time a command may take when the metric does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The command's time limit.
pub fn timeout(e: &ExecMetric) -> Duration {
    e.timeout
        .as_ref()
        .and_then(|d| d.parse().ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Runs the command to its end; the outcome is its exit code, Successful
/// without conditions when it is 0 and Failed otherwise.
pub async fn run(e: &ExecMetric) -> Result<Outcome, MeasureError> {
    let (program, args) = e
        .command
        .split_first()
        .ok_or_else(|| MeasureError::config(NAME, "the command is empty"))?;
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|err| MeasureError::config(NAME, format!("cannot run {program}: {err}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some(code) = output.status.code() else {
        return Err(MeasureError::provider(
            NAME,
            format!(
                "{program} was killed ({}): {}",
                output.status,
                tail(&stderr, 300)
            ),
        ));
    };
    let note = (!stderr.trim().is_empty()).then(|| format!("stderr: {}", tail(&stderr, 300)));
    Ok(Outcome::Value {
        result: ResultValue::Number(f64::from(code)),
        unconditioned: if code == 0 {
            AnalysisPhase::Successful
        } else {
            AnalysisPhase::Failed
        },
        note,
    })
}
