//! A release's life beyond the happy path: undo, a new revision while one
//! is being released, a crash-looping canary, the progress deadline, a
//! conflicting write, the controller killed and started again, and the
//! rollout deleted mid-release.

use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serin_api::status::RolloutPhase;
use serin_api::{Command, Rollout};
use serin_kube_fake::{Fault, Verb};

use crate::support::{CANARY, World, eventually, service_revision};

/// Given web:1 healthy and web:2 released, paused at 25%: (v1, v2).
async fn at_first_pause(w: &mut World) -> (String, String) {
    w.apply(CANARY);
    w.start_controller();
    let first = w
        .wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    w.set_image("web", "web:2").await;
    let s = w
        .wait_status("web", "paused at 25%", |s| {
            s.phase == Some(RolloutPhase::Paused) && s.traffic.canary_weight == 25
        })
        .await;
    (
        first.stable_revision.expect("stable"),
        s.current_revision.expect("current"),
    )
}

fn image_of(r: &Rollout) -> String {
    r.spec
        .template
        .as_ref()
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers[0].image.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_writes_the_previous_template_back_and_releases_it() {
    // Given web:2 promoted over web:1
    let mut w = World::new().await;
    let (v1, v2) = at_first_pause(&mut w).await;
    w.command("web", Command::PromoteFull).await;
    w.wait_status("web", "web:2 stable", |s| {
        s.phase == Some(RolloutPhase::Healthy) && s.stable_revision.as_deref() == Some(&v2)
    })
    .await;

    // When undone
    w.command("web", Command::Undo { to_revision: None }).await;

    // Then the Rollout's template is web:1's again and web:1 is released
    let rollouts: Api<Rollout> = Api::namespaced(w.client.clone(), "default");
    eventually("the template back to web:1", || async {
        let r = rollouts.get("web").await.ok()?;
        (image_of(&r) == "web:1").then_some(())
    })
    .await;
    let s = w
        .wait_status("web", "web:1 being released", |s| {
            s.current_revision.as_deref() == Some(&v1)
        })
        .await;
    assert_eq!(s.stable_revision.as_deref(), Some(v2.as_str()));
    w.command("web", Command::PromoteFull).await;
    w.wait_status("web", "web:1 stable again", |s| {
        s.phase == Some(RolloutPhase::Healthy) && s.stable_revision.as_deref() == Some(&v1)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_revision_mid_release_replaces_the_one_being_released() {
    let mut w = World::new().await;
    let (v1, v2) = at_first_pause(&mut w).await;

    // When web:3 arrives while web:2 is at 25%
    w.set_image("web", "web:3").await;

    // Then web:3 is the canary at 25%, web:2 goes away, web:1 stays stable
    let s = w
        .wait_status("web", "web:3 at 25%", |s| {
            s.current_revision.as_deref() != Some(&v2)
                && s.phase == Some(RolloutPhase::Paused)
                && s.traffic.canary_weight == 25
        })
        .await;
    let v3 = s.current_revision.expect("current");
    assert_eq!(s.stable_revision.as_deref(), Some(v1.as_str()));
    assert_eq!(
        service_revision(&w, "web-canary").as_deref(),
        Some(v3.as_str())
    );
    w.advance(Duration::from_secs(60));
    eventually("web:2 at zero", || async {
        (w.replicas_of("web", &v2).await == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_canary_is_aborted_at_once() {
    let mut w = World::new().await;
    w.apply(CANARY);
    w.start_controller();
    let first = w
        .wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    let v1 = first.stable_revision.expect("stable");

    // When web:2's pods crash
    let rollouts: Api<Rollout> = Api::namespaced(w.client.clone(), "default");
    let patch = serde_json::json!({"spec": {"template": {
        "metadata": {"annotations": {serin_kube_fake::CRASH_MARKER: "true"}},
        "spec": {"containers": [{"name": "app", "image": "web:2"}]}
    }}});
    rollouts
        .patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .expect("patched");

    // Then the release is aborted with the crash loop as the reason
    let s = w
        .wait_status("web", "aborted", |s| s.phase == Some(RolloutPhase::Aborted))
        .await;
    assert!(
        s.abort_reason.as_deref().unwrap_or("").contains("crash"),
        "{:?}",
        s.abort_reason
    );
    assert_eq!(
        service_revision(&w, "web-canary").as_deref(),
        Some(v1.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_never_ready_is_aborted_when_the_progress_deadline_passes() {
    let mut w = World::new().await;
    w.apply(&CANARY.replace(
        "  replicas: 4\n",
        "  replicas: 4\n  progressDeadlineSeconds: 60\n",
    ));
    w.start_controller();
    w.wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;

    // When web:2's pods never become ready
    w.fake.set_ready_after(Duration::from_secs(3600));
    w.set_image("web", "web:2").await;
    w.wait_status("web", "waiting for the canary's replicas", |s| {
        s.phase == Some(RolloutPhase::Progressing)
            && s.traffic_verified
            && s.message
                .as_deref()
                .unwrap_or("")
                .contains("0/1 replicas ready")
    })
    .await;

    // Then, past the deadline, the release is aborted
    w.clock.advance(Duration::from_secs(61));
    let s = w
        .wait_status("web", "aborted", |s| s.phase == Some(RolloutPhase::Aborted))
        .await;
    assert!(
        s.abort_reason.as_deref().unwrap_or("").contains("deadline"),
        "{:?}",
        s.abort_reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_on_the_status_write_is_handled_by_reading_again() {
    let mut w = World::new().await;
    w.apply(CANARY);
    let path = "/apis/serin.dev/v1alpha1/namespaces/default/rollouts/web/status";
    w.fake.inject(Fault {
        verb: Some(Verb::Update),
        path_prefix: path.to_owned(),
        code: 409,
        times: 2,
    });
    w.start_controller();
    w.wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    assert!(w.fake.request_count(Verb::Update, path) >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_mid_release_resumes_with_no_duplicate_and_no_flip_flop() {
    let mut w = World::new().await;
    let (v1, v2) = at_first_pause(&mut w).await;

    // When the controller is killed and started again
    w.kill_controller();
    let before = w.fake.resource_version();
    w.start_controller();

    // Then it carries on from the same step with the same weights
    eventually("passes after the restart", || async {
        let passes = w.fake.request_count(
            Verb::Get,
            "/apis/serin.dev/v1alpha1/namespaces/default/rollouts/web",
        );
        (passes > 8).then_some(())
    })
    .await;
    w.advance(Duration::from_secs(31));
    w.wait_status("web", "paused at 50%", |s| {
        s.phase == Some(RolloutPhase::Paused) && s.traffic.canary_weight == 50
    })
    .await;
    w.command("web", Command::Promote).await;
    w.wait_status("web", "web:2 stable", |s| {
        s.phase == Some(RolloutPhase::Healthy) && s.stable_revision.as_deref() == Some(&v2)
    })
    .await;

    let sets: Api<ReplicaSet> = Api::namespaced(w.client.clone(), "default");
    let names: Vec<String> = sets
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .iter()
        .map(ResourceExt::name_any)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let weights = w.numbers_since(before, "Rollout", "web", "/status/traffic/canaryWeight");
    assert!(
        weights.windows(2).all(|p| p[0] <= p[1] || p[1] == 0),
        "{weights:?}"
    );
    assert!(!weights.is_empty());
    let _ = v1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_rollout_mid_release_sends_traffic_to_stable_before_anything_is_removed() {
    let mut w = World::new().await;
    let (v1, v2) = at_first_pause(&mut w).await;
    let before = w.fake.resource_version();

    // When the rollout is deleted mid-release
    w.delete_rollout("web").await;

    // Then it goes, and the Services are back as they were
    assert_eq!(service_revision(&w, "web-canary"), None);
    assert_eq!(service_revision(&w, "web-stable"), None);

    // And the canary Service selected stable before the canary lost a replica
    let canary_to_stable = w
        .first_change(
            before,
            "Service",
            |n| n == "web-canary",
            |c| c.object.to_string().contains(&format!("\"{v1}\"")),
        )
        .expect("the canary Service moved to stable");
    let canary_shrunk = w
        .scaled_to_zero(before, "web", &v2)
        .expect("the canary went");
    assert!(canary_to_stable < canary_shrunk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_spec_is_reported_with_its_field_path_and_nothing_is_applied() {
    let mut w = World::new().await;
    w.apply(&CANARY.replace("- setWeight: 50", "- setWeight: 150"));
    w.start_controller();
    w.wait_invalid_spec("web", "spec.strategy.canary.steps[2].setWeight")
        .await;
    assert_eq!(service_revision(&w, "web-stable"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_whose_service_was_deleted_first_can_still_be_deleted() {
    let mut w = World::new().await;
    let _ = at_first_pause(&mut w).await;
    w.fake
        .delete("v1", "Service", Some("default"), "web-canary")
        .expect("service deleted");
    w.delete_rollout("web").await;
    assert_eq!(service_revision(&w, "web-stable"), None);
}
