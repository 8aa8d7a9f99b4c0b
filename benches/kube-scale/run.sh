#!/usr/bin/env bash
# The Kubernetes controller at scale: `serin controller` as its own process
# against the fake API server (`serin-kube-fake`, another process).
#
# steady:   ROLLOUTS canary Rollouts spread over NAMESPACES namespaces, as two
#           releases leave them (a Healthy status, two ReplicaSets each: the
#           stable one with 2 replicas, the old one at 0), loaded into the
#           fake; the controller starts over them. Measured: the time until
#           it has made a pass over every Rollout (its /metrics reports each
#           one, polled every 2 s) with every Rollout still reconciled; peak
#           RSS; RSS after IDLE seconds without work.
# releases: RELEASE_ROLLOUTS Rollouts loaded bare into a fake whose
#           ReplicaSet simulator makes pods ready at once; the controller
#           makes every write: the first release (one ReplicaSet each,
#           Healthy), then every image is changed and the second release
#           (canary setWeight 50, promotion, the old ReplicaSet to zero).
#           A Rollout is reconciled when its status has observedGeneration
#           equal to its generation, phase Healthy and stable = current
#           revision (polled from the fake every 2 s).
# idle:     steady with IDLE_ROLLOUTS Rollouts.
#
# Measured for the controller process only, from /proc/PID/status: peak RSS
# (VmHWM), RSS (VmRSS), CPU time (utime + stime).
#
# Usage: benches/kube-scale/run.sh
#   env: ROLLOUTS=10000 RELEASE_ROLLOUTS=2000 IDLE_ROLLOUTS=10 NAMESPACES=10
#        IDLE=60 TIMEOUT=3600 (per phase, seconds) CONCURRENCY=16
#        SKIP_BUILD=1 (use the release build as it is)
set -euo pipefail

ROLLOUTS=${ROLLOUTS:-10000}
RELEASE_ROLLOUTS=${RELEASE_ROLLOUTS:-2000}
NAMESPACES=${NAMESPACES:-10}
IDLE_ROLLOUTS=${IDLE_ROLLOUTS:-10}
IDLE=${IDLE:-60}
TIMEOUT=${TIMEOUT:-3600}
CONCURRENCY=${CONCURRENCY:-16}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
HERE=$ROOT/benches/kube-scale
WORK=$(mktemp -d /tmp/serin-kube-scale.XXXXXX)
PIDS=()

