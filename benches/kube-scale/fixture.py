#!/usr/bin/env python3
"""The scale benchmark's fixture and probes, without dependencies.

  fixture.py rollouts N NAMESPACES        print N canary Rollouts as YAML
  fixture.py steady N NAMESPACES          the same, released twice: statuses and two ReplicaSets each
  fixture.py uids URL                     check the Rollouts' uids are the ones `steady` assumed
  fixture.py release URL IMAGE            change every Rollout's image (a new revision)
  fixture.py wait URL GENERATION TIMEOUT  until every Rollout is reconciled at GENERATION
  fixture.py replicasets URL              count the ReplicaSets per Rollout

URL is the fake API server's (http://127.0.0.1:PORT). The Rollouts are
spread round-robin over NAMESPACES namespaces (scale-0, scale-1, ...), named
r-00000, r-00001, ...; each asks for 2 replicas of a small but realistic pod
template (one container with ports, env, resources and probes) and a canary
of one step (setWeight 50) with no delay before the old version is scaled
down, so that a release ends with two ReplicaSets: the new one with both
replicas, the old one at zero.

`steady` writes what the controller leaves after two releases, so that a
controller can be started over 10,000 of them without making them first:
each Rollout with serin's finalizer and a Healthy status at its second
revision, and its two ReplicaSets (labels, revision annotation, controller
owner reference, status). Revisions are `serin_kube::hash::revision_of`
(FNV-1a of `serin:` and the template's JSON, keys sorted as k8s-openapi
writes them). Owner references need the Rollouts' uids before they exist:
the fake numbers uids in creation order (00000000-0000-4000-8000-<n in hex>),
the Rollouts come first in the file, and `uids` checks the guess.
"""

import http.client
import json
import sys
import time
import urllib.parse

ROLLOUTS = "/apis/serin.dev/v1alpha1/rollouts"
REPLICASETS = "/apis/apps/v1/replicasets"


def rollout(i, namespaces):
    name = f"r-{i:05d}"
    ns = f"scale-{i % namespaces}"
    return f"""---
apiVersion: serin.dev/v1alpha1
kind: Rollout
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, team: team-{i % 50}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}, team: team-{i % 50}}}
      annotations: {{prometheus.io/scrape: "true", prometheus.io/port: "9090"}}
    spec:
      containers:
        - name: app
          image: registry.example.com/shop/{name}:1
          ports:
            - {{name: http, containerPort: 8080}}
            - {{name: metrics, containerPort: 9090}}
          env:
            - {{name: SERVICE_NAME, value: {name}}}
            - {{name: LOG_LEVEL, value: info}}
            - {{name: UPSTREAM_URL, value: "http://backend.{ns}.svc.cluster.local:8080"}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          readinessProbe:
            httpGet: {{path: /ready, port: http}}
            periodSeconds: 5
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
  strategy:
    canary:
      scaleDownDelaySeconds: 0
      steps:
        - setWeight: 50
"""


ALPHABET = b"bcdfghjklmnpqrstvwxz2456789"


def revision_of(template):
    """serin_kube::hash::revision_of: FNV-1a 64 of `serin:` + JSON, 10 letters."""
    h = 0xCBF29CE484222325
    for b in b"serin:" + json.dumps(template, sort_keys=True, separators=(",", ":")).encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    out = ""
    for _ in range(10):
        out += chr(ALPHABET[h % len(ALPHABET)])
        h //= len(ALPHABET)
    return out


def template_of(i, namespaces, tag):
    """The pod template of rollout `i` at image tag `tag`, as the API returns it."""
    name, ns = f"r-{i:05d}", f"scale-{i % namespaces}"
    probe = lambda path, period: {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period}
    return {
        "metadata": {
            "annotations": {"prometheus.io/port": "9090", "prometheus.io/scrape": "true"},
            "labels": {"app": name, "team": f"team-{i % 50}"},
        },
        "spec": {"containers": [{
            "env": [
                {"name": "SERVICE_NAME", "value": name},
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "UPSTREAM_URL", "value": f"http://backend.{ns}.svc.cluster.local:8080"},
            ],
            "image": f"registry.example.com/shop/{name}:{tag}",
            "livenessProbe": probe("/healthz", 10),
            "name": "app",
            "ports": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "metrics"}],
            "readinessProbe": probe("/ready", 5),
            "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        }]},
    }


def uid_of(i):
    return f"00000000-0000-4000-8000-{i + 1:012x}"


