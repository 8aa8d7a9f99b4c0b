//! The arms a listener can send a request to: `stable`, `canary`, `preview`
//! and `shadow`, with their names as they appear in configuration and labels.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the fixed sets of upstream endpoints behind a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Arm {
    /// The version currently serving production traffic.
    Stable,
    /// The new version receiving a weighted share, routed or sticky traffic.
    Canary,
    /// The blue-green preview version: reached only through routes.
    Preview,
    /// The mirror target: receives copies of requests, its responses are discarded.
    Shadow,
}

impl Arm {
    /// Every arm, in label order.
    pub const ALL: [Arm; 4] = [Arm::Stable, Arm::Canary, Arm::Preview, Arm::Shadow];

    /// The arm's name as written in configuration and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Stable => "stable",
            Arm::Canary => "canary",
            Arm::Preview => "preview",
            Arm::Shadow => "shadow",
        }
    }

    /// Parses a configuration name; `None` for anything but the four arms.
    pub fn parse(name: &str) -> Option<Arm> {
        Arm::ALL.into_iter().find(|arm| arm.as_str() == name)
    }

    /// A dense index, for per-arm arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Arm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Arm;

    #[test]
    fn arm_names_round_trip_and_unknown_names_are_refused() {
        for arm in Arm::ALL {
            assert_eq!(Arm::parse(arm.as_str()), Some(arm));
        }
        assert_eq!(Arm::parse("blue"), None);
    }
}
