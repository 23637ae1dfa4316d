#!/usr/bin/env bash
# halo plan: every quant of a catalog model with its maximum context, the
# recommendation tiers and their llama-server command lines, what binds when
# something does not fit, recorded machines, files, and usage errors.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
d=$(tmpdir)
fx="$HALO_SOURCE_DIR/tests/fixtures/hw"
GiB=$((1024 * 1024 * 1024))

# --- a 64 GB machine described on the command line -------------------------
"$HALO" plan qwen3.5-35b-a3b --mem 64G --json --models-dir "$d/models" >"$d/p64.json"
assert_eq "$(jq "$d/p64.json" 'd["machine"]["ram_bytes"]')" $((64 * GiB))
# the kernel's default GTT pool: half of RAM
assert_eq "$(jq "$d/p64.json" 'd["machine"]["gpu_memory_bytes"]')" $((32 * GiB))
assert_eq "$(jq "$d/p64.json" 'd["machine"]["unified_memory"]')" true
assert_eq "$(jq "$d/p64.json" 'len(d["quants"])')" 24 "every quant listed"
assert_eq "$(jq "$d/p64.json" 'all("max_context" in q for q in d["quants"])')" true
q() { jq "$1" "[q for q in d['quants'] if q['quant'] == '$2' and q['provider'] == 'unsloth'][0]['$3']"; }
# UD-Q4_K_XL: the whole native context, and its KV cache is exactly 5 GiB (10 attention layers)
assert_eq "$(q "$d/p64.json" UD-Q4_K_XL max_context)" 262144
assert_eq "$(q "$d/p64.json" UD-Q4_K_XL fits)" true
assert_eq "$(jq "$d/p64.json" "[q for q in d['quants'] if q['quant'] == 'UD-Q4_K_XL'][0]['memory']['kv_cache']")" $((5 * GiB))
# Q8_0 (36.9 GB) is over the 32 GiB pool; the advice names ttm.pages_limit
assert_eq "$(q "$d/p64.json" Q8_0 fits)" false
assert_eq "$(q "$d/p64.json" Q8_0 binding)" gpu-memory
assert_contains "$(q "$d/p64.json" Q8_0 advice)" "ttm.pages_limit="
# a big quant fits with less than the full context: the solve is tight at 256-token steps
ctx=$(q "$d/p64.json" Q6_K max_context)
[ "$ctx" -gt 0 ] && [ "$ctx" -lt 262144 ] || fail "Q6_K max context $ctx"
"$HALO" plan qwen3.5-35b-a3b:Q6_K --mem 64G --ctx "$ctx" --json >"$d/at.json"
assert_eq "$(jq "$d/at.json" 'd["quants"][0]["fits"]')" true
"$HALO" plan qwen3.5-35b-a3b:Q6_K --mem 64G --ctx $((ctx + 256)) --json >"$d/over.json"
assert_eq "$(jq "$d/over.json" 'd["quants"][0]["fits"]')" false
assert_eq "$(jq "$d/over.json" 'd["quants"][0]["binding"]')" gpu-memory
# tiers and their commands
for t in maximum_quality best_balance maximum_context speed_test; do
	assert_contains "$(jq "$d/p64.json" "d['recommendations']['$t']['command']")" "llama-server -m $d/models/Qwen3.5-35B-A3B-"
done
cmd=$(jq "$d/p64.json" "d['recommendations']['best_balance']['command']")
for flag in "-c 262144" "-ngl 999" "-fa on" "-ctk f16" "-ctv f16" "--load-mode none" "--jinja" \
	"--temp 1" "--top-p 0.95" "--top-k 20" "--presence-penalty 1.5"; do
	assert_contains "$cmd" " $flag"
done
assert_eq "$(jq "$d/p64.json" 'd["recommendations"]["speed_test"]["quant"]')" UD-IQ2_XXS

