//! Rules of a Rollout's requests for analysis: at least one template, each
//! reference names a template present in the input (when the input holds
//! templates of that scope) and is given the arguments it requires, and each
//! argument has a value or a `valueFrom`.

use super::common::check_exactly_one;
use super::{Context, Errors, KnownTemplate, Path};
use crate::analysis_ref::{AnalysisRunArgument, AnalysisTemplateRef};

/// The templates and arguments of one analysis request.
pub(crate) fn check(
    templates: &[AnalysisTemplateRef],
    args: &[AnalysisRunArgument],
    context: &Context,
    path: &Path,
    errors: &mut Errors,
) {
    if templates.is_empty() {
        errors.push(
            &path.field("templates"),
            "is empty; name at least one template",
        );
    }
    let given: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
    for (i, template) in templates.iter().enumerate() {
        let Some(known) =
            check_template_ref(template, context, &path.field("templates").index(i), errors)
        else {
            continue;
        };
        for required in known
            .required_args
            .iter()
            .filter(|r| !given.contains(&r.as_str()))
        {
            errors.push(
                &path.field("args"),
                format!(
                    "has no '{required}', which {} '{}' requires",
                    scope(template),
                    known.name
                ),
            );
        }
    }
    for (i, arg) in args.iter().enumerate() {
        let arg_path = path.field("args").index(i);
        check_argument(arg, &arg_path, errors);
        if args[..i].iter().any(|a| a.name == arg.name) {
            errors.push(
                &arg_path.field("name"),
                format!("'{}' is given twice", arg.name),
            );
        }
    }
}

/// The kind a reference points at.
fn scope(template: &AnalysisTemplateRef) -> &'static str {
    if template.cluster_scope {
        "ClusterAnalysisTemplate"
    } else {
        "AnalysisTemplate"
    }
}

/// Checks one reference; the template it names when that template is in the input.
fn check_template_ref<'c>(
    template: &AnalysisTemplateRef,
    context: &'c Context,
    path: &Path,
    errors: &mut Errors,
) -> Option<&'c KnownTemplate> {
    let name_path = path.field("templateName");
    let name = template.template_name.as_str();
    if name.is_empty() {
        errors.push(&name_path, "is empty");
        return None;
    }
    let known = if template.cluster_scope {
        &context.cluster_templates
    } else {
        &context.templates
    };
    let known = known.as_ref()?;
    let found = known.iter().find(|t| t.name == name);
    if found.is_none() {
        let names: Vec<&str> = known.iter().map(|t| t.name.as_str()).collect();
        errors.push(
            &name_path,
            format!(
                "{} '{name}' is not in the input (it has: {})",
                scope(template),
                names.join(", ")
            ),
        );
    }
    found
}

fn check_argument(arg: &AnalysisRunArgument, path: &Path, errors: &mut Errors) {
    if arg.name.trim().is_empty() {
        errors.push(&path.field("name"), "is empty");
    }
    match (&arg.value, &arg.value_from) {
        (Some(_), Some(_)) => {
            errors.push(path, "has value and valueFrom; an argument has exactly one")
        }
        (None, None) => errors.push(
            path,
            "has neither value nor valueFrom; an argument has exactly one",
        ),
        (None, Some(from)) => {
            let mut set = Vec::new();
            if from.pod_template_hash_value.is_some() {
                set.push("podTemplateHashValue");
            }
            if let Some(field_ref) = &from.field_ref {
                set.push("fieldRef");
                if field_ref.field_path.trim().is_empty() {
                    errors.push(
                        &path.field("valueFrom").field("fieldRef").field("fieldPath"),
                        "is empty",
                    );
                }
            }
            check_exactly_one(
                &set,
                &["podTemplateHashValue", "fieldRef"],
                "valueFrom",
                &path.field("valueFrom"),
                errors,
            );
        }
        (Some(_), None) => {}
    }
}
