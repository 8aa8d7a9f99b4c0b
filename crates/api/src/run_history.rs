//! `spec.analysis`: how many finished AnalysisRuns of past releases a
//! rollout keeps (Argo Rollouts' `successfulRunHistoryLimit` and
//! `unsuccessfulRunHistoryLimit`, 5 each by default). The runs of the
//! current release are never counted nor deleted.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default `successfulRunHistoryLimit` and `unsuccessfulRunHistoryLimit`, as in Argo Rollouts.
pub const DEFAULT_RUN_HISTORY_LIMIT: i32 = 5;

/// How many finished analysis runs of past releases are kept.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisRunStrategy {
    /// Successful runs of past releases kept, the most recently finished
    /// first (default 5; 0 keeps none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    /// Failed, erred and inconclusive runs of past releases kept, the most
    /// recently finished first (default 5; 0 keeps none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsuccessful_run_history_limit: Option<i32>,
}

impl AnalysisRunStrategy {
    /// `successfulRunHistoryLimit`, defaulted; a negative value keeps none.
    pub fn successful_limit(&self) -> usize {
        limit(self.successful_run_history_limit)
    }

    /// `unsuccessfulRunHistoryLimit`, defaulted; a negative value keeps none.
    pub fn unsuccessful_limit(&self) -> usize {
        limit(self.unsuccessful_run_history_limit)
    }
}

fn limit(value: Option<i32>) -> usize {
    usize::try_from(value.unwrap_or(DEFAULT_RUN_HISTORY_LIMIT)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_limits_default_to_five_as_in_argo() {
        let s = AnalysisRunStrategy::default();
        assert_eq!((s.successful_limit(), s.unsuccessful_limit()), (5, 5));
    }

    #[test]
    fn a_limit_of_zero_keeps_none() {
        let s = AnalysisRunStrategy {
            successful_run_history_limit: Some(0),
            unsuccessful_run_history_limit: Some(2),
        };
        assert_eq!((s.successful_limit(), s.unsuccessful_limit()), (0, 2));
    }
}
