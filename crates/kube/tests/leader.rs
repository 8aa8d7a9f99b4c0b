//! Leader election against the fake API server, through the real kube
//! client: one leader at a time, hand-over on release and on expiry, a
//! leader that cannot renew steps down, and transitions are counted.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use k8s_openapi::jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use serin_kube::leader::{LeaderConfig, LeaderElector, LeaderError};
use serin_kube_fake::{FakeApiServer, FakeHandle, Fault};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

const NS: &str = "serin-system";
const LEASE_PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/serin-system/leases";

/// How long a test waits for something before failing.
const PATIENCE: Duration = Duration::from_secs(10);

/// A running candidate: its leadership, a way to shut it down gracefully,
/// and its task (abort it to make it vanish without releasing).
struct Candidate {
    leading: watch::Receiver<bool>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), LeaderError>>,
}

impl Candidate {
    fn start(fake: &FakeHandle, config: LeaderConfig) -> Self {
        let elector = LeaderElector::new(fake.client().unwrap(), config).unwrap();
        let leading = elector.leadership();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(elector.run(async move {
            let _ = rx.await;
        }));
        Self {
            leading,
            shutdown: Some(tx),
            task,
        }
    }

    fn leads(&self) -> bool {
        *self.leading.borrow()
    }

    async fn becomes(&mut self, leading: bool) {
        tokio::time::timeout(PATIENCE, self.leading.wait_for(|v| *v == leading))
            .await
            .unwrap_or_else(|_| panic!("leadership never became {leading}"))
            .unwrap();
    }

    async fn shut_down(mut self) -> Result<(), LeaderError> {
        let _ = self.shutdown.take().unwrap().send(());
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .unwrap()
            .unwrap()
    }
}

/// Fast settings: a lease of `lease` seconds, renewed every 100 ms.
fn config(identity: &str, lease: u64) -> LeaderConfig {
    let mut c = LeaderConfig::new(NS, identity);
    c.lease_duration = Duration::from_secs(lease);
    c.renew_deadline = Duration::from_millis(700);
    c.retry_period = Duration::from_millis(100);
    c
}

fn lease(fake: &FakeHandle) -> Value {
    fake.object(
        "coordination.k8s.io/v1",
        "Lease",
        Some(NS),
        LeaderConfig::DEFAULT_NAME,
    )
    .unwrap()
}

fn holder(fake: &FakeHandle) -> Option<String> {
    lease(fake)["spec"]["holderIdentity"]
        .as_str()
        .map(str::to_string)
}

fn transitions(fake: &FakeHandle) -> i64 {
    lease(fake)["spec"]["leaseTransitions"].as_i64().unwrap()
}

/// When the stored Lease expires for the other candidates.
fn expiry(fake: &FakeHandle) -> Timestamp {
    let spec = &lease(fake)["spec"];
    let renewed: Timestamp = spec["renewTime"].as_str().unwrap().parse().unwrap();
    let seconds = spec["leaseDurationSeconds"].as_i64().unwrap();
    renewed + SignedDuration::from_secs(seconds)
}

/// Waits until one of `a` and `b` leads, then checks for `window` that
/// exactly one leads after every change of either.
async fn one_leads_throughout(a: &mut Candidate, b: &mut Candidate, window: Duration) {
    tokio::time::timeout(PATIENCE, async {
        tokio::select! {
            () = a.becomes(true) => {},
            () = b.becomes(true) => {},
        }
    })
    .await
    .unwrap();
    let end = tokio::time::Instant::now() + window;
    while tokio::time::Instant::now() < end {
        assert!(!(a.leads() && b.leads()), "both lead");
        assert!(a.leads() || b.leads(), "the leader stepped down");
        tokio::select! {
            _ = a.leading.changed() => {},
            _ = b.leading.changed() => {},
            () = tokio::time::sleep_until(end) => {},
        }
    }
}

#[tokio::test]
async fn exactly_one_of_two_candidates_leads() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    let mut a = Candidate::start(&fake, config("pod-a", 2));
    let mut b = Candidate::start(&fake, config("pod-b", 2));
    // Watch both for longer than a lease lasts: never two leaders.
    one_leads_throughout(&mut a, &mut b, Duration::from_secs(3)).await;
    let spec = &lease(&fake)["spec"];
    let time = |field: &str| -> Timestamp { spec[field].as_str().unwrap().parse().unwrap() };
    let held_for = time("renewTime").duration_since(time("acquireTime"));
    assert!(
        held_for > SignedDuration::from_secs(2),
        "the leader kept renewing: {held_for:?}"
    );
    let leader = if a.leads() { "pod-a" } else { "pod-b" };
    assert_eq!(holder(&fake).as_deref(), Some(leader));
    assert_eq!(transitions(&fake), 0);
    a.shut_down().await.unwrap();
    b.shut_down().await.unwrap();
}

