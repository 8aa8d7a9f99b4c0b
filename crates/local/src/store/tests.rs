//! The store against a real redb file in a temporary directory.

#![allow(clippy::unwrap_used)]

use serin_api::{Command, RolloutSpec, RolloutStatus, Time};

use super::*;

fn spec() -> RolloutSpec {
    serde_json::from_value(serde_json::json!({
        "local": {"command": ["app", "{port}"], "version": "v1"},
        "strategy": {"canary": {"steps": [{"setWeight": 20}]}}
    }))
    .unwrap()
}

/// Saves an empty run under each of `names` for `rollout`.
fn save_empty_runs(rt: &tokio::runtime::Runtime, store: &Store, rollout: &str, names: &[&str]) {
    use serin_metrics::{RunStore, StoredRun};
    rt.block_on(async {
        for name in names {
            store
                .runs(rollout)
                .save(name, &StoredRun::default())
                .await
                .unwrap();
        }
    });
}

fn now() -> Time {
    Time::from_millis(1_700_000_000_000)
}

#[test]
fn a_new_rollout_asks_for_its_file_version_and_a_known_one_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let r = store.register("web", &spec(), now()).unwrap();
    assert_eq!(r.desired_revision, "v1");
    store.set_desired("web", "v2", "alice", now()).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let r = store.register("web", &spec(), now()).unwrap();
    assert_eq!(r.desired_revision, "v2");
    assert_eq!(store.names().unwrap(), vec!["web".to_owned()]);
}

#[test]
fn commands_get_increasing_ids_and_leave_once_the_status_handled_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.register("web", &spec(), now()).unwrap();
    let a = store
        .push_command("web", Command::Pause, "bob", now())
        .unwrap()
        .unwrap();
    let b = store
        .push_command("web", Command::Resume, "bob", now())
        .unwrap()
        .unwrap();
    assert_eq!((a.id, b.id), (1, 2));
    let status = RolloutStatus {
        last_command_id: 1,
        ..RolloutStatus::default()
    };
    store
        .save_pass("web", &status, Vec::new(), Vec::new())
        .unwrap();
    let r = store.load("web").unwrap().unwrap();
    assert_eq!(r.commands.len(), 1);
    assert_eq!(r.commands[0].id, 2);
    let c = store
        .push_command("web", Command::Abort, "bob", now())
        .unwrap()
        .unwrap();
    assert_eq!(c.id, 3);
    assert!(
        store
            .push_command("nope", Command::Abort, "bob", now())
            .unwrap()
            .is_none()
    );
}

#[test]
fn history_keeps_versions_commands_and_events_in_order_with_who() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.register("web", &spec(), now()).unwrap();
    store.register("api", &spec(), now()).unwrap();
    store.set_desired("web", "v2", "alice", now()).unwrap();
    store
        .push_command("web", Command::Promote, "bob", now())
        .unwrap();
    let event = HistoryKind::Event {
        reason: serin_engine::EventReason::StepCompleted,
        message: "step 1 done".into(),
    };
    store
        .save_pass(
            "web",
            &RolloutStatus::default(),
            Vec::new(),
            vec![(now(), event)],
        )
        .unwrap();
    let h = store.history("web").unwrap();
    let seqs: Vec<u64> = h.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert!(
        matches!(&h[1].kind, HistoryKind::Version { version, by } if version == "v2" && by == "alice")
    );
    assert!(
        matches!(&h[2].kind, HistoryKind::Command { command, by, .. } if command == "promote" && by == "bob")
    );
    assert_eq!(store.history("api").unwrap().len(), 1);
}

#[test]
fn a_file_naming_another_version_than_last_time_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.register("web", &spec(), now()).unwrap();
    store.set_desired("web", "v2", "alice", now()).unwrap();
    let mut edited = spec();
    edited.local.as_mut().unwrap().version = "v3".into();
    let r = store.register("web", &edited, now()).unwrap();
    assert_eq!(r.desired_revision, "v3");
    let h = store.history("web").unwrap();
    assert!(
        matches!(&h.last().unwrap().kind, HistoryKind::Version { version, by } if version == "v3" && by == "serin.yaml")
    );
}

#[test]
fn analysis_runs_are_kept_per_rollout_across_reopening() {
    use serin_metrics::{RunStore, StoredRun};

    let dir = tempfile::tempdir().unwrap();
    let run = StoredRun::default();
    {
        let store = Store::open(dir.path()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            store.runs("web").save("v2-1-step-1", &run).await.unwrap();
            store.runs("webby").save("other", &run).await.unwrap();
        });
    }
    let store = Store::open(dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let runs = rt.block_on(store.runs("web").load_all()).unwrap();
    assert_eq!(runs.keys().collect::<Vec<_>>(), vec!["v2-1-step-1"]);
    assert_eq!(runs["v2-1-step-1"], run);
}

#[test]
fn the_read_model_reads_only_the_runs_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    save_empty_runs(&rt, &store, "web", &["v2-1-step-1", "v3-2-step-1"]);
    let runs = store
        .runs("web")
        .read_named(["v3-2-step-1", "v4-3-step-1"])
        .unwrap();
    assert_eq!(runs.keys().collect::<Vec<_>>(), vec!["v3-2-step-1"]);
}

#[test]
fn a_refused_action_is_recorded_in_the_history_without_becoming_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.register("web", &spec(), now()).unwrap();
    let known = store
        .push_refusal("web", "abort", "mallory (dashboard)", "wrong token", now())
        .unwrap();
    let unknown = store
        .push_refusal("nope", "abort", "mallory (dashboard)", "wrong token", now())
        .unwrap();
    assert!(known && !unknown);
    let h = store.history("web").unwrap();
    assert!(
        matches!(&h[1].kind, HistoryKind::Refused { command, by, .. } if command == "abort" && by == "mallory (dashboard)"),
        "{h:?}"
    );
    assert!(store.load("web").unwrap().unwrap().commands.is_empty());
    assert!(
        h[1].line()
            .contains("refused abort by mallory (dashboard): wrong token")
    );
    assert!(store.history("nope").unwrap().is_empty());
}

#[test]
fn a_deleted_run_is_gone_after_reopening_and_the_others_stay() {
    use serin_metrics::RunStore;

    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        save_empty_runs(&rt, &store, "web", &["v2-1-step-1", "v3-2-step-1"]);
        save_empty_runs(&rt, &store, "webby", &["v2-1-step-1"]);
        rt.block_on(async {
            store.runs("web").delete("v2-1-step-1").await.unwrap();
            // Deleting a run not there is not an error.
            store.runs("web").delete("v9-9-step-1").await.unwrap();
        });
    }
    let store = Store::open(dir.path()).unwrap();
    let web = rt.block_on(store.runs("web").load_all()).unwrap();
    assert_eq!(web.keys().collect::<Vec<_>>(), vec!["v3-2-step-1"]);
    let webby = rt.block_on(store.runs("webby").load_all()).unwrap();
    assert_eq!(webby.keys().collect::<Vec<_>>(), vec!["v2-1-step-1"]);
}
