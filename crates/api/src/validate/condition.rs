//! Rules of a metric's `successCondition` and `failureCondition`: each is a
//! CEL expression that compiles and reads only `result` and `args` (and the
//! variables its own comprehensions bind). The CEL parser recurses deeply, so
//! nesting is bounded first and compiling runs on a thread with a big stack.

use std::collections::BTreeSet;

use super::{Errors, Path};

/// The variables a condition may read.
const CONDITION_VARIABLES: [&str; 2] = ["result", "args"];

/// The deepest nesting of brackets a condition may have: the CEL parser
/// recurses once per level, deeply, and a deep enough input would overflow
/// any stack.
pub const MAX_CONDITION_NESTING: usize = 32;
/// The stack of the thread a condition is compiled and walked on; enough for
/// [`MAX_CONDITION_NESTING`] in a debug build, with a wide margin.
const CEL_STACK_BYTES: usize = 64 << 20;

/// A condition compiles as CEL and reads no variable but `result` and `args`
/// (and the variables its own comprehensions bind).
pub(crate) fn check_condition(source: &str, path: &Path, errors: &mut Errors) {
    if source.trim().is_empty() {
        errors.push(path, "is empty");
        return;
    }
    let depth = nesting_depth(source);
    if depth > MAX_CONDITION_NESTING {
        errors.push(
            path,
            format!("nests brackets {depth} deep; at most {MAX_CONDITION_NESTING} are allowed"),
        );
        return;
    }
    // On its own thread: a big stack for the recursive parser, and a panic
    // in third-party code is an error here, not a crash of the linter.
    let owned = source.to_string();
    let outcome = std::thread::Builder::new()
        .name("cel-check".into())
        .stack_size(CEL_STACK_BYTES)
        .spawn(move || unknown_variables(&owned))
        .map(std::thread::JoinHandle::join);
    match outcome {
        Ok(Ok(Ok(unknown))) if unknown.is_empty() => {}
        Ok(Ok(Ok(unknown))) => {
            let unknown: Vec<&str> = unknown.iter().map(String::as_str).collect();
            errors.push(
                path,
                format!(
                    "'{source}' reads {}; a condition may read only result and args",
                    super::common::join_and(&unknown)
                ),
            );
        }
        Ok(Ok(Err(e))) => errors.push(path, format!("'{source}' is not valid CEL: {e}")),
        Ok(Err(_)) | Err(_) => errors.push(path, format!("'{source}' is not valid CEL")),
    }
}

/// The deepest nesting of `(`, `[` and `{` in `source` (quotes ignored: a
/// bracket inside a string literal counts too, which only errs on the safe side).
pub fn nesting_depth(source: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in source.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Compiles `source`; the variables it reads besides `result`, `args` and
/// those its comprehensions bind, sorted, or the parse error.
fn unknown_variables(source: &str) -> Result<Vec<String>, String> {
    let program = cel::Program::compile(source).map_err(|e| cel_error(&e))?;
    let mut bound = BTreeSet::new();
    bound_variables(program.expression(), &mut bound);
    let references = program.references();
    let mut unknown: Vec<String> = references
        .variables()
        .into_iter()
        .filter(|v| !CONDITION_VARIABLES.contains(v) && !bound.contains(*v))
        .map(str::to_string)
        .collect();
    unknown.sort_unstable();
    Ok(unknown)
}

/// The variables bound by the comprehensions (`all`, `exists`, `map`...) of `expr`.
fn bound_variables(expr: &cel::IdedExpr, bound: &mut BTreeSet<String>) {
    use cel::common::ast::{EntryExpr, Expr};
    match &expr.expr {
        Expr::Comprehension(c) => {
            bound.insert(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.insert(c.accu_var.clone());
            for e in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                bound_variables(e, bound);
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                bound_variables(target, bound);
            }
            call.args.iter().for_each(|a| bound_variables(a, bound));
        }
        Expr::List(list) => list.elements.iter().for_each(|e| bound_variables(e, bound)),
        Expr::Map(map) => {
            for entry in &map.entries {
                match &entry.expr {
                    EntryExpr::StructField(f) => bound_variables(&f.value, bound),
                    EntryExpr::MapEntry(m) => {
                        bound_variables(&m.key, bound);
                        bound_variables(&m.value, bound);
                    }
                }
            }
        }
        Expr::Select(s) => bound_variables(&s.operand, bound),
        Expr::Struct(s) => {
            for entry in &s.entries {
                match &entry.expr {
                    EntryExpr::StructField(f) => bound_variables(&f.value, bound),
                    EntryExpr::MapEntry(m) => {
                        bound_variables(&m.key, bound);
                        bound_variables(&m.value, bound);
                    }
                }
            }
        }
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
    }
}

/// The first error of a CEL parse, on one line: `1:9: Syntax error: ...`.
fn cel_error(e: &cel::ParseErrors) -> String {
    match e.errors.first() {
        Some(first) => {
            let msg = first.msg.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("{}:{}: {msg}", first.pos.0, first.pos.1)
        }
        None => "does not parse".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_depth_counts_every_kind_of_bracket() {
        assert_eq!(nesting_depth("result"), 0);
        assert_eq!(
            nesting_depth("size(result[0]) > 1 && {'a': [1]}.a[0] == 1"),
            2
        );
        assert_eq!(nesting_depth("(([{"), 4);
        assert_eq!(nesting_depth(")))("), 1);
    }

    #[test]
    fn unknown_variables_ignore_result_args_and_comprehension_variables() {
        assert_eq!(
            unknown_variables("result.exists(x, x > args.min)"),
            Ok(vec![])
        );
        assert_eq!(
            unknown_variables("res > 1 || other"),
            Ok(vec!["other".to_string(), "res".to_string()])
        );
        assert!(unknown_variables("result >").is_err());
    }
}
