//! The canary Ingresses follow their stable Ingresses: several at once,
//! a custom annotation prefix, a stable Ingress changed by its owner; the
//! stable Ingresses themselves are never written.

use serde_json::json;
use serin_traffic::TrafficRouter;

use crate::support::{WEB_CANARY, World, given, record, stable, weighted};

#[tokio::test]
async fn each_stable_ingress_gets_its_own_canary_ingress() {
    let w = World::start().await;
    let router = w.router(json!({"nginx": {"stableIngresses": ["web", "web-admin"]}}));

    router.apply(&weighted(10)).await.expect("applied");

    assert_eq!(
        w.annotations(WEB_CANARY)["nginx.ingress.kubernetes.io/canary-weight"],
        json!("10")
    );
    let admin = w.ingress("web-admin-app-canary");
    assert_eq!(
        admin["metadata"]["annotations"],
        json!({
            "kubernetes.io/ingress.class": "nginx-internal",
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "10",
            "serin.dev/traffic": record(&weighted(10)),
        })
    );
    assert_eq!(
        admin["spec"],
        json!({"rules": [{"host": "admin.example", "http": {"paths": [
            {"path": "/admin", "pathType": "Exact",
             "backend": {"service": {"name": "web-canary", "port": {"number": 8080}}}},
        ]}}]})
    );
}

#[tokio::test]
async fn a_custom_prefix_names_every_canary_annotation() {
    let w = World::start().await;
    let router = w.router(json!({"nginx": {
        "stableIngress": "web",
        "annotationPrefix": "internal.nginx.example",
    }}));

    router.apply(&weighted(40)).await.expect("applied");

    assert_eq!(
        w.ingress(WEB_CANARY),
        w.web_canary(json!({
            "internal.nginx.example/canary": "true",
            "internal.nginx.example/canary-weight": "40",
            "serin.dev/traffic": record(&weighted(40)),
        }))
    );
}

#[tokio::test]
async fn a_changed_stable_ingress_is_cloned_again_on_the_next_apply() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(10)]).await;
    w.edit(
        "web",
        json!({"spec": {"tls": null, "ingressClassName": "nginx-public"}}),
    );

    router.apply(&weighted(10)).await.expect("applied");

    let spec = &w.ingress(WEB_CANARY)["spec"];
    assert_eq!(spec["ingressClassName"], json!("nginx-public"));
    assert_eq!(spec.get("tls"), None);
}

#[tokio::test]
async fn the_stable_ingresses_are_never_written() {
    let w = World::start().await;
    let before = [w.stored("web"), w.stored("web-admin")];
    let router = w.router(json!({"nginx": {"stableIngresses": ["web", "web-admin"]}}));

    for t in [weighted(10), weighted(100), stable("bbb")] {
        router.apply(&t).await.expect("applied");
    }
    router.restore().await.expect("restored");

    assert_eq!([w.stored("web"), w.stored("web-admin")], before);
    assert_eq!(w.history("web").len(), 1, "only its creation");
    assert_eq!(w.history("web-admin").len(), 1, "only its creation");
}
