//! Why a measurement could not be taken, and whose fault it was: the
//! provider's (it answered with an error or with no data), the network's (it
//! could not be reached, or too slowly), or ours (the metric cannot be
//! measured as written). Every one becomes an Error measurement.

use thiserror::Error;

/// A measurement that could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeasureError {
    /// The provider answered, with an error: a non-2xx status, Prometheus'
    /// `status: error`, a command killed by a signal.
    #[error("{provider} answered with an error: {message}")]
    Provider {
        /// `prometheus`, `web`, `exec`, `builtin` or `sequential`.
        provider: &'static str,
        /// The provider's own message.
        message: String,
    },
    /// The provider answered without a value: an empty query result, a
    /// JSONPath that matched nothing, no requests in the window.
    #[error("{provider}: {message}")]
    NoData {
        /// The provider.
        provider: &'static str,
        /// What was missing.
        message: String,
    },
    /// The provider could not be reached, or did not answer in time.
    #[error("{provider} could not be reached: {message}")]
    Network {
        /// The provider.
        provider: &'static str,
        /// The transport's error.
        message: String,
    },
    /// The metric cannot be measured as written, or serin is not set up for
    /// it (a malformed JSONPath, a builtin metric without the proxy's feed).
    #[error("{provider}: {message}")]
    Config {
        /// The provider.
        provider: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl MeasureError {
    pub(crate) fn provider(provider: &'static str, message: impl Into<String>) -> Self {
        Self::Provider {
            provider,
            message: message.into(),
        }
    }

    pub(crate) fn no_data(provider: &'static str, message: impl Into<String>) -> Self {
        Self::NoData {
            provider,
            message: message.into(),
        }
    }

    pub(crate) fn network(provider: &'static str, message: impl Into<String>) -> Self {
        Self::Network {
            provider,
            message: message.into(),
        }
    }

    pub(crate) fn config(provider: &'static str, message: impl Into<String>) -> Self {
        Self::Config {
            provider,
            message: message.into(),
        }
    }
}
