//! What the NGINX router reads of a spec ([`NginxConfig`]): the stable
//! Ingresses, the stable and canary Services, the annotation prefix and
//! `maxTrafficWeight`; and the name of the canary Ingress serin makes for
//! each stable Ingress.

use serin_api::RolloutSpec;

use super::ROUTER;
use crate::RouterError;

/// The annotation prefix ingress-nginx reads unless started with
/// `--annotations-prefix`.
pub const DEFAULT_PREFIX: &str = "nginx.ingress.kubernetes.io";

/// The longest name an Ingress may have (a DNS-1123 subdomain).
const MAX_NAME: usize = 253;

/// The NGINX part of a canary strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NginxConfig {
    /// The stable Ingresses (`stableIngress`, then `stableIngresses`), each
    /// cloned into a canary Ingress; never modified.
    pub stable_ingresses: Vec<String>,
    /// `stableService`: the backends the canary Ingress rewrites.
    pub stable_service: Option<String>,
    /// `canaryService`: what those backends become.
    pub canary_service: Option<String>,
    /// `annotationPrefix`, or [`DEFAULT_PREFIX`].
    pub prefix: String,
    /// `trafficRouting.maxTrafficWeight`.
    pub max_weight: Option<i32>,
}

impl NginxConfig {
    /// The NGINX part of `spec`; `None` when it has no
    /// `canary.trafficRouting.nginx`.
    pub fn from_spec(spec: &RolloutSpec) -> Option<Self> {
        let canary = spec.strategy.canary.as_ref()?;
        let routing = canary.traffic_routing.as_ref()?;
        let nginx = routing.nginx.as_ref()?;
        let mut stable_ingresses: Vec<String> = Vec::new();
        for name in nginx.stable_ingress.iter().chain(&nginx.stable_ingresses) {
            if !name.is_empty() && !stable_ingresses.contains(name) {
                stable_ingresses.push(name.clone());
            }
        }
        let prefix = nginx
            .annotation_prefix
            .as_deref()
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| !p.is_empty())
            .unwrap_or(DEFAULT_PREFIX);
        Some(Self {
            stable_ingresses,
            stable_service: canary.stable_service.clone().filter(|s| !s.is_empty()),
            canary_service: canary.canary_service.clone().filter(|s| !s.is_empty()),
            prefix: prefix.to_string(),
            max_weight: routing.max_traffic_weight,
        })
    }

    /// `(stableService, canaryService)`.
    ///
    /// # Errors
    /// [`RouterError::Invalid`] when the spec names either not (validation
    /// requires both with `trafficRouting` on Kubernetes).
    pub fn services(&self) -> Result<(&str, &str), RouterError> {
        let missing = |field: &str| RouterError::Invalid {
            router: ROUTER,
            message: format!("spec.strategy.canary.{field} is required with trafficRouting.nginx"),
        };
        let stable = self
            .stable_service
            .as_deref()
            .ok_or_else(|| missing("stableService"))?;
        let canary = self
            .canary_service
            .as_deref()
            .ok_or_else(|| missing("canaryService"))?;
        Ok((stable, canary))
    }

    /// `<prefix>/<suffix>`, the key of one NGINX annotation.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.prefix)
    }
}

/// The canary Ingress serin makes for the stable Ingress `stable` of the
/// rollout `rollout`: `<stable>-<rollout>-canary`, its front cut so that
/// the name stays within 253 characters and ends its last cut part on a
/// letter or digit.
pub fn canary_name(stable: &str, rollout: &str) -> String {
    const SUFFIX: &str = "-canary";
    let front = format!("{stable}-{rollout}");
    let mut cut = MAX_NAME - SUFFIX.len();
    while !front.is_char_boundary(cut.min(front.len())) {
        cut -= 1;
    }
    let front = front[..cut.min(front.len())].trim_end_matches(['-', '.']);
    format!("{front}{SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(nginx: serde_json::Value) -> Option<NginxConfig> {
        let spec: RolloutSpec = serde_json::from_value(json!({"strategy": {"canary": {
            "stableService": "web-stable",
            "canaryService": "web-canary",
            "trafficRouting": {"nginx": nginx, "maxTrafficWeight": 1000},
        }}}))
        .expect("a spec");
        NginxConfig::from_spec(&spec)
    }

    #[test]
    fn a_spec_without_nginx_has_no_config() {
        let spec: RolloutSpec =
            serde_json::from_value(json!({"strategy": {"canary": {}}})).expect("a spec");
        assert_eq!(NginxConfig::from_spec(&spec), None);
    }

    #[test]
    fn both_ingress_fields_are_read_in_order_without_repeats() {
        let c =
            config(json!({"stableIngress": "a", "stableIngresses": ["b", "a"]})).expect("nginx");
        assert_eq!(c.stable_ingresses, vec!["a", "b"]);
        assert_eq!(c.prefix, DEFAULT_PREFIX);
        assert_eq!(c.max_weight, Some(1000));
        assert_eq!(c.services().expect("both"), ("web-stable", "web-canary"));
    }

    #[test]
    fn a_custom_prefix_is_used_without_its_trailing_slash() {
        let c =
            config(json!({"stableIngress": "a", "annotationPrefix": "custom.io/"})).expect("nginx");
        assert_eq!(c.key("canary"), "custom.io/canary");
    }

    #[test]
    fn the_canary_ingress_is_named_after_the_stable_one_and_the_rollout() {
        assert_eq!(canary_name("web", "checkout"), "web-checkout-canary");
    }

    #[test]
    fn a_long_canary_name_is_cut_to_253_characters_ending_cleanly() {
        let stable = format!("{}.x", "a".repeat(245));
        let name = canary_name(&stable, "web");
        assert!(name.len() <= 253, "{}", name.len());
        assert!(name.ends_with("a-canary"), "{name}");
    }
}
