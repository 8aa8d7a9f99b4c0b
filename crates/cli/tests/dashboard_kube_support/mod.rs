//! `serin dashboard` on Kubernetes for the tests: started against the
//! fake API server of a [`Cluster`] with a known token, on a free port it
//! reports itself, and its JSON API called over HTTP.

#![allow(dead_code)]

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::kube_support::{Cluster, LIMIT};

/// The token actions need.
pub const TOKEN: &str = "the-dashboard-token";

/// A running `serin dashboard` and its address.
pub struct Served {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    http: reqwest::Client,
}

impl Served {
    /// Starts `serin dashboard ARGS --kubeconfig <the fake's>` on a free
    /// port, and returns once it says where it listens.
    pub async fn start(cluster: &Cluster, args: &[&str]) -> Served {
        let path = cluster.kubeconfig.to_string_lossy().into_owned();
        let mut all = vec!["dashboard", "--listen", "127.0.0.1:0"];
        all.extend(args);
        all.extend(["--kubeconfig", path.as_str()]);
        let mut cmd = cluster.command(&all);
        cmd.env("SERIN_TOKEN", TOKEN);
        let mut child = cmd.spawn().expect("spawn");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let base = tokio::time::timeout(LIMIT, async {
            loop {
                let line = lines.next_line().await.expect("read").expect("still runs");
                if let Some(rest) = line.strip_prefix("serin dashboard on ") {
                    let url = rest.split_whitespace().next().expect("a URL");
                    return url.trim_end_matches('/').to_owned();
                }
            }
        })
        .await
        .expect("the dashboard says where it listens");
        // Keep draining stderr so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Served {
            _child: child,
            base,
            // serin's client installs the TLS crypto provider reqwest needs here.
            http: serin_metrics::http_client().expect("HTTP client"),
        }
    }

    /// `GET path`, asserting 200, as JSON.
    pub async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("answers");
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("JSON")
    }

    /// `POST /api/rollouts/{name}/commands` with `body`: the status.
    pub async fn act(&self, name: &str, body: Value, token: Option<&str>) -> u16 {
        let mut req = self
            .http
            .post(format!("{}/api/rollouts/{name}/commands", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("answers").status().as_u16()
    }
}
