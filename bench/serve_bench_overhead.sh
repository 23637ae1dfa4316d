#!/usr/bin/env bash
# What halo adds on top of llama.cpp when it serves and benchmarks, each
# against the bare llama.cpp program measured in the same run on the same
# random-weight twin:
#
#   serve      seconds from start to the first 200 of /health: `halo serve`
#              (plan, backend lookup, spawn, poll) vs llama-server started
#              directly with the same command line and polled the same way;
#   bench      wall seconds of one matrix cell: `halo bench` (backend probe,
#              llama-bench, jsonl parse, one SQLite transaction, table) vs
#              the same llama-bench command alone;
#   endpoint   halo bench endpoint's decode t/s (from llama-server's
#              timings) and client TTFT vs the server's own prompt time.
#
# Each is the median of RUNS runs (default 5). Needs HALO_LLAMA_BIN (the
# pinned build's bin directory) and HALO_LLAMA_DIR (for the vocabulary).
#
#   bench/serve_bench_overhead.sh [BUILD_DIR]     (default build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
halo=$build/halo
runs=${RUNS:-5}
: "${HALO_LLAMA_BIN:?set HALO_LLAMA_BIN to the llama.cpp bin directory}"
: "${HALO_LLAMA_DIR:?set HALO_LLAMA_DIR to the llama.cpp tree (vocabularies)}"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/data XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config HALO_LLAMA_BIN

"$halo" synth --arch llama --vocab "$HALO_LLAMA_DIR/models/ggml-vocab-bert-bge.gguf" --layers 4 --hidden 256 \
	--heads 4 --kv-heads 2 --head-dim 64 --ff 512 --ctx 2048 --exact-vocab -q -o "$tmp/twin.gguf" >/dev/null

now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_health() { # PORT PID
	for _ in $(seq 1 3000); do
		curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# --- serve: time to healthy
serve_halo=() serve_bare=()
cmd=$("$halo" serve "$tmp/twin.gguf" --ctx 2048 --parallel 1 --port 1 --dry-run --json |
	python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["argv"]))')
mapfile -t argv <<<"$cmd"
for _ in $(seq 1 "$runs"); do
	port=$(free_port)
	t0=$(now)
	"$halo" serve "$tmp/twin.gguf" --ctx 2048 --parallel 1 --port "$port" --log "$tmp/halo.log" >/dev/null 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_health "$port" "$pid" || { echo "halo serve did not start" >&2; exit 1; }
	serve_halo+=("$(echo "$(now) - $t0" | bc -l)")
	kill -TERM "$pid"
	wait "$pid" || true

	port=$(free_port)
	bare=("${argv[@]}")
	for i in "${!bare[@]}"; do [[ ${bare[$i]} == --port ]] && bare[$((i + 1))]=$port; done
	t0=$(now)
	"${bare[@]}" >"$tmp/bare.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	wait_health "$port" "$pid" || { echo "llama-server did not start" >&2; exit 1; }
	serve_bare+=("$(echo "$(now) - $t0" | bc -l)")
	kill -TERM "$pid"
	wait "$pid" || true
done
sh=$(printf '%s\n' "${serve_halo[@]}" | median)
sb=$(printf '%s\n' "${serve_bare[@]}" | median)

# --- bench: one cell
bench_halo=() bench_bare=()
for _ in $(seq 1 "$runs"); do
	t0=$(now)
	"$halo" bench "$tmp/twin.gguf" -p 64 -n 16 -d 0 -r 2 --db "$tmp/b.db" >/dev/null 2>&1
	bench_halo+=("$(echo "$(now) - $t0" | bc -l)")
	t0=$(now)
	"$HALO_LLAMA_BIN/llama-bench" -m "$tmp/twin.gguf" -p 64 -n 16 -d 0 -r 2 -o jsonl >/dev/null 2>&1
	bench_bare+=("$(echo "$(now) - $t0" | bc -l)")
done
bh=$(printf '%s\n' "${bench_halo[@]}" | median)
bb=$(printf '%s\n' "${bench_bare[@]}" | median)

# --- endpoint: client TTFT against the server's own prompt time
port=$(free_port)
"$HALO_LLAMA_BIN/llama-server" -m "$tmp/twin.gguf" --host 127.0.0.1 --port "$port" -c 2048 -np 1 >"$tmp/srv.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_health "$port" "$pid"
"$halo" bench endpoint --server "http://127.0.0.1:$port" --prompt-tokens 256 -n 32 --concurrency 1 \
	--requests "$((runs * 2))" --json --db "$tmp/b.db" 2>/dev/null >"$tmp/ep.json"
read -r ttft prompt_ms tg < <(python3 -c '
import json, statistics, sys
lv = json.load(open(sys.argv[1]))["server"]["levels"][0]
s = [x for x in lv["samples"] if x["ok"]]
print(statistics.median(x["ttft_ms"] for x in s), statistics.median(x["prompt_ms"] for x in s),
      statistics.median(x["predicted_per_second"] for x in s))' "$tmp/ep.json")

printf '%-10s %-44s %10s %10s %8s\n' what measure halo bare ratio
printf '%-10s %-44s %9.3fs %9.3fs %8.2f\n' serve "start to healthy (median of $runs)" "$sh" "$sb" "$(echo "$sh / $sb" | bc -l)"
printf '%-10s %-44s %9.3fs %9.3fs %8.2f\n' bench "one cell, -p 64 -n 16 -r 2 (median of $runs)" "$bh" "$bb" "$(echo "$bh / $bb" | bc -l)"
printf '%-10s %-44s %8.1fms %8.1fms %8.2f\n' endpoint "client TTFT vs server prompt time, 256 tok" "$ttft" "$prompt_ms" \
	"$(echo "$ttft / $prompt_ms" | bc -l)"
printf '%-10s %-44s %10.1f\n' endpoint "decode t/s (server timings), 32 tokens" "$tg"
