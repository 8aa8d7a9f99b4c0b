//! `serin promote|abort|retry|undo|pause|resume|status|list` on Kubernetes:
//! the real binary against the in-process fake API server, reached through
//! kubeconfig files. Commands must land in the Rollout's command-queue
//! annotation with increasing ids, also when several are sent at once;
//! `status` and `list` read Rollout objects as they are stored.

mod kube_support;

use kube_support::{Cluster, LIMIT, USER, dead_port};
use serde_json::{Value, json};
use serin_api::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_verb_appends_its_command_to_the_queue_with_increasing_ids() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let verbs: [(&[&str], Command); 7] = [
        (&["promote", "web"], Command::Promote),
        (&["promote", "web", "--full"], Command::PromoteFull),
        (&["abort", "web"], Command::Abort),
        (&["retry", "web"], Command::Retry),
        (
            &["undo", "web", "--to-revision", "3"],
            Command::Undo {
                to_revision: Some(3),
            },
        ),
        (&["pause", "web"], Command::Pause),
        (&["resume", "web"], Command::Resume),
    ];
    for (i, (args, command)) in verbs.iter().enumerate() {
        let out = cluster.serin(args).await;
        let expected = format!(
            "rollout default/web: {} sent (command #{})\n",
            command.verb(),
            i + 1
        );
        assert_eq!(out.ok(), expected);
    }

    let queue = cluster.queue("default", "web");
    let ids: Vec<i64> = queue.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6, 7]);
    let commands: Vec<Command> = queue.iter().map(|c| c.command.clone()).collect();
    let expected: Vec<Command> = verbs.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(commands, expected);
    assert!(queue.iter().all(|c| c.by == USER && c.at.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_continue_above_the_last_handled_command_and_handled_ones_are_pruned() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let handled = json!([{ "id": 7, "command": "pause", "by": "bo" }]).to_string();
    cluster.set_queue("default", "checkout", &handled);

    let out = cluster.serin(&["promote", "checkout"]).await;

    assert_eq!(
        out.ok(),
        "rollout default/checkout: promote sent (command #8)\n"
    );
    let queue = cluster.queue("default", "checkout");
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!((queue[0].id, &queue[0].command), (8, &Command::Promote));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_sent_at_once_all_land_with_distinct_ids() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let path = cluster.kubeconfig.to_string_lossy().into_owned();
    let verbs = ["pause", "abort", "promote", "resume"];
    let children: Vec<_> = verbs
        .iter()
        .map(|verb| {
            cluster
                .command(&[verb, "web", "--kubeconfig", &path])
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = tokio::time::timeout(LIMIT, child.wait_with_output())
            .await
            .expect("ends in time")
            .expect("runs");
        kube_support::Run::from(out).ok();
    }

    let queue = cluster.queue("default", "web");
    let mut ids: Vec<i64> = queue.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![1, 2, 3, 4], "{queue:?}");
    let mut sent: Vec<&str> = queue.iter().map(|c| c.command.verb()).collect();
    sent.sort_unstable();
    assert_eq!(sent, vec!["abort", "pause", "promote", "resume"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_conflicts_is_retried_after_reading_the_rollout_again() {
    let cluster = Cluster::with("rollouts.yaml").await;
    cluster.fake.inject(serin_kube_fake::Fault {
        verb: Some(serin_kube_fake::Verb::Patch),
        path_prefix: "/apis/serin.dev/v1alpha1/namespaces/default/rollouts/web".into(),
        code: 409,
        times: 2,
    });

    let out = cluster.serin(&["abort", "web"]).await;

    assert_eq!(out.ok(), "rollout default/web: abort sent (command #1)\n");
    assert_eq!(cluster.queue("default", "web").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_flag_selects_the_cluster_and_the_current_context_is_the_default() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let file = cluster.write("two-contexts", &cluster.contexts_kubeconfig("dead"));
    let file = file.to_string_lossy().into_owned();

    let chosen = cluster
        .run(cluster.command(&["pause", "web", "--kubeconfig", &file, "--context", "fake"]))
        .await;
    let current = cluster
        .run(cluster.command(&["pause", "web", "--kubeconfig", &file]))
        .await;

    assert_eq!(
        chosen.ok(),
        "rollout default/web: pause sent (command #1)\n"
    );
    assert_eq!(current.code, Some(2), "{}", current.stderr);
    let refused = format!("reading rollout default/web from {}/", cluster.dead_server);
    assert!(current.stderr.contains(&refused), "{}", current.stderr);
    assert_eq!(cluster.queue("default", "web").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_env_merges_several_files_and_serin_platform_selects_kubernetes() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let first = cluster.write("first", &cluster.contexts_kubeconfig("shop"));
    let second = cluster.write("second", &cluster.fake.kubeconfig());
    let paths = std::env::join_paths([&first, &second]).expect("join paths");

    let mut cmd = cluster.command(&["promote", "cart"]);
    cmd.env("KUBECONFIG", &paths)
        .env("SERIN_PLATFORM", "kubernetes");
    let out = cluster.run(cmd).await;

    assert_eq!(out.ok(), "rollout shop/cart: promote sent (command #1)\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_namespace_comes_from_the_context_when_n_is_absent_and_n_wins() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let file = cluster.write("shop", &cluster.contexts_kubeconfig("shop"));
    let file = file.to_string_lossy().into_owned();

    let from_context = cluster
        .run(cluster.command(&["abort", "cart", "--kubeconfig", &file]))
        .await;
    let from_flag = cluster
        .run(cluster.command(&["abort", "web", "-n", "default", "--kubeconfig", &file]))
        .await;

    assert_eq!(
        from_context.ok(),
        "rollout shop/cart: abort sent (command #1)\n"
    );
    assert_eq!(
        from_flag.ok(),
        "rollout default/web: abort sent (command #1)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_shows_a_rollout_mid_release_as_stored() {
    let cluster = Cluster::with("checkout-paused.yaml").await;

    let out = cluster.serin(&["status", "checkout", "-o", "json"]).await;

    let view: Value = serde_json::from_str(out.ok()).expect("one JSON document");
    assert_eq!(view["name"], "checkout");
    assert_eq!(view["strategy"], "canary");
    assert_eq!(view["phase"], "Paused");
    assert_eq!(view["stable"], "6b7f9c");
    assert_eq!(view["canary"], "5d4e8a");
    assert_eq!(view["desiredRevision"], "5d4e8a");
    assert_eq!(view["canaryWeight"], 20);
    assert_eq!(view["stepDisplay"], "1/4");
    assert_eq!(view["paused"], json!(["pause step"]));
    let current: Vec<&Value> = view["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["text"], "pause (until promoted)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_text_draws_the_weights_of_both_versions() {
    let cluster = Cluster::with("checkout-paused.yaml").await;

    let out = cluster.serin(&["status", "checkout"]).await;

    let text = out.ok();
    assert!(text.contains("checkout"), "{text}");
    assert!(text.contains("20%") && text.contains("80%"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_watch_prints_a_new_state_when_the_status_changes() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let mut watch = cluster.follow(&["status", "checkout", "-w", "-o", "json"]);

    let first = watch.next_view().await;
    cluster
        .fake
        .patch_status(
            "serin.dev/v1alpha1",
            "Rollout",
            Some("default"),
            "checkout",
            &json!({ "status": {
                "phase": "Progressing",
                "currentStepIndex": 2,
                "stepDisplay": "2/4",
                "pauseConditions": null,
                "traffic": { "canaryWeight": 60 },
            } }),
        )
        .expect("status written");
    let second = watch.next_view().await;

    assert_eq!(
        (&first["phase"], &first["canaryWeight"]),
        (&json!("Paused"), &json!(20))
    );
    assert_eq!(
        (
            &second["phase"],
            &second["canaryWeight"],
            &second["stepDisplay"]
        ),
        (&json!("Progressing"), &json!(60), &json!("2/4"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_watch_says_when_the_rollout_is_deleted_and_shows_it_again_when_recreated() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    let mut watch = cluster.follow(&["status", "checkout", "-w", "-o", "json"]);

    watch.next_view().await;
    cluster
        .fake
        .delete("serin.dev/v1alpha1", "Rollout", Some("default"), "checkout")
        .expect("deleted");
    let deleted = watch.next_line().await;
    cluster
        .fake
        .load_yaml(&kube_support::fixture("checkout-paused.yaml"))
        .expect("recreated");
    let again = watch.next_view().await;

    assert_eq!(deleted, "rollout default/checkout deleted");
    assert_eq!(again["name"], "checkout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_rollout_is_named_and_exits_with_code_2() {
    let cluster = Cluster::with("rollouts.yaml").await;

    for args in [
        &["status", "nope"][..],
        &["promote", "nope"],
        &["status", "nope", "-w"],
    ] {
        let out = cluster.serin(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr, "serin: rollout default/nope not found\n",
            "{args:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_the_namespace_rollouts_like_kubectl_get() {
    let cluster = Cluster::with("rollouts.yaml").await;

    let out = cluster.serin(&["list"]).await;

    let lines: Vec<Vec<&str>> = out
        .ok()
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["NAME", "STRATEGY", "PHASE", "STEP", "WEIGHT", "AGE"]
    );
    let mut rows: Vec<&[&str]> = lines[1..].iter().map(|l| &l[..5]).collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            &["api", "blueGreen", "Pending", "-", "0"][..],
            &["web", "canary", "Healthy", "2/2", "0"],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_all_namespaces_alone_selects_kubernetes_and_adds_the_namespace_column() {
    let cluster = Cluster::with("rollouts.yaml").await;
    let mut cmd = cluster.command(&["list", "-A"]);
    cmd.env("KUBECONFIG", &cluster.kubeconfig);

    let out = cluster.run(cmd).await;

    let text = out.ok();
    let header: Vec<&str> = text
        .lines()
        .next()
        .expect("header")
        .split_whitespace()
        .collect();
    assert_eq!(header[..2], ["NAMESPACE", "NAME"]);
    let cart = text
        .lines()
        .find(|l| l.contains("cart"))
        .expect("the shop rollout is listed");
    let cells: Vec<&str> = cart.split_whitespace().collect();
    assert_eq!(
        cells[..6],
        ["shop", "cart", "canary", "Paused", "1/2", "30"]
    );
    assert_eq!(text.lines().count(), 4, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kubernetes_flags_the_commands_still_talk_to_the_daemon() {
    let cluster = Cluster::start().await;
    let admin = format!("127.0.0.1:{}", dead_port());
    let mut cmd = cluster.command(&["promote", "web", "--admin", &admin]);
    cmd.env("SERIN_TOKEN", "t");

    let out = cluster.run(cmd).await;

    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("serin daemon"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_the_recorded_revisions_and_the_commands_still_queued() {
    let cluster = Cluster::with("checkout-paused.yaml").await;
    cluster.serin(&["promote", "checkout"]).await.ok();

    let out = cluster.serin(&["history", "checkout"]).await;

    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(
        lines[..2],
        ["revision 1 6b7f9c (stable)", "revision 2 5d4e8a (released)"]
    );
    assert!(
        lines[2].starts_with(&format!("command #8 promote by {USER} at "))
            && lines[2].ends_with(": pending"),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_queue_is_reported_and_left_as_it_is() {
    let cluster = Cluster::with("rollouts.yaml").await;
    cluster.set_queue("default", "web", "[{");

    let out = cluster.serin(&["promote", "web"]).await;

    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .starts_with("serin: rollout default/web: annotation serin.dev/commands:"),
        "{}",
        out.stderr
    );
    let stored = cluster.rollout("default", "web");
    assert_eq!(
        stored["metadata"]["annotations"]["serin.dev/commands"],
        "[{"
    );
}
