//! The CustomResourceDefinitions of serin's resources, generated from the
//! Rust types (structural schemas, printer columns, the status and scale
//! subresources).
//!
//! The Rollout's `spec.template` is a whole `PodTemplateSpec`, whose schema
//! descriptions alone push the CRD past the 262,144 bytes `kubectl apply`
//! (client-side) can store in its annotation; they are stripped there, and
//! only there, keeping every type and structure.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::CustomResourceExt;

use crate::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, Rollout};

/// Every CRD serin installs, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![
        rollout(),
        AnalysisTemplate::crd(),
        ClusterAnalysisTemplate::crd(),
        AnalysisRun::crd(),
    ]
}

/// The Rollout CRD, without descriptions inside `spec.template`.
pub fn rollout() -> CustomResourceDefinition {
    let mut crd = Rollout::crd();
    for version in &mut crd.spec.versions {
        let template = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .and_then(|root| root.properties.as_mut())
            .and_then(|p| p.get_mut("spec"))
            .and_then(|spec| spec.properties.as_mut())
            .and_then(|p| p.get_mut("template"));
        if let Some(template) = template {
            let own = template.description.take();
            strip_descriptions(template);
            template.description = own;
        }
    }
    crd
}

/// Removes `description` from `schema` and every schema below it (and only
/// from schemas: a property that happens to be named `description` stays).
pub fn strip_descriptions(schema: &mut JSONSchemaProps) {
    schema.description = None;
    for child in schema.properties.iter_mut().flat_map(|p| p.values_mut()) {
        strip_descriptions(child);
    }
    for child in schema
        .pattern_properties
        .iter_mut()
        .flat_map(|p| p.values_mut())
    {
        strip_descriptions(child);
    }
    match &mut schema.items {
        Some(JSONSchemaPropsOrArray::Schema(child)) => strip_descriptions(child),
        Some(JSONSchemaPropsOrArray::Schemas(children)) => {
            children.iter_mut().for_each(strip_descriptions)
        }
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(child)) = &mut schema.additional_properties {
        strip_descriptions(child);
    }
    for list in [&mut schema.all_of, &mut schema.any_of, &mut schema.one_of] {
        list.iter_mut().flatten().for_each(strip_descriptions);
    }
    if let Some(child) = &mut schema.not {
        strip_descriptions(child);
    }
}
