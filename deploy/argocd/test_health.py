#!/usr/bin/env python3
"""Runs health.lua, serin's Argo CD health check for Rollouts, on every case
of health_test.yaml with a real Lua 5.1 interpreter (Argo CD's gopher-lua
speaks Lua 5.1), the way Argo CD does: the Rollout as the global `obj`, the
script's returned table read for `status` and `message`. The script runs in
an environment holding only Lua's base functions and the string, table and
math libraries, so a script that reached for io or os would fail here too.

Every sample Rollout (but unknown-phase.yaml, whose phase no serin writes)
must also pass `serin lint`, so the samples are Rollouts serin accepts,
status included. The serin binary is $SERIN_BIN, else
`cargo run -q -p serin --`; $LUA names the interpreter (default lua5.1).

Prints one line per case and `N passed, N failed`; exits 1 on any failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.dont_write_bytecode = True  # no __pycache__ in deploy/
sys.path.insert(0, str(ROOT / "deploy"))
import checks as checks_runner  # noqa: E402 - deploy/checks.py, found through ROOT

LUA = os.environ.get("LUA", "lua5.1")
NOT_LINTED = {"testdata/unknown-phase.yaml"}

# Loads health.lua as a chunk, gives it `obj` and a sandbox, prints
# status and message on two lines.
HARNESS = r"""
local chunk = assert(loadfile(SCRIPT))
local env = {
  obj = OBJ,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
  pcall = pcall, select = select, tonumber = tonumber, tostring = tostring,
  type = type, unpack = unpack,
  string = string, table = table, math = math,
}
setfenv(chunk, env)
local hs = chunk()
assert(type(hs) == "table", "the script must return a table")
io.write(tostring(hs.status), "\n", tostring(hs.message))
"""


def lua_literal(value: object) -> str:
    """A Lua expression for a value parsed from YAML (as Argo CD turns an
    object into Lua tables: maps and lists are tables, lists 1-based)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Anything but a plain printable character as \ddd escapes of its
        # UTF-8 bytes (three digits, so a digit after it is never absorbed).
        escaped = "".join(
            c
            if c.isprintable() and c not in '"\\'
            else "".join(f"\\{b:03d}" for b in c.encode())
            for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, dict):
        fields = (f"[{lua_literal(str(k))}] = {lua_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    if hasattr(value, "isoformat"):  # a YAML timestamp: Kubernetes sends a string
        return lua_literal(value.isoformat())
    raise TypeError(f"cannot turn {type(value).__name__} into Lua")


def run_health(obj: dict) -> tuple[str, str]:
    script = (HERE / "health.lua").as_posix()
    program = f"SCRIPT = {lua_literal(script)}\nOBJ = {lua_literal(obj)}\n{HARNESS}"
    out = subprocess.run([LUA, "-"], input=program, capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"{LUA} failed: {out.stderr}")
    status, _, message = out.stdout.partition("\n")
    return status, message


def serin_lint(path: Path) -> None:
    binary = os.environ.get("SERIN_BIN")
    cmd = [binary] if binary else ["cargo", "run", "-q", "-p", "serin", "--"]
    out = subprocess.run(
        cmd + ["lint", "--filename", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise AssertionError(f"serin lint refuses {path.name}: {out.stdout}{out.stderr}")


def check_case(case: dict) -> None:
    path = HERE / case["inputPath"]
    want = (case["healthStatus"]["status"], case["healthStatus"]["message"])
    if case["inputPath"] not in NOT_LINTED:
        serin_lint(path)
    got = run_health(yaml.safe_load(path.read_text()))
    assert got == want, f"got {got}, want {want}"


def main() -> int:
    cases = yaml.safe_load((HERE / "health_test.yaml").read_text())["tests"]
    return checks_runner.run(
        [
            (f"{c['inputPath']}: {c['healthStatus']['status']}", lambda c=c: check_case(c))
            for c in cases
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
