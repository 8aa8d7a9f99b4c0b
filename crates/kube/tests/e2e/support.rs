//! The world the end-to-end scenarios run in: the fake API server with its
//! ReplicaSet simulator, the controller in its own thread and runtime (so
//! killing it stops every task it had, as a killed process would), a clock
//! the test moves, and helpers that read what the controller wrote. Waiting
//! is polling with a deadline, never a fixed sleep.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use serin_api::k8s::{COMMANDS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, ROLLOUT_LABEL};
use serin_api::status::RolloutPhase;
use serin_api::{Command, CommandRequest, Rollout, RolloutStatus};
use serin_kube::{Config, ManualClock, Parts};
use serin_kube_fake::{FakeApiServer, FakeHandle, FakeOptions};

/// A running controller.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

/// The fake cluster, the clock and the controller.
pub struct World {
    pub fake: FakeHandle,
    pub client: kube::Client,
    pub clock: Arc<ManualClock>,
    /// True once the running controller's caches are synced.
    pub ready: tokio::sync::watch::Receiver<bool>,
    ready_tx: Arc<tokio::sync::watch::Sender<bool>>,
    running: Option<Running>,
}

/// Polls `check` until it returns `Some`, failing after `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl World {
    /// A fake cluster whose pods are ready as soon as they are made.
    pub async fn new() -> World {
        let options = FakeOptions {
            replicaset_simulator: Some(Duration::ZERO),
            ..FakeOptions::default()
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (fake, client) = FakeApiServer::start_with(options)
            .await
            .expect("fake starts");
        let (ready_tx, ready) = tokio::sync::watch::channel(false);
        World {
            fake,
            client,
            clock: Arc::new(ManualClock::starting_now()),
            ready,
            ready_tx: Arc::new(ready_tx),
            running: None,
        }
    }

    /// Starts the controller.
    pub fn start_controller(&mut self) {
        assert!(self.running.is_none(), "already running");
        let config = self.fake.client_config().expect("client config");
        let clock = self.clock.clone();
        let ready_tx = self.ready_tx.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let client = kube::Client::try_from(config).expect("client");
                let (tx, mut rx) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    while rx.changed().await.is_ok() {
                        let _ = ready_tx.send(*rx.borrow());
                    }
                });
                let parts = Parts {
                    config: Config {
                        resync: Duration::from_millis(100),
                        busy_poll: Duration::from_millis(50),
                        ..Config::default()
                    },
                    clock,
                    report: None,
                    ready: Some(tx),
                };
                tokio::select! {
                    r = serin_kube::run(client, parts, std::future::pending()) => {
                        r.expect("controller runs");
                    }
                    _ = stopped => {}
                }
            });
            rt.shutdown_background();
        });
        self.running = Some(Running { stop, thread });
    }

    /// Kills the controller at once: every task it had stops where it is.
    pub fn kill_controller(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            r.thread.join().expect("controller thread");
        }
    }

    /// Creates the objects of a YAML fixture in `default`.
    pub fn apply(&self, yaml: &str) {
        self.fake.load_yaml(yaml).expect("fixture loads");
    }

    /// Moves time: the controller's clock and the simulator's.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.fake.advance(by);
    }

    fn rollouts(&self) -> Api<Rollout> {
        Api::namespaced(self.client.clone(), "default")
    }

    /// The rollout's status now.
    pub async fn status(&self, name: &str) -> RolloutStatus {
        let r = self.rollouts().get(name).await.expect("rollout exists");
        r.status.unwrap_or_default()
    }

    /// Waits until the status satisfies `ok`.
    /// Waits for `name` to be Degraded with an `InvalidSpec` condition whose
    /// message names `path`, and asserts nothing was applied: no ReplicaSet.
    pub async fn wait_invalid_spec(&self, name: &str, path: &str) -> RolloutStatus {
        let s = self
            .wait_status(name, "degraded", |s| {
                s.phase == Some(RolloutPhase::Degraded)
            })
            .await;
        let message = s.message.clone().unwrap_or_default();
        assert!(message.contains(path), "{message}");
        assert!(s.conditions.iter().any(|c| c.type_ == "InvalidSpec"));
        assert!(self.replicas(name).await.is_empty());
        s
    }

    pub async fn wait_status(
        &self,
        name: &str,
        what: &str,
        ok: impl Fn(&RolloutStatus) -> bool,
    ) -> RolloutStatus {
        let last = std::sync::Mutex::new(RolloutStatus::default());
        let found = tokio::time::timeout(
            Duration::from_secs(20),
            eventually(what, || async {
                let s = self.status(name).await;
                let done = ok(&s);
                *last.lock().expect("lock") = s.clone();
                done.then_some(s)
            }),
        )
        .await;
        match found {
            Ok(s) => s,
            Err(_) => panic!(
                "timed out waiting for {what}; the status is {}",
                serde_json::to_string_pretty(&*last.lock().expect("lock")).unwrap_or_default()
            ),
        }
    }

    /// Replicas asked of each revision's ReplicaSet, by revision.
    pub async fn replicas(&self, rollout: &str) -> Vec<(String, i32)> {
        let api: Api<ReplicaSet> = Api::namespaced(self.client.clone(), "default");
        let list = api
            .list(&ListParams::default().labels(&format!("{ROLLOUT_LABEL}={rollout}")))
            .await
            .expect("list");
        let mut out: Vec<(String, i32)> = list
            .items
            .iter()
            .map(|rs| {
                let rev = rs
                    .labels()
                    .get(POD_TEMPLATE_HASH_LABEL)
                    .cloned()
                    .unwrap_or_default();
                (rev, rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0))
            })
            .collect();
        out.sort();
        out
    }

    /// Replicas asked of `revision`'s ReplicaSet (0 when it has none).
    pub async fn replicas_of(&self, rollout: &str, revision: &str) -> i32 {
        self.replicas(rollout)
            .await
            .into_iter()
            .find(|(r, _)| r == revision)
            .map_or(0, |(_, n)| n)
    }

    /// Gives a command as `serin promote` and friends do: appended to the
    /// rollout's annotation queue.
    pub async fn command(&self, name: &str, command: Command) {
        let r = self.rollouts().get(name).await.expect("rollout exists");
        let queued = serin_api::k8s::parse_commands(
            r.annotations().get(COMMANDS_ANNOTATION).map(String::as_str),
        )
        .expect("queue");
        let handled = r.status.as_ref().map_or(0, |s| s.last_command_id);
        let mut next = queued.clone();
        next.push(CommandRequest {
            id: serin_api::k8s::next_command_id(&queued, handled),
            command,
            by: "test".to_owned(),
            at: None,
        });
        let text = serde_json::to_string(&next).expect("json");
        let patch = json!({"metadata": {"annotations": {COMMANDS_ANNOTATION: text}}});
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("command queued");
    }

    /// The number at `pointer` in every change after `since` to the `kind`
    /// object `name` in `default` that has one, in order (from the fake's
    /// history).
    pub fn numbers_since(&self, since: u64, kind: &str, name: &str, pointer: &str) -> Vec<i64> {
        self.fake
            .history_of(kind, Some("default"), name)
            .iter()
            .filter(|c| c.resource_version > since)
            .filter_map(|c| c.object.pointer(pointer)?.as_i64())
            .collect()
    }

    /// The resourceVersion of the first change after `since` to a `kind`
    /// object named `name` that `found` accepts (from the fake's history).
    pub fn first_change(
        &self,
        since: u64,
        kind: &str,
        name: impl Fn(&str) -> bool,
        found: impl Fn(&serin_kube_fake::Change) -> bool,
    ) -> Option<u64> {
        self.fake
            .history()
            .into_iter()
            .filter(|c| c.resource_version > since && c.object_kind == kind && name(&c.name))
            .find(|c| found(c))
            .map(|c| c.resource_version)
    }

    /// When `revision`'s ReplicaSet of `rollout` was first asked for zero
    /// replicas (or deleted) after `since`.
    pub fn scaled_to_zero(&self, since: u64, rollout: &str, revision: &str) -> Option<u64> {
        let name = format!("{rollout}-{revision}");
        self.first_change(
            since,
            "ReplicaSet",
            |n| n == name,
            |c| {
                c.object
                    .pointer("/spec/replicas")
                    .and_then(serde_json::Value::as_i64)
                    == Some(0)
                    || c.kind == serin_kube_fake::EventType::Deleted
            },
        )
    }

    /// Deletes the rollout and waits until it is gone (its finalizer done).
    pub async fn delete_rollout(&self, name: &str) {
        self.rollouts()
            .delete(name, &kube::api::DeleteParams::default())
            .await
            .expect("deleted");
        eventually("the rollout gone", || async {
            self.rollouts()
                .get_opt(name)
                .await
                .ok()?
                .is_none()
                .then_some(())
        })
        .await;
    }

    /// Changes the image of the rollout's first container: a new revision.
    pub async fn set_image(&self, name: &str, image: &str) {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": image}
        ]}}}});
        self.rollouts()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("image set");
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.kill_controller();
        if let Some(dir) = std::env::var_os(WRITTEN_OBJECTS) {
            self.save_written(std::path::Path::new(&dir));
        }
    }
}

