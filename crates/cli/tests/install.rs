//! `serin install` end to end: its YAML parses back into exactly the
//! manifests, every object can be created in the fake API server through
//! the real kube client, and the RBAC grants exactly the controller's table.
//! `scripts/test` checks the output with `kubernetes-validate --strict`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Command;

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use serde_json::Value;
use serin_kube::install::{InstallOptions, manifests};
use serin_kube_fake::FakeApiServer;

/// The permissions the controller needs: (group, resource, verbs). Written
/// out here, apart from the code's table, so a change to one is noticed.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("serin.dev", "rollouts", "get list watch update patch"),
    ("serin.dev", "rollouts/status", "get update patch"),
    ("serin.dev", "rollouts/finalizers", "update"),
    (
        "serin.dev",
        "analysisruns",
        "get list watch create update patch delete",
    ),
    ("serin.dev", "analysisruns/status", "get update patch"),
    ("serin.dev", "analysistemplates", "get list watch"),
    ("serin.dev", "clusteranalysistemplates", "get list watch"),
    (
        "apps",
        "replicasets",
        "get list watch create update patch delete",
    ),
    ("apps", "deployments", "get list watch update patch"),
    ("", "pods", "get list watch"),
    ("", "services", "get list watch update patch"),
    (
        "networking.k8s.io",
        "ingresses",
        "get list watch create update patch delete",
    ),
    (
        "gateway.networking.k8s.io",
        "httproutes",
        "get list watch update patch",
    ),
    (
        "networking.istio.io",
        "virtualservices",
        "get list watch update patch",
    ),
    (
        "networking.istio.io",
        "destinationrules",
        "get list watch update patch",
    ),
    ("events.k8s.io", "events", "create patch"),
    ("coordination.k8s.io", "leases", "get create update"),
];

fn install(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_serin"))
        .arg("install")
        .args(args)
        .output()
        .unwrap()
}

fn install_yaml(args: &[&str]) -> String {
    let out = install(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn install_docs(args: &[&str]) -> Vec<Value> {
    serde_saphyr::from_multiple(&install_yaml(args)).unwrap()
}

/// Where a grant applies ("ClusterRole" or "Role/<namespace>"), its group,
/// resource and verb.
type Grant = (String, String, String, String);

/// Every grant of every Role and ClusterRole in `docs`, checking on the way
/// that each is bound to the controller's ServiceAccount.
fn grants(docs: &[Value]) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for role in docs
        .iter()
        .filter(|d| d["kind"] == "Role" || d["kind"] == "ClusterRole")
    {
        let kind = role["kind"].as_str().unwrap();
        let name = &role["metadata"]["name"];
        let namespace = &role["metadata"]["namespace"];
        let bound = docs.iter().any(|b| {
            b["kind"] == format!("{kind}Binding")
                && b["metadata"]["namespace"] == *namespace
                && b["roleRef"]["kind"] == kind
                && b["roleRef"]["name"] == *name
                && b["subjects"][0]["name"] == "serin-controller"
                && b["subjects"][0]["namespace"] == "serin-system"
        });
        assert!(bound, "{kind} {name} is bound to the controller");
        let place = match namespace.as_str() {
            Some(ns) => format!("Role/{ns}"),
            None => "ClusterRole".to_string(),
        };
        for rule in role["rules"].as_array().unwrap() {
            for group in rule["apiGroups"].as_array().unwrap() {
                for resource in rule["resources"].as_array().unwrap() {
                    for verb in rule["verbs"].as_array().unwrap() {
                        out.insert((
                            place.clone(),
                            group.as_str().unwrap().to_string(),
                            resource.as_str().unwrap().to_string(),
                            verb.as_str().unwrap().to_string(),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// The table, each row granted where `place` says.
fn expected(place: impl Fn(&str) -> String) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for (group, resource, verbs) in EXPECTED {
        for verb in verbs.split(' ') {
            out.insert((
                place(resource),
                group.to_string(),
                resource.to_string(),
                verb.to_string(),
            ));
        }
    }
    out
}

#[test]
fn install_output_parses_back_into_the_manifests() {
    let docs = install_docs(&[]);
    assert_eq!(docs, manifests(&InstallOptions::default()).unwrap());
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "CustomResourceDefinition")
            .count(),
        4
    );
}

#[test]
fn the_rbac_is_exactly_the_controller_s_table_cluster_wide() {
    let granted = grants(&install_docs(&[]));
    let want = expected(|resource| match resource {
        "leases" => "Role/serin-system".to_string(),
        _ => "ClusterRole".to_string(),
    });
    assert_eq!(granted, want);
}

#[test]
fn the_rbac_is_exactly_the_controller_s_table_in_namespaced_mode() {
    let granted = grants(&install_docs(&["--namespaced", "team-a"]));
    let want = expected(|resource| match resource {
        "leases" => "Role/serin-system".to_string(),
        "clusteranalysistemplates" => "ClusterRole".to_string(),
        _ => "Role/team-a".to_string(),
    });
    assert_eq!(granted, want);
}

#[test]
fn every_flag_reaches_the_manifests() {
    let docs = install_docs(&[
        "--namespace",
        "ops",
        "--image",
        "registry.local/serin:dev",
        "--replicas",
        "2",
        "--namespaced",
        "team-a",
    ]);
    let d = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    assert_eq!(d["metadata"]["namespace"], "ops");
    assert_eq!(d["spec"]["replicas"], 2);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "registry.local/serin:dev");
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        [
            "controller",
            "--leader-elect",
            "--metrics-addr",
            "0.0.0.0:8080",
            "--namespace",
            "team-a"
        ]
    );
    let no_election = install_docs(&["--no-leader-elect"]);
    let d = no_election
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .unwrap();
    let args = d["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(!args.contains("--leader-elect"), "{args}");
}

#[test]
fn two_replicas_without_leader_election_fail_with_a_reason() {
    let out = install(&["--no-leader-elect", "--replicas", "2"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without leader election"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Creates every document in the fake through discovery and
/// `Api<DynamicObject>`, then reads each back.
async fn create_all_in_the_fake(docs: Vec<Value>) {
    let (fake, client) = FakeApiServer::start().await.unwrap();
    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    for doc in docs {
        let object: DynamicObject = serde_json::from_value(doc.clone()).unwrap();
        let types = object.types.clone().unwrap();
        let gvk = GroupVersionKind::try_from(&types).unwrap();
        let (resource, caps) = discovery
            .resolve_gvk(&gvk)
            .unwrap_or_else(|| panic!("the fake serves {gvk:?}"));
        let name = object.metadata.name.clone().unwrap();
        let api: Api<DynamicObject> = match (caps.scope, &object.metadata.namespace) {
            (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &resource),
            (Scope::Namespaced, None) => panic!("{} {name} has no namespace", types.kind),
            (Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
        };
        api.create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|e| panic!("create {} {name}: {e}", types.kind));
        let stored = fake.object(
            &types.api_version,
            &types.kind,
            object.metadata.namespace.as_deref(),
            &name,
        );
        assert!(stored.is_some(), "{} {name} stored", types.kind);
    }
}

#[tokio::test]
async fn every_object_can_be_created_in_the_api_server() {
    create_all_in_the_fake(install_docs(&[])).await;
}

#[tokio::test]
async fn every_namespaced_mode_object_can_be_created_in_the_api_server() {
    create_all_in_the_fake(install_docs(&["--namespaced", "team-a"])).await;
}
