//! Kubernetes Events as kube-runtime's `Recorder` writes them (events.k8s.io/v1).

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use serin_kube_fake::FakeApiServer;

#[tokio::test]
async fn the_runtime_event_recorder_publishes_and_then_updates_a_series() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let reporter = Reporter {
        controller: "serin".into(),
        instance: None,
    };
    let recorder = Recorder::new(client, reporter);
    let reference = ObjectReference {
        api_version: Some("serin.dev/v1alpha1".into()),
        kind: Some("Rollout".into()),
        name: Some("web".into()),
        namespace: Some("default".into()),
        uid: Some("00000000-0000-4000-8000-000000000001".into()),
        ..ObjectReference::default()
    };
    let event = Event {
        type_: EventType::Normal,
        reason: "StepCompleted".into(),
        note: Some("step 1 of 3".into()),
        action: "Promote".into(),
        secondary: None,
    };
    recorder.publish(&event, &reference).await.expect("publish");
    recorder
        .publish(&event, &reference)
        .await
        .expect("publish again");
    let stored = fake.objects("events.k8s.io/v1", "Event");
    assert_eq!(stored.len(), 1, "the second publish updates the series");
    assert_eq!(stored[0]["reason"], "StepCompleted");
    assert_eq!(stored[0]["regarding"]["name"], "web");
    assert_eq!(stored[0]["series"]["count"], 2);
}
