//! The blue-green strategy: the new version comes up in full beside the old
//! one behind a preview address, is judged there, and then receives all
//! traffic at once. Field names and defaults are Argo Rollouts'.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis_ref::RolloutAnalysis;
use crate::canary::{
    DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, DEFAULT_SCALE_DOWN_DELAY_SECONDS, secs_ms,
};

/// The blue-green strategy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlueGreenStrategy {
    /// Service that receives production traffic (Kubernetes; required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_service: Option<String>,
    /// Service that points at the new version before promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_service: Option<String>,
    /// Promote by itself once the new version is ready and judged (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion_enabled: Option<bool>,
    /// Wait this long before promoting by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion_seconds: Option<i32>,
    /// Seconds the old version keeps running after the switch (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
    /// Seconds before an aborted new version is scaled down (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_scale_down_delay_seconds: Option<i32>,
    /// Replicas of the new version before promotion (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_replica_count: Option<i32>,
    /// Analysis of the preview before the switch; it must be Successful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_promotion_analysis: Option<RolloutAnalysis>,
    /// Analysis after the switch; a failure switches back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_promotion_analysis: Option<RolloutAnalysis>,
}

impl BlueGreenStrategy {
    /// `autoPromotionEnabled`, defaulted.
    pub fn auto_promotion_enabled(&self) -> bool {
        self.auto_promotion_enabled.unwrap_or(true)
    }

    /// `autoPromotionSeconds` in milliseconds, 0 when unset.
    pub fn auto_promotion_ms(&self) -> u64 {
        secs_ms(self.auto_promotion_seconds, 0)
    }

    /// `scaleDownDelaySeconds` in milliseconds, defaulted.
    pub fn scale_down_delay_ms(&self) -> u64 {
        secs_ms(
            self.scale_down_delay_seconds,
            DEFAULT_SCALE_DOWN_DELAY_SECONDS,
        )
    }

    /// `abortScaleDownDelaySeconds` in milliseconds, defaulted.
    pub fn abort_scale_down_delay_ms(&self) -> u64 {
        secs_ms(
            self.abort_scale_down_delay_seconds,
            DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS,
        )
    }
}
