//! The Istio world: the fixture's VirtualServices and DestinationRule, a
//! router on them, and the objects as stored, each checked against its
//! CRD schema.

use serde_json::{Value, json};
use serin_traffic::Routers;
use serin_traffic::istio::IstioRouter;

use crate::mesh_support::{NS, World, schema, spec};

/// The `apiVersion` of both kinds.
pub const API: &str = "networking.istio.io/v1";

/// A fake holding `fixtures/mesh.yaml`.
pub async fn world() -> World {
    World::start(include_str!("fixtures/mesh.yaml")).await
}

/// `trafficRouting` for the host form: the `primary` route of `web`, with
/// the managed routes `beta` and `shadow`.
pub fn hosts() -> Value {
    json!({
        "managedRoutes": [{"name": "beta"}, {"name": "shadow"}],
        "istio": {"virtualService": {"name": "web", "routes": ["primary"]}},
    })
}

/// `trafficRouting` for the subset form: `web-subsets` (its only route)
/// and the DestinationRule `web`.
pub fn subsets() -> Value {
    json!({
        "managedRoutes": [{"name": "beta"}],
        "istio": {
            "virtualService": {"name": "web-subsets"},
            "destinationRule": {"name": "web", "stableSubsetName": "stable", "canarySubsetName": "canary"},
        },
    })
}

/// The Istio router alone for `routing`.
pub fn router(w: &World, routing: Value) -> Routers {
    let router = IstioRouter::for_spec(&w.target(), &spec(routing)).expect("a router");
    Routers::new(vec![Box::new(router)])
}

/// The object as stored, after checking it against its CRD schema.
pub fn object(w: &World, kind: &str, name: &str) -> Value {
    let object = w.object(API, kind, name);
    schema::assert_valid(&object);
    object
}

/// The VirtualService as stored, checked.
pub fn vs(w: &World, name: &str) -> Value {
    object(w, "VirtualService", name)
}

/// The DestinationRule as stored, checked.
pub fn dr(w: &World, name: &str) -> Value {
    object(w, "DestinationRule", name)
}

/// Checks every state the object has been in against its CRD schema.
pub fn assert_every_state_valid(w: &World, kind: &str, name: &str) {
    let states = w.states(kind, name);
    assert!(!states.is_empty(), "{kind} {name} has a history");
    states.iter().for_each(schema::assert_valid);
}

/// The API path of the group's objects in the namespace.
pub fn path() -> String {
    format!("/apis/networking.istio.io/v1/namespaces/{NS}/")
}
