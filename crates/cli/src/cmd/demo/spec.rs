//! The demo's rollout, written as YAML and read back through `serin lint`'s
//! checks: the reference service as the workload (through the demo's
//! replica shim, which gives v2 its injected errors), and per strategy the
//! analysis that judges v2 — the sequential judge for a canary, a web check
//! of the preview for blue-green.

use super::{Pace, Strategy};

/// The version that gets errors injected, and the shares per strategy.
pub const FAULTY: &str = "v2";
/// Share of v2's `GET /` answered 500 in a canary: the judge's job.
pub const CANARY_ERROR_RATE: f64 = 0.05;
/// Share for blue-green: the preview check looks at few requests, so v2
/// fails more often for it to be caught every time.
pub const PREVIEW_ERROR_RATE: f64 = 0.25;

/// The ports the demo's rollout listens on.
pub struct Ports {
    /// Production.
    pub listen: u16,
    /// Blue-green preview.
    pub preview: u16,
}

/// The error rate v2 gets under `strategy`.
pub fn error_rate(strategy: Strategy) -> f64 {
    match strategy {
        Strategy::Canary => CANARY_ERROR_RATE,
        Strategy::BlueGreen => PREVIEW_ERROR_RATE,
    }
}

/// The whole file: a Rollout named `demo` and its AnalysisTemplate.
pub fn yaml(exe: &str, strategy: Strategy, pace: &Pace, ports: &Ports) -> String {
    let rate = error_rate(strategy);
    let preview = match strategy {
        Strategy::Canary => String::new(),
        Strategy::BlueGreen => format!("    previewListen: 127.0.0.1:{}\n", ports.preview),
    };
    let (strategy_yaml, template) = match strategy {
        Strategy::Canary => (
            format!(
                "    canary:\n      abortScaleDownDelaySeconds: 1\n      steps: [{{setWeight: 20}}, {{analysis: {{templates: [{{templateName: errors}}]}}}}, {{setWeight: 50}}, {{pause: {{duration: {}s}}}}]",
                pace.pause_seconds
            ),
            format!(
                r#"apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: errors
spec:
  metrics:
    - name: errors
      interval: {}ms
      provider:
        sequential:
          test: errors
          alpha: 0.05
          minEffect: 2.0
          maxSamples: {}
"#,
                pace.look_ms, pace.max_samples
            ),
        ),
        Strategy::BlueGreen => (
            format!(
                "    blueGreen:\n      autoPromotionSeconds: {}\n      scaleDownDelaySeconds: 1\n      abortScaleDownDelaySeconds: 1\n      prePromotionAnalysis: {{templates: [{{templateName: preview}}]}}",
                pace.pause_seconds
            ),
            format!(
                r#"apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: preview
spec:
  metrics:
    - name: preview-answers
      interval: {}ms
      count: 30
      consecutiveErrorLimit: 0
      provider:
        web:
          url: http://127.0.0.1:{}/
          jsonPath: "$.version"
"#,
                pace.look_ms / 2,
                ports.preview
            ),
        ),
    };
    format!(
        r#"apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata:
  name: demo
spec:
  replicas: {replicas}
  local:
    command: ["{exe}", demo, --replica-port, "{{port}}", --replica-version, "{{version}}", --faulty, "{FAULTY}={rate}"]
    version: v1
    listen: 127.0.0.1:{listen}
{preview}    drainSeconds: 2
    graceSeconds: 3
    probes:
      readiness: {{path: /readyz, period: 200ms, failureThreshold: 2}}
      liveness: {{path: /livez}}
  strategy:
{strategy_yaml}
---
{template}"#,
        replicas = pace.replicas,
        listen = ports.listen,
    )
}
