//! The patch types of `PATCH` requests, by `Content-Type`: JSON merge patch
//! (RFC 7386), JSON patch (RFC 6902), strategic merge patch (treated as a
//! merge patch: lists are replaced, not merged by key) and server-side apply
//! (simplified: a merge patch that creates the object when it is absent).

use serde_json::Value;

use crate::error::ApiError;

/// A patch type, from the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json` (applied as a merge patch).
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply, simplified).
    Apply,
}

impl PatchType {
    /// The patch type for a `Content-Type` header value.
    pub fn from_content_type(content_type: &str) -> Result<Self, ApiError> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        match essence {
            "application/merge-patch+json" => Ok(Self::Merge),
            "application/json-patch+json" => Ok(Self::Json),
            "application/strategic-merge-patch+json" => Ok(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(Self::Apply),
            other => Err(ApiError::UnsupportedMediaType(other.to_string())),
        }
    }
}

/// Apply `patch` (already parsed) of type `kind` to `target`.
pub fn apply(kind: PatchType, target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let mut out = target.clone();
    match kind {
        PatchType::Merge | PatchType::Strategic | PatchType::Apply => {
            json_patch::merge(&mut out, patch);
        }
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::BadRequest(format!("invalid JSON patch: {e}")))?;
            // As the API server's JSON patch does: a `test` of `null`
            // passes where the path holds nothing (kube-runtime's finalizer
            // helper relies on it for an object without finalizers).
            let ops: Vec<json_patch::PatchOperation> = ops
                .0
                .into_iter()
                .filter(|op| match op {
                    json_patch::PatchOperation::Test(t) => {
                        !(t.value.is_null() && out.pointer(t.path.as_str()).is_none())
                    }
                    _ => true,
                })
                .collect();
            json_patch::patch(&mut out, &ops)
                .map_err(|e| ApiError::Invalid(format!("the JSON patch failed: {e}")))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_lists_and_removes_nulls() {
        let target = json!({"a": [1, 2], "b": {"c": 1, "d": 2}});
        let out = apply(
            PatchType::Strategic,
            &target,
            &json!({"a": [3], "b": {"c": null}}),
        )
        .expect("patch");
        assert_eq!(out, json!({"a": [3], "b": {"d": 2}}));
    }

    #[test]
    fn json_patch_test_of_null_passes_where_the_path_holds_nothing() {
        let target = json!({"metadata": {"name": "a"}});
        let out = apply(
            PatchType::Json,
            &target,
            &json!([
                {"op": "test", "path": "/metadata/finalizers", "value": null},
                {"op": "add", "path": "/metadata/finalizers", "value": ["x"]}
            ]),
        )
        .expect("patch");
        assert_eq!(out, json!({"metadata": {"name": "a", "finalizers": ["x"]}}));
    }

    #[test]
    fn json_patch_test_operation_failure_is_invalid() {
        let target = json!({"a": 1});
        let err = apply(
            PatchType::Json,
            &target,
            &json!([{"op": "test", "path": "/a", "value": 2}]),
        )
        .expect_err("must fail");
        assert_eq!(err.code(), 422);
    }
}
