#!/usr/bin/env bash
# Benchmarks serin's proxy against HAProxy and nginx (and the upstream hit
# directly, the limit) with the same two-upstream 90/10 split and keep-alive
# to the upstreams. Measures requests/s and p99 latency with wrk.
#
# Pinning on a 2-core machine: the system under test (a proxy, or the
# upstream in the "direct" run) gets CPU 0 alone with one worker thread;
# wrk (1 thread) and the two upstreams share CPU 1.
#
# Usage: benches/proxy/run.sh
#   env: DURATION=10 CONNS=64 ROUNDS=3 TARGETS="direct serin haproxy nginx"
#        SKIP_BUILD=1 (use an existing release build) QUIET_WAIT=180
#        NICE=-20 (priority of everything measured when root; 0 to leave it)
set -euo pipefail

DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d /tmp/serin-bench.XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 1" INT TERM

need=()
for tool in haproxy nginx wrk taskset; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
if ((${#need[@]})); then
  echo "installing haproxy nginx wrk from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy nginx wrk util-linux >/dev/null
fi

if [[ -z "${SKIP_BUILD:-}" ]]; then
echo "building serin (release)" >&2
(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET_DIR cargo build -q --release -p serin-proxy --examples)
fi
SERVE=$TARGET_DIR/release/examples/serve
UPSTREAM=$TARGET_DIR/release/examples/upstream

SUT_CPU=0
LOAD_CPU=1
# As root, run everything measured at nice -20 so that other jobs on a
# shared machine (builds, tests) cannot land in one target's figures only.
NICE=${NICE:--20}
if [[ $EUID -eq 0 && "$NICE" != 0 ]]; then RT=(nice -n "$NICE"); else RT=(); fi
pin() { local cpu=$1; shift; taskset -c "$cpu" "${RT[@]}" "$@"; }
# Starts a pinned server in the background; its pid is the server's own.
spawn() { local cpu=$1; shift; (exec taskset -c "$cpu" "${RT[@]}" "$@") & PIDS+=($!); LAST=$!; }

for port in 19001 19002 19003 18080 18082 18083; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; stop whatever listens there first" >&2
    exit 1
  fi
done
STABLE=127.0.0.1:19001
CANARY=127.0.0.1:19002
DIRECT=127.0.0.1:19003
SERIN_PORT=18080
HAPROXY_PORT=18082
NGINX_PORT=18083

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $1 never opened" >&2
  return 1
}

declare -A SUT_PID
spawn $LOAD_CPU "$UPSTREAM" $STABLE $CANARY --workers 1
spawn $SUT_CPU "$UPSTREAM" $DIRECT --workers 1; SUT_PID[direct]=$LAST

cat >"$WORK/serin.yaml" <<YAML
admin: {enabled: false}
listeners:
  - name: bench
    listen: 127.0.0.1:$SERIN_PORT
    routing:
      arms:
        stable: {version: v1, endpoints: [$STABLE]}
        canary: {version: v2, endpoints: [$CANARY]}
      weights: {stable: 90, canary: 10}
YAML
spawn $SUT_CPU "$SERVE" "$WORK/serin.yaml" --workers 1; SUT_PID[serin]=$LAST

cat >"$WORK/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend be
backend be
  balance roundrobin
  server stable $STABLE weight 90
  server canary $CANARY weight 10
CFG
spawn $SUT_CPU haproxy -db -f "$WORK/haproxy.cfg"; SUT_PID[haproxy]=$LAST

mkdir -p "$WORK/nginx"
cat >"$WORK/nginx.conf" <<CFG
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream be {
    server $STABLE weight=9;
    server $CANARY weight=1;
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CFG
spawn $SUT_CPU nginx -c "$WORK/nginx.conf" -p "$WORK/nginx"; SUT_PID[nginx]=$LAST

for port in 19001 19002 19003 $SERIN_PORT $HAPROXY_PORT $NGINX_PORT; do wait_port $port; done

# Waits (up to QUIET_WAIT seconds) until the machine is nearly idle, so that
# another job's build does not land in one target's measurement only.
idle_share() {
  local a b
  a=($(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat))
  sleep 0.5
  b=($(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat))
  awk -v i=$((b[0] - a[0])) -v t=$((b[1] - a[1])) 'BEGIN {printf "%d", t ? 100 * i / t : 100}'
}
wait_quiet() {
  ((${#RT[@]} == 0)) || return 0
  local waited=0
  while (( $(idle_share) < 90 )); do
    if (( waited >= ${QUIET_WAIT:-180} )); then
      echo "warning: machine still busy, measuring anyway" >&2
      return
    fi
    waited=$((waited + 1))
  done
}

# CPU ticks (user + system) used so far by a process and its children.
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# Prints "rps p99_ms cpu_us_per_request" for one wrk run against $1 (a name).
measure() {
  local out t0 t1
  wait_quiet
  t0=$(cpu_ticks "${SUT_PID[$1]}")
  out=$(pin $LOAD_CPU wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:${PORT[$1]}/")
  t1=$(cpu_ticks "${SUT_PID[$1]}")
  local rps p99 n cpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "warning: errors on port $1: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
  fi
  echo "$rps $p99 $cpu"
}

declare -A RPS P99 CPU
read -r -a names <<<"${TARGETS:-direct serin haproxy nginx}"
declare -A PORT=([direct]=19003 [serin]=$SERIN_PORT [haproxy]=$HAPROXY_PORT [nginx]=$NGINX_PORT)
for name in "${names[@]}"; do
  pin $LOAD_CPU wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:${PORT[$name]}/" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for name in "${names[@]}"; do
    read -r rps p99 cpu < <(measure "$name")
    echo "round $round $name: $rps req/s, p99 $p99 ms, $cpu CPU µs/request" >&2
    RPS[$name]="${RPS[$name]:-} $rps"
    P99[$name]="${P99[$name]:-} $p99"
    CPU[$name]="${CPU[$name]:-} $cpu"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo
echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"
echo "versions: $(haproxy -v | head -1 | awk '{print "HAProxy", $3}'), $(nginx -v 2>&1 | sed 's/.*\///;s/^/nginx /'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk", $2}')"
echo "load: wrk -t1 -c$CONNS -d${DURATION}s --latency, median of $ROUNDS rounds; system under test pinned to CPU $SUT_CPU, wrk + upstreams to CPU $LOAD_CPU; scheduling: ${RT[*]:-normal}"
echo
echo "| target | requests/s | p99 latency (ms) | CPU µs per request (system under test) |"
echo "|---|---:|---:|---:|"
declare -A RM PM CM
for name in "${names[@]}"; do
  RM[$name]=$(median <<<"${RPS[$name]}")
  PM[$name]=$(median <<<"${P99[$name]}")
  CM[$name]=$(median <<<"${CPU[$name]}")
  echo "| $name | ${RM[$name]} | ${PM[$name]} | ${CM[$name]} |"
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "| ratio | requests/s | p99 | CPU per request |"
echo "|---|---:|---:|---:|"
for other in haproxy nginx direct; do
  [[ -n "${RM[$other]:-}" && -n "${RM[serin]:-}" ]] || continue
  echo "| serin / $other | $(ratio "${RM[serin]}" "${RM[$other]}") | $(ratio "${PM[serin]}" "${PM[$other]}") | $(ratio "${CM[serin]}" "${CM[$other]}") |"
done

# The same ratios paired by round: each round measures serin and the peer a
# few seconds apart, so a ratio per round cancels the machine's drift, which
# on a shared virtual machine is larger than the difference measured; the
# median of those per-round ratios is the steadier comparison.
paired() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= n; i++) r[i] = x[i] / y[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
    printf "%.2f", r[int((n + 1) / 2)]
  }'
}
echo
echo "| paired by round (median of per-round ratios) | requests/s | p99 | CPU per request |"
echo "|---|---:|---:|---:|"
for other in haproxy nginx direct; do
  [[ -n "${RPS[$other]:-}" && -n "${RPS[serin]:-}" ]] || continue
  echo "| serin / $other | $(paired "${RPS[serin]}" "${RPS[$other]}") | $(paired "${P99[serin]}" "${P99[$other]}") | $(paired "${CPU[serin]}" "${CPU[$other]}") |"
done
