//! Typed documents from YAML text: a text holds several documents
//! (`---`-separated); each is told apart by `apiVersion` and `kind` and
//! deserialized into its type, with the path of the first structural error
//! (`spec.strategy.canary.steps[2].setWieght: unknown field ...`). Empty
//! documents are skipped. Rules beyond structure are in [`crate::validate`].

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{API_VERSION, AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, Rollout};

/// The kinds a document may have.
pub const KINDS: [&str; 4] = [
    "Rollout",
    "AnalysisTemplate",
    "ClusterAnalysisTemplate",
    "AnalysisRun",
];
/// The fields allowed at the root of a document.
const ROOT_FIELDS: [&str; 5] = ["apiVersion", "kind", "metadata", "spec", "status"];

/// One typed serin document.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Document {
    /// A `Rollout`.
    Rollout(Rollout),
    /// An `AnalysisTemplate`.
    AnalysisTemplate(AnalysisTemplate),
    /// A `ClusterAnalysisTemplate`.
    ClusterAnalysisTemplate(ClusterAnalysisTemplate),
    /// An `AnalysisRun`.
    AnalysisRun(AnalysisRun),
}

impl Document {
    /// The document's kind, as written in `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Rollout(_) => "Rollout",
            Self::AnalysisTemplate(_) => "AnalysisTemplate",
            Self::ClusterAnalysisTemplate(_) => "ClusterAnalysisTemplate",
            Self::AnalysisRun(_) => "AnalysisRun",
        }
    }

    /// `metadata.name`, when given.
    pub fn name(&self) -> Option<&str> {
        let meta = match self {
            Self::Rollout(r) => &r.metadata,
            Self::AnalysisTemplate(t) => &t.metadata,
            Self::ClusterAnalysisTemplate(t) => &t.metadata,
            Self::AnalysisRun(r) => &r.metadata,
        };
        meta.name.as_deref().filter(|n| !n.is_empty())
    }

    /// `KIND/NAME`, or `KIND in document N` without a name (`index` from 0,
    /// shown from 1).
    pub fn label(&self, index: usize) -> String {
        label(self.kind(), self.name(), index)
    }
}

/// `KIND/NAME`, or `KIND in document N` (N from 1) when there is no name.
fn label(kind: &str, name: Option<&str>, index: usize) -> String {
    match name {
        Some(name) => format!("{kind}/{name}"),
        None => format!("{kind} in document {}", index + 1),
    }
}

/// Why a text or one of its documents could not be read. Every variant but
/// [`DocumentError::Yaml`] concerns one document, numbered from 0 in `index`
/// and shown from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The text is not YAML (no document of it is read).
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// A document is not a mapping.
    #[error("document {n}: is not a mapping with apiVersion and kind", n = .index + 1)]
    NotAMapping {
        /// The document's index.
        index: usize,
    },
    /// `apiVersion` or `kind` is missing or not a string.
    #[error("document {n}: {field}: is required (a string)", n = .index + 1)]
    MissingField {
        /// The document's index.
        index: usize,
        /// `apiVersion` or `kind`.
        field: &'static str,
    },
    /// `apiVersion` is not `serin.dev/v1alpha1`.
    #[error("document {n}: apiVersion: '{api_version}' is not {API_VERSION}", n = .index + 1)]
    UnknownApiVersion {
        /// The document's index.
        index: usize,
        /// The apiVersion as written.
        api_version: String,
    },
    /// `kind` is not one of [`KINDS`].
    #[error(
        "document {n}: kind: '{kind}' is not one of Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun",
        n = .index + 1
    )]
    UnknownKind {
        /// The document's index.
        index: usize,
        /// The kind as written.
        kind: String,
    },
    /// The document does not have the shape of its kind: an unknown field, a
    /// missing field, a value of the wrong type.
    #[error("{label}: {}", Located(.path, .message))]
    Structure {
        /// The document's index.
        index: usize,
        /// `KIND/NAME` (see [`Document::label`]).
        label: String,
        /// Path of the offending field; empty for the document's root.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// `path: message`, or `message` alone at the root.
struct Located<'a>(&'a String, &'a String);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(self.1)
        } else {
            write!(f, "{}: {}", self.0, self.1)
        }
    }
}

