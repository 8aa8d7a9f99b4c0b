//! Restore deletes the canary Ingresses serin made, and only those; the
//! Rollout owns them, so deleting it takes them too.

use serde_json::json;
use serin_kube_fake::Verb;
use serin_traffic::TrafficRouter;

use crate::support::{INGRESSES, NS, ROLLOUT, WEB_CANARY, World, given, stable, weighted};

#[tokio::test]
async fn restore_deletes_every_canary_ingress_and_leaves_the_stable_ones() {
    let w = World::start().await;
    let before = w.stored("web");
    let router = w.router(json!({"nginx": {"stableIngresses": ["web", "web-admin"]}}));
    let router = given(router, &[weighted(50), stable("aaa")]).await;

    router.restore().await.expect("restored");

    assert_eq!(w.stored(WEB_CANARY), None);
    assert_eq!(w.stored("web-admin-app-canary"), None);
    assert_eq!(w.stored("web"), before, "byte for byte");
    assert!(w.stored("web-admin").is_some());
}

#[tokio::test]
async fn restore_with_nothing_made_sends_no_delete() {
    let w = World::start().await;
    w.web().restore().await.expect("restored");
    assert_eq!(w.fake.request_count_prefix(Verb::Delete, INGRESSES), 0);
}

#[tokio::test]
async fn restore_leaves_an_ingress_of_that_name_serin_did_not_make() {
    let w = World::start().await;
    w.make_foreign_canary();

    w.web().restore().await.expect("restored");

    assert!(w.stored(WEB_CANARY).is_some());
}

#[tokio::test]
async fn deleting_the_rollout_takes_its_canary_ingresses_with_it() {
    let w = World::start().await;
    given(w.web(), &[weighted(10)]).await;

    w.fake
        .delete("serin.dev/v1alpha1", "Rollout", Some(NS), ROLLOUT)
        .expect("deleted");

    assert_eq!(w.stored(WEB_CANARY), None, "collected as a dependent");
    assert!(w.stored("web").is_some());
}
