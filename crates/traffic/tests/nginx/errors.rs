//! What the router refuses, and that it writes nothing then: a missing
//! stable Ingress, one with no path to the stable Service, an Ingress of
//! the canary's name it did not make, routes NGINX cannot express. A
//! conflict is read again and retried.

use serde_json::json;
use serin_kube_fake::{Fault, Verb};
use serin_traffic::TrafficRouter;

use crate::support::{INGRESSES, NS, ROLLOUT, WEB_CANARY, World, given, path, routed, weighted};

#[tokio::test]
async fn a_missing_stable_ingress_is_named_and_nothing_is_written() {
    let w = World::start().await;
    let router = w.router(json!({"nginx": {"stableIngresses": ["web", "web-missing"]}}));

    let e = router.apply(&weighted(10)).await.expect_err("missing");

    assert_eq!(
        e.to_string(),
        "nginx: Ingress default/web-missing not found"
    );
    assert_eq!(w.ingress_writes(), 0, "not even the canary of web");
    let e = router.read_back().await.expect_err("missing");
    assert_eq!(
        e.to_string(),
        "nginx: Ingress default/web-missing not found"
    );
}

#[tokio::test]
async fn a_stable_ingress_without_a_path_to_the_stable_service_is_refused() {
    let w = World::start().await;
    let router = w.router(json!({"nginx": {"stableIngress": "docs"}}));

    let e = router.apply(&weighted(10)).await.expect_err("refused");

    assert_eq!(
        e.to_string(),
        "nginx: Ingress default/docs: spec.rules has no path whose backend is the \
         stableService web-stable; there is nothing to send to the canary"
    );
    assert_eq!(w.ingress_writes(), 0);
}

#[tokio::test]
async fn an_ingress_of_the_canary_name_serin_did_not_make_is_not_taken_over() {
    let w = World::start().await;
    w.make_foreign_canary();
    let before = w.stored(WEB_CANARY);

    let e = w.web().apply(&weighted(10)).await.expect_err("refused");

    assert!(
        e.to_string()
            .contains("exists and was not made by serin for rollout app"),
        "{e}"
    );
    assert_eq!(w.stored(WEB_CANARY), before);
}

#[tokio::test]
async fn a_route_nginx_cannot_express_is_refused_before_any_write() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(10)]).await;
    let writes = w.ingress_writes();
    let t = routed(
        weighted(10),
        "qa",
        json!([
            {"headerName": "x-qa", "headerValue": {"exact": "yes"}},
            {"headerName": "x-team", "headerValue": {"exact": "a"}},
        ]),
    );

    let e = router.apply(&t).await.expect_err("refused");

    assert_eq!(
        e.to_string(),
        "nginx: route 'qa' has 2 matches; ingress-nginx matches one header or one cookie per rule"
    );
    assert_eq!(w.ingress_writes(), writes);
    assert_eq!(router.read_back().await.expect("read"), Some(weighted(10)));
}

#[tokio::test]
async fn a_conflict_is_read_again_and_retried() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(10)]).await;
    w.fake.inject(Fault {
        verb: Some(Verb::Patch),
        path_prefix: path(WEB_CANARY),
        code: 409,
        times: 1,
    });

    router
        .apply(&weighted(20))
        .await
        .expect("applied on the second try");

    assert_eq!(router.read_back().await.expect("read"), Some(weighted(20)));
    assert_eq!(w.fake.request_count(Verb::Patch, &path(WEB_CANARY)), 2);
}

#[tokio::test]
async fn a_canary_ingress_deleted_by_hand_is_made_again() {
    let w = World::start().await;
    let router = given(w.web(), &[weighted(10)]).await;
    w.fake
        .delete("networking.k8s.io/v1", "Ingress", Some(NS), WEB_CANARY)
        .expect("deleted");

    assert_eq!(router.read_back().await.expect("read"), None);
    router.apply(&weighted(10)).await.expect("applied");
    assert_eq!(router.read_back().await.expect("read"), Some(weighted(10)));
}

#[tokio::test]
async fn a_create_refused_as_a_conflict_is_read_again_and_retried() {
    let w = World::start().await;
    w.fake.inject(Fault {
        verb: Some(Verb::Create),
        path_prefix: INGRESSES.to_string(),
        code: 409,
        times: 1,
    });

    w.web()
        .apply(&weighted(10))
        .await
        .expect("applied on the second try");

    assert_eq!(w.fake.request_count_prefix(Verb::Create, INGRESSES), 2);
    assert_eq!(w.web().read_back().await.expect("read"), Some(weighted(10)));
}

#[tokio::test]
async fn a_canary_ingress_is_not_made_without_its_rollout_to_own_it() {
    let w = World::start().await;
    w.fake
        .delete("serin.dev/v1alpha1", "Rollout", Some(NS), ROLLOUT)
        .expect("deleted");

    let e = w.web().apply(&weighted(10)).await.expect_err("no owner");

    assert_eq!(e.to_string(), "nginx: Rollout default/app not found");
    assert_eq!(w.stored(WEB_CANARY), None);
}
