//! A cluster for the `serin` command's Kubernetes tests: the in-process
//! fake API server, kubeconfig files written for it in a temporary
//! directory (which is also the child's `HOME`, so no real
//! `~/.kube/config` is ever read), the real `serin` binary run against it,
//! the Rollout fixtures next to this file, and reading a Rollout's command
//! queue back.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use serin_api::CommandRequest;
use serin_api::k8s::{COMMANDS_ANNOTATION, parse_commands};
use serin_kube_fake::{FakeApiServer, FakeHandle};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// Every wait for a child's output ends within this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// The user the commands are given as.
pub const USER: &str = "ana";

/// A fixture's text, from `kube_support/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/kube_support/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fake and the files that point at it.
pub struct Cluster {
    /// The fake API server.
    pub fake: FakeHandle,
    /// A temporary directory: kubeconfigs, and the children's `HOME`.
    pub dir: tempfile::TempDir,
    /// The fake's own kubeconfig (one context, namespace `default`).
    pub kubeconfig: PathBuf,
    /// The `dead` context's server: a loopback URL nobody listens on.
    pub dead_server: String,
}

impl Cluster {
    /// Starts a fake and writes its kubeconfig.
    pub async fn start() -> Cluster {
        let (fake, _client) = FakeApiServer::start().await.expect("fake starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, fake.kubeconfig()).expect("write kubeconfig");
        Cluster {
            fake,
            dir,
            kubeconfig,
            dead_server: format!("http://127.0.0.1:{}", dead_port()),
        }
    }

    /// Starts a fake with the objects of `fixture` loaded (statuses kept).
    pub async fn with(fixture_name: &str) -> Cluster {
        let cluster = Cluster::start().await;
        cluster
            .fake
            .load_yaml(&fixture(fixture_name))
            .expect("fixture loads");
        cluster
    }

    /// Writes `text` as a file in the temporary directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    /// `serin ARGS` with no Kubernetes environment but `HOME` and `USER`.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_serin"));
        cmd.args(args)
            .env_remove("KUBECONFIG")
            .env_remove("SERIN_PLATFORM")
            .env_remove("SERIN_ADMIN")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("HOME", self.dir.path())
            .env("USER", USER)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `serin ARGS --kubeconfig <the fake's>` to the end.
    pub async fn serin(&self, args: &[&str]) -> Run {
        let path = self.kubeconfig.to_string_lossy().into_owned();
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", path.as_str()]);
        self.run(self.command(&all)).await
    }

    /// Starts `serin ARGS --kubeconfig <the fake's>` that keeps running
    /// (killed when the [`Following`] is dropped).
    pub fn follow(&self, args: &[&str]) -> Following {
        let path = self.kubeconfig.to_string_lossy().into_owned();
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", path.as_str()]);
        let mut child = self.command(&all).spawn().expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        Following {
            _child: child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// Runs a prepared command to the end.
    pub async fn run(&self, mut cmd: tokio::process::Command) -> Run {
        let out = tokio::time::timeout(LIMIT, cmd.output())
            .await
            .expect("serin ends in time")
            .expect("serin runs");
        Run::from(out)
    }

    /// A Rollout as stored.
    pub fn rollout(&self, namespace: &str, name: &str) -> Value {
        self.fake
            .object("serin.dev/v1alpha1", "Rollout", Some(namespace), name)
            .unwrap_or_else(|| panic!("rollout {namespace}/{name} exists"))
    }

    /// A Rollout's command queue as stored.
    pub fn queue(&self, namespace: &str, name: &str) -> Vec<CommandRequest> {
        let rollout = self.rollout(namespace, name);
        let text = rollout["metadata"]["annotations"][COMMANDS_ANNOTATION].as_str();
        parse_commands(text).expect("the queue parses")
    }

    /// Writes a Rollout's command-queue annotation directly, as another
    /// client would.
    pub fn set_queue(&self, namespace: &str, name: &str, text: &str) {
        let patch =
            serde_json::json!({ "metadata": { "annotations": { COMMANDS_ANNOTATION: text } } });
        self.fake
            .patch(
                "serin.dev/v1alpha1",
                "Rollout",
                Some(namespace),
                name,
                &patch,
            )
            .expect("annotate");
    }

    /// A kubeconfig with two contexts on the fake: `fake` (namespace
    /// `default`) and `shop` (namespace `shop`), and `dead` pointing at a
    /// port nobody listens on; `current` is the current context.
    pub fn contexts_kubeconfig(&self, current: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n\
             - name: fake\n  cluster:\n    server: {url}\n\
             - name: dead\n  cluster:\n    server: {dead}\n\
             users:\n- name: someone\n  user: {{}}\n\
             contexts:\n\
             - name: fake\n  context:\n    cluster: fake\n    user: someone\n\
             - name: shop\n  context:\n    cluster: fake\n    user: someone\n    namespace: shop\n\
             - name: dead\n  context:\n    cluster: dead\n    user: someone\n\
             current-context: {current}\n",
            url = self.fake.url(),
            dead = self.dead_server,
        )
    }
}

/// A loopback port nobody listens on right now.
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A `serin` still running (`status -w`), read line by line.
pub struct Following {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Following {
    /// The next line it prints, within [`LIMIT`].
    pub async fn next_line(&mut self) -> String {
        tokio::time::timeout(LIMIT, self.lines.next_line())
            .await
            .expect("a new line in time")
            .expect("read")
            .expect("serin still runs")
    }

    /// The next line it prints, as JSON (a view of `status -w -o json`).
    pub async fn next_view(&mut self) -> Value {
        serde_json::from_str(&self.next_line().await).expect("a JSON view per line")
    }
}

/// A finished `serin`.
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts success and returns standard output.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "serin failed\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        &self.stdout
    }
}