impl DocumentError {
    /// The index of the document concerned, if one is.
    pub fn index(&self) -> Option<usize> {
        match self {
            Self::Yaml(_) => None,
            Self::NotAMapping { index }
            | Self::MissingField { index, .. }
            | Self::UnknownApiVersion { index, .. }
            | Self::UnknownKind { index, .. }
            | Self::Structure { index, .. } => Some(*index),
        }
    }
}

/// Every non-empty document of `text`, each typed or with the reason it
/// could not be; `Err` only when the text is not YAML at all.
pub fn parse_each(text: &str) -> Result<Vec<Result<Document, DocumentError>>, DocumentError> {
    let values: Vec<Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| DocumentError::Yaml(first_line(&e.to_string())))?;
    Ok(values
        .into_iter()
        .filter(|v| !v.is_null())
        .enumerate()
        .map(|(index, value)| from_value(index, value))
        .collect())
}

/// Every non-empty document of `text`, or the first error.
pub fn parse(text: &str) -> Result<Vec<Document>, DocumentError> {
    parse_each(text)?.into_iter().collect()
}

/// One document from its generic value; `index` is its place in the input.
pub fn from_value(index: usize, value: Value) -> Result<Document, DocumentError> {
    let Value::Object(map) = &value else {
        return Err(DocumentError::NotAMapping { index });
    };
    let field = |name: &'static str| match map.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(DocumentError::MissingField { index, field: name }),
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    if api_version != API_VERSION {
        return Err(DocumentError::UnknownApiVersion { index, api_version });
    }
    let name = map
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let structure = |path: String, message: String| DocumentError::Structure {
        index,
        label: label(&kind, name.as_deref(), index),
        path,
        message,
    };
    if !KINDS.contains(&kind.as_str()) {
        return Err(DocumentError::UnknownKind { index, kind });
    }
    if let Some(unknown) = map.keys().find(|k| !ROOT_FIELDS.contains(&k.as_str())) {
        return Err(structure(
            unknown.clone(),
            format!(
                "unknown field `{unknown}`, expected one of {}",
                ROOT_FIELDS.join(", ")
            ),
        ));
    }
    // Kubernetes' own types (metadata, the pod template) ignore unknown
    // fields; keep what was written to find the ones they dropped.
    let metadata = map.get("metadata").cloned();
    let template = map.get("spec").and_then(|s| s.get("template")).cloned();
    let typed = match kind.as_str() {
        "Rollout" => typed(value).map(Document::Rollout),
        "AnalysisTemplate" => typed(value).map(Document::AnalysisTemplate),
        "ClusterAnalysisTemplate" => typed(value).map(Document::ClusterAnalysisTemplate),
        _ => typed(value).map(Document::AnalysisRun),
    };
    let doc = typed.map_err(|(path, message)| structure(path, message))?;
    let (meta_out, template_out) = kubernetes_parts(&doc);
    let dropped = [
        ("metadata", metadata, meta_out),
        ("spec.template", template, template_out),
    ]
    .into_iter()
    .find_map(|(path, written, read)| first_dropped_field(written.as_ref()?, &read?, path));
    match dropped {
        Some((path, field)) => Err(structure(path, format!("unknown field `{field}`"))),
        None => Ok(doc),
    }
}

/// `metadata` and (for a Rollout) `spec.template` of `doc`, as JSON.
fn kubernetes_parts(doc: &Document) -> (Option<Value>, Option<Value>) {
    let (meta, template) = match doc {
        Document::Rollout(r) => (
            &r.metadata,
            r.spec
                .template
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok()),
        ),
        Document::AnalysisTemplate(t) => (&t.metadata, None),
        Document::ClusterAnalysisTemplate(t) => (&t.metadata, None),
        Document::AnalysisRun(r) => (&r.metadata, None),
    };
    (serde_json::to_value(meta).ok(), template)
}

