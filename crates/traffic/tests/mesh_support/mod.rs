//! What the Gateway API and Istio router tests share: a fake API server
//! holding a fixture, routers built from specs, traffic builders, readers
//! of what is stored, and the upstream CRD schemas every object written is
//! checked against (`schema`).
#![allow(dead_code)]

pub mod examples;
pub mod schema;

use serde_json::{Value, json};
use serin_api::RolloutSpec;
use serin_api::routes::{HeaderRoute, HeaderRoutingMatch, MirrorRoute, RouteMatch, StringMatch};
use serin_api::status::Traffic;
use serin_kube_fake::{FakeApiServer, FakeHandle, Verb};
use serin_traffic::{Routers, Target, for_rollout};

/// The namespace of the rollout.
pub const NS: &str = "default";

/// A fake API server holding a fixture, and a client to it.
pub struct World {
    /// The fake, for reading what is stored.
    pub fake: FakeHandle,
    /// The client the routers use.
    pub client: kube::Client,
}

impl World {
    /// A fresh fake with `fixture` (YAML) loaded.
    pub async fn start(fixture: &str) -> Self {
        let (fake, client) = FakeApiServer::start().await.expect("the fake starts");
        fake.load_yaml(fixture).expect("the fixture loads");
        Self { fake, client }
    }

    /// The routers `for_rollout` builds for a canary with `web-stable`,
    /// `web-canary` and this `trafficRouting`.
    pub fn routers(&self, traffic_routing: Value) -> Routers {
        for_rollout(self.target(), &spec(traffic_routing))
    }

    /// The rollout `web` in [`NS`].
    pub fn target(&self) -> Target {
        Target {
            client: self.client.clone(),
            namespace: NS.to_string(),
            rollout: "web".to_string(),
        }
    }

    /// The object as stored.
    pub fn object(&self, api_version: &str, kind: &str, name: &str) -> Value {
        self.fake
            .object(api_version, kind, Some(NS), name)
            .unwrap_or_else(|| panic!("{kind} {name} exists"))
    }

    /// The object as stored in `namespace`.
    pub fn object_in(&self, namespace: &str, api_version: &str, kind: &str, name: &str) -> Value {
        self.fake
            .object(api_version, kind, Some(namespace), name)
            .unwrap_or_else(|| panic!("{kind} {namespace}/{name} exists"))
    }

    /// Requests with `verb` under `path` so far.
    pub fn requests(&self, verb: Verb, path: &str) -> u64 {
        self.fake.request_count_prefix(verb, path)
    }

    /// Every state `kind` `name` has been in, oldest first.
    pub fn states(&self, kind: &str, name: &str) -> Vec<Value> {
        self.fake
            .history_of(kind, Some(NS), name)
            .into_iter()
            .map(|c| c.object)
            .collect()
    }
}

/// `routers` after applying each of `traffic` in turn.
pub async fn given(routers: Routers, traffic: &[Traffic]) -> Routers {
    for t in traffic {
        routers.apply(t).await.expect("applied");
    }
    routers
}

/// A canary spec with this `trafficRouting` and the two Services.
pub fn spec(traffic_routing: Value) -> RolloutSpec {
    serde_json::from_value(json!({"strategy": {"canary": {
        "stableService": "web-stable",
        "canaryService": "web-canary",
        "trafficRouting": traffic_routing,
    }}}))
    .expect("a valid spec")
}

/// Traffic with `stable` alone (an abort, or a steady rollout).
pub fn stable(rev: &str) -> Traffic {
    Traffic {
        stable: Some(rev.into()),
        ..Traffic::default()
    }
}

/// Canary traffic: `weight` percent to `canary`.
pub fn canary(stable: &str, canary: &str, weight: i32) -> Traffic {
    Traffic {
        canary: Some(canary.into()),
        canary_weight: weight,
        ..self::stable(stable)
    }
}

/// `traffic` with a header route `name`: header `x-beta: yes` and the
/// cookie `beta` starting with `on`.
pub fn with_header_route(mut traffic: Traffic, name: &str) -> Traffic {
    traffic.header_routes.push(HeaderRoute {
        name: name.into(),
        matches: vec![
            HeaderRoutingMatch {
                header_name: Some("X-Beta".into()),
                header_value: Some(exact("yes")),
                ..HeaderRoutingMatch::default()
            },
            HeaderRoutingMatch {
                cookie_name: Some("beta".into()),
                cookie_value: Some(StringMatch {
                    prefix: Some("on".into()),
                    ..StringMatch::default()
                }),
                ..HeaderRoutingMatch::default()
            },
        ],
    });
    traffic
}

/// `traffic` with a mirror route `name`: `percentage` of the GET requests
/// under `/api`.
pub fn with_mirror_route(mut traffic: Traffic, name: &str, percentage: i32) -> Traffic {
    traffic.mirror_routes.push(MirrorRoute {
        name: name.into(),
        matches: vec![RouteMatch {
            method: Some(exact("GET")),
            path: Some(StringMatch {
                prefix: Some("/api".into()),
                ..StringMatch::default()
            }),
            ..RouteMatch::default()
        }],
        percentage,
    });
    traffic
}

fn exact(text: &str) -> StringMatch {
    StringMatch {
        exact: Some(text.into()),
        ..StringMatch::default()
    }
}

/// The object without the metadata the server owns.
pub fn as_written(mut object: Value) -> Value {
    if let Some(metadata) = object["metadata"].as_object_mut() {
        for owned in [
            "resourceVersion",
            "generation",
            "managedFields",
            "uid",
            "creationTimestamp",
        ] {
            metadata.remove(owned);
        }
    }
    object
}

/// `object`'s annotations with serin's JSON ones parsed into values, and
/// its spec: what a test states about a write.
pub fn written(object: &Value) -> Value {
    let annotations = match &object["metadata"]["annotations"] {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let value = match v.as_str() {
                        Some(text) if k.starts_with("serin.dev/") => {
                            serde_json::from_str(text).expect("serin writes JSON")
                        }
                        _ => v.clone(),
                    };
                    (k.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    };
    json!({"annotations": annotations, "spec": object["spec"]})
}