# a q8_0 cache doubles what fits; coding mode uses the coding preset
"$HALO" plan qwen3.5-35b-a3b:Q6_K --mem 64G --kv q8_0 --mode coding --json >"$d/q8.json"
[ "$(jq "$d/q8.json" 'd["quants"][0]["max_context"]')" -gt "$ctx" ] || fail "q8_0 KV did not raise the context"
assert_contains "$(jq "$d/q8.json" 'd["quants"][0]["command"]')" "-ctk q8_0 -ctv q8_0"
assert_contains "$(jq "$d/q8.json" 'd["quants"][0]["command"]')" "--temp 0.6"
# a raised pool (128 GB machine with the GTT pool set by ttm.pages_limit): Q8_0 fits
"$HALO" plan qwen3.5-35b-a3b:Q8_0 --mem 128G --gpu-mem 120G --json >"$d/p128.json"
assert_eq "$(jq "$d/p128.json" 'd["quants"][0]["max_context"]')" 262144

# --- recorded machines -----------------------------------------------------
plan_on() { "$HALO" plan qwen3.5-35b-a3b:UD-Q4_K_XL --json --sysfs-root "$fx/$1/sys" --proc-root "$fx/$1/proc"; }
plan_on strix-halo-64 >"$d/sh64.json"
assert_eq "$(jq "$d/sh64.json" 'd["machine"]["unified_memory"]')" true
assert_eq "$(jq "$d/sh64.json" 'd["machine"]["detected"]')" true
assert_eq "$(jq "$d/sh64.json" 'd["quants"][0]["max_context"]')" 262144
plan_on strix-halo-128 >"$d/sh128.json"
[ "$(jq "$d/sh128.json" 'd["machine"]["gpu_memory_bytes"]')" -gt $((100 * GiB)) ] || fail "128 GB machine's pool"
plan_on no-gpu >"$d/nogpu.json"
assert_eq "$(jq "$d/nogpu.json" 'd["machine"]["gpu_memory_bytes"]')" 0
assert_eq "$(jq "$d/nogpu.json" 'd["quants"][0]["fits"]')" false
assert_eq "$(jq "$d/nogpu.json" 'd["quants"][0]["binding"]')" ram
assert_contains "$(jq "$d/nogpu.json" 'd["quants"][0]["advice"]')" "RAM binds"
plan_on desktop-dgpu >"$d/dgpu.json"
assert_eq "$(jq "$d/dgpu.json" 'd["machine"]["unified_memory"]')" false "the discrete card is chosen over the iGPU"

# --- a GGUF file (its own header, exact weights) ---------------------------
"$MKFIXTURE" model "$d/coder.gguf" qwen3-coder-30b-a3b 18560000000
"$HALO" plan "$d/coder.gguf" --mem 64G --json >"$d/file.json"
assert_eq "$(jq "$d/file.json" 'd["catalog_model"]')" qwen3-coder-30b-a3b
assert_eq "$(jq "$d/file.json" 'd["plan"]["fits"]')" true
assert_contains "$(jq "$d/file.json" 'd["plan"]["command"]')" "llama-server -m $d/coder.gguf"
assert_contains "$(jq "$d/file.json" 'd["plan"]["command"]')" "--temp 0.7"
assert_exit 0 "$HALO" plan "$d/coder.gguf" --mem 64G
assert_contains "$LAST_OUT" "llama-server -m"

# --- text output and this machine ------------------------------------------
assert_exit 0 "$HALO" plan qwen3.5-35b-a3b --mem 64G
assert_contains "$LAST_OUT" "recommendations"
assert_contains "$LAST_OUT" "what does not fit"
assert_exit 0 "$HALO" plan
assert_contains "$LAST_OUT" "Qwen3.5-35B-A3B"

# --- usage errors ----------------------------------------------------------
assert_exit 2 "$HALO" plan qwen3.5-35b-a3b --kv q3_k
assert_contains "$LAST_ERR" "unknown cache type 'q3_k'"
assert_exit 2 "$HALO" plan qwen3.5-35b-a3b --fa maybe
assert_exit 2 "$HALO" plan qwen3.5-35b-a3b --fa off --kv q8_0
assert_contains "$LAST_ERR" "needs flash attention"
assert_exit 2 "$HALO" plan qwen3.5-35b-a3b --mem lots
assert_exit 3 "$HALO" plan no-such-model
assert_exit 3 "$HALO" plan qwen3.5-35b-a3b:Q9_Z --mem 64G
echo "PASS: $TEST_NAME"
