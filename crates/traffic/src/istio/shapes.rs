//! What of a [`Traffic`]'s routes an Istio HTTP route cannot say whatever
//! the VirtualService holds: an `HTTPMatchRequest` has one condition per
//! header name (lower case), so a header route matching one header twice
//! (two cookie conditions are both on `cookie`), or a mirror match naming
//! one header twice, would lose a condition. [`refusals`] is called by the
//! router before any read and by `serin lint` (through
//! `crate::spec_check`). Pure.

use serin_api::status::Traffic;

use crate::gateway_api::shapes::{header_twice, mirror_header_twice};
use crate::refusal::{RouteRef, RouteRefusal};

/// Why: the rule Istio has.
const RULE: &str = "an Istio match holds one condition per header name";

/// The routes of `traffic` Istio cannot express, header routes first.
pub fn refusals(traffic: &Traffic) -> Vec<RouteRefusal> {
    let headers = traffic
        .header_routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| header_twice(r, RouteRef::Header(i), RULE));
    let mirrors = traffic
        .mirror_routes
        .iter()
        .enumerate()
        .filter_map(|(i, m)| mirror_header_twice(m, RouteRef::Mirror(i), RULE));
    headers.chain(mirrors).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_header_matched_twice_whatever_its_case_is_refused() {
        let t: Traffic = serde_json::from_value(
            json!({"canaryWeight": 0, "headerRoutes": [{"name": "beta", "match": [
                {"headerName": "X-Team", "headerValue": {"exact": "a"}},
                {"headerName": "x-team", "headerValue": {"exact": "b"}},
            ]}]}),
        )
        .expect("a traffic");
        let found = refusals(&t);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].why, format!("matches header x-team twice; {RULE}"));
    }
}
