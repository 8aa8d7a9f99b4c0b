//! `spec.local` resolved once: the command template, environment, working
//! directory, probes with their defaults filled in, and the drain and grace
//! times. Defaults: readiness `GET /`; no startup or liveness probe; every
//! probe's period 1s, timeout 1s, failureThreshold 3; drain 10s; grace 10s.

use std::collections::BTreeMap;
use std::time::Duration;

use serin_api::rollout::{HttpProbe, LocalWorkload};

use super::error::SupervisorError;

/// Default probe period, timeout and failure threshold.
const DEFAULT_PERIOD: Duration = Duration::from_secs(1);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
/// Default `drainSeconds` and `graceSeconds`.
const DEFAULT_DRAIN: Duration = Duration::from_secs(10);
const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// One HTTP probe with its defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Request path.
    pub path: String,
    /// Time between probes.
    pub period: Duration,
    /// Time one probe may take.
    pub timeout: Duration,
    /// Consecutive failures that fail the probe.
    pub failure_threshold: u32,
}

/// `spec.local`, checked, with defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    /// The command template (`{port}`, `{version}`, `{replica}`).
    pub command: Vec<String>,
    /// Extra environment; values are templates too.
    pub env: BTreeMap<String, String>,
    /// Working directory (a template too).
    pub working_dir: Option<String>,
    /// Must pass once before readiness and liveness are probed.
    pub startup: Option<Probe>,
    /// Decides whether the replica gets traffic (default `GET /`).
    pub readiness: Probe,
    /// Restarts the replica when it fails.
    pub liveness: Option<Probe>,
    /// Longest wait for in-flight requests when draining.
    pub drain: Duration,
    /// Time between SIGTERM and SIGKILL.
    pub grace: Duration,
}

impl Workload {
    /// Resolves `spec.local`.
    pub fn from_spec(spec: &LocalWorkload) -> Result<Self, SupervisorError> {
        if spec.command.is_empty() {
            return Err(SupervisorError::EmptyCommand);
        }
        let readiness = match &spec.probes.readiness {
            Some(p) => probe(p, "probes.readiness")?,
            None => Probe {
                path: "/".into(),
                period: DEFAULT_PERIOD,
                timeout: DEFAULT_TIMEOUT,
                failure_threshold: DEFAULT_FAILURE_THRESHOLD,
            },
        };
        let startup = spec
            .probes
            .startup
            .as_ref()
            .map(|p| probe(p, "probes.startup"))
            .transpose()?;
        let liveness = spec
            .probes
            .liveness
            .as_ref()
            .map(|p| probe(p, "probes.liveness"))
            .transpose()?;
        Ok(Self {
            command: spec.command.clone(),
            env: spec.env.clone(),
            working_dir: spec.working_dir.clone(),
            startup,
            readiness,
            liveness,
            drain: seconds(spec.drain_seconds, "drainSeconds", DEFAULT_DRAIN)?,
            grace: seconds(spec.grace_seconds, "graceSeconds", DEFAULT_GRACE)?,
        })
    }
}

/// A probe with defaults applied.
fn probe(p: &HttpProbe, field: &str) -> Result<Probe, SupervisorError> {
    let duration = |d: &Option<serin_api::Duration>, name: &str, default: Duration| {
        d.as_ref().map_or(Ok(default), |d| {
            d.parse().map_err(|source| SupervisorError::Duration {
                field: format!("{field}.{name}"),
                source,
            })
        })
    };
    let failure_threshold = match p.failure_threshold {
        None => DEFAULT_FAILURE_THRESHOLD,
        Some(n) => {
            u32::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .ok_or(SupervisorError::NotPositive {
                    field: format!("{field}.failureThreshold"),
                    value: i64::from(n),
                })?
        }
    };
    Ok(Probe {
        path: p.path.clone(),
        period: duration(&p.period, "period", DEFAULT_PERIOD)?,
        timeout: duration(&p.timeout, "timeout", DEFAULT_TIMEOUT)?,
        failure_threshold,
    })
}

/// Whole seconds, or the default; negative is refused.
fn seconds(s: Option<i32>, field: &str, default: Duration) -> Result<Duration, SupervisorError> {
    match s {
        None => Ok(default),
        Some(n) => {
            u64::try_from(n)
                .map(Duration::from_secs)
                .map_err(|_| SupervisorError::NotPositive {
                    field: field.to_owned(),
                    value: i64::from(n),
                })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn defaults_probe_readiness_on_root_every_second() {
        let w = Workload::from_spec(&LocalWorkload {
            command: vec!["app".into()],
            ..LocalWorkload::default()
        })
        .unwrap();
        assert_eq!(w.readiness.path, "/");
        assert_eq!(w.readiness.period, Duration::from_secs(1));
        assert_eq!(w.readiness.timeout, Duration::from_secs(1));
        assert_eq!(w.readiness.failure_threshold, 3);
        assert_eq!((w.startup.is_none(), w.liveness.is_none()), (true, true));
        assert_eq!((w.drain, w.grace), (DEFAULT_DRAIN, DEFAULT_GRACE));
    }

    #[test]
    fn empty_command_and_bad_threshold_are_refused() {
        assert!(matches!(
            Workload::from_spec(&LocalWorkload::default()),
            Err(SupervisorError::EmptyCommand)
        ));
        let mut spec = LocalWorkload {
            command: vec!["app".into()],
            ..LocalWorkload::default()
        };
        spec.probes.liveness = Some(HttpProbe {
            path: "/livez".into(),
            failure_threshold: Some(0),
            ..HttpProbe::default()
        });
        let e = Workload::from_spec(&spec).unwrap_err();
        assert_eq!(
            e.to_string(),
            "probes.liveness.failureThreshold must be positive, got 0"
        );
    }
}
