#!/usr/bin/env bash
# halo eval quick against a real llama-server (the pinned llama.cpp build)
# serving a random-weight Qwen3.5 twin: every sample is asked, answered and
# scored, with no infrastructure error. The answers are noise, so only the
# machinery is judged, not the scores.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build builds llama-server)"
	exit 0
fi
d=$(tmpdir)
"$HALO" synth --arch qwen35 --layers 4 --hidden 128 --heads 4 --kv-heads 2 --head-dim 64 --ff 256 \
	--linear-key-heads 2 --linear-value-heads 4 --linear-head-dim 64 --ctx 4096 --exact-vocab -q \
	-o "$d/twin.gguf" >/dev/null

llama_server_start "$d/server.log" -m "$d/twin.gguf" -c 4096 -np 2 -t 2 --jinja
port=$LLAMA_PORT

eval_run quick --server "http://127.0.0.1:$port" --limit 5 --max-tokens 48 --catalog-model qwen3.5-0.8b --json
echo "$LAST_OUT" >"$d/r.json"
assert_eq "$(jq "$d/r.json" 'd["totals"]["samples"]')" 10 "5 HumanEval+ and 5 IFEval samples"
assert_eq "$(jq "$d/r.json" 'd["outcomes"]["infra_error"]')" 0 "no infrastructure error"
assert_eq "$(jq "$d/r.json" 'd["outcomes"]["timeout"]')" 0
assert_eq "$(jq "$d/r.json" 'd["run"]["status"]')" done
# the server's slots set the concurrency, and its model is the fingerprint
assert_contains "$(jq "$d/r.json" 'd["run"]["fingerprint"]')" "twin.gguf"
assert_eq "$(jq "$d/r.json" 'd["benchmarks"]["ifeval"]["samples"]')" 5
# tokens were generated and counted; the preset of the named catalog model was used
assert_eq "$(jq "$d/r.json" 'd["totals"]["completion_tokens"] > 0')" true
assert_eq "$(jq "$d/r.json" 'd["run"]["config"]["effective"]["humaneval"]["preset"]')" thinking-coding
assert_eq "$(jq "$d/r.json" 'd["run"]["config"]["effective"]["ifeval"]["sampling"]["max_tokens"]')" 48
"$HALO" eval show "$(jq "$d/r.json" 'd["run"]["id"]')" --per-sample --json --db "$DB" >"$d/s.json"
# (a sample whose random output the server's chat parser rejected has none: parse_error)
assert_eq "$(jq "$d/s.json" 'all(s["response"]["timings"]["predicted_n"] > 0 for s in d["samples"] if s["outcome"] != "parse_error")')" true \
	"llama-server timings are recorded"
assert_eq "$(jq "$d/s.json" 'all(s["completion_tokens"] > 0 and s["ttft_s"] > 0 for s in d["samples"] if s["outcome"] != "parse_error")')" true
# tools through llama-server --jinja: BFCL in native mode (OpenAI `tools`) and
# in prompt mode; random output may not follow the template's tool-call syntax
# (llama-server then rejects it: parse_error), but nothing fails in the harness
for mode in native prompt; do
	eval_run tooluse --server "http://127.0.0.1:$port" --bfcl-mode $mode --bfcl-categories simple_python,irrelevance \
		--limit 3 --max-tokens 32 --json
	echo "$LAST_OUT" >"$d/bfcl-$mode.json"
	assert_eq "$(jq "$d/bfcl-$mode.json" 'd["totals"]["samples"]')" 6 "$mode: 3 questions of each category"
	assert_eq "$(jq "$d/bfcl-$mode.json" 'd["outcomes"]["infra_error"] + d["outcomes"]["timeout"]')" 0 "$mode: no harness failure"
done
"$HALO" eval show "$(jq "$d/bfcl-native.json" 'd["run"]["id"]')" --per-sample --json --db "$DB" >"$d/bn.json"
assert_eq "$(jq "$d/bn.json" 'all(len(s["request"]["tools"]) >= 1 for s in d["samples"])')" true "native mode sends tools"
echo "ok"
