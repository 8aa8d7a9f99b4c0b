//! Analysis on Kubernetes: an inline `web` analysis against a real local
//! endpoint decides the canary's fate, and its AnalysisRun object holds
//! the verdict; the runs of past releases are kept within the history limits.

use serin_api::AnalysisPhase;
use serin_api::status::RolloutPhase;

use crate::support::{World, canary_with_analysis, eventually, serve_json, service_revision};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_whose_web_analysis_fails_is_aborted_and_traffic_returns_to_stable() {
    // Given a healthy rollout whose analysis endpoint says the canary is bad
    let url = serve_json(r#"{"ok": false}"#).await;
    let mut w = World::new().await;
    w.apply(&canary_with_analysis(&url));
    w.start_controller();
    let first = w
        .wait_status("shop", "healthy", |s| {
            s.phase == Some(RolloutPhase::Healthy)
        })
        .await;
    let v1 = first.stable_revision.expect("stable");

    // When shop:2 is released
    w.set_image("shop", "shop:2").await;

    // Then the analysis fails, the release is aborted, both Services select stable
    let s = w
        .wait_status("shop", "aborted", |s| {
            s.phase == Some(RolloutPhase::Aborted)
        })
        .await;
    let v2 = s.current_revision.clone().expect("current");
    assert_eq!(s.traffic.canary_weight, 0);
    assert!(
        s.abort_reason.as_deref().unwrap_or("").contains("analysis"),
        "{s:?}"
    );
    assert_eq!(
        service_revision(&w, "shop-stable").as_deref(),
        Some(v1.as_str())
    );
    assert_eq!(
        service_revision(&w, "shop-canary").as_deref(),
        Some(v1.as_str())
    );
    eventually("the canary at zero", || async {
        (w.replicas_of("shop", &v2).await == 0).then_some(())
    })
    .await;

    // And the AnalysisRun object, owned by the rollout, says Failed
    let runs = w.fake.objects("serin.dev/v1alpha1", "AnalysisRun");
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run: serin_api::AnalysisRun = serde_json::from_value(runs[0].clone()).expect("a run");
    assert_eq!(run.status.expect("status").phase, AnalysisPhase::Failed);
    assert_eq!(
        run.metadata.owner_references.expect("owner")[0].name,
        "shop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_whose_web_analysis_passes_goes_on_to_the_next_step() {
    let url = serve_json(r#"{"ok": true}"#).await;
    let mut w = World::new().await;
    w.apply(&canary_with_analysis(&url));
    w.start_controller();
    w.wait_status("shop", "healthy", |s| {
        s.phase == Some(RolloutPhase::Healthy)
    })
    .await;

    w.set_image("shop", "shop:2").await;

    let s = w
        .wait_status("shop", "promoted", |s| {
            s.phase == Some(RolloutPhase::Healthy)
                && s.stable_revision == s.current_revision
                && s.revisions.len() == 2
        })
        .await;
    assert_eq!(s.analysis.len(), 1, "{:?}", s.analysis);
    assert_eq!(s.analysis[0].phase, AnalysisPhase::Successful);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_runs_of_past_releases_beyond_the_history_limit_are_deleted() {
    // Given a rollout that keeps one successful run of past releases
    let url = serve_json(r#"{"ok": true}"#).await;
    let mut w = World::new().await;
    w.apply(&canary_with_analysis(&url).replace(
        "  replicas: 4\n",
        "  replicas: 4\n  analysis: {successfulRunHistoryLimit: 1}\n",
    ));
    w.start_controller();
    w.wait_status("shop", "healthy", |s| {
        s.phase == Some(RolloutPhase::Healthy)
    })
    .await;

    // When three releases pass their analysis one after the other
    let mut runs_by_release = Vec::new();
    for (image, revisions) in [("shop:2", 2), ("shop:3", 3), ("shop:4", 4)] {
        w.set_image("shop", image).await;
        let s = w
            .wait_status("shop", "promoted", |s| {
                s.phase == Some(RolloutPhase::Healthy)
                    && s.stable_revision == s.current_revision
                    && s.revisions.len() == revisions
            })
            .await;
        assert_eq!(s.analysis.len(), 1, "{:?}", s.analysis);
        runs_by_release.push(format!("shop-{}", s.analysis[0].name));
    }

    // Then the current release's run and the newest before it are kept,
    // and the first release's run is deleted
    let names = eventually("the oldest run deleted", || async {
        let mut names: Vec<String> = w
            .fake
            .objects("serin.dev/v1alpha1", "AnalysisRun")
            .iter()
            .filter_map(|r| Some(r.pointer("/metadata/name")?.as_str()?.to_owned()))
            .collect();
        names.sort();
        (names.len() == 2).then_some(names)
    })
    .await;
    let mut kept = runs_by_release[1..].to_vec();
    kept.sort();
    assert_eq!(names, kept);
}
