//! The `notifications:` section, as `serin up --notifications FILE` and
//! `serin controller --notifications FILE` read it: read ([`Config::from_yaml`],
//! unknown fields refused), then checked and resolved into [`Sink`]s. Every
//! error names its field path (`notifications.sinks[1].template: ...`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serin_engine::EventReason;

use crate::template::Template;

/// Events queued per sink before the oldest is dropped, by default.
pub const DEFAULT_QUEUE: usize = 1000;
/// Attempts per event and sink, by default.
pub const DEFAULT_ATTEMPTS: u32 = 4;
/// The longest a sink may ask for.
pub const MAX_ATTEMPTS: u32 = 20;
/// The time an attempt may take, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The wait after a first failed attempt, by default; it doubles after each.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Why the section cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{file}: cannot be read: {message}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The text is not YAML.
    #[error("not valid YAML: {0}")]
    Yaml(String),
    /// A field is wrong.
    #[error("{path}: {message}")]
    Field {
        /// Its path, from `notifications`.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn field(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        path: path.into(),
        message: message.into(),
    }
}

/// The file: one `notifications:` mapping.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    notifications: Section,
}

/// The section as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Section {
    #[serde(default)]
    queue_size: Option<usize>,
    #[serde(default)]
    sinks: Vec<SinkSpec>,
}

/// One sink as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkSpec {
    name: String,
    #[serde(rename = "type")]
    kind: SinkKind,
    url: String,
    #[serde(default)]
    events: Vec<EventReason>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    blocks: bool,
    #[serde(default)]
    timeout: Option<serin_api::Duration>,
    #[serde(default)]
    attempts: Option<u32>,
    #[serde(default)]
    backoff: Option<serin_api::Duration>,
}

/// What a sink speaks.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SinkKind {
    /// The generic JSON body (see [`crate::webhook_body`]).
    Webhook,
    /// A Slack-compatible incoming webhook: `{"text": ...}`, and blocks on request.
    Slack,
}

/// One sink, checked. Its `Debug` leaves out the URL's path and query and
/// the header values, which often hold secrets.
#[derive(Clone)]
pub struct Sink {
    /// Its name, for logs and counters.
    pub name: String,
    /// What it speaks.
    pub kind: SinkKind,
    /// Where events are POSTed.
    pub url: Url,
    /// The events it takes; every event when empty.
    pub events: Vec<EventReason>,
    /// The text it is sent.
    pub template: Template,
    /// Headers added to every request.
    pub headers: HeaderMap,
    /// Slack only: add a section and a context block.
    pub blocks: bool,
    /// The time one attempt may take.
    pub timeout: Duration,
    /// Attempts per event (at least 1).
    pub attempts: u32,
    /// The wait after the first failed attempt; it doubles after each, up
    /// to [`MAX_BACKOFF`].
    pub backoff: Duration,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("host", &self.url.host_str())
            .field("events", &self.events)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl Sink {
    /// Whether this sink takes events of `reason`.
    pub fn takes(&self, reason: EventReason) -> bool {
        self.events.is_empty() || self.events.contains(&reason)
    }
}

/// The notifications section, checked.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Events queued per sink before the oldest is dropped.
    pub queue_size: usize,
    /// The sinks, in the order written.
    pub sinks: Vec<Sink>,
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_yaml(&text)
    }

    /// Reads and checks `text`: a mapping with one key, `notifications`.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let value: serde_json::Value =
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml(first_line(&e)))?;
        let file: File = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            field(path, e.into_inner().to_string())
        })?;
        let section = file.notifications;
        let queue_size = section.queue_size.unwrap_or(DEFAULT_QUEUE);
        if queue_size == 0 {
            return Err(field("notifications.queueSize", "must be at least 1"));
        }
        let mut sinks: Vec<Sink> = Vec::new();
        for (i, spec) in section.sinks.into_iter().enumerate() {
            let at = format!("notifications.sinks[{i}]");
            let sink = resolve(spec, &at)?;
            if sinks.iter().any(|s| s.name == sink.name) {
                return Err(field(
                    format!("{at}.name"),
                    format!("'{}' names another sink too", sink.name),
                ));
            }
            sinks.push(sink);
        }
        Ok(Self { queue_size, sinks })
    }
}

/// Checks one sink; `at` is its path.
fn resolve(spec: SinkSpec, at: &str) -> Result<Sink, ConfigError> {
    if spec.name.trim().is_empty() {
        return Err(field(format!("{at}.name"), "is empty"));
    }
    let url = Url::parse(&spec.url).map_err(|e| {
        field(
            format!("{at}.url"),
            format!("'{}' is not a URL: {e}", spec.url),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(field(format!("{at}.url"), "must be http or https"));
    }
    let template = match &spec.template {
        Some(t) => {
            Template::parse(t).map_err(|e| field(format!("{at}.template"), e.to_string()))?
        }
        None => Template::default(),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        let path = format!("{at}.headers.{name}");
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| field(&path, "is not a header name"))?;
        let v = HeaderValue::from_str(value).map_err(|_| field(&path, "is not a header value"))?;
        headers.insert(n, v);
    }
    if spec.blocks && spec.kind != SinkKind::Slack {
        return Err(field(
            format!("{at}.blocks"),
            "only a slack sink sends blocks",
        ));
    }
    let attempts = spec.attempts.unwrap_or(DEFAULT_ATTEMPTS);
    if !(1..=MAX_ATTEMPTS).contains(&attempts) {
        return Err(field(
            format!("{at}.attempts"),
            format!("must be between 1 and {MAX_ATTEMPTS}"),
        ));
    }
    let duration = |d: Option<serin_api::Duration>, name: &str, default: Duration| match d {
        None => Ok(default),
        Some(d) => d
            .parse()
            .map_err(|e| field(format!("{at}.{name}"), e.to_string())),
    };
    let timeout = duration(spec.timeout, "timeout", DEFAULT_TIMEOUT)?;
    if timeout.is_zero() {
        return Err(field(format!("{at}.timeout"), "must be more than 0"));
    }
    Ok(Sink {
        timeout,
        backoff: duration(spec.backoff, "backoff", DEFAULT_BACKOFF)?.min(MAX_BACKOFF),
        name: spec.name,
        kind: spec.kind,
        url,
        events: spec.events,
        template,
        headers,
        blocks: spec.blocks,
        attempts,
    })
}

/// The first line of a parser error.
fn first_line(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or_default().trim();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_sink_shown_for_debugging_keeps_its_secrets() {
        let c = Config::from_yaml(
            "notifications:\n  sinks: [{name: team, type: slack, url: 'https://hooks.example/T0/B0/s3cret', headers: {Authorization: Bearer t0ken}}]\n",
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("hooks.example"), "{shown}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
    }
}
