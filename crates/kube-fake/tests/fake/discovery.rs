//! Discovery: `kube::discovery` finds every kind serin touches, with its scope.

use kube::api::{Api, DynamicObject, PostParams};
use kube::discovery::{Discovery, Scope};
use serde_json::json;
use serin_kube_fake::FakeApiServer;

#[tokio::test]
async fn discovery_finds_every_group_and_kind_with_its_scope() {
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let discovery = Discovery::new(client).run().await.expect("discovery");
    let expect = [
        ("", "Pod", "pods", Scope::Namespaced),
        ("", "Service", "services", Scope::Namespaced),
        ("", "Event", "events", Scope::Namespaced),
        ("", "ConfigMap", "configmaps", Scope::Namespaced),
        ("", "Namespace", "namespaces", Scope::Cluster),
        ("", "ServiceAccount", "serviceaccounts", Scope::Namespaced),
        ("", "Secret", "secrets", Scope::Namespaced),
        ("events.k8s.io", "Event", "events", Scope::Namespaced),
        (
            "rbac.authorization.k8s.io",
            "ClusterRole",
            "clusterroles",
            Scope::Cluster,
        ),
        (
            "rbac.authorization.k8s.io",
            "RoleBinding",
            "rolebindings",
            Scope::Namespaced,
        ),
        (
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            Scope::Cluster,
        ),
        ("apps", "ReplicaSet", "replicasets", Scope::Namespaced),
        ("apps", "Deployment", "deployments", Scope::Namespaced),
        ("coordination.k8s.io", "Lease", "leases", Scope::Namespaced),
        (
            "networking.k8s.io",
            "Ingress",
            "ingresses",
            Scope::Namespaced,
        ),
        ("serin.dev", "Rollout", "rollouts", Scope::Namespaced),
        (
            "serin.dev",
            "AnalysisRun",
            "analysisruns",
            Scope::Namespaced,
        ),
        (
            "serin.dev",
            "AnalysisTemplate",
            "analysistemplates",
            Scope::Namespaced,
        ),
        (
            "serin.dev",
            "ClusterAnalysisTemplate",
            "clusteranalysistemplates",
            Scope::Cluster,
        ),
        (
            "gateway.networking.k8s.io",
            "HTTPRoute",
            "httproutes",
            Scope::Namespaced,
        ),
        (
            "networking.istio.io",
            "VirtualService",
            "virtualservices",
            Scope::Namespaced,
        ),
        (
            "networking.istio.io",
            "DestinationRule",
            "destinationrules",
            Scope::Namespaced,
        ),
    ];
    for (group, kind, plural, scope) in expect {
        let found = discovery
            .groups()
            .find(|g| g.name() == group)
            .and_then(|g| g.recommended_kind(kind));
        let (ar, caps) = found.unwrap_or_else(|| panic!("{group} {kind} not discovered"));
        assert_eq!(ar.plural, plural);
        assert_eq!(caps.scope, scope, "{kind}");
    }
}

#[tokio::test]
async fn a_dynamic_api_from_discovery_creates_and_reads_custom_resources() {
    let (fake, client) = FakeApiServer::start().await.expect("start");
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let (ar, _) = discovery
        .groups()
        .find(|g| g.name() == "gateway.networking.k8s.io")
        .and_then(|g| g.recommended_kind("HTTPRoute"))
        .expect("httproute");
    let api: Api<DynamicObject> = Api::namespaced_with(client, "default", &ar);
    let route = DynamicObject::new("web", &ar).data(json!({"spec": {"rules": []}}));
    api.create(&PostParams::default(), &route)
        .await
        .expect("create");
    let got = api.get("web").await.expect("get");
    assert_eq!(got.data["spec"]["rules"], json!([]));
    assert!(
        fake.object(
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            Some("default"),
            "web"
        )
        .is_some()
    );
}

#[tokio::test]
async fn serins_own_crds_can_be_installed_as_on_a_cluster() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::CustomResourceExt;
    let (_fake, client) = FakeApiServer::start().await.expect("start");
    let crds: Api<CustomResourceDefinition> = Api::all(client);
    for crd in [serin_api::Rollout::crd(), serin_api::AnalysisRun::crd()] {
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("install");
    }
    let installed = crds.get("rollouts.serin.dev").await.expect("get");
    assert_eq!(installed.spec.group, "serin.dev");
}
