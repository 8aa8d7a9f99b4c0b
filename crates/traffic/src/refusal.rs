//! [`RouteRefusal`]: a header or mirror route a router cannot express,
//! found from the routes alone, without reading any object. Each router
//! that has such limits says so in one pure function of a [`Traffic`]'s
//! routes (`nginx::refusals`, `gateway_api::refusals`, `istio::refusals`);
//! the router calls it before any read or write and refuses the traffic,
//! and [`crate::spec_check`] calls the same function for every set of
//! routes a spec's steps put in effect, so that `serin lint` names the
//! step before anything is applied.

use serin_api::status::Traffic;

use crate::RouterError;

/// A router's question: what of a traffic's routes it cannot express.
pub(crate) type Refusals = fn(&Traffic) -> Vec<RouteRefusal>;

/// Which route of a [`Traffic`] is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteRef {
    /// `traffic.header_routes[i]`.
    Header(usize),
    /// `traffic.mirror_routes[i]`.
    Mirror(usize),
}

/// A route a router cannot express, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRefusal {
    /// The route.
    pub route: RouteRef,
    /// The field at fault below the step's `setHeaderRoute` or
    /// `setMirrorRoute` (`match`, `match[0].cookieValue`); empty when it
    /// is the route as a whole.
    pub field: String,
    /// Why, for a person, starting with a verb (`has 2 matches; ...`).
    pub why: String,
}

impl RouteRefusal {
    /// A refusal of `route` as a whole.
    pub(crate) fn whole(route: RouteRef, why: impl Into<String>) -> Self {
        Self::at(route, "", why)
    }

    /// A refusal of `field` of `route`.
    pub(crate) fn at(route: RouteRef, field: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            route,
            field: field.into(),
            why: why.into(),
        }
    }

    /// The route's name in `traffic`.
    pub fn name<'a>(&self, traffic: &'a Traffic) -> &'a str {
        let name = match self.route {
            RouteRef::Header(i) => traffic.header_routes.get(i).map(|r| r.name.as_str()),
            RouteRef::Mirror(i) => traffic.mirror_routes.get(i).map(|r| r.name.as_str()),
        };
        name.unwrap_or("?")
    }
}

/// `Ok` when `found` is empty, else [`refused`].
///
/// # Errors
/// The first of `found`.
pub(crate) fn refuse(
    router: &'static str,
    traffic: &Traffic,
    found: Vec<RouteRefusal>,
) -> Result<(), RouterError> {
    if found.is_empty() {
        Ok(())
    } else {
        Err(refused(router, traffic, found))
    }
}

/// The first of `found` as `router`'s [`RouterError::Invalid`]:
/// `route 'qa' has 2 matches; ...` (every refusal when there are several
/// is in `serin lint`; the router names the first).
pub(crate) fn refused(
    router: &'static str,
    traffic: &Traffic,
    found: Vec<RouteRefusal>,
) -> RouterError {
    let message = match found.first() {
        Some(r) => format!("route '{}' {}", r.name(traffic), r.why),
        None => "a route was refused".to_string(),
    };
    RouterError::Invalid { router, message }
}
