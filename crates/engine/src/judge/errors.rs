//! The errors of the judges: parameters that make no statistical sense.
//! Validation in `serin-api` should refuse them first; the judge checks again
//! so that it never runs with a meaningless guarantee.

use thiserror::Error;

/// A sequential metric's parameters are unusable.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// `alpha` must be a probability strictly between 0 and 1.
    #[error("alpha must be in (0, 1), got {0}")]
    Alpha(f64),
    /// `minEffect` must be a ratio above 1 (1 would be "no degradation").
    #[error("minEffect must be a finite ratio above 1, got {0}")]
    MinEffect(f64),
    /// `maxSamples` must be positive.
    #[error("maxSamples must be at least 1, got {0}")]
    MaxSamples(i64),
    /// `latencyQuantile` must be strictly between 0 and 1.
    #[error("latencyQuantile must be in (0, 1), got {0}")]
    LatencyQuantile(f64),
    /// The template must count at least one sequential metric.
    #[error("the number of sequential metrics sharing alpha must be at least 1")]
    NoMetrics,
}

/// A stored judge state could not be written or read back.
#[derive(Debug, Error)]
pub enum StateError {
    /// The stored value is not a judge state (or is from an incompatible version).
    #[error("the sequential judge's stored state is unreadable: {0}")]
    Unreadable(#[source] serde_json::Error),
    /// The state could not be written as JSON.
    #[error("the sequential judge's state could not be stored: {0}")]
    Unwritable(#[source] serde_json::Error),
}