#[tokio::test]
async fn the_other_candidate_takes_over_at_once_when_the_leader_releases() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    // A long lease: taking over before it expires proves the release.
    let mut a = Candidate::start(&fake, config("pod-a", 30));
    a.becomes(true).await;
    let mut b = Candidate::start(&fake, config("pod-b", 30));
    let mut a_leading = a.leading.clone();
    let released_at = tokio::time::Instant::now();
    a.shut_down().await.unwrap();
    assert!(
        !*a_leading.borrow_and_update(),
        "a still leads after shutdown"
    );
    b.becomes(true).await;
    assert!(released_at.elapsed() < Duration::from_secs(5));
    assert_eq!(holder(&fake).as_deref(), Some("pod-b"));
    b.shut_down().await.unwrap();
    assert_eq!(holder(&fake), None, "b released the lease too");
}

#[tokio::test]
async fn a_candidate_takes_over_after_expiry_when_the_leader_vanishes() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    let mut a = Candidate::start(&fake, config("pod-a", 1));
    a.becomes(true).await;
    let mut b = Candidate::start(&fake, config("pod-b", 1));
    // Killed: no step-down, no release.
    a.task.abort();
    let expires = expiry(&fake);
    b.becomes(true).await;
    assert!(
        Timestamp::now() > expires,
        "taken over before the lease expired"
    );
    assert_eq!(holder(&fake).as_deref(), Some("pod-b"));
    assert_eq!(transitions(&fake), 1);
    b.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_leader_that_cannot_renew_steps_down_before_its_lease_expires() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    let mut a = Candidate::start(&fake, config("pod-a", 2));
    a.becomes(true).await;
    fake.inject(Fault {
        verb: None,
        path_prefix: LEASE_PATH.into(),
        code: 500,
        times: u32::MAX,
    });
    // The last renewal that got through, as stored.
    let expires = expiry(&fake);
    a.becomes(false).await;
    assert!(
        Timestamp::now() < expires,
        "stepped down only after the lease expired for the others"
    );
    assert_eq!(
        holder(&fake).as_deref(),
        Some("pod-a"),
        "no write got through"
    );
    a.task.abort();
}

#[tokio::test]
async fn lease_transitions_count_each_change_of_holder() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    let mut a = Candidate::start(&fake, config("pod-a", 30));
    a.becomes(true).await;
    assert_eq!(transitions(&fake), 0, "creating the lease is no transition");
    let mut b = Candidate::start(&fake, config("pod-b", 30));
    a.shut_down().await.unwrap();
    b.becomes(true).await;
    assert_eq!(transitions(&fake), 1);
    let mut a = Candidate::start(&fake, config("pod-a", 30));
    b.shut_down().await.unwrap();
    a.becomes(true).await;
    assert_eq!(transitions(&fake), 2);
    a.shut_down().await.unwrap();
}

#[tokio::test]
async fn settings_that_allow_two_leaders_are_refused() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    let mut c = config("pod-a", 1);
    c.renew_deadline = Duration::from_secs(1);
    let refused = LeaderElector::new(fake.client().unwrap(), c);
    assert!(matches!(refused, Err(LeaderError::InvalidConfig(_))));
}

/// A Lease held by `holder`, last renewed an hour ago.
fn stale_lease(holder: &str) -> Value {
    serde_json::json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": LeaderConfig::DEFAULT_NAME, "namespace": NS},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": 1,
            "renewTime": (Timestamp::now() - SignedDuration::from_hours(1)).to_string(),
            "leaseTransitions": 4,
        },
    })
}

#[tokio::test]
async fn of_two_candidates_racing_for_an_expired_lease_only_one_takes_it() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    fake.create(Some(NS), stale_lease("pod-gone")).unwrap();
    let mut a = Candidate::start(&fake, config("pod-a", 2));
    let mut b = Candidate::start(&fake, config("pod-b", 2));
    one_leads_throughout(&mut a, &mut b, Duration::from_secs(1)).await;
    assert_eq!(transitions(&fake), 5, "one take-over, not two");
    a.shut_down().await.unwrap();
    b.shut_down().await.unwrap();
}

#[tokio::test]
async fn a_leader_that_finds_another_holder_steps_down_at_once() {
    let (fake, _) = FakeApiServer::start().await.unwrap();
    // A long renew deadline: stepping down is not the deadline's doing.
    let mut c = config("pod-a", 30);
    c.renew_deadline = Duration::from_secs(20);
    let mut a = Candidate::start(&fake, c);
    a.becomes(true).await;
    let now = Timestamp::now().to_string();
    let usurp = serde_json::json!({"spec": {"holderIdentity": "pod-b", "renewTime": now}});
    fake.patch(
        "coordination.k8s.io/v1",
        "Lease",
        Some(NS),
        LeaderConfig::DEFAULT_NAME,
        &usurp,
    )
    .unwrap();
    a.becomes(false).await;
    a.shut_down().await.unwrap();
    assert_eq!(
        holder(&fake).as_deref(),
        Some("pod-b"),
        "not released: not ours"
    );
}
