//! The settings of a leader election: which Lease, who we are, and the three
//! durations (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s
//! retry period), checked so that a leader always steps down before its
//! Lease can expire for the others.

use std::time::Duration;

use super::LeaderError;

/// Where the Lease is, who this candidate is, and how long things take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderConfig {
    /// The Lease's namespace (the controller's own, from `POD_NAMESPACE`).
    pub namespace: String,
    /// The Lease's name.
    pub name: String,
    /// This candidate's identity, written as `holderIdentity` (the pod name).
    pub identity: String,
    /// How long a Lease stays valid after its last renewal, for the others.
    /// Written in whole seconds (rounded up).
    pub lease_duration: Duration,
    /// How long a leader keeps leading without a successful renewal before it
    /// steps down. Shorter than `lease_duration`.
    pub renew_deadline: Duration,
    /// How long to wait between attempts to acquire or renew.
    pub retry_period: Duration,
}

impl LeaderConfig {
    /// The Lease name unless told otherwise.
    pub const DEFAULT_NAME: &'static str = "serin-controller";
    /// The lease duration unless told otherwise.
    pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
    /// The renew deadline unless told otherwise.
    pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
    /// The retry period unless told otherwise.
    pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);

    /// The defaults for a candidate named `identity` with its Lease in `namespace`.
    pub fn new(namespace: impl Into<String>, identity: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: Self::DEFAULT_NAME.to_string(),
            identity: identity.into(),
            lease_duration: Self::DEFAULT_LEASE_DURATION,
            renew_deadline: Self::DEFAULT_RENEW_DEADLINE,
            retry_period: Self::DEFAULT_RETRY_PERIOD,
        }
    }

    /// The defaults for the pod this process runs in: the Lease in
    /// `POD_NAMESPACE`, the identity `POD_NAME` (else `HOSTNAME`), both set
    /// by the Deployment `serin install` prints. `var` reads a variable
    /// (`|k| std::env::var(k).ok()` in the controller).
    ///
    /// # Errors
    /// [`LeaderError::MissingEnv`] naming the variable that is unset or empty.
    pub fn from_pod_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, LeaderError> {
        let set = |k: &str| var(k).filter(|v| !v.is_empty());
        let namespace = set("POD_NAMESPACE").ok_or(LeaderError::MissingEnv("POD_NAMESPACE"))?;
        let identity = set("POD_NAME")
            .or_else(|| set("HOSTNAME"))
            .ok_or(LeaderError::MissingEnv("POD_NAME"))?;
        Ok(Self::new(namespace, identity))
    }

    /// `leaseDurationSeconds` as written: the duration rounded up to whole
    /// seconds, at least one.
    pub fn lease_duration_seconds(&self) -> i32 {
        let secs =
            self.lease_duration.as_secs() + u64::from(self.lease_duration.subsec_nanos() > 0);
        i32::try_from(secs.max(1)).unwrap_or(i32::MAX)
    }

    /// Checks that the settings can only give one leader at a time.
    ///
    /// # Errors
    /// [`LeaderError::InvalidConfig`] naming the first problem: an empty
    /// namespace, name or identity, a zero retry period, a retry period not
    /// shorter than the renew deadline, or a renew deadline not shorter than
    /// the lease duration.
    pub fn validate(&self) -> Result<(), LeaderError> {
        let problem = if self.namespace.is_empty() {
            Some("the lease namespace is empty".to_string())
        } else if self.name.is_empty() {
            Some("the lease name is empty".to_string())
        } else if self.identity.is_empty() {
            Some("the identity is empty".to_string())
        } else if self.retry_period.is_zero() {
            Some("the retry period is zero".to_string())
        } else if self.retry_period >= self.renew_deadline {
            Some(format!(
                "the retry period ({:?}) must be shorter than the renew deadline ({:?})",
                self.retry_period, self.renew_deadline
            ))
        } else if self.renew_deadline >= self.lease_duration {
            Some(format!(
                "the renew deadline ({:?}) must be shorter than the lease duration ({:?})",
                self.renew_deadline, self.lease_duration
            ))
        } else {
            None
        };
        problem.map_or(Ok(()), |p| Err(LeaderError::InvalidConfig(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_client_go_s_and_valid() {
        let c = LeaderConfig::new("serin-system", "pod-a");
        assert_eq!(c.name, "serin-controller");
        assert_eq!(c.lease_duration, Duration::from_secs(15));
        assert_eq!(c.renew_deadline, Duration::from_secs(10));
        assert_eq!(c.retry_period, Duration::from_secs(2));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn the_pod_s_namespace_and_name_come_from_the_downward_api_variables() {
        let env = |k: &str| match k {
            "POD_NAMESPACE" => Some("serin-system".to_string()),
            "POD_NAME" => Some("serin-controller-7d9-x2".to_string()),
            _ => None,
        };
        let c = LeaderConfig::from_pod_env(env).expect("both set");
        assert_eq!(c.namespace, "serin-system");
        assert_eq!(c.identity, "serin-controller-7d9-x2");
    }

    #[test]
    fn a_missing_pod_namespace_is_named() {
        let e = LeaderConfig::from_pod_env(|_| None).expect_err("unset");
        assert!(e.to_string().contains("POD_NAMESPACE"), "{e}");
    }

    #[test]
    fn a_renew_deadline_as_long_as_the_lease_is_refused() {
        let mut c = LeaderConfig::new("ns", "pod-a");
        c.renew_deadline = c.lease_duration;
        let e = c.validate().expect_err("two leaders possible");
        assert!(e.to_string().contains("renew deadline"), "{e}");
    }

    #[test]
    fn a_retry_period_as_long_as_the_renew_deadline_is_refused() {
        let mut c = LeaderConfig::new("ns", "pod-a");
        c.retry_period = c.renew_deadline;
        assert!(c.validate().is_err());
    }

    #[test]
    fn an_empty_identity_is_refused() {
        assert!(LeaderConfig::new("ns", "").validate().is_err());
    }

    #[test]
    fn lease_seconds_round_up_to_at_least_one() {
        let mut c = LeaderConfig::new("ns", "pod-a");
        c.lease_duration = Duration::from_millis(1500);
        assert_eq!(c.lease_duration_seconds(), 2);
        c.lease_duration = Duration::from_millis(10);
        assert_eq!(c.lease_duration_seconds(), 1);
    }
}
