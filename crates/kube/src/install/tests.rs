//! The manifests' shape: the Deployment's arguments and hardening, where
//! each rule is granted in both modes, and the options refused.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use super::*;

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn kinds(objects: &[Value]) -> Vec<&str> {
    objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect()
}

fn namespaced(ns: &str) -> InstallOptions {
    InstallOptions {
        namespaced: Some(ns.into()),
        ..InstallOptions::default()
    }
}

#[test]
fn objects_come_in_apply_order() {
    let objects = manifests(&InstallOptions::default()).unwrap();
    assert_eq!(
        kinds(&objects),
        [
            "Namespace",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
            "Service",
        ]
    );
}

#[test]
fn the_controller_runs_with_leader_election_and_metrics_on_8080() {
    let objects = manifests(&InstallOptions::default()).unwrap();
    let d = find(&objects, "Deployment", workload::DEPLOYMENT);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["args"],
        json!([
            "controller",
            "--leader-elect",
            "--metrics-addr",
            "0.0.0.0:8080"
        ])
    );
    assert_eq!(c["image"], json!(default_image()));
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    let env: Vec<(&str, &str)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let path = e["valueFrom"]["fieldRef"]["fieldPath"].as_str().unwrap();
            (e["name"].as_str().unwrap(), path)
        })
        .collect();
    assert_eq!(
        env,
        [
            ("POD_NAMESPACE", "metadata.namespace"),
            ("POD_NAME", "metadata.name")
        ]
    );
    assert_eq!(d["spec"]["replicas"], 1);
}

#[test]
fn the_controller_runs_hardened() {
    let objects = manifests(&InstallOptions::default()).unwrap();
    let pod = &find(&objects, "Deployment", workload::DEPLOYMENT)["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let sc = &pod["containers"][0]["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    let resources = &pod["containers"][0]["resources"];
    assert!(resources["requests"]["memory"].is_string());
    assert!(resources["limits"]["memory"].is_string());
    assert_eq!(pod["serviceAccountName"], SERVICE_ACCOUNT);
}

#[test]
fn namespaced_mode_grants_a_role_there_and_passes_the_namespace() {
    let objects = manifests(&namespaced("team-a")).unwrap();
    let role = find(&objects, "Role", rbac::ROLE);
    assert_eq!(role["metadata"]["namespace"], "team-a");
    let binding = find(&objects, "RoleBinding", rbac::ROLE);
    assert_eq!(binding["metadata"]["namespace"], "team-a");
    assert_eq!(binding["subjects"][0]["namespace"], DEFAULT_NAMESPACE);
    assert!(
        !objects
            .iter()
            .any(|o| o["metadata"]["name"] == rbac::ROLE && o["kind"] == "ClusterRole")
    );
    let args = &find(&objects, "Deployment", workload::DEPLOYMENT)["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    assert_eq!(
        args,
        &json!([
            "controller",
            "--leader-elect",
            "--metrics-addr",
            "0.0.0.0:8080",
            "--namespace",
            "team-a"
        ])
    );
}

#[test]
fn namespaced_mode_keeps_cluster_templates_in_a_cluster_role_of_their_own() {
    let opts = namespaced("team-a");
    let objects = manifests(&opts).unwrap();
    let name = rbac::cluster_role_namespaced(&opts);
    assert_eq!(name, "serin-controller-cluster-serin-system");
    let cluster = find(&objects, "ClusterRole", &name);
    assert_eq!(
        find(&objects, "ClusterRoleBinding", &name)["roleRef"]["name"],
        name.as_str()
    );
    assert_eq!(
        cluster["rules"],
        json!([{"apiGroups": ["serin.dev"], "resources": ["clusteranalysistemplates"], "verbs": ["get", "list", "watch"]}])
    );
    let role = find(&objects, "Role", rbac::ROLE);
    let text = role["rules"].to_string();
    assert!(!text.contains("clusteranalysistemplates"), "{text}");
}

#[test]
fn two_namespaced_installs_do_not_share_a_cluster_binding() {
    let team_a = namespaced("team-a");
    let team_b = InstallOptions {
        namespace: "serin-team-b".into(),
        ..namespaced("team-b")
    };
    let cluster_names = |opts: &InstallOptions| -> Vec<String> {
        manifests(opts)
            .unwrap()
            .into_iter()
            .filter(|o| o["kind"] == "ClusterRoleBinding")
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (a, b) = (cluster_names(&team_a), cluster_names(&team_b));
    assert_eq!(a.len(), 1);
    assert!(a.iter().all(|n| !b.contains(n)), "{a:?} {b:?}");
}

#[test]
fn the_lease_is_granted_only_in_the_controller_s_namespace_in_both_modes() {
    for opts in [InstallOptions::default(), namespaced("team-a")] {
        let objects = manifests(&opts).unwrap();
        let leader = find(&objects, "Role", rbac::LEADER_ROLE);
        assert_eq!(leader["metadata"]["namespace"], DEFAULT_NAMESPACE);
        assert_eq!(leader["rules"][0]["resources"], json!(["leases"]));
        let others: Vec<&Value> = objects
            .iter()
            .filter(|o| o["metadata"]["name"] != rbac::LEADER_ROLE)
            .collect();
        assert!(
            others
                .iter()
                .all(|o| !o["rules"].to_string().contains("leases"))
        );
    }
}

#[test]
fn without_leader_election_the_controller_is_recreated_not_rolled() {
    let opts = InstallOptions {
        leader_election: false,
        ..InstallOptions::default()
    };
    let objects = manifests(&opts).unwrap();
    let d = find(&objects, "Deployment", workload::DEPLOYMENT);
    assert_eq!(d["spec"]["strategy"]["type"], "Recreate");
    let args = d["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(!args.contains("--leader-elect"), "{args}");
}

#[test]
fn two_replicas_without_leader_election_are_refused() {
    let opts = InstallOptions {
        leader_election: false,
        replicas: 2,
        ..InstallOptions::default()
    };
    assert_eq!(
        manifests(&opts).unwrap_err(),
        InstallError::ReplicasWithoutLeaderElection(2)
    );
    let with_election = InstallOptions {
        replicas: 2,
        ..InstallOptions::default()
    };
    assert!(manifests(&with_election).is_ok());
}

#[test]
fn invalid_namespace_names_are_refused() {
    let bad = InstallOptions {
        namespace: "Serin_System".into(),
        ..InstallOptions::default()
    };
    assert!(matches!(
        manifests(&bad),
        Err(InstallError::InvalidNamespace {
            flag: "--namespace",
            ..
        })
    ));
    assert!(matches!(
        manifests(&namespaced("-team")),
        Err(InstallError::InvalidNamespace {
            flag: "--namespaced",
            ..
        })
    ));
}

#[test]
fn every_rule_says_why_it_is_needed() {
    for r in rbac::RULES {
        assert!(!r.why.is_empty() && !r.verbs.is_empty(), "{r:?}");
    }
}

#[test]
fn docs_install_md_lists_every_rule_of_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/install.md");
    let docs = std::fs::read_to_string(path).unwrap();
    for r in rbac::RULES {
        let group = if r.group.is_empty() {
            "core".to_string()
        } else {
            format!("`{}`", r.group)
        };
        let row = format!("| {group} | `{}` | {} |", r.resource, r.verbs.join(", "));
        assert!(docs.contains(&row), "docs/install.md lacks the row {row}");
    }
}
