//! The faults the demo app can inject, as set by flags or environment at
//! start and changed at run time by `PUT /fault`: an error rate, added
//! latency drawn from a log-normal distribution, slow startup, a crash after
//! some time, and failing readiness or liveness.

use std::time::Duration;

use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Deserializer, Serialize};

/// The z-score of the 99th percentile of a standard normal distribution.
const Z_P99: f64 = 2.326_347_874;

/// Everything the app does wrong on purpose.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Faults {
    /// Share of `GET /` requests answered 500, from 0 to 1.
    pub error_rate: f64,
    /// Latency added to each `GET /` request; none when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// Seconds after start during which `/startup` (and `/readyz`) fail.
    pub startup_seconds: f64,
    /// Seconds after start (or after `PUT /fault`) at which the process
    /// crashes: it stops at once, without draining, and exits non-zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_after_seconds: Option<f64>,
    /// `/readyz` answers 503.
    pub fail_readiness: bool,
    /// `/livez` answers 503.
    pub fail_liveness: bool,
}

/// Added latency: log-normal with this median and 99th percentile.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Latency {
    /// Median added latency, in milliseconds.
    pub median_ms: f64,
    /// 99th percentile of the added latency, in milliseconds (at least the median).
    pub p99_ms: f64,
}

/// Why a latency distribution is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LatencyError {
    /// The median is not a finite positive number.
    #[error("latency median must be a positive number of milliseconds, got {0}")]
    Median(f64),
    /// The 99th percentile is below the median or not finite.
    #[error("latency p99 must be at least the median ({median} ms), got {p99}")]
    P99 {
        /// The median given.
        median: f64,
        /// The p99 given.
        p99: f64,
    },
}

/// Why a set of faults is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultsError {
    /// `errorRate` is outside 0..=1.
    #[error("errorRate must be between 0 and 1, got {0}")]
    ErrorRate(f64),
    /// The latency distribution cannot be sampled.
    #[error(transparent)]
    Latency(#[from] LatencyError),
    /// `startupSeconds` is negative or not finite.
    #[error("startupSeconds must be zero or more, got {0}")]
    StartupSeconds(f64),
    /// `crashAfterSeconds` is negative or not finite.
    #[error("crashAfterSeconds must be zero or more, got {0}")]
    CrashAfterSeconds(f64),
}

impl Latency {
    /// Checks that the distribution can be sampled.
    pub fn check(&self) -> Result<(), LatencyError> {
        if !(self.median_ms.is_finite() && self.median_ms > 0.0) {
            return Err(LatencyError::Median(self.median_ms));
        }
        if !(self.p99_ms.is_finite() && self.p99_ms >= self.median_ms) {
            return Err(LatencyError::P99 {
                median: self.median_ms,
                p99: self.p99_ms,
            });
        }
        Ok(())
    }

    /// Draws one added latency.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        let mu = self.median_ms.ln();
        let sigma = (self.p99_ms / self.median_ms).ln() / Z_P99;
        let ms = match LogNormal::new(mu, sigma) {
            Ok(d) if sigma > 0.0 => d.sample(rng),
            _ => self.median_ms,
        };
        Duration::from_secs_f64(ms.max(0.0) / 1000.0)
    }
}

impl Faults {
    /// Checks every field.
    pub fn check(&self) -> Result<(), FaultsError> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(FaultsError::ErrorRate(self.error_rate));
        }
        if let Some(l) = &self.latency {
            l.check()?;
        }
        if !(self.startup_seconds.is_finite() && self.startup_seconds >= 0.0) {
            return Err(FaultsError::StartupSeconds(self.startup_seconds));
        }
        if let Some(s) = self.crash_after_seconds
            && !(s.is_finite() && s >= 0.0)
        {
            return Err(FaultsError::CrashAfterSeconds(s));
        }
        Ok(())
    }
}

/// A change of faults at run time (`PUT /fault`): absent fields are left as
/// they are; `null` clears `latency` or `crashAfterSeconds`.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPatch {
    /// New error rate.
    #[serde(default)]
    pub error_rate: Option<f64>,
    /// New latency, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    pub latency: Option<Option<Latency>>,
    /// Crash this many seconds from now, or `null` to cancel a crash.
    #[serde(default, deserialize_with = "present")]
    pub crash_after_seconds: Option<Option<f64>>,
    /// Fail readiness, or stop failing it.
    #[serde(default)]
    pub fail_readiness: Option<bool>,
    /// Fail liveness, or stop failing it.
    #[serde(default)]
    pub fail_liveness: Option<bool>,
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl FaultPatch {
    /// `faults` with this patch applied (unchecked).
    pub fn apply(&self, faults: &Faults) -> Faults {
        let mut f = faults.clone();
        if let Some(r) = self.error_rate {
            f.error_rate = r;
        }
        if let Some(l) = self.latency {
            f.latency = l;
        }
        if let Some(c) = self.crash_after_seconds {
            f.crash_after_seconds = c;
        }
        if let Some(r) = self.fail_readiness {
            f.fail_readiness = r;
        }
        if let Some(l) = self.fail_liveness {
            f.fail_liveness = l;
        }
        f
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn latency_samples_have_the_asked_median_and_p99() {
        let l = Latency {
            median_ms: 50.0,
            p99_ms: 400.0,
        };
        let mut rng = StdRng::seed_from_u64(7);
        let mut ms: Vec<f64> = (0..20_000)
            .map(|_| l.sample(&mut rng).as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(f64::total_cmp);
        let median = ms[ms.len() / 2];
        let p99 = ms[ms.len() * 99 / 100];
        assert!((45.0..55.0).contains(&median), "median {median}");
        assert!((340.0..470.0).contains(&p99), "p99 {p99}");
    }

    #[test]
    fn latency_with_p99_equal_to_median_is_constant() {
        let l = Latency {
            median_ms: 20.0,
            p99_ms: 20.0,
        };
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(l.sample(&mut rng), Duration::from_millis(20));
    }

    #[test]
    fn patch_changes_only_the_fields_given_and_null_clears() {
        let f = Faults {
            error_rate: 0.1,
            latency: Some(Latency {
                median_ms: 10.0,
                p99_ms: 20.0,
            }),
            ..Faults::default()
        };
        let p: FaultPatch = serde_json::from_str(r#"{"failReadiness":true}"#).unwrap();
        let g = p.apply(&f);
        assert_eq!(g.error_rate, 0.1);
        assert!(g.latency.is_some());
        assert!(g.fail_readiness);
        let p: FaultPatch = serde_json::from_str(r#"{"latency":null}"#).unwrap();
        assert_eq!(p.apply(&f).latency, None);
    }

    #[test]
    fn out_of_range_faults_are_refused() {
        let bad = Faults {
            error_rate: 1.5,
            ..Faults::default()
        };
        assert!(bad.check().is_err());
        let bad = Latency {
            median_ms: 100.0,
            p99_ms: 10.0,
        };
        assert!(bad.check().is_err());
    }
}
