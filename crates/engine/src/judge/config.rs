//! The judge's parameters, resolved from a `SequentialMetric`: defaults
//! applied, values checked, and alpha split (Bonferroni) across the
//! sequential metrics of one analysis.

use serde::{Deserialize, Serialize};
use serin_api::analysis::{SequentialMetric, SequentialTest};

use super::errors::ConfigError;

/// Default false alarm probability over a whole analysis.
pub const DEFAULT_ALPHA: f64 = 0.01;
/// Default smallest degradation worth catching (canary fails twice as often).
pub const DEFAULT_MIN_EFFECT: f64 = 2.0;
/// Default number of canary requests after which the judge stops.
pub const DEFAULT_MAX_SAMPLES: u64 = 20_000;
/// Default stable quantile for the latency test.
pub const DEFAULT_LATENCY_QUANTILE: f64 = 0.95;

/// The resolved parameters of one sequential judge.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JudgeConfig {
    /// What is compared.
    pub test: SequentialTest,
    /// Probability of ever answering Failed for a canary no worse than stable
    /// (this metric's share of the template's alpha).
    pub alpha: f64,
    /// Probability of ever answering Successful (before `max_samples`) for a
    /// canary at least `min_effect` times worse. serin uses `alpha` here too.
    pub beta: f64,
    /// The smallest rate ratio (canary / stable) worth catching, above 1.
    pub min_effect: f64,
    /// Canary requests after which the judge stops.
    pub max_samples: u64,
    /// For the latency test: the stable quantile used as the threshold.
    pub latency_quantile: f64,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        Self {
            test: SequentialTest::Errors,
            alpha: DEFAULT_ALPHA,
            beta: DEFAULT_ALPHA,
            min_effect: DEFAULT_MIN_EFFECT,
            max_samples: DEFAULT_MAX_SAMPLES,
            latency_quantile: DEFAULT_LATENCY_QUANTILE,
        }
    }
}

impl JudgeConfig {
    /// Resolves a metric's parameters. `sequential_metrics` is the number of
    /// sequential metrics in the same analysis: each gets
    /// `alpha / sequential_metrics` (Bonferroni), so the analysis as a whole
    /// keeps its false alarm probability at most `alpha`.
    pub fn from_metric(
        metric: &SequentialMetric,
        sequential_metrics: usize,
    ) -> Result<Self, ConfigError> {
        if sequential_metrics == 0 {
            return Err(ConfigError::NoMetrics);
        }
        let alpha = metric.alpha.unwrap_or(DEFAULT_ALPHA);
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(ConfigError::Alpha(alpha));
        }
        let min_effect = metric.min_effect.unwrap_or(DEFAULT_MIN_EFFECT);
        if !(min_effect > 1.0 && min_effect.is_finite()) {
            return Err(ConfigError::MinEffect(min_effect));
        }
        let max_samples = match metric.max_samples {
            None => DEFAULT_MAX_SAMPLES,
            Some(n) if n >= 1 => n.unsigned_abs(),
            Some(n) => return Err(ConfigError::MaxSamples(n)),
        };
        let latency_quantile = metric.latency_quantile.unwrap_or(DEFAULT_LATENCY_QUANTILE);
        if !(latency_quantile > 0.0 && latency_quantile < 1.0) {
            return Err(ConfigError::LatencyQuantile(latency_quantile));
        }
        let share = alpha / sequential_metrics as f64;
        Ok(Self {
            test: metric.test,
            alpha: share,
            beta: share,
            min_effect,
            max_samples,
            latency_quantile,
        })
    }
}
