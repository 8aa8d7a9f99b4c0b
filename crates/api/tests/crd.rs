//! The generated CRDs are structural schemas the API server accepts, and the
//! Rollout CRD fits in `kubectl apply`'s last-applied annotation.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use serin_api::crd;

/// The largest annotation value the API server stores (`kubectl apply`,
/// client-side, keeps the whole object as JSON in one).
const ANNOTATION_LIMIT: usize = 262_144;

fn schemas() -> Vec<(String, Value)> {
    crd::all()
        .into_iter()
        .flat_map(|crd| {
            let name = crd.metadata.name.clone().unwrap();
            crd.spec.versions.into_iter().map(move |v| {
                let schema = v.schema.unwrap().open_api_v3_schema.unwrap();
                (
                    format!("{name}/{}", v.name),
                    serde_json::to_value(schema).unwrap(),
                )
            })
        })
        .collect()
}

/// Every violation of the structural-schema rules below `node`.
fn structural_violations(node: &Value, path: &str, in_junctor: bool, out: &mut Vec<String>) {
    let Some(obj) = node.as_object() else {
        out.push(format!("{path}: is not a schema object"));
        return;
    };
    let flag = |k: &str| obj.get(k).and_then(Value::as_bool) == Some(true);
    if obj.contains_key("$ref") {
        out.push(format!("{path}: has $ref"));
    }
    if in_junctor {
        for forbidden in [
            "type",
            "description",
            "default",
            "additionalProperties",
            "nullable",
        ] {
            if obj.contains_key(forbidden) {
                out.push(format!(
                    "{path}: sets {forbidden} inside allOf/anyOf/oneOf/not"
                ));
            }
        }
    } else if !obj.contains_key("type")
        && !flag("x-kubernetes-int-or-string")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        out.push(format!("{path}: has no type"));
    }
    if obj.contains_key("properties") && obj.contains_key("additionalProperties") {
        out.push(format!("{path}: has properties and additionalProperties"));
    }
    if obj.get("type").and_then(Value::as_str) == Some("array") && !obj.contains_key("items") {
        out.push(format!("{path}: is an array without items"));
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, child) in props {
            structural_violations(child, &format!("{path}.{name}"), in_junctor, out);
        }
    }
    if let Some(items) = obj.get("items") {
        structural_violations(items, &format!("{path}[]"), in_junctor, out);
    }
    if let Some(extra) = obj.get("additionalProperties").filter(|v| v.is_object()) {
        structural_violations(extra, &format!("{path}{{*}}"), in_junctor, out);
    }
    for junctor in ["allOf", "anyOf", "oneOf"] {
        for (i, child) in obj
            .get(junctor)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            structural_violations(child, &format!("{path}.{junctor}[{i}]"), true, out);
        }
    }
    if let Some(not) = obj.get("not") {
        structural_violations(not, &format!("{path}.not"), true, out);
    }
}

#[test]
fn every_crd_schema_is_structural() {
    let mut violations = Vec::new();
    for (name, schema) in schemas() {
        structural_violations(&schema, &name, false, &mut violations);
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_structural_check_catches_what_kubernetes_refuses() {
    let bad = serde_json::json!({
        "type": "object",
        "properties": {
            "untyped": {},
            "ref": {"$ref": "#/x", "type": "string"},
            "both": {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}},
            "list": {"type": "array"},
            "choice": {"type": "object", "oneOf": [{"type": "string", "description": "no"}]},
            "port": {"x-kubernetes-int-or-string": true},
        }
    });
    let mut out = Vec::new();
    structural_violations(&bad, "bad", false, &mut out);
    assert_eq!(out.len(), 6, "{out:#?}");
}

#[test]
fn rollout_crd_fits_in_the_last_applied_annotation() {
    let json = serde_json::to_vec(&crd::rollout()).unwrap();
    assert!(
        json.len() < ANNOTATION_LIMIT,
        "the Rollout CRD is {} bytes of JSON",
        json.len()
    );
}

#[test]
fn pod_template_keeps_its_structure_but_loses_descriptions() {
    let rollout = serde_json::to_value(crd::rollout()).unwrap();
    let spec = &rollout["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let template = &spec["properties"]["template"];
    assert!(
        template["description"].is_string(),
        "the template keeps its own description"
    );
    let containers = &template["properties"]["spec"]["properties"]["containers"];
    assert_eq!(containers["type"], "array");
    assert_eq!(containers["items"]["properties"]["image"]["type"], "string");
    assert!(
        !template["properties"]
            .to_string()
            .contains("\"description\":\""),
        "a description is left inside spec.template"
    );
    assert!(
        spec["properties"]["strategy"]["description"].is_string(),
        "descriptions elsewhere stay"
    );
}

#[test]
fn strip_descriptions_keeps_a_property_named_description() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
    let child = JSONSchemaProps {
        type_: Some("string".into()),
        description: Some("text".into()),
        ..Default::default()
    };
    let mut schema = JSONSchemaProps {
        description: Some("root".into()),
        properties: Some([("description".to_string(), child)].into()),
        ..Default::default()
    };
    crd::strip_descriptions(&mut schema);
    assert_eq!(schema.description, None);
    let kept = &schema.properties.as_ref().unwrap()["description"];
    assert_eq!(
        (kept.type_.as_deref(), kept.description.as_deref()),
        (Some("string"), None)
    );
}
