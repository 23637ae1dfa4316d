#!/usr/bin/env bash
# Proof of the memory planner against the real llama.cpp: random-weight twins
# of Qwen3.5-35B-A3B (qwen35moe), Qwen3.5-27B (qwen35), Qwen3-Coder-30B-A3B
# (qwen3moe) and a sliding-window gemma3, each run by the pinned llama-server
# at 3 context sizes x 3 KV types x 1 and 4 sequences, and twice with flash
# attention off (80 runs, about 2 minutes on 2 cores); `halo plan --verify`
# compares every component with the server's log.
# Weights are Q8_0 and F16: on x86 CPUs llama.cpp repacks Q4_0/IQ4_NL/Q4_K
# matrices into an extra CPU_REPACK buffer, which halo does not model yet.
#   KV cache, recurrent state, output buffer: equal at llama.cpp's printed precision
#   weights: within 0.5 %; total: within 3 %
#   compute buffers: within COMPUTE_TOL % (see docs/plan.md for what is reached)
. "$(dirname "$0")/lib.sh"
[ -n "${HALO_LLAMA_BIN:-}" ] || fail "HALO_LLAMA_BIN is not set (make test builds llama.cpp: scripts/fixtures.sh llama-build)"
[ -n "$HALO_LLAMA_DIR" ] || fail "HALO_LLAMA_DIR is not set"
export HALO_LLAMA_BIN HALO_LLAMA_DIR
COMPUTE_TOL=${COMPUTE_TOL:-15}
d=$(tmpdir)

"$HALO" synth qwen3.5-35b-a3b -o "$d/qwen35moe.gguf" --layers 8 --experts 16 --experts-used 4 --hidden 512 --type q8_0 >/dev/null 2>&1
"$HALO" synth qwen3.5-27b -o "$d/qwen35.gguf" --layers 8 --hidden 512 --ff 1024 --heads 8 --kv-heads 2 --head-dim 128 --type q8_0 >/dev/null 2>&1
"$HALO" synth qwen3-coder-30b-a3b -o "$d/qwen3moe.gguf" --layers 6 --experts 16 --experts-used 4 --hidden 512 --expert-ff 256 --type q8_0 >/dev/null 2>&1
"$HALO" synth --arch gemma3 -o "$d/gemma3.gguf" --layers 12 --hidden 512 --heads 4 --kv-heads 2 --head-dim 128 --ff 1024 --type f16 >/dev/null 2>&1

runs=0
worst=0
report="$d/report.txt"
for m in qwen35moe qwen35 qwen3moe gemma3; do
	cfgs=()
	for ctx in 2048 8192 32768; do
		for kv in f16 q8_0 q4_0; do
			for np in 1 4; do
				cfgs+=("$ctx $kv $np on")
			done
		done
	done
	cfgs+=("8192 f16 1 off" "4096 f16 4 off") # without flash attention: the KQ matrix
	for cfg in "${cfgs[@]}"; do
		set -- $cfg
		out="$d/$m-$1-$2-$3-$4.json"
		# the exit status says whether every component is in its tolerance; the JSON says by how much
		"$HALO" plan --verify "$d/$m.gguf" --ctx "$1" --kv "$2" --parallel "$3" --fa "$4" --cpu-only \
			--load-mode mmap --checkpoints 0 --cache-ram 0 --json --verify-log "$out.log" >"$out" || true
		python3 - "$out" "$m $cfg" "$COMPUTE_TOL" >>"$report" <<'PY' || fail "$(tail -n 1 "$report")"
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["component"]: x for x in d["components"]}
line = "%-26s " % sys.argv[2] + "  ".join(
    "%s %.2f/%.2f (%+.2f%%)" % (k, c[k]["predicted_mib"], c[k]["measured_mib"], c[k]["diff_percent"]) for k in c)
print(line)
for k in ("kv_cache", "recurrent_state", "output"):
    if c[k]["predicted_mib"] != c[k]["measured_mib"]:
        sys.exit("%s: %s predicted %.2f MiB, llama.cpp %.2f MiB" % (sys.argv[2], k, c[k]["predicted_mib"], c[k]["measured_mib"]))
for k, tol in (("weights", 0.5), ("total", 3.0), ("compute", float(sys.argv[3]))):
    if abs(c[k]["diff_percent"]) > tol:
        sys.exit("%s: %s off by %.2f%% (> %.1f%%)" % (sys.argv[2], k, c[k]["diff_percent"], tol))
PY
		runs=$((runs + 1))
	done
done
cat "$report"
python3 - "$report" <<'PY'
import re, sys
worst = max(abs(float(m)) for m in re.findall(r"compute [0-9.]+/[0-9.]+ \(([-+0-9.]+)%\)", open(sys.argv[1]).read()))
print("compute buffers: worst difference %.1f%%" % worst)
PY
[ "$runs" -eq 80 ] || fail "only $runs runs"
echo "PASS: $TEST_NAME ($runs llama-server runs)"
