//! Errors: a missing Service named (and nothing written), API failures as
//! API errors, a write that lost a race made again on a fresh read.

use std::time::Duration;

use serde_json::json;
use serin_api::k8s::POD_TEMPLATE_HASH_LABEL as HASH;
use serin_kube_fake::{Delay, Verb};
use serin_traffic::RouterError;

use crate::support::{NS, World, path, preview};

#[tokio::test]
async fn a_missing_service_is_named_and_no_service_is_written() {
    let w = World::start().await;
    w.fake
        .delete("v1", "Service", Some(NS), "web-preview")
        .expect("deleted");
    let before = w.fake.resource_version();

    let err = w
        .blue_green()
        .apply(&preview("aaa", "bbb"))
        .await
        .expect_err("missing");

    assert_eq!(
        err.to_string(),
        "service: Service default/web-preview not found"
    );
    assert!(
        matches!(
            err,
            RouterError::NotFound {
                kind: "Service",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        w.fake.resource_version(),
        before,
        "the active Service did not move"
    );
}

#[tokio::test]
async fn read_back_of_a_missing_service_is_not_found() {
    let w = World::start().await;
    w.fake
        .delete("v1", "Service", Some(NS), "web-canary")
        .expect("deleted");

    let err = w.canary().read_back().await.expect_err("missing");

    assert_eq!(
        err.to_string(),
        "service: Service default/web-canary not found"
    );
}

#[tokio::test]
async fn a_failing_api_server_is_an_api_error() {
    let w = World::start().await;
    w.fail_next(Verb::Get, "web-active", 500);

    let err = w
        .blue_green()
        .apply(&preview("aaa", "bbb"))
        .await
        .expect_err("refused");

    assert!(
        matches!(
            err,
            RouterError::Api {
                router: "service",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_conflicting_write_is_made_again_on_a_fresh_read() {
    let w = World::start().await;
    w.fail_next(Verb::Patch, "web-active", 409);

    w.blue_green()
        .apply(&preview("aaa", "bbb"))
        .await
        .expect("applied on the second try");

    assert_eq!(w.selector("web-active")[HASH], "aaa");
    assert_eq!(w.requests(Verb::Patch, "web-active"), 2);
}

#[tokio::test]
async fn a_write_racing_another_writer_keeps_the_other_writers_change() {
    let w = World::start().await;
    // serin's write to the preview is held at the server's door long enough
    // for another writer to get in between serin's read and its write.
    w.fake.delay(Delay {
        verb: Some(Verb::Patch),
        path_prefix: path("web-preview"),
        delay: Duration::from_secs(1),
        times: 1,
    });
    let routers = w.blue_green();
    let apply = tokio::spawn(async move { routers.apply(&preview("aaa", "bbb")).await });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while w.requests(Verb::Patch, "web-preview") == 0 {
        assert!(tokio::time::Instant::now() < deadline, "serin never wrote");
        tokio::task::yield_now().await;
    }

    w.edit("web-preview", json!({"spec": {"selector": {"zone": "a"}}}));
    apply.await.expect("joined").expect("applied");

    assert_eq!(
        w.requests(Verb::Patch, "web-preview"),
        2,
        "refused for its stale resourceVersion, then made again"
    );
    assert_eq!(
        w.selector("web-preview"),
        json!({"app": "web", "tier": "front", "zone": "a", HASH: "bbb"})
    );
}
