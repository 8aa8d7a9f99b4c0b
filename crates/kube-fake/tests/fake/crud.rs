//! Create, read, update, delete: conflicts, generation, the status
//! subresource, finalizers, cascading deletion, selectors, faults.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::core::ObjectMeta;
use serde_json::json;
use serin_kube_fake::{FakeApiServer, Fault, Verb};

use crate::support::replicaset;

fn api_code<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> (u16, String) {
    match result {
        Err(kube::Error::Api(status)) => (status.code, status.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_list_delete_round_trip_with_server_owned_metadata() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let created = rs
        .create(&PostParams::default(), &replicaset("web", 2))
        .await
        .expect("create");
    let meta = &created.metadata;
    assert!(meta.uid.is_some());
    assert!(meta.creation_timestamp.is_some());
    assert_eq!(meta.generation, Some(1));
    assert_eq!(meta.namespace.as_deref(), Some("default"));
    let got = rs.get("web").await.expect("get");
    assert_eq!(got.metadata.resource_version, meta.resource_version);
    assert_eq!(
        rs.list(&ListParams::default())
            .await
            .expect("list")
            .items
            .len(),
        1
    );
    rs.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    assert_eq!(api_code(rs.get("web").await), (404, "NotFound".into()));
}

#[tokio::test]
async fn create_of_an_existing_name_is_409_already_exists() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let again = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await;
    assert_eq!(api_code(again), (409, "AlreadyExists".into()));
}

#[tokio::test]
async fn generate_name_gives_a_unique_name_with_the_prefix() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    let cm = ConfigMap {
        metadata: ObjectMeta {
            generate_name: Some("cfg-".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let a = cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let b = cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("create");
    let (a, b) = (
        a.metadata.name.expect("name"),
        b.metadata.name.expect("name"),
    );
    assert!(a.starts_with("cfg-") && a.len() == 9, "{a}");
    assert_ne!(a, b);
}

#[tokio::test]
async fn update_with_a_stale_resource_version_is_409_conflict() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let first = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let mut fresh = first.clone();
    fresh.spec.as_mut().expect("spec").replicas = Some(3);
    let updated = rs
        .replace("web", &PostParams::default(), &fresh)
        .await
        .expect("replace");
    assert_ne!(
        updated.metadata.resource_version,
        first.metadata.resource_version
    );
    let mut stale = first;
    stale.spec.as_mut().expect("spec").replicas = Some(5);
    let conflict = rs.replace("web", &PostParams::default(), &stale).await;
    assert_eq!(api_code(conflict), (409, "Conflict".into()));
    assert_eq!(
        rs.get("web")
            .await
            .expect("get")
            .spec
            .expect("spec")
            .replicas,
        Some(3)
    );
}

#[tokio::test]
async fn generation_moves_on_spec_changes_only() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut obj = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    obj.metadata
        .labels
        .get_or_insert_default()
        .insert("extra".into(), "yes".into());
    let obj = rs
        .replace("web", &PostParams::default(), &obj)
        .await
        .expect("label change");
    assert_eq!(
        obj.metadata.generation,
        Some(1),
        "a metadata change keeps generation"
    );
    let mut with_status = obj.clone();
    with_status.status = Some(serde_json::from_value(json!({"replicas": 1})).expect("status"));
    let obj = rs
        .replace_status("web", &PostParams::default(), &with_status)
        .await
        .expect("status");
    assert_eq!(
        obj.metadata.generation,
        Some(1),
        "a status change keeps generation"
    );
    let mut spec_change = obj;
    spec_change.spec.as_mut().expect("spec").replicas = Some(4);
    let obj = rs
        .replace("web", &PostParams::default(), &spec_change)
        .await
        .expect("spec");
    assert_eq!(obj.metadata.generation, Some(2));
}

#[tokio::test]
async fn status_subresource_and_main_resource_change_only_their_own_part() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut obj = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    assert!(obj.status.is_none(), "status on create is dropped");
    // Through the main resource: spec changes, status does not.
    obj.spec.as_mut().expect("spec").replicas = Some(2);
    obj.status = Some(serde_json::from_value(json!({"replicas": 9})).expect("status"));
    let obj = rs
        .replace("web", &PostParams::default(), &obj)
        .await
        .expect("replace");
    assert_eq!(obj.spec.as_ref().expect("spec").replicas, Some(2));
    assert!(obj.status.is_none());
    // Through /status: status changes, spec does not.
    let mut via_status = obj;
    via_status.spec.as_mut().expect("spec").replicas = Some(7);
    via_status.status = Some(serde_json::from_value(json!({"replicas": 2})).expect("status"));
    let obj = rs
        .replace_status("web", &PostParams::default(), &via_status)
        .await
        .expect("status");
    assert_eq!(obj.spec.as_ref().expect("spec").replicas, Some(2));
    assert_eq!(obj.status.as_ref().expect("status").replicas, 2);
}

