#!/usr/bin/env python3
"""Renders the serin chart with the real Helm engine (helm-python-sdk,
offline) for several value sets, and checks each rendering:

- `helm lint --strict` finds no warning or error;
- every core object passes `kubernetes-validate --strict -k 1.33.0`
  (the ServiceMonitor is not a core kind: it is checked by hand against the
  metrics Service it must select, see check_service_monitor);
- the RBAC grants exactly what `serin install` grants with the equivalent
  flags (same verbs on the same resources, in the same places, bound to the
  controller's ServiceAccount), and the controller's container runs with
  the same arguments, probes and security settings;
- values the controller cannot run with fail the render with the reason.

Run from anywhere: `.venv/bin/python deploy/helm/test_chart.py`. The serin
binary is $SERIN_BIN, else `cargo run -q -p serin --`. Prints one line per
check and `N passed, N failed` at the end; exits 1 on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in deploy/
sys.path.insert(0, str(ROOT / "deploy"))
import checks as checks_runner  # noqa: E402 - deploy/checks.py, found through ROOT

CHART = ROOT / "deploy" / "helm" / "serin"
VALIDATE = ROOT / ".venv" / "bin" / "kubernetes-validate"
K8S_VERSION = "1.33.0"
CORE_KINDS = {
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Deployment",
    "Service",
}

# name -> (release, namespace, values, the equivalent `serin install` flags)
CASES = {
    "default": ("serin", "serin-system", {}, ["--namespace", "serin-system"]),
    "namespaced": (
        "serin",
        "team-a-serin",
        {"watchNamespace": "team-a"},
        ["--namespace", "team-a-serin", "--namespaced", "team-a"],
    ),
    "no-leader-election": (
        "serin",
        "serin-system",
        {"leaderElection": {"enabled": False}, "replicas": 1},
        ["--namespace", "serin-system", "--no-leader-elect", "--replicas", "1"],
    ),
    "monitoring-custom-image": (
        "prod",
        "ops",
        {
            "replicas": 3,
            "image": {
                "repository": "registry.example.com/platform/serin",
                "tag": "1.2.3",
                "pullPolicy": "Always",
            },
            "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"memory": "512Mi"},
            },
            "serviceMonitor": {
                "enabled": True,
                "labels": {"release": "kube-prometheus-stack"},
                "interval": "15s",
            },
        },
        [
            "--namespace",
            "ops",
            "--image",
            "registry.example.com/platform/serin:1.2.3",
            "--replicas",
            "3",
        ],
    ),
}

# Values the chart must refuse: name -> (values, a phrase of the reason).
REFUSED = {
    "replicas-without-leader-election": (
        {"leaderElection": {"enabled": False}, "replicas": 2},
        "without leader election",
    ),
    "invalid-watch-namespace": ({"watchNamespace": "Team_A"}, "watchNamespace"),
    "unknown-value": ({"replica": 2}, "additional properties 'replica' not allowed"),
}


def serin(*args: str) -> str:
    binary = os.environ.get("SERIN_BIN")
    cmd = [binary] if binary else ["cargo", "run", "-q", "-p", "serin", "--"]
    out = subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"serin {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def render(release: str, namespace: str, values: dict) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name=release, namespace=namespace)
    docs = []
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def lint(values: dict) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{K8S_VERSION}")
    bad = [m for m in report["messages"] if m["severity"] >= 2]
    assert not bad and not report["errors"], f"helm lint: {bad or report['errors']}"


def kubernetes_validate(docs: list[dict]) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump_all(docs, f)
    try:
        out = subprocess.run(
            [str(VALIDATE), "--strict", "-k", K8S_VERSION, f.name],
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(f.name)
    assert out.returncode == 0, f"kubernetes-validate:\n{out.stdout}{out.stderr}"


def grants(docs: list[dict]) -> set[tuple[str, str, str, str, str]]:
    """(kind, namespace, group, resource, verb) of every rule, checking that
    each Role and ClusterRole is bound to the controller's ServiceAccount."""
    out = set()
    sa = next(
        (d["metadata"]["name"], d["metadata"]["namespace"])
        for d in docs
        if d["kind"] == "ServiceAccount"
    )
    for role in (d for d in docs if d["kind"] in ("Role", "ClusterRole")):
        meta = role["metadata"]
        namespace = meta.get("namespace", "")
        bound = any(
            b["kind"] == role["kind"] + "Binding"
            and b["metadata"].get("namespace", "") == namespace
            and b["roleRef"] == {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": role["kind"],
                "name": meta["name"],
            }
            and {"kind": "ServiceAccount", "name": sa[0], "namespace": sa[1]} in b["subjects"]
            for b in docs
        )
        assert bound, f"{role['kind']} {meta['name']} is not bound to the ServiceAccount {sa}"
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        out.add((role["kind"], namespace, group, resource, verb))
    return out


