//! Webhooks called during a release, as Flagger has them: `pre-rollout`
//! (before any traffic moves), `rollout` (before each step passes),
//! `confirm-promotion` (a gate that holds until it answers 2xx),
//! `post-rollout` (after promotion) and `rollback` (a 2xx aborts).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Duration;

/// Default time one call may take.
pub const DEFAULT_WEBHOOK_TIMEOUT_SECONDS: u64 = 10;
/// Default retries of a failed call (gates that hold keep polling instead).
pub const DEFAULT_WEBHOOK_RETRIES: i32 = 2;

/// A webhook of a rollout.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhook {
    /// The webhook's name, unique in the rollout.
    pub name: String,
    /// When it is called.
    #[serde(rename = "type")]
    pub type_: WebhookType,
    /// The URL; the call is a POST with a JSON payload.
    pub url: String,
    /// Time one call may take (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Retries of a failed call before it counts as failed (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<i32>,
    /// Sent as `metadata` in the payload.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// When a webhook is called, and what its answer means.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookType {
    /// Before any traffic moves to the new version; a failure aborts.
    #[default]
    PreRollout,
    /// Before each canary step passes (before the switch for blue-green); a failure aborts.
    Rollout,
    /// Before promotion; holds, asking again, until it answers 2xx.
    ConfirmPromotion,
    /// After promotion; its answer changes nothing.
    PostRollout,
    /// Asked again and again during a release; a 2xx aborts it.
    Rollback,
}

impl WebhookType {
    /// The type as written in a spec and sent in the payload.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreRollout => "pre-rollout",
            Self::Rollout => "rollout",
            Self::ConfirmPromotion => "confirm-promotion",
            Self::PostRollout => "post-rollout",
            Self::Rollback => "rollback",
        }
    }

    /// Whether the caller keeps asking until a 2xx instead of retrying and failing.
    pub fn polls(self) -> bool {
        matches!(self, Self::ConfirmPromotion | Self::Rollback)
    }
}

/// What a webhook is sent (the platform adds `name` and `namespace`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// The rollout's name (filled in by the platform).
    #[serde(default)]
    pub name: String,
    /// The rollout's namespace (filled in by the platform; `default` on one host).
    #[serde(default)]
    pub namespace: String,
    /// The webhook type, such as `pre-rollout`.
    pub phase: String,
    /// The revision being released.
    pub revision: String,
    /// The stable revision.
    pub stable_revision: String,
    /// The canary step, for `rollout` webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i32>,
    /// The webhook's metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}
