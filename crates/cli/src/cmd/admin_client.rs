//! How the commands that talk to a running daemon find it and call it: the
//! admin address (`--admin`, `SERIN_ADMIN`, else the address the daemon
//! wrote into the state directory, else 127.0.0.1:9900), the bearer token
//! (`SERIN_TOKEN`, else `<state-dir>/admin-token`), and one JSON request.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serin_local::admin::{ADDR_FILE, token::TOKEN_FILE};
use serin_local::daemon::DEFAULT_ADMIN;

/// Where the daemon is, for every command that talks to it.
#[derive(Debug, Clone, clap::Args)]
pub struct Conn {
    /// The daemon's admin API (host:port).
    #[arg(long, env = "SERIN_ADMIN", global = true)]
    admin: Option<String>,
    /// The daemon's state directory (its token and admin address are read from there).
    #[arg(long, env = "SERIN_STATE_DIR", default_value = ".serin", global = true)]
    state_dir: PathBuf,
}

/// A connection to the daemon's admin API.
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// Who is giving a command, for the history.
pub fn me() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

impl Conn {
    /// The daemon whose state directory is `state_dir` (its admin address
    /// and token are read from there).
    pub fn at_state_dir(state_dir: PathBuf) -> Conn {
        Conn {
            admin: None,
            state_dir,
        }
    }

    /// Resolves the address and the token.
    pub fn client(&self) -> anyhow::Result<Client> {
        let addr = match &self.admin {
            Some(a) => a.clone(),
            None => std::fs::read_to_string(self.state_dir.join(ADDR_FILE))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| DEFAULT_ADMIN.to_owned()),
        };
        let token = match std::env::var("SERIN_TOKEN") {
            Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
            _ => {
                let path = self.state_dir.join(TOKEN_FILE);
                std::fs::read_to_string(&path)
                    .map(|s| s.trim().to_owned())
                    .with_context(|| format!("no SERIN_TOKEN and cannot read {}", path.display()))?
            }
        };
        let base = if addr.starts_with("http://") {
            addr
        } else {
            format!("http://{addr}")
        };
        Ok(Client {
            base,
            token,
            http: serin_metrics::http_client()?,
        })
    }
}

impl Client {
    /// `GET path`, decoded.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// `method path` with a JSON body, decoded.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl Serialize,
    ) -> anyhow::Result<T> {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(body);
        self.send(req).await
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> anyhow::Result<T> {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("cannot reach the serin daemon at {}", self.base))?;
        let status = resp.status();
        let text = resp.text().await.context("reading the daemon's answer")?;
        if !status.is_success() {
            let msg = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or(text);
            bail!("{status}: {msg}");
        }
        serde_json::from_str(&text).with_context(|| format!("unexpected answer: {text}"))
    }
}

/// Runs `f` on a small runtime.
pub fn block_on<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}
