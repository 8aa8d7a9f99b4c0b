//! What the NGINX router's unit tests share: a config and a weighted
//! traffic.

use serin_api::status::Traffic;

use super::config::NginxConfig;

/// `web` with the default prefix, `web-stable` and `web-canary`.
pub fn config(max_weight: Option<i32>) -> NginxConfig {
    NginxConfig {
        stable_ingresses: vec!["web".into()],
        stable_service: Some("web-stable".into()),
        canary_service: Some("web-canary".into()),
        prefix: "nginx.ingress.kubernetes.io".into(),
        max_weight,
    }
}

/// `weight` percent from `aaa` to `bbb`.
pub fn weighted(weight: i32) -> Traffic {
    Traffic {
        stable: Some("aaa".into()),
        canary: Some("bbb".into()),
        canary_weight: weight,
        ..Traffic::default()
    }
}
