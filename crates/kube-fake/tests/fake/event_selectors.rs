//! Lists of Events by the object they are about, with the field selectors
//! the API server supports for Events: `involvedObject.*` on core/v1,
//! `regarding.*` on events.k8s.io/v1, and nothing the server would refuse.

use k8s_openapi::api::core::v1::Event as CoreEvent;
use k8s_openapi::api::events::v1::Event;
use kube::Api;
use kube::api::ListParams;
use serde_json::json;
use serin_kube_fake::FakeApiServer;

fn names<T: kube::Resource>(items: &[T]) -> Vec<String> {
    let mut n: Vec<String> = items.iter().filter_map(|e| e.meta().name.clone()).collect();
    n.sort();
    n
}

const FIXTURE: &str = r#"
apiVersion: v1
kind: Event
metadata: {name: web.1}
involvedObject: {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: web, namespace: default, uid: u-web}
reason: RolloutStarted
type: Normal
---
apiVersion: v1
kind: Event
metadata: {name: web-rs.1}
involvedObject: {apiVersion: apps/v1, kind: ReplicaSet, name: web, namespace: default, uid: u-rs}
reason: SuccessfulCreate
type: Normal
---
apiVersion: v1
kind: Event
metadata: {name: api.1}
involvedObject: {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: api, namespace: default, uid: u-api}
reason: RolloutAborted
type: Warning
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.2}
eventTime: "2026-11-22T03:00:00.000000Z"
regarding: {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: web, namespace: default, uid: u-web}
reason: CommandAccepted
type: Normal
reportingController: serin.dev/controller
reportingInstance: test
action: Promote
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web-old.2}
eventTime: "2026-11-22T03:00:00.000000Z"
regarding: {apiVersion: serin.dev/v1alpha1, kind: Rollout, name: web, namespace: default, uid: u-old}
reason: RolloutStarted
type: Normal
reportingController: serin.dev/controller
reportingInstance: test
action: Release
"#;

#[tokio::test]
async fn core_events_are_listed_by_the_kind_name_and_uid_of_their_involved_object() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    fake.load_yaml(FIXTURE).expect("fixture");
    let events: Api<CoreEvent> = Api::namespaced(client, "default");
    let list = |s: &'static str| {
        let events = events.clone();
        async move { events.list(&ListParams::default().fields(s)).await }
    };

    let rollout = list("involvedObject.kind=Rollout,involvedObject.name=web")
        .await
        .expect("list");
    assert_eq!(names(&rollout.items), ["web.1"]);
    let by_uid = list("involvedObject.uid=u-api").await.expect("list");
    assert_eq!(names(&by_uid.items), ["api.1"]);
    let warnings = list("type=Warning,involvedObject.kind!=ReplicaSet")
        .await
        .expect("list");
    assert_eq!(names(&warnings.items), ["api.1"]);
}

#[tokio::test]
async fn events_k8s_io_events_are_listed_by_what_they_regard() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    fake.load_yaml(FIXTURE).expect("fixture");
    let events: Api<Event> = Api::namespaced(client, "default");

    let about = events
        .list(
            &ListParams::default()
                .fields("regarding.kind=Rollout,regarding.name=web,regarding.uid=u-web"),
        )
        .await
        .expect("list");

    assert_eq!(
        names(&about.items),
        ["web.2"],
        "not the earlier Rollout of that name"
    );
    assert_eq!(
        serde_json::to_value(&about.items[0]).expect("json")["reason"],
        json!("CommandAccepted")
    );
}

#[tokio::test]
async fn a_field_the_api_server_does_not_support_for_the_kind_is_a_bad_request() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let core: Api<CoreEvent> = Api::namespaced(client, "default");

    for (result, field) in [
        (
            events
                .list(&ListParams::default().fields("involvedObject.name=web"))
                .await
                .map(drop),
            "involvedObject.name",
        ),
        (
            core.list(&ListParams::default().fields("regarding.name=web"))
                .await
                .map(drop),
            "regarding.name",
        ),
        (
            core.list(&ListParams::default().fields("involvedObject.color=red"))
                .await
                .map(drop),
            "involvedObject.color",
        ),
    ] {
        match result {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 400, "{field}");
                assert!(status.message.contains(field), "{}", status.message);
            }
            other => panic!("{field}: expected a 400, got {other:?}"),
        }
    }
}
