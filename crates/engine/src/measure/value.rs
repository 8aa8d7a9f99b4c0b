//! What a provider measured: a [`ResultValue`] for the conditions to judge,
//! a verdict the provider reached itself, or an error; and how a value
//! becomes CEL's `result` and a measurement's text.

use std::collections::HashMap;
use std::sync::Arc;

use serin_api::AnalysisPhase;

/// A measured value, as the conditions see it in `result`.
#[derive(Clone, Debug, PartialEq)]
pub enum ResultValue {
    /// A number: a Prometheus scalar, a builtin metric, an exit code.
    Number(f64),
    /// A list of numbers: a Prometheus instant vector (`result[0]`).
    Vector(Vec<f64>),
    /// Any JSON value: what a `web` metric's `jsonPath` selects.
    Json(serde_json::Value),
}

/// The outcome of one measurement, as a provider reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A value for the metric's conditions. `unconditioned` is the phase when
    /// the metric has neither condition: Successful, or Failed for a command
    /// that exited non-zero.
    Value {
        /// The value.
        result: ResultValue,
        /// The phase when no condition is set.
        unconditioned: AnalysisPhase,
        /// A note for the measurement's message (a command's stderr).
        note: Option<String>,
    },
    /// A verdict the provider reached itself (the sequential judge); the
    /// conditions do not apply. `Running` means "no verdict yet".
    Judged {
        /// The verdict.
        phase: AnalysisPhase,
        /// The value to store (the judge's state).
        value: String,
        /// One line for a person.
        message: String,
    },
    /// The provider could not measure: an Error measurement.
    Error(String),
}

impl Outcome {
    /// A value judged by the conditions, Successful without them.
    pub fn value(result: ResultValue) -> Self {
        Self::Value {
            result,
            unconditioned: AnalysisPhase::Successful,
            note: None,
        }
    }
}

impl ResultValue {
    /// The value as stored in a measurement: a number, or JSON.
    pub fn text(&self) -> String {
        match self {
            Self::Number(n) => number_text(*n),
            Self::Vector(v) => {
                let items: Vec<String> = v.iter().map(|n| number_text(*n)).collect();
                format!("[{}]", items.join(","))
            }
            Self::Json(j) => j.to_string(),
        }
    }

    /// The value as CEL's `result`.
    pub fn to_cel(&self) -> cel::Value {
        match self {
            Self::Number(n) => cel::Value::Float(*n),
            Self::Vector(v) => {
                cel::Value::List(Arc::new(v.iter().map(|n| cel::Value::Float(*n)).collect()))
            }
            Self::Json(j) => json_to_cel(j),
        }
    }
}

fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{n}")
    }
}

/// A JSON value as a CEL value: numbers are integers when they are, floats
/// otherwise (CEL compares the two), objects are maps with string keys.
pub(crate) fn json_to_cel(j: &serde_json::Value) -> cel::Value {
    use serde_json::Value as J;
    match j {
        J::Null => cel::Value::Null,
        J::Bool(b) => cel::Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(f)) => cel::Value::Float(f),
            (None, None) => cel::Value::Null,
        },
        J::String(s) => cel::Value::String(Arc::new(s.clone())),
        J::Array(items) => cel::Value::List(Arc::new(items.iter().map(json_to_cel).collect())),
        J::Object(map) => {
            let m: HashMap<String, cel::Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), json_to_cel(v)))
                .collect();
            cel::Value::from(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_stored_as_numbers_or_json() {
        assert_eq!(ResultValue::Number(0.5).text(), "0.5");
        assert_eq!(ResultValue::Number(3.0).text(), "3");
        assert_eq!(ResultValue::Number(f64::NAN).text(), "NaN");
        assert_eq!(ResultValue::Vector(vec![1.0, 0.25]).text(), "[1,0.25]");
        assert_eq!(
            ResultValue::Json(serde_json::json!({"ok": true})).text(),
            r#"{"ok":true}"#
        );
    }
}
