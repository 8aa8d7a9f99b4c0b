//! The world the tests share: a fake API server holding the Services of
//! `fixtures/services.yaml`, routers built from specs, traffic builders and
//! readers of what is stored.

use serde_json::{Value, json};
use serin_api::RolloutSpec;
use serin_api::status::Traffic;
use serin_kube_fake::{Change, FakeApiServer, FakeHandle, Fault, Verb};
use serin_traffic::{Routers, Target, for_rollout};

/// The namespace of every object here.
pub const NS: &str = "default";

/// A fake API server holding the fixture's Services.
pub struct World {
    /// The fake, for reading what is stored.
    pub fake: FakeHandle,
    /// The client the routers use.
    pub client: kube::Client,
}

impl World {
    /// A fresh fake with the fixture's Services loaded.
    pub async fn start() -> Self {
        let (fake, client) = FakeApiServer::start().await.expect("the fake starts");
        fake.load_yaml(include_str!("fixtures/services.yaml"))
            .expect("the fixture loads");
        Self { fake, client }
    }

    /// The routers of a blue-green rollout with `web-active` and `web-preview`.
    pub fn blue_green(&self) -> Routers {
        self.routers(json!({"blueGreen": {
            "activeService": "web-active",
            "previewService": "web-preview",
        }}))
    }

    /// The routers of a canary rollout with `web-stable` and `web-canary`.
    pub fn canary(&self) -> Routers {
        self.routers(json!({"canary": {
            "stableService": "web-stable",
            "canaryService": "web-canary",
        }}))
    }

    /// The routers `for_rollout` builds for a spec with this strategy.
    pub fn routers(&self, strategy: Value) -> Routers {
        for_rollout(self.target(), &spec(strategy))
    }

    /// The rollout `web` in [`NS`].
    pub fn target(&self) -> Target {
        Target {
            client: self.client.clone(),
            namespace: NS.to_string(),
            rollout: "web".to_string(),
        }
    }

    /// The Service as stored.
    pub fn service(&self, name: &str) -> Value {
        self.fake
            .object("v1", "Service", Some(NS), name)
            .unwrap_or_else(|| panic!("Service {name} exists"))
    }

    /// The Service's `spec.selector`.
    pub fn selector(&self, name: &str) -> Value {
        self.service(name)["spec"]["selector"].clone()
    }

    /// The Service's annotations, serin's JSON ones parsed, so that a test
    /// states them as values.
    pub fn annotations(&self, name: &str) -> Value {
        readable(&self.service(name)["metadata"]["annotations"])
    }

    /// The Service's `resourceVersion`.
    pub fn resource_version(&self, name: &str) -> String {
        self.service(name)["metadata"]["resourceVersion"]
            .as_str()
            .expect("a resourceVersion")
            .to_string()
    }

    /// Merge-patches the Service directly, as another writer would.
    pub fn edit(&self, name: &str, patch: Value) {
        self.fake
            .patch("v1", "Service", Some(NS), name, &patch)
            .expect("another writer's change is accepted");
    }

    /// Fails the next request with `verb` to the Service with `code`.
    pub fn fail_next(&self, verb: Verb, name: &str, code: u16) {
        self.fake.inject(Fault {
            verb: Some(verb),
            path_prefix: path(name),
            code,
            times: 1,
        });
    }

    /// Requests with `verb` to the Service so far.
    pub fn requests(&self, verb: Verb, name: &str) -> u64 {
        self.fake.request_count(verb, &path(name))
    }

    /// Requests with `verb` to any Service so far.
    pub fn requests_to_services(&self, verb: Verb) -> u64 {
        self.fake.request_count_prefix(verb, &path(""))
    }

    /// Every state the Service has been in, oldest first.
    pub fn history(&self, name: &str) -> Vec<Change> {
        self.fake.history_of("Service", Some(NS), name)
    }
}

/// `routers` after applying each of `traffic` in turn.
pub async fn given(routers: Routers, traffic: &[Traffic]) -> Routers {
    for t in traffic {
        routers.apply(t).await.expect("applied");
    }
    routers
}

/// The API path of the Service `name` (of every Service, when empty).
pub fn path(name: &str) -> String {
    format!("/api/v1/namespaces/{NS}/services/{name}")
}

/// A spec with this strategy and nothing else the routers read.
pub fn spec(strategy: Value) -> RolloutSpec {
    serde_json::from_value(json!({ "strategy": strategy })).expect("a valid spec")
}

/// Traffic with `stable` alone.
pub fn stable(rev: &str) -> Traffic {
    Traffic {
        stable: Some(rev.into()),
        ..Traffic::default()
    }
}

/// Blue-green traffic: active on `stable`, preview on `preview`.
pub fn preview(stable: &str, preview: &str) -> Traffic {
    Traffic {
        preview: Some(preview.into()),
        ..self::stable(stable)
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

/// `annotations` with serin's JSON annotations parsed into values.
fn readable(annotations: &Value) -> Value {
    let Value::Object(map) = annotations else {
        return annotations.clone();
    };
    let parsed = map.iter().map(|(k, v)| {
        let value = match v.as_str() {
            Some(text) if k.starts_with("serin.dev/") => {
                serde_json::from_str(text).expect("serin writes JSON")
            }
            _ => v.clone(),
        };
        (k.clone(), value)
    });
    Value::Object(parsed.collect())
}