/// The path and name of the first field of `written` that is missing from
/// `read` (the same object after a round trip through its type): a field
/// the type does not know and silently dropped. Null fields are skipped.
fn first_dropped_field(written: &Value, read: &Value, path: &str) -> Option<(String, String)> {
    match (written, read) {
        (Value::Object(w), Value::Object(r)) => {
            w.iter().filter(|(_, v)| !v.is_null()).find_map(|(k, v)| {
                let child = format!("{path}.{k}");
                match r.get(k) {
                    None => Some((child, k.clone())),
                    Some(rv) => first_dropped_field(v, rv, &child),
                }
            })
        }
        (Value::Array(w), Value::Array(r)) if w.len() == r.len() => w
            .iter()
            .zip(r)
            .enumerate()
            .find_map(|(i, (v, rv))| first_dropped_field(v, rv, &format!("{path}[{i}]"))),
        _ => None,
    }
}

/// The first line of a (multi-line, annotated) parser error, without its
/// `error: ` prefix: the lint prints one line per error.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

/// `value` as `T`, or the path and text of the first error.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, e.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ROLLOUT: &str = "apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  local: {command: [app], version: v1}
  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: {duration: 30s}
        - setWieght: 20
";

    #[test]
    fn structural_errors_name_the_field_path() {
        let err = parse(ROLLOUT).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "Rollout/web: spec.strategy.canary.steps[2].setWieght: unknown field `setWieght`"
            ),
            "{text}"
        );
    }

    #[test]
    fn empty_documents_are_skipped_and_kinds_are_told_apart() {
        let text = format!(
            "---\n---\n{}---\napiVersion: serin.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {{name: t}}\nspec:\n  metrics: []\n",
            ROLLOUT.replace("setWieght", "setWeight")
        );
        let docs = parse(&text).unwrap();
        assert_eq!(
            docs.iter().map(Document::kind).collect::<Vec<_>>(),
            ["Rollout", "AnalysisTemplate"]
        );
        assert_eq!(docs[1].label(1), "AnalysisTemplate/t");
    }

    #[test]
    fn unknown_api_version_and_kind_name_the_document_and_field() {
        let each = parse_each(
            "apiVersion: v1\nkind: Pod\n---\napiVersion: serin.dev/v1alpha1\nkind: Canary\n",
        )
        .unwrap();
        assert_eq!(
            each[0].as_ref().unwrap_err().to_string(),
            "document 1: apiVersion: 'v1' is not serin.dev/v1alpha1"
        );
        assert!(
            each[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .starts_with("document 2: kind: 'Canary' is not one of")
        );
        let missing = parse("kind: Rollout\n").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "document 1: apiVersion: is required (a string)"
        );
    }

    #[test]
    fn unknown_fields_of_kubernetes_types_are_reported() {
        let template = "apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web, labels: {app: web}, annotations: null}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1
          resources: {limits: {cpu: 1}}
        - name: sidecar
          imagee: proxy:1
  strategy: {canary: {}}
";
        let err = parse(template).unwrap_err().to_string();
        assert_eq!(
            err,
            "Rollout/web: spec.template.spec.containers[1].imagee: unknown field `imagee`"
        );
        let meta = parse(&template.replace(
            "labels: {app: web}, annotations",
            "lables: {app: web}, annotations",
        ));
        assert_eq!(
            meta.unwrap_err().to_string(),
            "Rollout/web: metadata.lables: unknown field `lables`"
        );
        assert!(parse(&template.replace("imagee", "image")).is_ok());
    }

    #[test]
    fn a_missing_spec_is_reported_at_the_root() {
        let err = parse("apiVersion: serin.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n")
            .unwrap_err();
        assert_eq!(err.to_string(), "Rollout/web: missing field `spec`");
    }
}