def cmd_steady(n, namespaces):
    n, namespaces = int(n), int(namespaces)
    at = "2026-01-01T00:00:00Z"
    out = sys.stdout
    revs = []
    for i in range(n):
        name, ns = f"r-{i:05d}", f"scale-{i % namespaces}"
        old, new = (revision_of(template_of(i, namespaces, t)) for t in ("1", "2"))
        revs.append((old, new))
        cond = lambda t, s, reason: {"lastTransitionTime": at, "message": f"{new} serves all traffic",
                                      "reason": reason, "status": s, "type": t}
        status = {
            "attempt": 1, "availableReplicas": 2, "readyReplicas": 2, "replicas": 2, "updatedReplicas": 2,
            "conditions": [cond("Progressing", "True", "RolloutCompleted"),
                           cond("Available", "True", "AvailableReplicas"),
                           cond("Paused", "False", "NotPaused"),
                           cond("Healthy", "True", "Healthy"),
                           cond("Completed", "True", "ReleaseCompleted")],
            "currentRevision": new, "stableRevision": new, "currentStepIndex": 1, "lastCommandId": 0,
            "message": f"{new} serves all traffic", "observedGeneration": 1, "phase": "Healthy",
            "progressAt": at, "progressMarker": f"{new}/1/1/2/2/1//settled",
            "revisions": [{"number": 1, "revision": old}, {"number": 2, "revision": new}],
            "selector": f"app={name}", "stepDisplay": "1/1", "stepStartedAt": at,
            "traffic": {"canaryWeight": 0, "stable": new}, "trafficVerified": True,
        }
        doc = rollout(i, namespaces).replace(":1\n", ":2\n", 1)
        doc = doc.replace("  labels: {app", "  finalizers: [serin.dev/traffic]\n  labels: {app", 1)
        out.write(doc + "status: " + json.dumps(status) + "\n")
    for i in range(n):
        name, ns = f"r-{i:05d}", f"scale-{i % namespaces}"
        for number, (tag, rev) in enumerate(zip(("1", "2"), revs[i]), start=1):
            replicas = 2 if number == 2 else 0
            template = template_of(i, namespaces, tag)
            template["metadata"]["labels"].update({"serin.dev/pod-template-hash": rev, "serin.dev/rollout": name})
            labels = dict(template["metadata"]["labels"])
            rs = {
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{name}-{rev}", "namespace": ns, "labels": labels,
                    "annotations": {"serin.dev/revision": str(number)},
                    "ownerReferences": [{"apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "name": name,
                                         "uid": uid_of(i), "controller": True}],
                },
                "spec": {"replicas": replicas,
                         "selector": {"matchLabels": {"app": name, "serin.dev/pod-template-hash": rev}},
                         "template": template},
                "status": {"availableReplicas": replicas, "fullyLabeledReplicas": replicas,
                           "observedGeneration": 1, "readyReplicas": replicas, "replicas": replicas},
            }
            out.write("---\n" + json.dumps(rs) + "\n")


def cmd_uids(url):
    conn = connect(url)
    wrong = [r["metadata"]["name"] for r in get(conn, ROLLOUTS)["items"]
             if r["metadata"]["uid"] != uid_of(int(r["metadata"]["name"][2:]))]
    if wrong:
        raise SystemExit(f"{len(wrong)} Rollouts have other uids than assumed, e.g. {wrong[0]}")


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"GET {path}: {r.status} {body[:200]!r}")
    return json.loads(body)


def cmd_rollouts(n, namespaces):
    out = sys.stdout
    for i in range(int(n)):
        out.write(rollout(i, int(namespaces)))


def cmd_release(url, image_tag):
    conn = connect(url)
    items = get(conn, ROLLOUTS)["items"]
    for r in items:
        ns, name = r["metadata"]["namespace"], r["metadata"]["name"]
        patch = {"spec": {"template": {"spec": {"containers": [
            dict(r["spec"]["template"]["spec"]["containers"][0],
                 image=f"registry.example.com/shop/{name}:{image_tag}")]}}}}
        conn.request("PATCH", f"/apis/serin.dev/v1alpha1/namespaces/{ns}/rollouts/{name}",
                     body=json.dumps(patch),
                     headers={"Content-Type": "application/merge-patch+json"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise SystemExit(f"PATCH {ns}/{name}: {resp.status} {body[:200]!r}")
    print(len(items))


def reconciled(r, generation):
    s = r.get("status") or {}
    return (r["metadata"].get("generation") == generation
            and s.get("observedGeneration") == generation
            and s.get("phase") == "Healthy"
            and s.get("stableRevision") is not None
            and s.get("stableRevision") == s.get("currentRevision"))


def cmd_wait(url, generation, timeout):
    """Polls every 2 s; prints the seconds waited once all are reconciled."""
    generation, deadline = int(generation), time.monotonic() + float(timeout)
    start = time.monotonic()
    conn = connect(url)
    last = None
    while True:
        items = get(conn, ROLLOUTS)["items"]
        done = sum(1 for r in items if reconciled(r, generation))
        if items and done == len(items):
            print(f"{time.monotonic() - start:.1f}")
            return
        if done != last:
            print(f"  {done}/{len(items)} reconciled", file=sys.stderr)
            last = done
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {done}/{len(items)} reconciled")
        time.sleep(2)


def cmd_replicasets(url):
    """Prints: rollouts, ReplicaSets, rollouts with exactly two (one at zero)."""
    conn = connect(url)
    rollouts = get(conn, ROLLOUTS)["items"]
    sets = {}
    for rs in get(conn, REPLICASETS)["items"]:
        owner = rs["metadata"].get("labels", {}).get("serin.dev/rollout")
        key = (rs["metadata"]["namespace"], owner)
        sets.setdefault(key, []).append(rs["spec"].get("replicas", 1))
    total = sum(len(v) for v in sets.values())
    two = sum(1 for v in sets.values() if sorted(v) == [0, 2])
    print(len(rollouts), total, two)


def main(argv):
    commands = {
        "rollouts": cmd_rollouts,
        "steady": cmd_steady,
        "uids": cmd_uids,
        "release": cmd_release,
        "wait": cmd_wait,
        "replicasets": cmd_replicasets,
    }
    if len(argv) < 2 or argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
