//! The Gateway API world: the fixture's HTTPRoutes, a router on them, and
//! the routes as stored, each checked against the HTTPRoute schema.

use serde_json::{Value, json};
use serin_traffic::Routers;
use serin_traffic::gateway_api::GatewayApiRouter;

use crate::mesh_support::{NS, World, schema, spec};

/// The HTTPRoute's `apiVersion`.
pub const API: &str = "gateway.networking.k8s.io/v1";

/// A fake holding `fixtures/routes.yaml`.
pub async fn world() -> World {
    World::start(include_str!("fixtures/routes.yaml")).await
}

/// `trafficRouting` for the route `web`, all its rules to the stable
/// Service, with the managed routes `beta` and `shadow`.
pub fn on_web() -> Value {
    json!({
        "managedRoutes": [{"name": "beta"}, {"name": "shadow"}],
        "gatewayAPI": {"httpRoute": "web"},
    })
}

/// The Gateway API router alone for `routing`.
pub fn router(w: &World, routing: Value) -> Routers {
    let router = GatewayApiRouter::for_spec(&w.target(), &spec(routing)).expect("a router");
    Routers::new(vec![Box::new(router)])
}

/// The HTTPRoute as stored, after checking it against its CRD schema.
pub fn route(w: &World, name: &str) -> Value {
    let route = w.object(API, "HTTPRoute", name);
    schema::assert_valid(&route);
    route
}

/// Checks every state the HTTPRoute has been in against its CRD schema.
pub fn assert_every_state_valid(w: &World, name: &str) {
    let states = w.states("HTTPRoute", name);
    assert!(!states.is_empty(), "HTTPRoute {name} has a history");
    states.iter().for_each(schema::assert_valid);
}

/// The API path of the HTTPRoutes.
pub fn path() -> String {
    format!("/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes")
}
