//! Cookie session affinity (`canary.sessionAffinity`) in the terms Gateway
//! API's standard channel can say: `sessionPersistence` is experimental
//! (not in the v1.6.1 standard CRD), so serin does what Flagger does. While
//! the canary has weight, responses from the canary's backendRef in each
//! owned rule set a cookie naming the canary revision (a
//! `ResponseHeaderModifier` filter on that backendRef), and a rule serin
//! adds in front, `serin-affinity`, sends requests carrying that cookie to
//! the canary only. A client that reached the canary stays there as the
//! weight grows; a cookie from an earlier release names another revision
//! and matches nothing. Without canary weight (an abort, a promotion)
//! both go. Pure.

use serde_json::{Value, json};
use serin_api::canary::SessionAffinity;
use serin_api::routes::StringMatch;
use serin_api::status::Traffic;

use super::managed::cookie_regex;
use super::objects::list;
use super::weights::Arm;

/// The cookie's name when the spec gives none.
const DEFAULT_COOKIE: &str = "serin-affinity";
/// The cookie's lifetime when the spec gives none (24 h).
const DEFAULT_MAX_AGE_SECONDS: u64 = 24 * 60 * 60;

/// The cookie serin sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// Its name.
    pub name: String,
    /// Its lifetime, in seconds.
    pub max_age_seconds: u64,
}

impl Cookie {
    /// The cookie `affinity` asks for (defaults: `serin-affinity`, 24 h;
    /// a `maxAge` that does not parse — validation refuses it — is 24 h).
    pub fn of(affinity: &SessionAffinity) -> Self {
        let max_age = affinity
            .max_age
            .as_ref()
            .and_then(|d| d.parse().ok())
            .map_or(DEFAULT_MAX_AGE_SECONDS, |d| d.as_secs());
        Self {
            name: affinity
                .cookie_name
                .clone()
                .unwrap_or_else(|| DEFAULT_COOKIE.to_string()),
            max_age_seconds: max_age,
        }
    }

    /// The revision clients are kept on: the canary, while it has weight.
    pub(super) fn sticky(traffic: &Traffic) -> Option<&str> {
        traffic
            .canary
            .as_deref()
            .filter(|_| traffic.canary_weight > 0)
    }

    /// Makes the canary backendRefs of `rule` set the cookie for
    /// `revision`, or set none (`None`); serin's filter only, any other
    /// filter stays.
    pub(super) fn set(
        &self,
        rule: &mut Value,
        revision: Option<&str>,
        arm_of: impl Fn(&Value) -> Option<Arm>,
    ) {
        let Some(refs) = rule["backendRefs"].as_array_mut() else {
            return;
        };
        for backend in refs.iter_mut() {
            let wanted = revision.filter(|_| arm_of(backend) == Some(Arm::Canary));
            self.strip(backend);
            if let (Some(rev), Some(map)) = (wanted, backend.as_object_mut()) {
                let filters = map.entry("filters").or_insert_with(|| json!([]));
                if let Some(filters) = filters.as_array_mut() {
                    filters.push(self.filter(rev));
                }
            }
        }
    }

    /// Takes serin's filter out of every backendRef of `rule`.
    pub(super) fn strip_rule(&self, rule: &mut Value) {
        for backend in rule["backendRefs"].as_array_mut().into_iter().flatten() {
            self.strip(backend);
        }
    }

    /// The rule `name` in front of `owned` that keeps clients carrying the
    /// cookie for `revision` on the canary.
    pub(super) fn rule(
        &self,
        owned: &Value,
        name: &str,
        revision: &str,
        arm_of: impl Fn(&Value) -> Option<Arm>,
    ) -> Option<Value> {
        let mut canary = super::rules::alone(
            list(owned, "backendRefs")
                .iter()
                .find(|b| arm_of(b) == Some(Arm::Canary))?,
        );
        self.strip(&mut canary);
        let exact = StringMatch {
            exact: Some(revision.to_string()),
            ..StringMatch::default()
        };
        let header = json!({
            "name": "Cookie",
            "type": "RegularExpression",
            "value": cookie_regex(&self.name, Some(&exact)),
        });
        let matches: Vec<Value> = match list(owned, "matches") {
            [] => vec![json!({"path": {"type": "PathPrefix", "value": "/"}, "headers": [header]})],
            some => some
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    let mut headers = list(&m, "headers").to_vec();
                    headers.push(header.clone());
                    m["headers"] = Value::Array(headers);
                    m
                })
                .collect(),
        };
        let mut rule = owned.clone();
        rule["name"] = Value::String(name.into());
        rule["matches"] = Value::Array(matches);
        rule["backendRefs"] = json!([canary]);
        Some(rule)
    }

    /// serin's `ResponseHeaderModifier` for `revision`.
    fn filter(&self, revision: &str) -> Value {
        json!({
            "type": "ResponseHeaderModifier",
            "responseHeaderModifier": {"add": [{
                "name": "Set-Cookie",
                "value": format!("{}={revision}; Max-Age={}; Path=/", self.name, self.max_age_seconds),
            }]},
        })
    }

    /// Whether `filter` is serin's: a `ResponseHeaderModifier` adding only
    /// a `Set-Cookie` of this cookie.
    fn is_ours(&self, filter: &Value) -> bool {
        let prefix = format!("{}=", self.name);
        filter["type"] == "ResponseHeaderModifier"
            && matches!(
                list(&filter["responseHeaderModifier"], "add"),
                [only] if only["name"] == "Set-Cookie"
                    && only["value"].as_str().is_some_and(|v| v.starts_with(&prefix))
            )
            && filter["responseHeaderModifier"]
                .as_object()
                .is_some_and(|m| m.len() == 1)
    }

    /// Takes serin's filter out of `backend` (and `filters` when left empty).
    fn strip(&self, backend: &mut Value) {
        let Some(map) = backend.as_object_mut() else {
            return;
        };
        let Some(filters) = map.get_mut("filters").and_then(Value::as_array_mut) else {
            return;
        };
        let before = filters.len();
        filters.retain(|f| !self.is_ours(f));
        if filters.is_empty() && before > 0 {
            map.remove("filters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie() -> Cookie {
        Cookie {
            name: "sticky".into(),
            max_age_seconds: 60,
        }
    }

    fn arm_of(b: &Value) -> Option<Arm> {
        (b["name"] == "canary").then_some(Arm::Canary)
    }

    #[test]
    fn the_canary_backend_sets_the_cookie_and_keeps_its_own_filters() {
        let theirs = json!({"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "x", "value": "1"}]}});
        let mut rule =
            json!({"backendRefs": [{"name": "stable"}, {"name": "canary", "filters": [theirs]}]});
        cookie().set(&mut rule, Some("bbb"), arm_of);
        assert_eq!(rule["backendRefs"][0], json!({"name": "stable"}));
        assert_eq!(
            rule["backendRefs"][1]["filters"][1]["responseHeaderModifier"]["add"][0]["value"],
            "sticky=bbb; Max-Age=60; Path=/"
        );
        cookie().set(&mut rule, None, arm_of);
        assert_eq!(
            rule["backendRefs"][1],
            json!({"name": "canary", "filters": [theirs]})
        );
    }

    #[test]
    fn only_a_canary_with_weight_is_sticky() {
        let mut t = Traffic {
            stable: Some("aaa".into()),
            canary: Some("bbb".into()),
            ..Traffic::default()
        };
        assert_eq!(Cookie::sticky(&t), None);
        t.canary_weight = 5;
        assert_eq!(Cookie::sticky(&t), Some("bbb"));
    }
}