#[tokio::test]
async fn finalizers_hold_a_deleted_object_until_they_are_removed() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut obj = replicaset("web", 1);
    obj.metadata.finalizers = Some(vec!["serin.dev/traffic".into()]);
    rs.create(&PostParams::default(), &obj)
        .await
        .expect("create");
    rs.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    let marked = rs.get("web").await.expect("still there");
    assert!(marked.metadata.deletion_timestamp.is_some());
    let mut cleared = marked;
    cleared.metadata.finalizers = Some(vec![]);
    rs.replace("web", &PostParams::default(), &cleared)
        .await
        .expect("clear finalizers");
    assert_eq!(api_code(rs.get("web").await).0, 404);
}

fn owned_pod(name: &str, owner: &ReplicaSet) -> Pod {
    serde_json::from_value(json!({
        "metadata": {
            "name": name,
            "labels": {"app": "web"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": owner.metadata.name, "uid": owner.metadata.uid,
            }],
        },
        "spec": {"containers": [{"name": "main", "image": "demo:1"}]},
    }))
    .expect("pod")
}

#[tokio::test]
async fn deleting_an_owner_deletes_its_dependents_unless_orphaned() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let a = rs
        .create(&PostParams::default(), &replicaset("a", 1))
        .await
        .expect("a");
    let b = rs
        .create(&PostParams::default(), &replicaset("b", 1))
        .await
        .expect("b");
    pods.create(&PostParams::default(), &owned_pod("a-1", &a))
        .await
        .expect("pod");
    pods.create(&PostParams::default(), &owned_pod("b-1", &b))
        .await
        .expect("pod");

    rs.delete("a", &DeleteParams::background())
        .await
        .expect("delete a");
    assert_eq!(api_code(pods.get("a-1").await).0, 404, "dependent deleted");

    rs.delete("b", &DeleteParams::orphan())
        .await
        .expect("delete b");
    let orphan = pods.get("b-1").await.expect("orphan stays");
    assert!(
        orphan
            .metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn list_filters_by_label_and_field_selectors_across_namespaces() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    for (ns, name, tier) in [
        ("one", "a", "front"),
        ("one", "b", "back"),
        ("two", "c", "front"),
    ] {
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": {"tier": tier}}}))
                .expect("cm");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
    }
    let all: Api<ConfigMap> = Api::all(client.clone());
    let names = |list: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        list.items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()
    };
    assert_eq!(
        names(all.list(&ListParams::default()).await.expect("all")),
        ["a", "b", "c"]
    );
    let front = all
        .list(&ListParams::default().labels("tier=front"))
        .await
        .expect("eq");
    assert_eq!(names(front), ["a", "c"]);
    let not_front = all
        .list(&ListParams::default().labels("tier!=front"))
        .await
        .expect("ne");
    assert_eq!(names(not_front), ["b"]);
    let set = all
        .list(&ListParams::default().labels("tier in (back,middle)"))
        .await
        .expect("in");
    assert_eq!(names(set), ["b"]);
    let one: Api<ConfigMap> = Api::namespaced(client, "one");
    let by_name = one
        .list(&ListParams::default().fields("metadata.name=b"))
        .await
        .expect("field");
    assert_eq!(names(by_name), ["b"]);
}

