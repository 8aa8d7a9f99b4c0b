//! How the Istio router tells a stable destination from a canary one
//! ([`Destinations`]): by host (the stable and canary Services, each its
//! own host) or by subset (one host, a DestinationRule whose two subsets
//! serin points at the revisions). Pure.

use serde_json::Value;

use crate::gateway_api::weights::Arm;

/// How a VirtualService destination is known to be stable or canary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destinations {
    /// Each arm is its own host: the stable and canary Services.
    Hosts {
        /// The stable Service.
        stable_service: String,
        /// The canary Service.
        canary_service: String,
    },
    /// Each arm is a subset of a DestinationRule.
    Subsets {
        /// The DestinationRule's name.
        rule: String,
        /// The stable subset's name.
        stable_subset: String,
        /// The canary subset's name.
        canary_subset: String,
    },
}

impl Destinations {
    /// The arm `destination` (a `Destination`: `host`, `subset`, `port`)
    /// serves, on a VirtualService in `namespace`. A host names a Service
    /// by its name, or qualified (`web.ns`, `web.ns.svc`,
    /// `web.ns.svc.cluster.local`).
    pub(crate) fn arm(&self, destination: &Value, namespace: &str) -> Option<Arm> {
        match self {
            Self::Hosts {
                stable_service,
                canary_service,
            } => {
                let host = destination["host"].as_str()?;
                let names = |service: &str| {
                    [
                        service.to_string(),
                        format!("{service}.{namespace}"),
                        format!("{service}.{namespace}.svc"),
                        format!("{service}.{namespace}.svc.cluster.local"),
                    ]
                };
                if names(stable_service).iter().any(|n| n == host) {
                    Some(Arm::Stable)
                } else if names(canary_service).iter().any(|n| n == host) {
                    Some(Arm::Canary)
                } else {
                    None
                }
            }
            Self::Subsets {
                stable_subset,
                canary_subset,
                ..
            } => match destination["subset"].as_str()? {
                s if s == stable_subset => Some(Arm::Stable),
                s if s == canary_subset => Some(Arm::Canary),
                _ => None,
            },
        }
    }

    /// What an owned route missing `arm` should hold, for a message.
    pub(crate) fn describe(&self, arm: Arm) -> String {
        let (name, what) = match (self, arm) {
            (Self::Hosts { stable_service, .. }, Arm::Stable) => (stable_service, "host"),
            (Self::Hosts { canary_service, .. }, Arm::Canary) => (canary_service, "host"),
            (Self::Subsets { stable_subset, .. }, Arm::Stable) => (stable_subset, "subset"),
            (Self::Subsets { canary_subset, .. }, Arm::Canary) => (canary_subset, "subset"),
        };
        format!("destination with the {what} {name}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_host_names_a_service_short_or_qualified() {
        let d = Destinations::Hosts {
            stable_service: "web-stable".into(),
            canary_service: "web-canary".into(),
        };
        assert_eq!(
            d.arm(&json!({"host": "web-stable"}), "shop"),
            Some(Arm::Stable)
        );
        let long = json!({"host": "web-canary.shop.svc.cluster.local"});
        assert_eq!(d.arm(&long, "shop"), Some(Arm::Canary));
        assert_eq!(d.arm(&json!({"host": "web-canary.other"}), "shop"), None);
    }

    #[test]
    fn a_subset_names_its_arm_whatever_the_host() {
        let d = Destinations::Subsets {
            rule: "web".into(),
            stable_subset: "stable".into(),
            canary_subset: "canary".into(),
        };
        assert_eq!(
            d.arm(&json!({"host": "web", "subset": "canary"}), "shop"),
            Some(Arm::Canary)
        );
        assert_eq!(d.arm(&json!({"host": "web"}), "shop"), None);
    }
}
