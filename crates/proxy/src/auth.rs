//! The admin API's bearer token: where it comes from (a file, else an
//! environment variable), the rule that a non-loopback admin address needs
//! one, and a constant-time check of the `Authorization` header.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::config::AdminConfig;
use crate::error::ProxyError;

/// The admin credential; `None` means the API is open (loopback only).
#[derive(Clone, Debug)]
pub(crate) struct AdminToken(Option<String>);

impl AdminToken {
    /// Loads the token and refuses a non-loopback address without one.
    pub(crate) fn load(config: &AdminConfig) -> Result<AdminToken, ProxyError> {
        let token = match &config.token_file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ProxyError::TokenFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let token = text.trim().to_owned();
                if token.is_empty() {
                    return Err(ProxyError::TokenFile {
                        path: path.clone(),
                        reason: "the file is empty".into(),
                    });
                }
                Some(token)
            }
            None => std::env::var(&config.token_env)
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        };
        if token.is_none() && !config.listen.ip().is_loopback() {
            return Err(ProxyError::AdminTokenRequired(config.listen));
        }
        Ok(AdminToken(token))
    }

    /// Whether the request may use the API.
    pub(crate) fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(want) = &self.0 else {
            return true;
        };
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        constant_time_eq(given.as_bytes(), want.as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue};

    use super::AdminToken;
    use crate::config::AdminConfig;
    use crate::error::ProxyError;

    #[test]
    fn a_non_loopback_admin_address_without_a_token_is_refused() {
        let config = AdminConfig {
            listen: "0.0.0.0:9901".parse().unwrap_or_else(|_| unreachable!()),
            token_env: "SERIN_TEST_TOKEN_THAT_IS_NEVER_SET".into(),
            ..AdminConfig::default()
        };
        assert!(matches!(
            AdminToken::load(&config),
            Err(ProxyError::AdminTokenRequired(_))
        ));
    }

    #[test]
    fn only_the_right_bearer_token_is_allowed() {
        let token = AdminToken(Some("s3cret".into()));
        let mut h = HeaderMap::new();
        assert!(!token.allows(&h));
        h.insert("authorization", HeaderValue::from_static("Bearer nope"));
        assert!(!token.allows(&h));
        h.insert("authorization", HeaderValue::from_static("Bearer s3cret"));
        assert!(token.allows(&h));
    }
}
