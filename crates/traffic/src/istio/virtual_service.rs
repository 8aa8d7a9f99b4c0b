//! What one VirtualService must become, computed from it as read: the merge
//! patch that makes it carry a [`Traffic`], the one that gives it back, and
//! the traffic it carries now. Pure.
//!
//! serin owns, on a VirtualService: the `weight` of the stable and canary
//! destinations of the HTTP routes it owns (by host: the stable and canary
//! Services; or by subset: the DestinationRule's stable and canary subsets),
//! the HTTP routes named `serin-*` (added just before the first owned
//! route, Istio taking the first that matches), the `serin.dev/original` annotation (the
//! owned weights before serin, written once) and `serin.dev/traffic`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serin_api::status::Traffic;

use super::Destinations;
use super::routes;
use crate::RouterError;
use crate::gateway_api::managed::Added;
use crate::gateway_api::objects::{Object, list};
use crate::gateway_api::owned::{self, Ask, Layout};
use crate::gateway_api::planned::Plan;
use crate::gateway_api::weights::{Arm, Recorded};

/// The router's name, in errors and logs.
pub(super) const ROUTER: &str = "istio";

/// Where the weights are in a VirtualService HTTP route.
const LAYOUT: Layout = Layout {
    backends: "route",
    entry: "HTTP route",
    in_front_of_all: false,
};

/// What the router knows of the rollout, for every VirtualService.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weighting {
    /// How a destination is known to be stable or canary.
    pub destinations: Destinations,
    /// The total weight (`maxTrafficWeight`, default 100).
    pub total: i32,
    /// `trafficRouting.managedRoutes`, in precedence order.
    pub managed: Vec<String>,
}

/// The plan of one VirtualService: the HTTP routes serin owns in it (its
/// only one when empty) and how it weights them.
pub(super) struct VirtualServicePlan {
    /// The names of the owned routes.
    pub routes: Vec<String>,
    /// How destinations are told apart, the total, the managed routes.
    pub weighting: std::sync::Arc<Weighting>,
}

impl Plan for VirtualServicePlan {
    fn apply_patch(&self, vs: &Value, traffic: &Traffic) -> Result<Option<Value>, RouterError> {
        apply_patch(vs, &self.routes, &self.weighting, traffic)
    }

    fn restore_patch(&self, vs: &Value) -> Result<Option<Value>, RouterError> {
        restore_patch(vs, &self.weighting)
    }

    fn carried(&self, vs: &Value) -> Result<Option<Traffic>, RouterError> {
        carried(vs, &self.routes, &self.weighting)
    }
}

/// serin's record of a VirtualService before its first write.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Original {
    /// The owned weights, per route key (its name, or `#<index>`).
    routes: Recorded,
}

/// The merge patch that makes `vs` carry `traffic` on the HTTP routes
/// named `owned` (its only one when empty); `None` when it already does.
///
/// # Errors
/// [`RouterError::Invalid`] naming the VirtualService and what is wrong.
pub(super) fn apply_patch(
    vs: &Value,
    owned: &[String],
    weighting: &Weighting,
    traffic: &Traffic,
) -> Result<Option<Value>, RouterError> {
    let obj = Object::new(ROUTER, vs);
    let recorded: Option<Original> = obj.original()?;
    let (http, before) = desired(obj, owned, weighting, traffic)?;
    let mut spec = Map::new();
    if http != list(&vs["spec"], "http") {
        spec.insert("http".into(), Value::Array(http));
    }
    let first = recorded.is_none().then_some(Original { routes: before });
    obj.apply_patch(first.as_ref(), traffic, spec)
}

/// The merge patch that gives `vs` back as serin found it; `None` when
/// serin never wrote it.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's record is unreadable.
pub(super) fn restore_patch(
    vs: &Value,
    weighting: &Weighting,
) -> Result<Option<Value>, RouterError> {
    let obj = Object::new(ROUTER, vs);
    let Some(recorded) = obj.original::<Original>()? else {
        return Ok(None);
    };
    let arm_of = |d: &Value| arm(d, vs, weighting);
    let current = list(&vs["spec"], "http");
    let http = owned::restored(LAYOUT, owned::theirs(current), &recorded.routes, arm_of);
    let mut spec = Map::new();
    if http != current {
        spec.insert("http".into(), Value::Array(http));
    }
    Ok(Some(obj.restore_patch(spec)))
}

/// The traffic `vs` carries: the one in its annotation when its HTTP
/// routes are exactly what that traffic makes of them and istiod, where it
/// reports, has reconciled its generation; `None` otherwise.
///
/// # Errors
/// [`RouterError::Invalid`] when serin's annotations are unreadable or the
/// owned routes are not there.
pub(super) fn carried(
    vs: &Value,
    owned: &[String],
    weighting: &Weighting,
) -> Result<Option<Traffic>, RouterError> {
    let obj = Object::new(ROUTER, vs);
    if obj.original::<Original>()?.is_none() {
        return Ok(None);
    }
    let Some(traffic) = obj.traffic()? else {
        return Ok(None);
    };
    let (http, _) = desired(obj, owned, weighting, &traffic)?;
    let in_effect = (http == list(&vs["spec"], "http")) && super::reconciled::of(vs).in_effect();
    Ok(in_effect.then_some(traffic))
}

fn desired(
    obj: Object<'_>,
    owned: &[String],
    weighting: &Weighting,
    traffic: &Traffic,
) -> Result<(Vec<Value>, Recorded), RouterError> {
    let vs = obj.value;
    let arm_of = |d: &Value| arm(d, vs, weighting);
    let http = owned::theirs(list(&vs["spec"], "http"));
    let indices = if owned.is_empty() {
        if http.len() != 1 {
            return Err(obj.invalid(format!(
                "spec.http has {} routes; name the ones serin owns in virtualService.routes",
                http.len()
            )));
        }
        vec![0]
    } else {
        owned::named(obj, LAYOUT, &http, owned)?
    };
    let describe = |arm: Arm| weighting.destinations.describe(arm);
    let ask = Ask {
        layout: LAYOUT,
        traffic,
        total: weighting.total,
        managed: &weighting.managed,
    };
    owned::desired(
        obj,
        http,
        &indices,
        arm_of,
        describe,
        &ask,
        |route, name, asked| match asked {
            Added::Header(h) => routes::header_route(route, name, &h.matches, arm_of),
            Added::Mirror(m) => routes::mirror_route(route, name, m, arm_of),
        },
    )
}

/// The arm an entry of a route's `route` list serves.
fn arm(entry: &Value, vs: &Value, weighting: &Weighting) -> Option<Arm> {
    let namespace = vs["metadata"]["namespace"].as_str().unwrap_or("");
    weighting.destinations.arm(&entry["destination"], namespace)
}
