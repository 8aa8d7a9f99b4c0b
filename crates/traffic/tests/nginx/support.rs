//! The world the NGINX router's tests share: a fake API server holding the
//! Ingresses and the Rollout of `fixtures/ingresses.yaml`, routers built
//! from specs, traffic builders, readers of what is stored, and (when
//! `SERIN_WRITTEN_OBJECTS` is set) every Ingress a test leaves behind saved
//! for `kubernetes-validate`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use serin_api::RolloutSpec;
use serin_api::routes::HeaderRoute;
use serin_api::status::Traffic;
use serin_kube_fake::{Change, FakeApiServer, FakeHandle, Verb};
use serin_traffic::nginx::NginxRouter;
use serin_traffic::{Routers, Target, TrafficRouter, for_rollout};

/// The namespace of every object here.
pub const NS: &str = "default";
/// The rollout the canary Ingresses belong to.
pub const ROLLOUT: &str = "app";
/// The canary Ingress of the stable Ingress `web`.
pub const WEB_CANARY: &str = "web-app-canary";

/// When set, each test leaves every Ingress in this directory, one JSON
/// file each, for `scripts/test` to check with `kubernetes-validate --strict`.
const WRITTEN_OBJECTS: &str = "SERIN_WRITTEN_OBJECTS";

/// A fake API server holding the fixture.
pub struct World {
    /// The fake, for reading what is stored.
    pub fake: FakeHandle,
    /// The client the routers use.
    pub client: kube::Client,
}

impl World {
    /// A fresh fake with the fixture loaded.
    pub async fn start() -> Self {
        let (fake, client) = FakeApiServer::start().await.expect("the fake starts");
        fake.load_yaml(include_str!("fixtures/ingresses.yaml"))
            .expect("the fixture loads");
        Self { fake, client }
    }

    /// The NGINX router for the stable Ingress `web` (default prefix, no
    /// `maxTrafficWeight`).
    pub fn web(&self) -> NginxRouter {
        self.router(json!({"nginx": {"stableIngress": "web"}}))
    }

    /// The NGINX router of a canary with `web-stable`, `web-canary` and
    /// this `trafficRouting`.
    pub fn router(&self, traffic_routing: Value) -> NginxRouter {
        NginxRouter::for_spec(self.target(), &spec(traffic_routing)).expect("an nginx spec")
    }

    /// Every router `for_rollout` builds for that spec.
    pub fn routers(&self, traffic_routing: Value) -> Routers {
        for_rollout(self.target(), &spec(traffic_routing))
    }

    /// The rollout [`ROLLOUT`] in [`NS`].
    pub fn target(&self) -> Target {
        Target {
            client: self.client.clone(),
            namespace: NS.to_string(),
            rollout: ROLLOUT.to_string(),
        }
    }

    /// The Ingress as stored, whole; `None` when absent.
    pub fn stored(&self, name: &str) -> Option<Value> {
        self.fake
            .object("networking.k8s.io/v1", "Ingress", Some(NS), name)
    }

    /// The Ingress as stored, without what the server sets (uid, times,
    /// versions), so that a test states it whole.
    pub fn ingress(&self, name: &str) -> Value {
        let mut object = self
            .stored(name)
            .unwrap_or_else(|| panic!("Ingress {name} exists"));
        if let Some(meta) = object["metadata"].as_object_mut() {
            for key in [
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "generation",
                "managedFields",
            ] {
                meta.remove(key);
            }
        }
        object
    }

    /// The Ingress's annotations.
    pub fn annotations(&self, name: &str) -> Value {
        self.ingress(name)["metadata"]["annotations"].clone()
    }

    /// The rollout's `uid`, as its canary Ingresses' owner reference holds it.
    pub fn rollout_uid(&self) -> String {
        self.fake
            .object("serin.dev/v1alpha1", "Rollout", Some(NS), ROLLOUT)
            .and_then(|r| r["metadata"]["uid"].as_str().map(String::from))
            .expect("the Rollout has a uid")
    }

