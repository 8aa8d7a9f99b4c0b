//! The HTTP client shared by the `prometheus` and `web` providers and the
//! webhook executor: reqwest over rustls with the `ring` crypto provider,
//! installed once for the process.

use std::sync::Once;

use crate::MeasureError;

static CRYPTO: Once = Once::new();

/// Installs rustls' `ring` provider as the process default, once. A provider
/// installed before by someone else is kept.
pub(crate) fn install_crypto() {
    CRYPTO.call_once(|| {
        // An error means a default is already installed: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client for providers and webhooks (per-request timeouts are set by
/// each call). Installs the crypto provider first.
pub fn http_client() -> Result<reqwest::Client, MeasureError> {
    install_crypto();
    reqwest::Client::builder()
        .user_agent(concat!("serin/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| MeasureError::config("http", format!("cannot build the HTTP client: {e}")))
}

/// The text of a transport error with its causes, on one line.
pub(crate) fn error_text(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// The last `max` characters of `text`, trimmed, for messages.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - max).collect();
    format!("…{tail}")
}
