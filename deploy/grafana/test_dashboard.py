#!/usr/bin/env python3
"""Checks the Grafana dashboard (serin.json) and, with the same reading of
PromQL, the Prometheus rules and their unit tests (deploy/prometheus):

- the dashboard is valid JSON with unique panel ids, every query panel on
  the `$datasource` variable, and the panels a rollout needs (request rate,
  error rate and p99 by version, canary weight, phase);
- every PromQL expression (panel targets, template variables, alert rules,
  and the series the rule tests feed) names only metrics serin exports.

The exported names are read from the code that exports them, not from a
list kept here: the proxy's descriptors (crates/proxy/src/prom.rs) and the
controller's registrations (crates/kube/src/ops/metrics.rs), with the
suffixes Prometheus' text format adds (`_total` for a counter; `_bucket`,
`_sum`, `_count` for a histogram).

Run: `.venv/bin/python deploy/grafana/test_dashboard.py` (needs PyYAML).
Prints one line per check and `N passed, N failed`; exits 1 on failure.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.dont_write_bytecode = True  # no __pycache__ in deploy/
sys.path.insert(0, str(ROOT / "deploy"))
import checks as checks_runner  # noqa: E402 - deploy/checks.py, found through ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "serin.json"
RULES = ROOT / "deploy" / "prometheus" / "serin-rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "serin-rules.test.yaml"
PROXY_METRICS = ROOT / "crates" / "proxy" / "src" / "prom.rs"
CONTROLLER_METRICS = ROOT / "crates" / "kube" / "src" / "ops" / "metrics.rs"

SUFFIXES = {
    "Counter": ["_total"],
    "Gauge": [""],
    "Histogram": ["_bucket", "_sum", "_count"],
}
# Words of PromQL that are not metric names.
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "and", "or", "unless", "offset", "inf", "nan",
}  # fmt: skip


def exported_metrics() -> set[str]:
    """Every series name serin's proxy and controller expose."""
    families: dict[str, str] = {}
    proxy = PROXY_METRICS.read_text()
    for name, kind in re.findall(
        r'encode_descriptor\(\s*"(\w+)",\s*"[^"]*",\s*None,\s*MetricType::(\w+)', proxy
    ):
        families[name] = kind
    controller = CONTROLLER_METRICS.read_text()
    kinds = {}
    for var, generic, direct in re.findall(
        r"let (\w+) = (?:Family::<\w+, (\w+)>|(\w+)::)", controller
    ):
        kinds[var] = generic or direct
    for name, var in re.findall(
        r'registry\.register\(\s*"(\w+)",\s*"[^"]*",\s*(\w+)\.clone\(\)', controller
    ):
        families[name] = kinds[var]
    proxy_count = sum(n.startswith("serin_proxy_") for n in families)
    assert proxy_count >= 4, f"read only {proxy_count} proxy metrics from {PROXY_METRICS}"
    assert len(families) - proxy_count >= 5, f"read too few controller metrics: {families}"
    out = set()
    for name, kind in families.items():
        assert kind in SUFFIXES, f"{name}: unknown metric type {kind}"
        # prometheus-client adds `_total` to a counter's name.
        base = name.removesuffix("_total") if kind == "Counter" else name
        out.update(base + suffix for suffix in SUFFIXES[kind])
    return out


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (or a Grafana
    `label_values(selector, label)` query)."""
    m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", expr, re.S)
    if m:
        expr = m.group(1)
    assert "__name__" not in expr, f"selects by __name__: {expr}"
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    expr = re.sub(r"\{[^{}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\[[^\[\]]*\]", " ", expr)  # ranges and subqueries
    expr = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", expr
    )
    names = set()
    for m in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", expr):
        word = m.group(0)
        if word.lower() in KEYWORDS or re.match(r"\s*\(", expr[m.end() :]):
            continue  # a keyword or a function call
        names.add(word)
    return names


def dashboard_queries(dash: dict) -> list[tuple[str, str]]:
    """(where, expression) of every panel target and query variable."""
    out = []

    def walk(panels: list[dict]) -> None:
        for p in panels:
            for t in p.get("targets", []):
                out.append((f"panel {p['title']!r} target {t['refId']}", t["expr"]))
            walk(p.get("panels", []))

    walk(dash["panels"])
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]
            query = query["query"] if isinstance(query, dict) else query
            out.append((f"variable ${var['name']}", query))
    return out


def all_panels(dash: dict) -> list[dict]:
    out = []

    def walk(panels: list[dict]) -> None:
        for p in panels:
            out.append(p)
            walk(p.get("panels", []))

    walk(dash["panels"])
    return out


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def check_dashboard_shape() -> None:
    dash = load_dashboard()
    for key in ("uid", "title", "schemaVersion", "panels", "templating"):
        assert key in dash, f"missing {key}"
    panels = all_panels(dash)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"panel ids repeat: {ids}"
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert "datasource" in variables
    for p in panels:
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] == "${datasource}", f"{p['title']}: fixed datasource"
        assert p["targets"], f"{p['title']}: no query"
        assert {"x", "y", "w", "h"} <= p["gridPos"].keys(), p["title"]
        for t in p["targets"]:
            used = set(re.findall(r"\$(\w+)", t["expr"])) - {"__rate_interval"}
            assert used <= variables, f"{p['title']}: unknown variables {used - variables}"


def check_dashboard_panels() -> None:
    """The panels a person watching a release needs, each per version."""
    by_title = {p["title"]: p for p in all_panels(load_dashboard())}
    for title, metric in {
        "Request rate by version": "serin_proxy_requests_total",
        "Error rate by version": "serin_proxy_errors_total",
        "p99 latency by version": "serin_proxy_request_duration_seconds_bucket",
    }.items():
        expr = by_title[title]["targets"][0]["expr"]
        assert metric in expr, f"{title}: {expr}"
        assert re.search(r"by \([^)]*\bversion\b", expr), f"{title} is not per version"
    assert "histogram_quantile(0.99" in by_title["p99 latency by version"]["targets"][0]["expr"]
    weight = by_title["Canary weight"]["targets"][0]["expr"]
    assert "serin_rollout_canary_weight" in weight
    phase = by_title["Phase"]["targets"][0]
    assert "serin_rollout_phase" in phase["expr"] and "{{phase}}" in phase["legendFormat"]


def check_dashboard_metric_names() -> None:
    exported = exported_metrics()
    for where, expr in dashboard_queries(load_dashboard()):
        names = metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        assert names <= exported, f"{where}: not exported by serin: {names - exported}"


def check_rule_metric_names() -> None:
    exported = exported_metrics()
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert rules
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names and names <= exported, f"{rule['alert']}: {names - exported or 'none'}"


def check_rule_test_series_names() -> None:
    """The rule tests feed series with the names serin exports, so a rule
    that passes its tests would fire on real data."""
    exported = exported_metrics()
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    for test in tests:
        for series in test["input_series"]:
            name = series["series"].split("{", 1)[0]
            assert name in exported, f"{test['name']}: {name} is not exported by serin"


def check_name_reader() -> None:
    """metric_names reads what it should, and nothing else."""
    cases = {
        'sum by (rollout, version) (rate(a_total{arm="canary"}[5m])) / b': {"a_total", "b"},
        "histogram_quantile(0.99, sum by (le) (rate(x_bucket[$__rate_interval])))": {"x_bucket"},
        'y{phase="Aborted"} == 1 and on(rollout) z offset 5m': {"y", "z"},
        "label_values(serin_rollout_phase{namespace=~\"$namespace\"}, rollout)": {
            "serin_rollout_phase"
        },
        "sum(w) != 1e3": {"w"},
    }
    for expr, want in cases.items():
        assert metric_names(expr) == want, f"{expr}: {metric_names(expr)}"


def main() -> int:
    checks = [
        check_name_reader,
        check_dashboard_shape,
        check_dashboard_panels,
        check_dashboard_metric_names,
        check_rule_metric_names,
        check_rule_test_series_names,
    ]
    return checks_runner.run(
        [(c.__name__.removeprefix("check_").replace("_", " "), c) for c in checks]
    )


if __name__ == "__main__":
    sys.exit(main())