    /// The canary Ingress serin makes of `web` for the rollout, carrying
    /// these `annotations`: the object a test expects, whole.
    pub fn web_canary(&self, annotations: Value) -> Value {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": WEB_CANARY,
                "namespace": NS,
                "labels": {"serin.dev/rollout": ROLLOUT},
                "annotations": annotations,
                "ownerReferences": [{
                    "apiVersion": "serin.dev/v1alpha1",
                    "kind": "Rollout",
                    "name": ROLLOUT,
                    "uid": self.rollout_uid(),
                    "controller": true,
                    "blockOwnerDeletion": true,
                }],
            },
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": ["web.example", "www.example"], "secretName": "web-tls"}],
                "rules": [
                    {"host": "web.example", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "web-canary", "port": {"number": 80}}}},
                    ]}},
                    {"host": "www.example", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "web-canary", "port": {"name": "http"}}}},
                    ]}},
                ],
            },
        })
    }

    /// Creates an Ingress named [`WEB_CANARY`] as someone else would, not
    /// labelled as serin's.
    pub fn make_foreign_canary(&self) {
        self.fake
            .create(
                Some(NS),
                json!({
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": {"name": WEB_CANARY},
                    "spec": {"defaultBackend": {"service": {"name": "x", "port": {"number": 80}}}},
                }),
            )
            .expect("created by someone else");
    }

    /// Merge-patches the Ingress directly, as another writer would.
    pub fn edit(&self, name: &str, patch: Value) {
        self.fake
            .patch("networking.k8s.io/v1", "Ingress", Some(NS), name, &patch)
            .expect("another writer's change is accepted");
    }

    /// Writes (create, update, patch, delete) sent to any Ingress so far.
    pub fn ingress_writes(&self) -> u64 {
        [Verb::Create, Verb::Update, Verb::Patch, Verb::Delete]
            .into_iter()
            .map(|verb| self.fake.request_count_prefix(verb, INGRESSES))
            .sum()
    }

    /// Every state the Ingress has been in, oldest first.
    pub fn history(&self, name: &str) -> Vec<Change> {
        self.fake.history_of("Ingress", Some(NS), name)
    }

    /// Saves every Ingress in the fake to `dir`.
    fn save_ingresses(&self, dir: &std::path::Path) {
        static WORLDS: AtomicU64 = AtomicU64::new(0);
        let world = WORLDS.fetch_add(1, Ordering::Relaxed);
        let _ = std::fs::create_dir_all(dir);
        for object in self.fake.objects("networking.k8s.io/v1", "Ingress") {
            let name = object["metadata"]["name"].as_str().unwrap_or("unnamed");
            let file = format!("nginx-{}-{world}-Ingress-{name}.json", std::process::id());
            let _ = std::fs::write(dir.join(file), object.to_string());
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(dir) = std::env::var_os(WRITTEN_OBJECTS) {
            self.save_ingresses(std::path::Path::new(&dir));
        }
    }
}

/// `router` after applying each of `traffic` in turn.
pub async fn given(router: NginxRouter, traffic: &[Traffic]) -> NginxRouter {
    for t in traffic {
        router.apply(t).await.expect("applied");
    }
    router
}

/// The API path of the Ingresses in [`NS`]: where creates go, and the
/// prefix of every request to one of them.
pub const INGRESSES: &str = "/apis/networking.k8s.io/v1/namespaces/default/ingresses";

/// The API path of the Ingress `name`.
pub fn path(name: &str) -> String {
    format!("{INGRESSES}/{name}")
}

/// A canary spec with `web-stable`, `web-canary` and this `trafficRouting`.
pub fn spec(traffic_routing: Value) -> RolloutSpec {
    serde_json::from_value(json!({"strategy": {"canary": {
        "stableService": "web-stable",
        "canaryService": "web-canary",
        "trafficRouting": traffic_routing,
    }}}))
    .expect("a valid spec")
}

/// Traffic with `stable` alone.
pub fn stable(rev: &str) -> Traffic {
    Traffic {
        stable: Some(rev.into()),
        ..Traffic::default()
    }
}

/// `weight` percent from `aaa` to the canary `bbb`.
pub fn weighted(weight: i32) -> Traffic {
    Traffic {
        canary: Some("bbb".into()),
        canary_weight: weight,
        ..stable("aaa")
    }
}

/// `traffic` with the header route `name` of these matches added.
pub fn routed(traffic: Traffic, name: &str, matches: Value) -> Traffic {
    let route: HeaderRoute =
        serde_json::from_value(json!({"name": name, "match": matches})).expect("a route");
    let mut traffic = traffic;
    traffic.header_routes.push(route);
    traffic
}

/// serin's record of `traffic`, as the annotation holds it.
pub fn record(traffic: &Traffic) -> String {
    serde_json::to_string(traffic).expect("serializes")
}
