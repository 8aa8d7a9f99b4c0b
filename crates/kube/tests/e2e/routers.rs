//! The controller with a weighted router: NGINX Ingress at the edge and the
//! stable/canary Services behind it, two routers at once. The weight moves
//! on the canary Ingress, the old version is scaled down only after the
//! Ingress reads back without it, and deletion leaves the objects as they
//! were.

use std::time::Duration;

use serin_api::Command;
use serin_api::status::RolloutPhase;

use crate::support::{World, eventually, service_revision};

const NGINX: &str = r#"
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
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web-stable, port: {number: 80}}}
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
      abortScaleDownDelaySeconds: 10
      trafficRouting:
        nginx: {stableIngress: web}
      steps:
      - setWeight: 20
      - pause: {}
"#;

fn canary_weight(w: &World) -> Option<String> {
    let ing = w.fake.object(
        "networking.k8s.io/v1",
        "Ingress",
        Some("default"),
        "web-web-canary",
    )?;
    ing.pointer("/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight")?
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_and_services_carry_the_canary_and_an_abort_takes_the_weight_back_first() {
    // Given web:1 healthy behind NGINX
    let mut w = World::new().await;
    w.apply(NGINX);
    w.start_controller();
    let first = w
        .wait_status("web", "healthy", |s| s.phase == Some(RolloutPhase::Healthy))
        .await;
    let v1 = first.stable_revision.expect("stable");
    let stable_before = w
        .fake
        .object("networking.k8s.io/v1", "Ingress", Some("default"), "web")
        .expect("stable Ingress");

    // When web:2 is released: the canary Ingress carries 20%, stable keeps all its replicas
    w.set_image("web", "web:2").await;
    let s = w
        .wait_status("web", "paused at 20%", |s| {
            s.phase == Some(RolloutPhase::Paused) && s.traffic.canary_weight == 20
        })
        .await;
    assert!(s.traffic_verified);
    let v2 = s.current_revision.expect("current");
    assert_eq!(canary_weight(&w).as_deref(), Some("20"));
    assert_eq!(
        service_revision(&w, "web-canary").as_deref(),
        Some(v2.as_str())
    );
    assert_eq!(w.replicas_of("web", &v1).await, 4);
    assert_eq!(w.replicas_of("web", &v2).await, 1);

    // When aborted: the weight goes to 0 at once; the canary goes only after its delay
    let before_abort = w.fake.resource_version();
    w.command("web", Command::Abort).await;
    w.wait_status("web", "aborted", |s| s.phase == Some(RolloutPhase::Aborted))
        .await;
    eventually("weight 0", || async {
        (canary_weight(&w).as_deref() == Some("0")).then_some(())
    })
    .await;
    assert_eq!(w.replicas_of("web", &v2).await, 1);
    w.advance(Duration::from_secs(11));
    eventually("the canary at zero", || async {
        (w.replicas_of("web", &v2).await == 0).then_some(())
    })
    .await;
    let weight_zero = w
        .first_change(
            before_abort,
            "Ingress",
            |n| n == "web-web-canary",
            |c| {
                c.object
                    .pointer("/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight")
                    .and_then(serde_json::Value::as_str)
                    == Some("0")
            },
        )
        .expect("the weight went to 0");
    let shrunk = w
        .scaled_to_zero(before_abort, "web", &v2)
        .expect("the canary was scaled down");
    assert!(weight_zero < shrunk);

    // When the rollout is deleted: the canary Ingress goes, the stable one is as it was
    w.delete_rollout("web").await;
    assert!(
        w.fake
            .object(
                "networking.k8s.io/v1",
                "Ingress",
                Some("default"),
                "web-web-canary"
            )
            .is_none()
    );
    let stable_after = w
        .fake
        .object("networking.k8s.io/v1", "Ingress", Some("default"), "web")
        .expect("stable Ingress");
    assert_eq!(stable_before, stable_after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_shape_nginx_cannot_express_is_reported_before_the_first_step() {
    // Given a spec whose third step asks NGINX for a mirror it cannot make
    let mut w = World::new().await;
    w.apply(&NGINX.replace(
        "        nginx: {stableIngress: web}\n      steps:\n      - setWeight: 20\n      - pause: {}",
        "        nginx: {stableIngress: web}\n        managedRoutes: [{name: shadow}]\n      steps:\n      - setWeight: 20\n      - pause: {}\n      - setMirrorRoute: {name: shadow, percentage: 20}",
    ));
    w.start_controller();
    // Then the rollout is Degraded naming the step, and nothing was applied
    w.wait_invalid_spec("web", "spec.strategy.canary.steps[2].setMirrorRoute")
        .await;
    assert_eq!(canary_weight(&w), None);
}
