//! A metric's `successCondition` and `failureCondition`: CEL expressions over
//! `result` (and `args`), and the phase they give a measurement.
//!
//! | conditions set | verdict |
//! |---|---|
//! | both | failure true → Failed; else success true → Successful; else Inconclusive |
//! | success only | true → Successful, false → Failed |
//! | failure only | true → Failed, false → Successful |
//! | neither | the provider's own answer (Successful; Failed for a non-zero exit) |
//!
//! The `cel` crate recurses once per nesting level, deeply: a debug build
//! overflows a 2 MiB stack at about 16 levels. Conditions nested deeper than
//! [`MAX_CONDITION_NESTING`] (validation's bound too) are refused, and callers
//! should evaluate on a thread with a large stack (`serin-metrics` records
//! measurements on a 64 MiB one).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serin_api::AnalysisPhase;
use serin_api::analysis::Metric;
use thiserror::Error;

use super::value::ResultValue;

/// The deepest bracket nesting a condition may have, and how it is counted:
/// validation's own, so that the two never disagree.
pub use serin_api::validate::{MAX_CONDITION_NESTING, nesting_depth};

/// A condition could not be evaluated (a fault of the spec or of the value,
/// not of the provider); the measurement counts as an Error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConditionError {
    /// The condition is not valid CEL (validation should have refused it).
    #[error("condition '{source_text}' is not valid CEL")]
    Parse {
        /// The condition.
        source_text: String,
    },
    /// Evaluating the condition failed, for example comparing a string with a number.
    #[error("condition '{source_text}' could not be evaluated on result {result}: {reason}")]
    Eval {
        /// The condition.
        source_text: String,
        /// The value it was evaluated on.
        result: String,
        /// CEL's error.
        reason: String,
    },
    /// The condition nests brackets deeper than [`MAX_CONDITION_NESTING`].
    #[error(
        "condition '{source_text}' nests brackets {depth} deep; at most {MAX_CONDITION_NESTING} are allowed"
    )]
    TooDeep {
        /// The condition.
        source_text: String,
        /// Its nesting.
        depth: usize,
    },
    /// The condition gave something other than true or false.
    #[error("condition '{source_text}' gave {got} on result {result}, not true or false")]
    NotBool {
        /// The condition.
        source_text: String,
        /// The value it was evaluated on.
        result: String,
        /// What it gave.
        got: String,
    },
}

/// The phase of one measurement of `metric` that gave `result`, with the
/// run's arguments visible to the conditions as `args`. `unconditioned` is
/// the answer when the metric has no condition.
pub fn evaluate(
    metric: &Metric,
    result: &ResultValue,
    args: &BTreeMap<String, String>,
    unconditioned: AnalysisPhase,
) -> Result<AnalysisPhase, ConditionError> {
    let success = metric
        .success_condition
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    let failure = metric
        .failure_condition
        .as_deref()
        .filter(|s| !s.trim().is_empty());
    let phase = match (success, failure) {
        (None, None) => unconditioned,
        (Some(s), None) => pass_or(eval(s, result, args)?, AnalysisPhase::Failed),
        (None, Some(f)) => {
            if eval(f, result, args)? {
                AnalysisPhase::Failed
            } else {
                AnalysisPhase::Successful
            }
        }
        (Some(s), Some(f)) => {
            if eval(f, result, args)? {
                AnalysisPhase::Failed
            } else {
                pass_or(eval(s, result, args)?, AnalysisPhase::Inconclusive)
            }
        }
    };
    Ok(phase)
}

fn pass_or(passed: bool, otherwise: AnalysisPhase) -> AnalysisPhase {
    if passed {
        AnalysisPhase::Successful
    } else {
        otherwise
    }
}

fn eval(
    source: &str,
    result: &ResultValue,
    args: &BTreeMap<String, String>,
) -> Result<bool, ConditionError> {
    let depth = nesting_depth(source);
    if depth > MAX_CONDITION_NESTING {
        return Err(ConditionError::TooDeep {
            source_text: source.to_string(),
            depth,
        });
    }
    let program = cel::Program::compile(source).map_err(|_| ConditionError::Parse {
        source_text: source.to_string(),
    })?;
    let mut ctx = cel::Context::default();
    ctx.add_variable_from_value("result", result.to_cel());
    let args: HashMap<String, cel::Value> = args
        .iter()
        .map(|(k, v)| (k.clone(), cel::Value::String(Arc::new(v.clone()))))
        .collect();
    ctx.add_variable_from_value("args", args);
    match program.execute(&ctx) {
        Ok(cel::Value::Bool(b)) => Ok(b),
        Ok(other) => Err(ConditionError::NotBool {
            source_text: source.to_string(),
            result: result.text(),
            got: format!("{other:?}"),
        }),
        Err(e) => Err(ConditionError::Eval {
            source_text: source.to_string(),
            result: result.text(),
            reason: e.to_string(),
        }),
    }
}