#[tokio::test]
async fn injected_faults_fail_the_next_requests_and_requests_are_counted() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let path = "/apis/apps/v1/namespaces/default/replicasets/web";
    fake.inject(Fault {
        verb: Some(Verb::Get),
        path_prefix: path.into(),
        code: 500,
        times: 2,
    });
    assert_eq!(api_code(rs.get("web").await).0, 500);
    assert_eq!(api_code(rs.get("web").await).0, 500);
    rs.get("web").await.expect("the fault is used up");
    assert_eq!(fake.request_count(Verb::Get, path), 3);
    assert_eq!(
        fake.request_count(Verb::Create, "/apis/apps/v1/namespaces/default/replicasets"),
        1
    );
    let stored = fake
        .object("apps/v1", "ReplicaSet", Some("default"), "web")
        .expect("stored");
    assert_eq!(stored["spec"]["replicas"], 1);
}

#[tokio::test]
async fn cluster_scoped_kinds_live_outside_namespaces() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let gvk = kube::core::GroupVersionKind::gvk("serin.dev", "v1alpha1", "ClusterAnalysisTemplate");
    let ar = kube::discovery::ApiResource::from_gvk_with_plural(&gvk, "clusteranalysistemplates");
    let api: Api<kube::core::DynamicObject> = Api::all_with(client, &ar);
    let obj = kube::core::DynamicObject::new("shared", &ar).data(json!({"spec": {"metrics": []}}));
    let created = api
        .create(&PostParams::default(), &obj)
        .await
        .expect("create");
    assert_eq!(created.metadata.namespace, None);
    assert!(
        fake.object(
            "serin.dev/v1alpha1",
            "ClusterAnalysisTemplate",
            None,
            "shared"
        )
        .is_some()
    );
}

#[tokio::test]
async fn list_pages_with_limit_and_continue_cover_every_object_once() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    for i in 0..5 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("c{i}")}})).expect("cm");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
    }
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    loop {
        let page = cms.list(&params).await.expect("page");
        pages += 1;
        names.extend(page.items.into_iter().filter_map(|c| c.metadata.name));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(names, ["c0", "c1", "c2", "c3", "c4"]);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn delete_collection_removes_only_the_selected_objects() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    for (name, tier) in [("a", "front"), ("b", "back"), ("c", "front")] {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": {"tier": tier}}}))
                .expect("cm");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
    }
    cms.delete_collection(
        &DeleteParams::default(),
        &ListParams::default().labels("tier=front"),
    )
    .await
    .expect("delete collection");
    let left: Vec<String> = cms
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    assert_eq!(left, ["b"]);
}

#[tokio::test]
async fn invalid_names_and_labels_are_422_invalid() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut bad_name = replicaset("web", 1);
    bad_name.metadata.name = Some("Web_1".into());
    assert_eq!(
        api_code(rs.create(&PostParams::default(), &bad_name).await),
        (422, "Invalid".into())
    );
    let mut bad_label = replicaset("web", 1);
    bad_label
        .metadata
        .labels
        .get_or_insert_default()
        .insert("hash".into(), "x".repeat(64));
    assert_eq!(
        api_code(rs.create(&PostParams::default(), &bad_label).await).0,
        422
    );
    let good = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let mut bad_update = good;
    bad_update
        .metadata
        .labels
        .get_or_insert_default()
        .insert("-x".into(), "y".into());
    assert_eq!(
        api_code(rs.replace("web", &PostParams::default(), &bad_update).await).0,
        422
    );
}

#[tokio::test]
async fn metadata_only_get_and_list_return_partial_object_metadata() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    rs.create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let list = rs
        .list_metadata(&ListParams::default())
        .await
        .expect("list metadata");
    assert_eq!(list.items.len(), 1);
    let item = &list.items[0];
    assert_eq!(item.metadata.name.as_deref(), Some("web"));
    assert_eq!(
        item.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
    let one = rs.get_metadata("web").await.expect("get metadata");
    assert_eq!(
        one.metadata
            .labels
            .expect("labels")
            .get("app")
            .map(String::as_str),
        Some("web")
    );
}

