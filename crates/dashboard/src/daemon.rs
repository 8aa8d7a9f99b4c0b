//! [`Source`] for the one-host daemon: an HTTP client of its admin API
//! (`GET /v1/rollouts`, `GET /v1/rollouts/{name}`, `.../history`,
//! `POST .../commands`, `POST .../refusals`) with the daemon's bearer token. An HTTP client
//! rather than in-process calls, so that `serin dashboard` runs apart from
//! the daemon and the daemon serves the same page without this crate
//! depending on it.

use serde::de::DeserializeOwned;
use serin_api::Command;
use serin_view::RolloutView;

use crate::source::{Source, SourceError};

/// The daemon's admin API.
#[derive(Clone, Debug)]
pub struct DaemonSource {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl DaemonSource {
    /// The admin API at `addr` (`host:port` or `http://host:port`), called
    /// with `token` through `http` (built by the caller, who knows which TLS
    /// provider the binary installs).
    pub fn new(addr: &str, token: &str, http: reqwest::Client) -> DaemonSource {
        let base = if addr.starts_with("http://") {
            addr.trim_end_matches('/').to_owned()
        } else {
            format!("http://{addr}")
        };
        DaemonSource {
            base,
            token: token.trim().to_owned(),
            http,
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        name: Option<&str>,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SourceError> {
        let unreachable = |e: reqwest::Error| SourceError::Unreachable {
            what: self.base.clone(),
            message: e.to_string(),
        };
        let resp = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(unreachable)?;
        if status == 404
            && let Some(name) = name
        {
            return Err(SourceError::NotFound(name.to_owned()));
        }
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or(text);
            return Err(SourceError::Refused { status, message });
        }
        serde_json::from_str(&text).map_err(|e| SourceError::Decode(format!("{e}: {text}")))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A rollout name as one URL path segment.
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Source for DaemonSource {
    async fn list(&self) -> Result<Vec<RolloutView>, SourceError> {
        self.call(None, self.http.get(self.url("/v1/rollouts")))
            .await
    }

    async fn view(&self, name: &str) -> Result<RolloutView, SourceError> {
        let url = self.url(&format!("/v1/rollouts/{}", segment(name)));
        self.call(Some(name), self.http.get(url)).await
    }

    async fn history(&self, name: &str) -> Result<Vec<serde_json::Value>, SourceError> {
        let url = self.url(&format!("/v1/rollouts/{}/history", segment(name)));
        self.call(Some(name), self.http.get(url)).await
    }

    async fn command(&self, name: &str, command: Command, by: &str) -> Result<(), SourceError> {
        let url = self.url(&format!("/v1/rollouts/{}/commands", segment(name)));
        let mut body =
            serde_json::to_value(&command).map_err(|e| SourceError::Decode(e.to_string()))?;
        if let Some(o) = body.as_object_mut() {
            o.insert("by".to_owned(), serde_json::Value::from(by));
        }
        let _: serde_json::Value = self
            .call(Some(name), self.http.post(url).json(&body))
            .await?;
        Ok(())
    }

    async fn refused(
        &self,
        name: &str,
        command: &str,
        by: &str,
        reason: &str,
    ) -> Result<(), SourceError> {
        let url = self.url(&format!("/v1/rollouts/{}/refusals", segment(name)));
        let body = serde_json::json!({"command": command, "by": by, "reason": reason});
        let _: serde_json::Value = self
            .call(Some(name), self.http.post(url).json(&body))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn a_name_is_escaped_into_one_path_segment() {
        assert_eq!(segment("web-1.a"), "web-1.a");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