/// When set, each scenario leaves every core object the controller wrote
/// (ReplicaSets, Services, Events) in this directory, one JSON file each,
/// for `scripts/test` to check with `kubernetes-validate --strict`.
pub const WRITTEN_OBJECTS: &str = "SERIN_WRITTEN_OBJECTS";

impl World {
    fn save_written(&self, dir: &std::path::Path) {
        let _ = std::fs::create_dir_all(dir);
        let port = self.fake.url().rsplit(':').next().unwrap_or("0").to_owned();
        let kinds = [
            ("apps/v1", "ReplicaSet"),
            ("v1", "Service"),
            ("events.k8s.io/v1", "Event"),
        ];
        for (api_version, kind) in kinds {
            for object in self.fake.objects(api_version, kind) {
                let name = object
                    .pointer("/metadata/name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("unnamed");
                let file = dir.join(format!("{port}-{kind}-{name}.json"));
                let _ = std::fs::write(file, object.to_string());
            }
        }
    }
}

/// Two Services and a canary Rollout of 4 replicas over them: 25%, a
/// 30-second pause, 50%, a pause until promoted.
pub const CANARY: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "web:1"}]}
  strategy:
    canary:
      stableService: web-stable
      canaryService: web-canary
      steps:
      - setWeight: 25
      - pause: {duration: 30s}
      - setWeight: 50
      - pause: {}