def summary(grants: set[tuple[str, str, str, str, str]]) -> str:
    """Grants as `Kind[/namespace] group/resource: verbs`, one per resource."""
    verbs: dict[str, list[str]] = {}
    for kind, namespace, group, resource, verb in sorted(grants):
        place = f"{kind}/{namespace}" if namespace else kind
        verbs.setdefault(f"{place} {group or 'core'}/{resource}", []).append(verb)
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in verbs.items()) or "nothing"


def one(docs: list[dict], kind: str) -> dict:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def check_like_install(chart: list[dict], flags: list[str], values: dict) -> None:
    install = list(yaml.safe_load_all(serin("install", *flags)))
    missing = grants(install) - grants(chart)
    extra = grants(chart) - grants(install)
    assert not missing and not extra, (
        f"RBAC differs from serin install: the chart lacks {summary(missing)}; "
        f"the chart adds {summary(extra)}"
    )

    ours, theirs = one(chart, "Deployment"), one(install, "Deployment")
    assert ours["metadata"]["namespace"] == theirs["metadata"]["namespace"]
    for key in ("replicas", "strategy"):
        assert ours["spec"][key] == theirs["spec"][key], f"spec.{key}: {ours['spec'][key]}"
    pod, their_pod = ours["spec"]["template"]["spec"], theirs["spec"]["template"]["spec"]
    for key in ("securityContext", "volumes"):
        assert pod[key] == their_pod[key], f"pod {key}: {pod[key]} != {their_pod[key]}"
    (c,), (tc,) = pod["containers"], their_pod["containers"]
    for key in (
        "name",
        "image",
        "args",
        "env",
        "ports",
        "livenessProbe",
        "readinessProbe",
        "securityContext",
        "volumeMounts",
    ):
        assert c[key] == tc[key], f"container {key}: {c[key]} != {tc[key]}"
    # Helm merges maps: a key left out keeps the chart's default.
    with helm.Chart.load(CHART) as loaded:
        want_resources = loaded.merge_values(values)["resources"]
    if "resources" not in values:
        assert want_resources == tc["resources"], "default resources differ from serin install's"
    assert c["resources"] == want_resources, f"resources: {c['resources']}"
    want_policy = values.get("image", {}).get("pullPolicy", "IfNotPresent")
    assert c["imagePullPolicy"] == want_policy

    service, their_service = one(chart, "Service"), one(install, "Service")
    assert service["spec"]["ports"] == their_service["spec"]["ports"]
    assert service["spec"]["selector"].items() <= pod_labels(ours).items()


def pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"]["labels"]


