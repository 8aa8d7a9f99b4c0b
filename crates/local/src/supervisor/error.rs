//! What can go wrong when the supervisor is asked to do something (a
//! replica that fails at run time is reported, not returned as an error).

/// Why a supervisor call failed.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// `spec.local.command` is empty.
    #[error("spec.local.command is empty")]
    EmptyCommand,
    /// A probe's `period` or `timeout` is not a duration.
    #[error("{field}: {source}")]
    Duration {
        /// The field, for example `probes.readiness.period`.
        field: String,
        /// Why it did not parse.
        source: serin_api::DurationError,
    },
    /// A number that must be positive is not.
    #[error("{field} must be positive, got {value}")]
    NotPositive {
        /// The field, for example `probes.liveness.failureThreshold`.
        field: String,
        /// The value given.
        value: i64,
    },
    /// No free loopback port could be found.
    #[error("allocating a loopback port: {0}")]
    Port(#[source] std::io::Error),
}