"#;

/// A real HTTP endpoint on 127.0.0.1 answering every GET with `body` (JSON);
/// returns its URL. It lives as long as the test's runtime.
pub async fn serve_json(body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(move || async move {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/check")
}

/// The selector value of a Service's revision key (`None` when it has none).
pub fn service_revision(w: &World, service: &str) -> Option<String> {
    let svc = w.fake.object("v1", "Service", Some("default"), service)?;
    svc.pointer(&format!(
        "/spec/selector/{}",
        POD_TEMPLATE_HASH_LABEL.replace('/', "~1")
    ))
    .and_then(serde_json::Value::as_str)
    .map(str::to_owned)
}

/// A canary Rollout whose second step is an analysis by a `web` metric at
/// `url` that passes when the answer's `ok` is true.
pub fn canary_with_analysis(url: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Service
metadata: {{name: shop-stable}}
spec: {{selector: {{app: shop}}, ports: [{{port: 80}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: shop-canary}}
spec: {{selector: {{app: shop}}, ports: [{{port: 80}}]}}
---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata: {{name: check}}
spec:
  args: [{{name: url}}]
  metrics:
  - name: ok
    count: 1
    successCondition: result.ok == true
    provider:
      web: {{url: "{{{{args.url}}}}", jsonPath: "{{$}}"}}
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {{name: shop}}
spec:
  replicas: 4
  selector: {{matchLabels: {{app: shop}}}}
  template:
    metadata: {{labels: {{app: shop}}}}
    spec: {{containers: [{{name: app, image: "shop:1"}}]}}
  strategy:
    canary:
      stableService: shop-stable
      canaryService: shop-canary
      abortScaleDownDelaySeconds: 0
      steps:
      - setWeight: 25
      - analysis:
          templates: [{{templateName: check}}]
          args: [{{name: url, value: "{url}"}}]
      - setWeight: 50
"#
    )
}
