#!/usr/bin/env bash
# http_bench.sh: HTTP throughput and latency of evidence-server with wrk, at 1, 8 and 64
# connections (wrk threads = min(2, connections)), and the server's resident memory before and
# after each run. Mode `api` cycles through /api/search and /api/summary URLs for the query mix
# of bench/query_bench.cpp (after the first round the server answers them from its response
# cache); mode `api-nocache` sends the same requests with `Cache-Control: no-cache`, so every one
# is searched; mode `hello` only requests `/` (run it against bench/hello_server for the ceiling
# of cpp-httplib and wrk on this machine).
#
#   bench/http_bench.sh BASE_URL [api|api-nocache|hello] [SERVER_PID]
#   bench/http_bench.sh http://127.0.0.1:8080 api $(pgrep -n evidence-server)
#   bench/http_bench.sh http://127.0.0.1:8081 hello $(pgrep -n hello_server)
#
# Environment: HTTP_BENCH_DURATION seconds per run (default 10), HTTP_BENCH_CONNS (default
# "1 8 64"), HTTP_BENCH_TIMEOUT wrk's request timeout (default 10s), WRK (default wrk).
# Prints one line per run: requests/s, latency p50 and p99 (wrk --latency), socket errors,
# non-2xx responses (counted by the Lua script) and the server's VmRSS before -> after.
set -euo pipefail

usage() {
  echo "usage: $0 BASE_URL [api|api-nocache|hello] [SERVER_PID]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 3 ]] || usage
base=${1%/}
mode=${2:-api}
pid=${3:-}
duration=${HTTP_BENCH_DURATION:-10}
conns_list=${HTTP_BENCH_CONNS:-1 8 64}
timeout=${HTTP_BENCH_TIMEOUT:-10s}
wrk=${WRK:-wrk}

[[ $base =~ ^https?://[^/]+$ ]] || { echo "$0: BASE_URL must be scheme://host:port, got '$1'" >&2; exit 2; }
[[ $mode == api || $mode == api-nocache || $mode == hello ]] || { echo "$0: mode must be api, api-nocache or hello, got '$mode'" >&2; exit 2; }
[[ $duration =~ ^[0-9]+$ && $duration -gt 0 ]] || { echo "$0: HTTP_BENCH_DURATION must be a positive number of seconds" >&2; exit 2; }
command -v "$wrk" >/dev/null || { echo "$0: $wrk not found (Debian: apt-get install wrk)" >&2; exit 2; }
if [[ -n $pid && ! -r /proc/$pid/status ]]; then
  echo "$0: no process $pid to sample memory from" >&2
  exit 2
fi
if command -v curl >/dev/null; then
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/" || true)
  [[ $code != 000 ]] || { echo "$0: nothing answers at $base/" >&2; exit 2; }
fi

rss() {  # resident memory of the server in MB, or "-" without a PID
  if [[ -z $pid ]]; then echo "-"; return; fi
  awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo "gone"
}
hwm() {
  if [[ -z $pid ]]; then echo "-"; return; fi
  awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status" 2>/dev/null || echo "gone"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
script=$tmp/mix.lua

{
  echo "paths = {"
  if [[ $mode == hello ]]; then
    echo '  "/",'
  else
    # The mix of bench/query_bench.cpp, URL-encoded, for both endpoints.
    for q in 'pain%20relief%20in%20older%20adults' \
             '%22low%20back%20pain%22%20walking' \
             'electrotherapy%20chronic%20LBP%20efficacy' \
             'does%20acupuncture%20help%20my%20back' \
             'surgery%20vs%20physical%20therapy%20spinal%20stenosis' \
             'exercise%20chronic%20low%20back%20pain' \
             'intervention%3Atens%20design%3Arct%20year%3A2000..2024' \
             'condition%3Asciatica%20quality%3A6..'; do
      echo "  \"/api/search?q=$q\","
      echo "  \"/api/summary?q=$q\","
    done
  fi
  echo "}"
  if [[ $mode == api-nocache ]]; then echo 'headers = { ["Cache-Control"] = "no-cache" }'; else echo 'headers = {}'; fi
  cat <<'LUA'
-- Each wrk thread has its own Lua state: setup() keeps a handle on every thread so done() can
-- add up their counters. Threads start at different places in the mix.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  i = (id or 0) * 5
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("non2xx") or 0) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout, n))
end
LUA
} > "$script"

echo "http_bench: $base mode $mode, ${duration}s per run, $(nproc) cores$([[ -n $pid ]] && echo ", server PID $pid")"
printf '%-6s %-7s %11s %9s %9s %8s %8s %20s\n' conns threads "requests/s" "p50 ms" "p99 ms" errors non-2xx "RSS MB before->after"
status=0
for c in $conns_list; do
  t=$(( c < 2 ? c : 2 ))
  before=$(rss)
  if ! "$wrk" -t"$t" -c"$c" -d"${duration}s" --timeout "$timeout" --latency -s "$script" "$base" > "$tmp/wrk.out" 2>&1; then
    echo "$0: wrk failed at $c connections:" >&2
    cat "$tmp/wrk.out" >&2
    status=1
    continue
  fi
  after=$(rss)
  line=$(grep '^RESULT ' "$tmp/wrk.out" || true)
  if [[ -z $line ]]; then
    echo "$0: no result from wrk at $c connections:" >&2
    cat "$tmp/wrk.out" >&2
    status=1
    continue
  fi
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  mem="$before->$after"
  [[ -n $pid ]] || mem="(no PID)"
  printf '%-6s %-7s %11s %9s %9s %8s %8s %20s\n' "$c" "$t" "$(get rps)" "$(get p50_ms)" "$(get p99_ms)" "$(get errors)" "$(get non2xx)" "$mem"
  if [[ ${HTTP_BENCH_VERBOSE:-0} == 1 ]]; then sed 's/^/    /' "$tmp/wrk.out"; fi
done
if [[ -n $pid ]]; then echo "server peak RSS (VmHWM) $(hwm) MB"; fi
echo "reproduce: HTTP_BENCH_DURATION=$duration HTTP_BENCH_CONNS=\"$conns_list\" $0 $base $mode${pid:+ PID}"
exit $status
