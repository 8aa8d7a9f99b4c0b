//! The upstream CRD schemas (`crates/traffic/tests/schemas/`, copied from the published CRDs):
//! every HTTPRoute, VirtualService and DestinationRule a test writes, and
//! every state the routers put one in, must validate against its version's
//! `openAPIV3Schema`.
//!
//! A CRD schema is OpenAPI v3, not JSON Schema; [`json_schema`] turns it
//! into JSON Schema (draft 4) as the API server reads it:
//! `nullable: true` admits `null`; `x-kubernetes-int-or-string` admits an
//! integer or a string; an object with `properties` admits no other field
//! unless `x-kubernetes-preserve-unknown-fields` (the API server would
//! prune an unknown field: here it is an error, so a misspelt field fails
//! the test instead of vanishing); the root admits `apiVersion`, `kind`
//! and `metadata` whether listed or not. Formats (`int32`, `date-time`) are not
//! checked. The CEL rules (`x-kubernetes-validations`) are not evaluated:
//! no CEL engine here knows Kubernetes' extensions; the routers' own tests
//! cover the rules that matter to them (a header matched once per rule,
//! a port on a Service backendRef).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Where the schemas are: `shared/` beside the repository.
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas/");

/// The files read, each holding one or more CRDs.
const FILES: [&str; 2] = [
    "gateway-api-v1.6.1-httproutes.yaml",
    "istio-virtualservices-destinationrules.yaml",
];

/// A validator per `apiVersion` and `kind`, and the CRD's schema as
/// published (for its defaults).
type Validators = HashMap<(String, String), (jsonschema::Validator, Value)>;

fn validators() -> &'static Validators {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let mut all = Validators::new();
        for file in FILES {
            let path = format!("{DIR}{file}");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "the upstream CRD schema {path} is missing ({e}); the tests validate \
                     every object written against crates/traffic/tests/schemas/"
                )
            });
            let options = serde_saphyr::options! {
                budget: serde_saphyr::budget! {
                    max_nodes: 100_000_000,
                    max_events: 100_000_000,
                    max_total_scalar_bytes: 1 << 30,
                },
            };
            let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(&text, options)
                .unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
            for crd in docs
                .iter()
                .filter(|d| d["kind"] == "CustomResourceDefinition")
            {
                let group = crd["spec"]["group"].as_str().expect("a group");
                let kind = crd["spec"]["names"]["kind"].as_str().expect("a kind");
                for version in crd["spec"]["versions"].as_array().expect("versions") {
                    let name = version["name"].as_str().expect("a version name");
                    let schema = root_schema(&version["schema"]["openAPIV3Schema"]);
                    let validator = jsonschema::draft4::options()
                        .should_validate_formats(false)
                        .build(&schema)
                        .unwrap_or_else(|e| panic!("{path}: {kind} {name}: {e}"));
                    let published = version["schema"]["openAPIV3Schema"].clone();
                    all.insert(
                        (format!("{group}/{name}"), kind.to_string()),
                        (validator, published),
                    );
                }
            }
        }
        all
    })
}

/// Panics, listing every error, unless `object` validates against its
/// version's schema.
pub fn assert_valid(object: &Value) {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let (validator, _) = validators()
        .get(&(api_version.to_string(), kind.to_string()))
        .unwrap_or_else(|| panic!("no schema for {api_version} {kind}"));
    let errors: Vec<String> = validator
        .iter_errors(object)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{kind} {} does not validate against its CRD schema:\n{}\n{}",
        object["metadata"]["name"],
        errors.join("\n"),
        serde_json::to_string_pretty(object).unwrap_or_default()
    );
}

/// `object` as an API server that applies its CRD's defaults stores it:
/// every absent field with a `default` in the schema filled in, at every
/// depth (structural defaulting), so that a test can check that what serin
/// wrote still reads back, and takes no second write, once defaulted.
pub fn defaulted(object: &Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let (_, schema) = validators()
        .get(&(api_version.to_string(), kind.to_string()))
        .unwrap_or_else(|| panic!("no schema for {api_version} {kind}"));
    let mut out = object.clone();
    fill_defaults(&mut out, schema);
    out
}

fn fill_defaults(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(map) => {
            for (field, sub) in schema["properties"].as_object().into_iter().flatten() {
                if !map.contains_key(field)
                    && let Some(default) = sub.get("default")
                {
                    map.insert(field.clone(), default.clone());
                }
                if let Some(child) = map.get_mut(field) {
                    fill_defaults(child, sub);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                fill_defaults(item, &schema["items"]);
            }
        }
        _ => {}
    }
}

/// A CRD's `openAPIV3Schema` as JSON Schema: [`json_schema`], and the
/// root admits `apiVersion`, `kind` and `metadata` even when the CRD does
/// not list them (Istio's do not: the API server always allows them).
fn root_schema(schema: &Value) -> Value {
    let mut root = json_schema(schema);
    if let Some(properties) = root["properties"].as_object_mut() {
        for (field, kind) in [
            ("apiVersion", "string"),
            ("kind", "string"),
            ("metadata", "object"),
        ] {
            properties
                .entry(field)
                .or_insert_with(|| serde_json::json!({"type": kind}));
        }
    }
    root
}

/// `schema` (OpenAPI v3, as in a CRD) as JSON Schema.
pub fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| !k.starts_with("x-kubernetes-") && *k != "nullable")
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "properties" | "patternProperties" | "definitions" => Value::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(name, s)| (name.clone(), json_schema(s)))
                                .collect(),
                        ),
                        "items" | "additionalProperties" | "not" => json_schema(v),
                        "allOf" | "anyOf" | "oneOf" => Value::Array(
                            v.as_array()
                                .into_iter()
                                .flatten()
                                .map(json_schema)
                                .collect(),
                        ),
                        // `default`, `enum`, `example` are values, not schemas.
                        _ => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect();
            if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
                out.insert("type".into(), serde_json::json!(["integer", "string"]));
            }
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = out.get("type").cloned()
            {
                out.insert("type".into(), serde_json::json!([t, "null"]));
            }
            let preserve =
                map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !preserve
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[test]
fn an_unknown_field_and_a_wrong_type_fail_validation() {
    let route = serde_json::json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "bad"},
        "spec": {"rules": [{"backendRefs": [{"name": "web", "port": "eighty", "wieght": 1}]}]},
    });
    let (validator, _) = &validators()[&(
        "gateway.networking.k8s.io/v1".to_string(),
        "HTTPRoute".to_string(),
    )];
    let errors: Vec<String> = validator
        .iter_errors(&route)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
}