def check_service_monitor(docs: list[dict], namespace: str, values: dict) -> None:
    """The ServiceMonitor (a prometheus-operator CRD, so not known to
    kubernetes-validate) selects the metrics Service, in its namespace, by a
    port the Service has, and keeps the metrics' own namespace label."""
    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    wanted = values.get("serviceMonitor", {}).get("enabled", False)
    assert len(monitors) == (1 if wanted else 0), f"{len(monitors)} ServiceMonitors"
    if not wanted:
        return
    (sm,) = monitors
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(sm) == {"apiVersion", "kind", "metadata", "spec"}
    for key, value in values["serviceMonitor"].get("labels", {}).items():
        assert sm["metadata"]["labels"][key] == value
    service = one(docs, "Service")
    spec = sm["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [namespace]}
    assert service["metadata"]["namespace"] == namespace
    assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = spec["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["honorLabels"] is True
    assert endpoint["interval"] == values["serviceMonitor"].get("interval", "30s")


def check_case(name: str) -> None:
    release, namespace, values, flags = CASES[name]
    lint(values)
    docs = render(release, namespace, values)
    unknown = {d["kind"] for d in docs} - CORE_KINDS - {"ServiceMonitor"}
    assert not unknown, f"unexpected kinds {unknown}"
    kubernetes_validate([d for d in docs if d["kind"] in CORE_KINDS])
    check_like_install(docs, flags, values)
    check_service_monitor(docs, namespace, values)
    for doc in docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "serin", doc["metadata"]["name"]
        assert labels["app.kubernetes.io/instance"] == release


def check_refused(name: str) -> None:
    values, phrase = REFUSED[name]
    try:
        render("serin", "serin-system", values)
    except helm.HelmError as e:
        assert phrase in str(e), f"refused for another reason: {e}"
        return
    raise AssertionError(f"{values} rendered")


def check_app_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = serin("--version").split()[-1]
    assert chart["appVersion"] == version, f"appVersion {chart['appVersion']} != serin {version}"


def check_release_names() -> None:
    """Object names follow the release: `serin` gives serin install's names,
    another release gets its own prefix, so two releases never collide."""
    names = {d["metadata"]["name"] for d in render("serin", "a", {})}
    assert "serin-controller" in names and "serin-controller-metrics" in names, names
    names = {d["metadata"]["name"] for d in render("canary", "b", {})}
    assert "canary-serin-controller" in names, names


def check_crds() -> None:
    """Helm finds the CRDs in crds/ and they are `serin crd`'s (byte for
    byte: crates/cli/tests/helm_chart_crds.rs)."""
    with helm.Chart.load(CHART) as chart:
        crds = chart.crds
    ours = [d for c in crds for d in yaml.safe_load_all(c["data"]) if d]
    theirs = [d for d in yaml.safe_load_all(serin("crd")) if d]
    files = [c["name"] for c in crds]
    assert files == ["crds/serin-crds.yaml"], files
    assert ours == theirs, "crds/ differs from serin crd: regenerate it (docs/install.md, Helm)"
    assert len(ours) == 4


def check_dockerfile() -> None:
    """The image (never built here: no Docker) runs what the chart expects:
    `serin` as the entrypoint, `controller` as the default command, as the
    chart's user; the build context holds what the build copies."""
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM "))]
    runtime = lines[lines.index(final) :]
    assert final.startswith("FROM gcr.io/distroless/cc-debian12:nonroot"), final
    deployment = one(render("serin", "serin-system", {}), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    user = pod["securityContext"]["runAsUser"]
    assert f"USER {user}:{user}" in runtime, f"the image does not run as {user}"
    assert 'ENTRYPOINT ["/usr/local/bin/serin"]' in runtime
    assert 'CMD ["controller"]' in runtime
    assert pod["containers"][0]["args"][0] == "controller"
    assert "COPY --from=builder /out/serin /usr/local/bin/serin" in runtime
    assert sum(line.startswith("COPY") for line in runtime) == 1, "only the binary"
    ignore = (ROOT / ".dockerignore").read_text().split()
    for copied in ("Cargo.toml", "Cargo.lock", "crates/"):
        assert f"!{copied}" in ignore, f".dockerignore leaves out {copied}"


def main() -> int:
    checks = [(f"render {n}", lambda n=n: check_case(n)) for n in CASES]
    checks += [(f"refuse {n}", lambda n=n: check_refused(n)) for n in REFUSED]
    checks += [
        ("appVersion is serin's version", check_app_version),
        ("names follow the release", check_release_names),
        ("Helm installs the CRDs serin crd prints", check_crds),
        ("the Dockerfile runs serin controller as the chart's user", check_dockerfile),
    ]
    return checks_runner.run(checks)


if __name__ == "__main__":
    sys.exit(main())
