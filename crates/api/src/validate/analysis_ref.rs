//! Rules of a Rollout's requests for analysis: at least one template, each
//! reference names a template present in the input (when the input holds
//! templates of that scope), and each argument has a value or a `valueFrom`.

use super::common::check_exactly_one;
use super::{Context, Errors, Path};
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
    for (i, template) in templates.iter().enumerate() {
        check_template_ref(template, context, &path.field("templates").index(i), errors);
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

fn check_template_ref(
    template: &AnalysisTemplateRef,
    context: &Context,
    path: &Path,
    errors: &mut Errors,
) {
    let name_path = path.field("templateName");
    let name = template.template_name.as_str();
    if name.is_empty() {
        errors.push(&name_path, "is empty");
        return;
    }
    if template.cluster_scope {
        if let Some(known) = &context.cluster_templates
            && !known.iter().any(|n| n == name)
        {
            errors.push(
                &name_path,
                format!(
                    "ClusterAnalysisTemplate '{name}' is not in the input (it has: {})",
                    known.join(", ")
                ),
            );
        }
    } else if let Some(known) = &context.templates
        && !known.iter().any(|(_, n)| n == name)
    {
        let names: Vec<&str> = known.iter().map(|(_, n)| n.as_str()).collect();
        errors.push(
            &name_path,
            format!(
                "AnalysisTemplate '{name}' is not in the input (it has: {})",
                names.join(", ")
            ),
        );
    }
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