# Stops what it started (by pid), whatever way the script ends.
stop_all() {
  ((${#PIDS[@]} == 0)) || kill "${PIDS[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap stop_all EXIT
trap "exit 1" INT TERM

if [[ -z "${SKIP_BUILD:-}" ]]; then
  echo "building serin and serin-kube-fake (release)" >&2
  (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET_DIR cargo build -q --release -p serin -p serin-kube-fake)
fi
SERIN=$TARGET_DIR/release/serin
FAKE=$TARGET_DIR/release/serin-kube-fake
PY=(python3 "$HERE/fixture.py")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

# Starts the fake with the fixture `$2` of `$1` (rollouts or steady) Rollouts
# and the simulator flags `$3...`; sets FAKE_PID, URL, KUBECONFIG_FILE.
start_fake() {
  local kind=$1 n=$2 dir=$WORK/$1-$2
  shift 2
  mkdir -p "$dir"
  "${PY[@]}" "$kind" "$n" "$NAMESPACES" >"$dir/fixture.yaml"
  KUBECONFIG_FILE=$dir/kubeconfig
  DIR=$dir
  "$FAKE" "$@" --kubeconfig "$KUBECONFIG_FILE" "$dir/fixture.yaml" >"$dir/fake.out" 2>"$dir/fake.err" &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  for _ in $(seq 1 2400); do
    URL=$(grep -m1 '^http://127.0.0.1:' "$dir/fake.out" || true)
    [[ -n "$URL" ]] && return 0
    kill -0 "$FAKE_PID" 2>/dev/null || { cat "$dir/fake.err" >&2; exit 1; }
    sleep 0.25
  done
  echo "the fake never started" >&2
  exit 1
}

stop_fake() {
  kill "$FAKE_PID" 2>/dev/null || true
  wait "$FAKE_PID" 2>/dev/null || true
}

# Starts the controller; sets CTRL_PID, METRICS, CTRL_START.
start_controller() {
  local port
  port=$(free_port)
  METRICS=http://127.0.0.1:$port/metrics
  CTRL_START=$(now)
  "$SERIN" controller --kubeconfig "$KUBECONFIG_FILE" --metrics-addr "127.0.0.1:$port" \
    --concurrency "$CONCURRENCY" >>"$DIR/controller.log" 2>&1 &
  CTRL_PID=$!
  PIDS+=("$CTRL_PID")
}

stop_controller() {
  kill -TERM "$CTRL_PID" 2>/dev/null || true
  wait "$CTRL_PID" 2>/dev/null || true
}

# Waits until the controller's /metrics reports a phase for `$1` rollouts
# (a pass over each); prints the seconds since it started.
wait_passes() {
  local n=$1 seen deadline=$((SECONDS + TIMEOUT))
  while :; do
    seen=$(curl -sf "$METRICS" | grep -c '^serin_rollout_canary_weight{' || true)
    if ((seen >= n)); then since "$CTRL_START"; return; fi
    ((SECONDS < deadline)) || { echo "timed out: $seen/$n passes" >&2; exit 1; }
    sleep 2
  done
}

declare -A R
steady() {
  local n=$1
  echo "== steady: $n rollouts with two ReplicaSets each" >&2
  start_fake steady "$n"
  "${PY[@]}" uids "$URL"
  start_controller
  R[s$n.time]=$(wait_passes "$n")
  "${PY[@]}" wait "$URL" 1 60 >/dev/null
  read -r _ R[s$n.sets] R[s$n.two] < <("${PY[@]}" replicasets "$URL")
  R[s$n.hwm]=$(kib VmHWM "$CTRL_PID")
  R[s$n.cpu]=$(cpu_s "$CTRL_PID")
  echo "idle for ${IDLE}s" >&2
  sleep "$IDLE"
  R[s$n.idle]=$(kib VmRSS "$CTRL_PID")
  R[s$n.hwm]=$(kib VmHWM "$CTRL_PID")
  R[s$n.fake]=$(kib VmRSS "$FAKE_PID")
  stop_controller
  stop_fake
}

releases() {
  local n=$1 t
  echo "== releases: $n rollouts" >&2
  start_fake rollouts "$n" --replicasets 0
  start_controller
  echo "first release" >&2
  "${PY[@]}" wait "$URL" 1 "$TIMEOUT" >/dev/null
  R[r$n.first]=$(since "$CTRL_START")
  echo "second release" >&2
  t=$(now)
  "${PY[@]}" release "$URL" 2 >/dev/null
  R[r$n.patch]=$(since "$t")
  "${PY[@]}" wait "$URL" 2 "$TIMEOUT" >/dev/null
  R[r$n.second]=$(since "$t")
  read -r _ R[r$n.sets] R[r$n.two] < <("${PY[@]}" replicasets "$URL")
  R[r$n.hwm]=$(kib VmHWM "$CTRL_PID")
  R[r$n.cpu]=$(cpu_s "$CTRL_PID")
  R[r$n.fake_cpu]=$(cpu_s "$FAKE_PID")
  stop_controller
  stop_fake
}

((ROLLOUTS > 0)) && steady "$ROLLOUTS"
((RELEASE_ROLLOUTS > 0)) && releases "$RELEASE_ROLLOUTS"
((IDLE_ROLLOUTS > 0)) && steady "$IDLE_ROLLOUTS"

echo
echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr), $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "controller: serin controller --concurrency $CONCURRENCY (release build); $NAMESPACES namespaces; idle = ${IDLE}s without work"
echo
echo "| steady: rollouts | ReplicaSets (rollouts with two) | a pass over each (s) | controller CPU (s) | peak RSS (MiB) | idle RSS (MiB) | fake's RSS (MiB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in "$ROLLOUTS" "$IDLE_ROLLOUTS"; do
  [[ -n "${R[s$n.time]:-}" ]] || continue
  echo "| $n | ${R[s$n.sets]} (${R[s$n.two]}) | ${R[s$n.time]} | ${R[s$n.cpu]} | $(mib "${R[s$n.hwm]}") | $(mib "${R[s$n.idle]}") | $(mib "${R[s$n.fake]}") |"
done
if [[ -n "${R[r$RELEASE_ROLLOUTS.first]:-}" ]]; then
  n=$RELEASE_ROLLOUTS
  echo
  echo "| releases: rollouts | first release (s) | second release (s) | ReplicaSets (rollouts with two) | peak RSS (MiB) | controller / fake CPU (s) |"
  echo "|---:|---:|---:|---:|---:|---:|"
  echo "| $n | ${R[r$n.first]} | ${R[r$n.second]} (patching the images: ${R[r$n.patch]}) | ${R[r$n.sets]} (${R[r$n.two]}) | $(mib "${R[r$n.hwm]}") | ${R[r$n.cpu]} / ${R[r$n.fake_cpu]} |"
fi
echo
echo "goals: peak RSS at most 500 MiB at 10,000 rollouts; idle RSS at most 30 MiB at 10"
