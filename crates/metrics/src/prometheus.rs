//! The `prometheus` provider: one instant query (`GET /api/v1/query`) per
//! measurement. A scalar is a number; an instant vector is a list of numbers
//! (`result[0]` in a condition). An empty vector, a non-2xx answer or
//! `status: error` is an Error measurement with Prometheus' own message.

use std::time::Duration;

use serde::Deserialize;
use serin_api::analysis::PrometheusMetric;
use serin_engine::measure::ResultValue;

use crate::MeasureError;
use crate::http::{error_text, tail};

const NAME: &str = "prometheus";
/// Time a query may take when the metric does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The query's time limit.
pub fn timeout(p: &PrometheusMetric) -> Duration {
    p.timeout
        .as_ref()
        .and_then(|d| d.parse().ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT)
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// Runs the query and returns its value.
pub async fn query(
    client: &reqwest::Client,
    p: &PrometheusMetric,
) -> Result<ResultValue, MeasureError> {
    let url = format!("{}/api/v1/query", p.address.trim_end_matches('/'));
    let full =
        reqwest::Url::parse_with_params(&url, &[("query", p.query.as_str())]).map_err(|e| {
            MeasureError::config(NAME, format!("address '{}' is not a URL: {e}", p.address))
        })?;
    let mut req = client.get(full).timeout(timeout(p));
    for h in &p.headers {
        req = req.header(&h.key, &h.value);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| MeasureError::network(NAME, format!("{url}: {}", error_text(&e))))?;
    let code = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| MeasureError::network(NAME, format!("{url}: {}", error_text(&e))))?;
    let answer: Answer = match serde_json::from_str(&body) {
        Ok(a) => a,
        Err(_) if !code.is_success() => {
            return Err(MeasureError::provider(
                NAME,
                format!("HTTP {code}: {}", tail(&body, 300)),
            ));
        }
        Err(e) => {
            return Err(MeasureError::provider(
                NAME,
                format!(
                    "the answer is not Prometheus JSON ({e}): {}",
                    tail(&body, 200)
                ),
            ));
        }
    };
    if answer.status != "success" || !code.is_success() {
        let kind = answer.error_type.unwrap_or_else(|| format!("HTTP {code}"));
        let msg = answer.error.unwrap_or_else(|| tail(&body, 300));
        return Err(MeasureError::provider(NAME, format!("{kind}: {msg}")));
    }
    let data = answer
        .data
        .ok_or_else(|| MeasureError::provider(NAME, "the answer has no data"))?;
    value(&data.result_type, &data.result)
}

fn value(result_type: &str, result: &serde_json::Value) -> Result<ResultValue, MeasureError> {
    match result_type {
        "scalar" => sample(result).map(ResultValue::Number),
        "vector" => {
            let items = result.as_array().map(Vec::as_slice).unwrap_or_default();
            if items.is_empty() {
                return Err(MeasureError::no_data(NAME, "query returned no data"));
            }
            items
                .iter()
                .map(|s| sample(s.get("value").unwrap_or(&serde_json::Value::Null)))
                .collect::<Result<Vec<f64>, _>>()
                .map(ResultValue::Vector)
        }
        other => Err(MeasureError::config(
            NAME,
            format!(
                "the query returned a {other}; use a query that returns a scalar or an instant vector"
            ),
        )),
    }
}

/// `[timestamp, "value"]` → the value (`NaN`, `+Inf` and `-Inf` included).
fn sample(pair: &serde_json::Value) -> Result<f64, MeasureError> {
    let text = pair
        .get(1)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| MeasureError::provider(NAME, format!("malformed sample {pair}")))?;
    match text {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => text
            .parse()
            .map_err(|_| MeasureError::provider(NAME, format!("malformed sample value '{text}'"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn scalars_are_numbers_and_vectors_lists_of_numbers() {
        assert_eq!(
            value("scalar", &json!([1.0, "0.25"])),
            Ok(ResultValue::Number(0.25))
        );
        assert_eq!(
            value(
                "vector",
                &json!([{"metric": {}, "value": [1.0, "1"]}, {"metric": {}, "value": [1.0, "NaN"]}])
            )
            .map(|v| v.text()),
            Ok("[1,NaN]".to_string())
        );
    }

    #[test]
    fn an_empty_vector_is_no_data_and_a_matrix_is_refused() {
        assert_eq!(
            value("vector", &json!([])),
            Err(MeasureError::no_data(NAME, "query returned no data"))
        );
        assert!(matches!(
            value("matrix", &json!([])),
            Err(MeasureError::Config { .. })
        ));
    }
}
