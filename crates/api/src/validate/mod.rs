//! Validation of parsed documents: every rule the types cannot express
//! (exactly-one-of fields, ranges, durations, regexes, CEL conditions, names,
//! references between documents), reported all at once with the exact path
//! of each offending field.
//!
//! [`validate`] checks a whole input (several documents, so that a Rollout's
//! references to templates in the same input are checked too); the
//! per-kind functions check one resource.

mod analysis;
mod analysis_ref;
mod bluegreen;
mod canary;
mod common;
mod condition;
mod path;
mod rollout;
mod routes;
mod webhook;

use std::fmt;

pub use condition::{MAX_CONDITION_NESTING, nesting_depth};
pub use path::Path;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::analysis::Argument;
use crate::document::Document;
use crate::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate, Rollout};

/// One broken rule: which document, which field, and what is wrong with it.
/// Displays as `spec.strategy.canary.steps[3].setWeight: 120 is above 100`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Index of the document in the input, from 0.
    pub document: usize,
    /// Path of the offending field from the document's root.
    pub path: String,
    /// What is wrong, for a person.
    pub rule: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

impl std::error::Error for FieldError {}

/// What a document may refer to in the rest of the input.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The AnalysisTemplates in the input, or `None` when the input holds
    /// none (references are then not checked).
    templates: Option<Vec<KnownTemplate>>,
    /// The ClusterAnalysisTemplates in the input, or `None` when the input
    /// holds none.
    cluster_templates: Option<Vec<KnownTemplate>>,
}

/// A template present in the input, as far as references to it care.
#[derive(Clone, Debug)]
struct KnownTemplate {
    /// `metadata.name`.
    name: String,
    /// The arguments it declares without a default value: a Rollout must
    /// give them.
    required_args: Vec<String>,
}

impl KnownTemplate {
    fn new(meta: &ObjectMeta, args: &[Argument]) -> Self {
        Self {
            name: meta.name.clone().unwrap_or_default(),
            required_args: args
                .iter()
                .filter(|a| a.value.is_none())
                .map(|a| a.name.clone())
                .collect(),
        }
    }
}

impl Context {
    /// A context that knows of no other document: template references are
    /// not checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The templates of `docs`.
    pub fn of(docs: &[Document]) -> Self {
        let mut templates = Vec::new();
        let mut cluster = Vec::new();
        for doc in docs {
            match doc {
                Document::AnalysisTemplate(t) => {
                    templates.push(KnownTemplate::new(&t.metadata, &t.spec.args))
                }
                Document::ClusterAnalysisTemplate(t) => {
                    cluster.push(KnownTemplate::new(&t.metadata, &t.spec.args))
                }
                Document::Rollout(_) | Document::AnalysisRun(_) => {}
            }
        }
        Self {
            templates: (!templates.is_empty()).then_some(templates),
            cluster_templates: (!cluster.is_empty()).then_some(cluster),
        }
    }
}

/// Collects the errors of one document.
#[derive(Debug)]
pub(crate) struct Errors {
    document: usize,
    list: Vec<FieldError>,
}

impl Errors {
    fn new(document: usize) -> Self {
        Self {
            document,
            list: Vec::new(),
        }
    }

    /// Records that the field at `path` breaks `rule`.
    pub(crate) fn push(&mut self, path: &Path, rule: impl Into<String>) {
        self.list.push(FieldError {
            document: self.document,
            path: path.to_string(),
            rule: rule.into(),
        });
    }

    fn into_vec(self) -> Vec<FieldError> {
        self.list
    }
}

/// Every error of every document of `docs`, in document order. References
/// from a Rollout to analysis templates are checked against the templates in
/// `docs` when there are any.
pub fn validate(docs: &[Document]) -> Vec<FieldError> {
    let context = Context::of(docs);
    let mut all = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        all.extend(validate_document(index, doc, &context));
    }
    all
}

/// Every error of one document, numbered `index`.
pub fn validate_document(index: usize, doc: &Document, context: &Context) -> Vec<FieldError> {
    match doc {
        Document::Rollout(r) => validate_rollout(index, r, context),
        Document::AnalysisTemplate(t) => validate_analysis_template(index, t),
        Document::ClusterAnalysisTemplate(t) => validate_cluster_analysis_template(index, t),
        Document::AnalysisRun(r) => validate_analysis_run(index, r),
    }
}

/// Every error of a Rollout.
pub fn validate_rollout(index: usize, rollout: &Rollout, context: &Context) -> Vec<FieldError> {
    let mut errors = Errors::new(index);
    rollout::check(rollout, context, &mut errors);
    errors.into_vec()
}

/// Every error of an AnalysisTemplate.
pub fn validate_analysis_template(index: usize, template: &AnalysisTemplate) -> Vec<FieldError> {
    let mut errors = Errors::new(index);
    common::check_metadata_name(&template.metadata, &mut errors);
    analysis::check_template_spec(&template.spec, &mut errors);
    errors.into_vec()
}

/// Every error of a ClusterAnalysisTemplate.
pub fn validate_cluster_analysis_template(
    index: usize,
    template: &ClusterAnalysisTemplate,
) -> Vec<FieldError> {
    let mut errors = Errors::new(index);
    common::check_metadata_name(&template.metadata, &mut errors);
    analysis::check_template_spec(&template.spec.clone().into(), &mut errors);
    errors.into_vec()
}

/// Every error of an AnalysisRun.
pub fn validate_analysis_run(index: usize, run: &AnalysisRun) -> Vec<FieldError> {
    let mut errors = Errors::new(index);
    common::check_metadata_name(&run.metadata, &mut errors);
    analysis::check_run_spec(&run.spec, &mut errors);
    errors.into_vec()
}
