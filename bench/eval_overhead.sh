#!/usr/bin/env bash
# Harness overhead of `halo eval`: requests per second against the oracle
# server at zero latency, at concurrency 1 and 8, for IFEval (541 prompts;
# scoring is microseconds, so the time is the harness and the HTTP path).
#
# Reference, measured in the same run against the same oracle: curl sending
# the same 541 streaming requests at the same concurrency (one process,
# --parallel, connections reused) and discarding the answers. The
# ratio halo/bare says how much of the oracle's capacity halo's full path
# (streaming parse, thinking split, scoring, one SQLite transaction per
# sample, progress) leaves unused.
#
#   bench/eval_overhead.sh [BUILD_DIR]     (default build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
data=${HALO_DATASETS_DIR:-$root/../shared/datasets}
tmp=$(mktemp -d)
trap 'kill $opid 2>/dev/null || true; rm -rf "$tmp"' EXIT

echo '{"match": "", "content": "Hello, world. This is a plain answer."}' >"$tmp/answers.jsonl"
python3 "$root/tests/tools/oracle_server.py" --answers "$tmp/answers.jsonl" --port-file "$tmp/port" --slots 8 \
	>/dev/null 2>&1 &
opid=$!
for _ in $(seq 1 100); do [[ -s $tmp/port ]] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")

# the same requests for curl --parallel: one config entry per prompt
python3 - "$url" "$data/ifeval/input_data.jsonl" "$tmp" <<'PY'
import json, os, sys
url, path, tmp = sys.argv[1:4]
with open(f"{tmp}/curl.cfg", "w") as cfg:
    for i, l in enumerate(open(path)):
        body = json.dumps({"messages": [{"role": "user", "content": json.loads(l)["prompt"]}], "stream": True})
        open(f"{tmp}/req{i}.json", "w").write(body)
        cfg.write(f'url = "{url}/v1/chat/completions"\nheader = "Content-Type: application/json"\n'
                  f'data-binary = "@{tmp}/req{i}.json"\noutput = "/dev/null"\n')
PY

bare() { # concurrency -> seconds
	local t0 t1
	t0=$(date +%s.%N)
	if [[ $1 == 1 ]]; then
		curl -s -K "$tmp/curl.cfg" 2>/dev/null
	else
		curl -s --no-progress-meter --parallel --parallel-max "$1" -K "$tmp/curl.cfg" 2>/dev/null
	fi
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

halo_run() { # concurrency -> seconds
	local t0 t1
	t0=$(date +%s.%N)
	"$build/halo" eval ifeval --server "$url" --concurrency "$1" --data-dir "$data" --db "$tmp/halo.db" \
		--cache-dir "$tmp/cache" --json >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

printf "%-12s %12s %12s %12s %12s %8s\n" concurrency "halo s" "halo req/s" "bare s" "bare req/s" "ratio"
for c in 1 8; do
	h=$(halo_run "$c")
	b=$(bare "$c")
	printf "%-12s %12.2f %12.0f %12.2f %12.0f %8.2f\n" "$c" "$h" "$(echo "541 / $h" | bc -l)" "$b" \
		"$(echo "541 / $b" | bc -l)" "$(echo "(541 / $h) / (541 / $b)" | bc -l)"
done
