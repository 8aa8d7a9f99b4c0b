//! The part a Service plays in a rollout ([`Role`]): which revision of a
//! [`Traffic`] it selects, which spec field names it, and the order in
//! which the Service router writes the Services of one rollout.

use serin_api::status::Traffic;

/// The part a Service plays in a rollout.
///
/// The declaration order is the write order: the Services that carry
/// production traffic (active, stable) are written before the ones that
/// show a version to testers and analysis (preview, canary). See
/// `docs/traffic.md` for why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Blue-green `activeService`: production traffic, the stable revision.
    Active,
    /// Canary `stableService`: the stable revision.
    Stable,
    /// Blue-green `previewService`: the preview, else the stable revision.
    Preview,
    /// Canary `canaryService`: the canary, else the stable revision.
    Canary,
}

impl Role {
    /// The revision a Service in this role selects under `traffic`; `None`
    /// only when the traffic names no stable revision at all.
    pub fn revision(self, traffic: &Traffic) -> Option<&str> {
        let stable = traffic.stable.as_deref();
        match self {
            Self::Active | Self::Stable => stable,
            Self::Preview => traffic.preview.as_deref().or(stable),
            Self::Canary => traffic.canary.as_deref().or(stable),
        }
    }

    /// The spec field that names a Service in this role.
    pub fn field(self) -> &'static str {
        match self {
            Self::Active => "activeService",
            Self::Stable => "stableService",
            Self::Preview => "previewService",
            Self::Canary => "canaryService",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(stable: &str, canary: Option<&str>, preview: Option<&str>) -> Traffic {
        Traffic {
            stable: Some(stable.into()),
            canary: canary.map(Into::into),
            preview: preview.map(Into::into),
            ..Traffic::default()
        }
    }

    #[test]
    fn preview_and_canary_fall_back_to_stable_when_unset() {
        let t = traffic("a", None, None);
        for role in [Role::Active, Role::Stable, Role::Preview, Role::Canary] {
            assert_eq!(role.revision(&t), Some("a"), "{role:?}");
        }
    }

    #[test]
    fn each_role_selects_its_own_arm() {
        let t = traffic("a", Some("b"), Some("c"));
        assert_eq!(Role::Active.revision(&t), Some("a"));
        assert_eq!(Role::Stable.revision(&t), Some("a"));
        assert_eq!(Role::Canary.revision(&t), Some("b"));
        assert_eq!(Role::Preview.revision(&t), Some("c"));
    }

    #[test]
    fn production_services_sort_before_the_others() {
        let mut roles = vec![Role::Canary, Role::Preview, Role::Stable, Role::Active];
        roles.sort();
        assert_eq!(
            roles,
            vec![Role::Active, Role::Stable, Role::Preview, Role::Canary]
        );
    }
}
