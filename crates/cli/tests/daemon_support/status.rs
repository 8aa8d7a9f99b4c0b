//! Reading the JSON status of `serin status -o json` in tests.

use serde_json::Value;

/// The rollout's phase, empty when absent.
pub fn phase(v: &Value) -> &str {
    v["phase"].as_str().unwrap_or("")
}

/// The stable version, empty when absent.
pub fn stable(v: &Value) -> &str {
    v["stable"].as_str().unwrap_or("")
}

/// The index of the step marked current.
pub fn current_step(v: &Value) -> Option<u64> {
    v["steps"]
        .as_array()?
        .iter()
        .find(|s| s["current"] == true)
        .and_then(|s| s["index"].as_u64())
}

/// Healthy with `version` stable and its traffic read back.
pub fn healthy_on(version: &'static str) -> impl Fn(&Value) -> bool {
    move |v| phase(v) == "Healthy" && stable(v) == version && v["trafficVerified"] == true
}
