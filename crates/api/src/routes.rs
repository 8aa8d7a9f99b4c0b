//! Request matches for header, cookie and mirror routes, and the named routes
//! a rollout asks a router to hold. Regexes are checked by validation.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a string is matched: exactly one of `exact`, `prefix`, `regex`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StringMatch {
    /// Equal to this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// Starting with this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Matching this regular expression (RE2 syntax, anchored by the router).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// One condition of a header route: a header or a cookie and its value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderRoutingMatch {
    /// The header's name (case-insensitive). Exactly one of `headerName` and `cookieName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_name: Option<String>,
    /// The cookie's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_name: Option<String>,
    /// How the header's value is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_value: Option<StringMatch>,
    /// How the cookie's value is matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_value: Option<StringMatch>,
}

/// A request match for mirroring: all given conditions must hold.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteMatch {
    /// The request method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<StringMatch>,
    /// The request path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<StringMatch>,
    /// Request headers by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, StringMatch>,
}

/// A header route in effect: requests matching all `matches` go to the canary.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeaderRoute {
    /// The route's name.
    pub name: String,
    /// All must match.
    #[serde(default, rename = "match")]
    pub matches: Vec<HeaderRoutingMatch>,
}

/// A mirror route in effect: a share of requests matching any of `matches`
/// is copied to the canary.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MirrorRoute {
    /// The route's name.
    pub name: String,
    /// Any may match; empty matches every request.
    #[serde(default, rename = "match")]
    pub matches: Vec<RouteMatch>,
    /// Percentage copied, 0..=100.
    pub percentage: i32,
}
