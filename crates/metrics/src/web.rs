//! The `web` provider: a GET or POST whose JSON answer holds the value,
//! selected by a JSONPath (`$.data.rate`, or Argo's `{$.data.rate}`). One
//! match is the value; several are a list; none is an Error measurement. A
//! non-2xx answer is an Error measurement with its status and body.

use std::time::Duration;

use serde_json_path::JsonPath;
use serin_api::analysis::WebMetric;
use serin_engine::measure::ResultValue;

use crate::MeasureError;
use crate::http::{error_text, tail};

const NAME: &str = "web";
/// Seconds a request may take when the metric does not say.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// The request's time limit.
pub fn timeout(w: &WebMetric) -> Duration {
    let secs = w
        .timeout_seconds
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    Duration::from_secs(secs)
}

/// Makes the request and selects the value.
pub async fn fetch(client: &reqwest::Client, w: &WebMetric) -> Result<ResultValue, MeasureError> {
    let path = w.json_path.as_deref().map(parse_path).transpose()?;
    let method = w.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let mut req = match method.as_str() {
        "GET" => client.get(&w.url),
        "POST" => client.post(&w.url),
        other => {
            return Err(MeasureError::config(
                NAME,
                format!("method {other} is not supported; use GET or POST"),
            ));
        }
    };
    req = req.timeout(timeout(w));
    for h in &w.headers {
        req = req.header(&h.key, &h.value);
    }
    if let Some(body) = &w.body {
        req = req.body(body.clone());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| MeasureError::network(NAME, format!("{}: {}", w.url, error_text(&e))))?;
    let code = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| MeasureError::network(NAME, format!("{}: {}", w.url, error_text(&e))))?;
    if !code.is_success() {
        return Err(MeasureError::provider(
            NAME,
            format!("{} answered HTTP {code}: {}", w.url, tail(&body, 300)),
        ));
    }
    let json: serde_json::Value = match serde_json::from_str(&body) {
        Ok(j) => j,
        Err(_) if path.is_none() => serde_json::Value::String(body.trim().to_string()),
        Err(e) => {
            return Err(MeasureError::provider(
                NAME,
                format!("the answer is not JSON ({e}): {}", tail(&body, 200)),
            ));
        }
    };
    select(&json, path.as_ref(), w.json_path.as_deref().unwrap_or("$"))
}

fn parse_path(text: &str) -> Result<JsonPath, MeasureError> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(trimmed)
        .trim();
    JsonPath::parse(inner)
        .map_err(|e| MeasureError::config(NAME, format!("jsonPath '{text}' is not valid: {e}")))
}

fn select(
    json: &serde_json::Value,
    path: Option<&JsonPath>,
    text: &str,
) -> Result<ResultValue, MeasureError> {
    let Some(path) = path else {
        return Ok(ResultValue::Json(json.clone()));
    };
    let nodes = path.query(json).all();
    match nodes.as_slice() {
        [] => Err(MeasureError::no_data(
            NAME,
            format!("jsonPath '{text}' matched nothing in the answer"),
        )),
        [one] => Ok(ResultValue::Json((*one).clone())),
        many => Ok(ResultValue::Json(serde_json::Value::Array(
            many.iter().map(|v| (*v).clone()).collect(),
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn json_path_selects_one_value_many_values_or_nothing() {
        let doc = json!({"data": {"rate": 0.5, "items": [{"v": 1}, {"v": 2}]}});
        let sel = |p: &str| select(&doc, Some(&parse_path(p).unwrap()), p);
        assert_eq!(sel("$.data.rate"), Ok(ResultValue::Json(json!(0.5))));
        assert_eq!(sel("{$.data.rate}"), Ok(ResultValue::Json(json!(0.5))));
        assert_eq!(
            sel("$.data.items[*].v"),
            Ok(ResultValue::Json(json!([1, 2])))
        );
        assert!(matches!(sel("$.nope"), Err(MeasureError::NoData { .. })));
        assert!(matches!(
            parse_path("$[?"),
            Err(MeasureError::Config { .. })
        ));
    }
}