#[tokio::test]
async fn foreground_deletion_keeps_the_owner_until_blocking_dependents_are_gone() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let owner = rs
        .create(&PostParams::default(), &replicaset("a", 1))
        .await
        .expect("rs");
    let mut pod = owned_pod("a-1", &owner);
    pod.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    pod.metadata.owner_references.as_mut().expect("refs")[0].block_owner_deletion = Some(true);
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("pod");

    rs.delete("a", &DeleteParams::foreground())
        .await
        .expect("delete");
    let waiting = rs.get("a").await.expect("the owner waits");
    assert!(waiting.metadata.deletion_timestamp.is_some());
    assert_eq!(
        waiting.metadata.finalizers,
        Some(vec!["foregroundDeletion".into()])
    );
    let held = pods
        .get("a-1")
        .await
        .expect("the pod is held by its finalizer");
    assert!(held.metadata.deletion_timestamp.is_some());

    let release = serde_json::json!({"metadata": {"finalizers": null}});
    pods.patch(
        "a-1",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&release),
    )
    .await
    .expect("release the pod");
    assert_eq!(api_code(pods.get("a-1").await).0, 404);
    assert_eq!(
        api_code(rs.get("a").await).0,
        404,
        "the owner goes with its last dependent"
    );
}

#[tokio::test]
async fn create_with_a_resource_version_is_400_and_update_with_another_uid_is_409() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let created = rs
        .create(&PostParams::default(), &replicaset("web", 1))
        .await
        .expect("create");
    let mut reused = created.clone();
    reused.metadata.name = Some("copy".into());
    reused.metadata.uid = None;
    assert_eq!(
        api_code(rs.create(&PostParams::default(), &reused).await).0,
        400
    );
    let mut other_uid = created;
    other_uid.metadata.uid = Some("00000000-0000-4000-8000-00000000ffff".into());
    assert_eq!(
        api_code(rs.replace("web", &PostParams::default(), &other_uid).await),
        (409, "Conflict".into())
    );
}

#[tokio::test]
async fn two_controller_owner_references_are_422_invalid() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "default");
    let a = rs
        .create(&PostParams::default(), &replicaset("a", 1))
        .await
        .expect("a");
    let b = rs
        .create(&PostParams::default(), &replicaset("b", 1))
        .await
        .expect("b");
    let mut pod = owned_pod("p", &a);
    let mut refs = pod.metadata.owner_references.take().expect("refs");
    refs.extend(owned_pod("p", &b).metadata.owner_references.expect("refs"));
    for r in &mut refs {
        r.controller = Some(true);
    }
    pod.metadata.owner_references = Some(refs);
    let pods: Api<Pod> = Api::namespaced(client, "default");
    assert_eq!(
        api_code(pods.create(&PostParams::default(), &pod).await).0,
        422
    );
}

#[tokio::test]
async fn an_object_being_deleted_accepts_no_new_finalizers() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let rs: Api<ReplicaSet> = Api::namespaced(client, "default");
    let mut obj = replicaset("web", 1);
    obj.metadata.finalizers = Some(vec!["serin.dev/traffic".into()]);
    rs.create(&PostParams::default(), &obj)
        .await
        .expect("create");
    rs.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    let mut more = rs.get("web").await.expect("get");
    more.metadata
        .finalizers
        .get_or_insert_default()
        .push("example.com/late".into());
    assert_eq!(
        api_code(rs.replace("web", &PostParams::default(), &more).await).0,
        422
    );
}

#[tokio::test]
async fn injected_latency_trips_a_client_read_timeout_once() {
    let (fake, _) = FakeApiServer::start().await.expect("start");
    let mut config = fake.client_config().expect("config");
    config.read_timeout = Some(std::time::Duration::from_millis(200));
    let client = kube::Client::try_from(config).expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client, "default");
    fake.delay(serin_kube_fake::Delay {
        verb: Some(Verb::List),
        path_prefix: "/api/v1/namespaces/default/configmaps".into(),
        delay: std::time::Duration::from_secs(2),
        times: 1,
    });
    let slow = cms.list(&ListParams::default()).await;
    assert!(
        slow.is_err() && !matches!(slow, Err(kube::Error::Api(_))),
        "{slow:?}"
    );
    cms.list(&ListParams::default())
        .await
        .expect("the next list is on time");
}
