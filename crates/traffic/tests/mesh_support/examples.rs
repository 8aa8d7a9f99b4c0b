//! The examples under `examples/`: the Rollout, and the routing objects its
//! trailing comment shows (after the line ending `(serin creates none):`),
//! so that a test can load those objects, check them against their CRD
//! schemas and run the example's own spec over them.

use serde_json::Value;
use serin_api::RolloutSpec;
use serin_kube_fake::{FakeApiServer, FakeHandle};
use serin_traffic::Target;

/// The marker before the commented objects.
const MARKER: &str = "(serin creates none):";

/// An example loaded into a fresh fake.
pub struct Example {
    /// The fake, holding the commented objects.
    pub fake: FakeHandle,
    /// The rollout the example describes, as a router target.
    pub target: Target,
    /// Its spec.
    pub spec: RolloutSpec,
}

impl Example {
    /// `text` (an example file): its Rollout, and its commented objects
    /// loaded into a new fake, each checked against its CRD schema.
    pub async fn load(text: &str) -> Self {
        let (rollout, objects) = text
            .split_once(MARKER)
            .unwrap_or_else(|| panic!("the example has a line ending {MARKER}"));
        let objects: String = objects
            .lines()
            .skip(1)
            .map(|l| {
                l.strip_prefix("# ")
                    .or_else(|| l.strip_prefix('#'))
                    .unwrap_or(l)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let rollout: Value =
            serde_saphyr::from_str(rollout).expect("the example's Rollout is YAML");
        let (fake, client) = FakeApiServer::start().await.expect("the fake starts");
        for object in fake
            .load_yaml(&objects)
            .expect("the commented objects load")
        {
            super::schema::assert_valid(&object);
        }
        let spec: RolloutSpec =
            serde_json::from_value(rollout["spec"].clone()).expect("the example's spec");
        let target = Target {
            client,
            namespace: rollout["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string(),
            rollout: rollout["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        };
        Self { fake, target, spec }
    }
}
