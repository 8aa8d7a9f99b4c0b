//! Blue-green on Kubernetes: the preview Service points at the new
//! revision, pre-promotion analysis judges it, the active Service switches.

use serin_api::status::RolloutPhase;

use crate::support::{World, eventually, serve_json, service_revision};

fn spec(url: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Service
metadata: {{name: pay-active}}
spec: {{selector: {{app: pay}}, ports: [{{port: 80}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: pay-preview}}
spec: {{selector: {{app: pay}}, ports: [{{port: 80}}]}}
---
apiVersion: serin.dev/v1alpha1
kind: AnalysisTemplate
metadata: {{name: smoke}}
spec:
  metrics:
  - name: ok
    count: 1
    successCondition: result.status == "ok"
    provider:
      web: {{url: "{url}", jsonPath: "{{$}}"}}
---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata: {{name: pay}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: pay}}}}
  template:
    metadata: {{labels: {{app: pay}}}}
    spec: {{containers: [{{name: app, image: "pay:1"}}]}}
  strategy:
    blueGreen:
      activeService: pay-active
      previewService: pay-preview
      scaleDownDelaySeconds: 0
      prePromotionAnalysis:
        templates: [{{templateName: smoke}}]
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blue_green_switches_the_active_service_after_pre_promotion_analysis_passes() {
    // Given a healthy blue-green rollout on pay:1
    let url = serve_json(r#"{"status": "ok"}"#).await;
    let mut w = World::new().await;
    w.apply(&spec(&url));
    w.start_controller();
    let first = w
        .wait_status("pay", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    let v1 = first.stable_revision.expect("stable");
    assert_eq!(
        service_revision(&w, "pay-active").as_deref(),
        Some(v1.as_str())
    );

    // When pay:2 is released
    w.set_image("pay", "pay:2").await;

    // Then after the analysis passes the active Service selects pay:2
    let s = w
        .wait_status("pay", "pay:2 active", |s| {
            s.phase == Some(RolloutPhase::Healthy) && s.stable_revision != Some(v1.clone())
        })
        .await;
    let v2 = s.stable_revision.expect("stable");
    assert_eq!(
        service_revision(&w, "pay-active").as_deref(),
        Some(v2.as_str())
    );
    assert_eq!(
        service_revision(&w, "pay-preview").as_deref(),
        Some(v2.as_str())
    );
    assert!(
        s.analysis
            .iter()
            .any(|a| a.phase == serin_api::AnalysisPhase::Successful)
    );

    // And the preview Service selected pay:2 before the active one did
    let preview_first = w
        .fake
        .history_of("Service", Some("default"), "pay-preview")
        .into_iter()
        .find(|c| c.object.to_string().contains(&v2))
        .map(|c| c.resource_version)
        .expect("preview moved");
    let active_then = w
        .fake
        .history_of("Service", Some("default"), "pay-active")
        .into_iter()
        .find(|c| c.object.to_string().contains(&format!("\"{v2}\"")))
        .map(|c| c.resource_version)
        .expect("active moved");
    assert!(preview_first < active_then);
    eventually("pay:1 at zero", || async {
        (w.replicas_of("pay", &v1).await == 0).then_some(())
    })
    .await;
}
