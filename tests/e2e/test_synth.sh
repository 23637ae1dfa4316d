#!/usr/bin/env bash
# halo synth: small twins of every supported architecture, read back with
# halo inspect, then loaded and run by the real llama.cpp when
# $HALO_LLAMA_BIN (the directory with llama-bench, llama-completion and
# llama-server, from scripts/fixtures.sh llama-build) is set: llama-bench
# must report prompt and generation speed, llama-completion and
# llama-server must generate tokens, at 512 and 2048 tokens of context and
# with a q8_0 KV cache under flash attention. One thread each: ctest runs
# tests side by side, and spinning OpenMP threads on shared cores crawl.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
[ -n "$HALO_LLAMA_DIR" ] || fail "HALO_LLAMA_DIR is not set (scripts/fixtures.sh prepares it)"
d=$(tmpdir)

# --- help and usage -----------------------------------------------------------
assert_exit 0 "$HALO" synth --help
assert_contains "$LAST_OUT" "usage: halo synth"
assert_contains "$LAST_OUT" "--linear-value-heads"
assert_exit 0 "$HALO" --help
assert_contains "$LAST_OUT" "synth"
assert_exit 2 "$HALO" synth -o "$d/x.gguf"
assert_contains "$LAST_ERR" "give a catalog model or --arch, not neither"
assert_exit 2 "$HALO" synth qwen3.5-9b --arch qwen35 -o "$d/x.gguf"
assert_contains "$LAST_ERR" "not both"
assert_exit 2 "$HALO" synth --arch qwen35
assert_contains "$LAST_ERR" "no output file"
assert_exit 2 "$HALO" synth --arch qwen35 --type q4_k -o "$d/x.gguf"
assert_contains "$LAST_ERR" "unknown weight type 'q4_k'"
assert_exit 2 "$HALO" synth --arch qwen35 --layers 0 -o "$d/x.gguf"
assert_contains "$LAST_ERR" "'--layers' expects a positive integer"
assert_exit 2 "$HALO" synth --arch qwen35 --seed -1 -o "$d/x.gguf"
assert_exit 2 "$HALO" synth --arch qwen35 --embeddings shared -o "$d/x.gguf"
assert_exit 2 "$HALO" synth --arch qwen35 --layers 2 -o "$d/x.gguf"
assert_contains "$LAST_ERR" "2 layers hold no attention layer ('qwen35' has one every 4): use at least 4"
assert_exit 2 "$HALO" synth --arch llama --experts 4 -o "$d/x.gguf"
assert_contains "$LAST_ERR" "'llama' has no experts to scale"
assert_exit 3 "$HALO" synth no-such-model -o "$d/x.gguf"
assert_contains "$LAST_ERR" "no model 'no-such-model' in the catalog"
assert_exit 6 "$HALO" synth --arch mamba -o "$d/x.gguf"
assert_contains "$LAST_ERR" "architecture 'mamba' cannot be synthesized"
assert_exit 3 "$HALO" synth --arch llama --vocab "$d/none.gguf" -o "$d/x.gguf"
assert_contains "$LAST_ERR" "none.gguf"
HALO_LLAMA_DIR='' assert_exit 2 "$HALO" synth --arch llama -o "$d/x.gguf"
assert_contains "$LAST_ERR" "no vocabulary: give --vocab"
[ ! -e "$d/x.gguf" ] || fail "a failed synth left $d/x.gguf"

# --- full-size twins, described: the real files' sizes -------------------------
# Qwen3.5-35B-A3B's BF16 GGUF is 69.4 GB and its Q8_0 36.9 GB on Hugging Face;
# with the tokenizer padded to the real 248320 rows the twin is the same size.
"$HALO" synth qwen3.5-35b-a3b --dry-run --type bf16 --json >"$d/full.json"
assert_eq "$(jq "$d/full.json" 'round(d["bytes"] / 1e8)')" 694
assert_eq "$(jq "$d/full.json" 'd["parameters"]')" 34660610688
assert_eq "$(jq "$d/full.json" 'd["vocab_size"]')" 248320
assert_eq "$(jq "$d/full.json" 'd["written"]')" false
"$HALO" synth qwen3.5-35b-a3b --dry-run --type q8_0 --json >"$d/full.json"
assert_eq "$(jq "$d/full.json" 'round(d["bytes"] / 1e8)')" 369
"$HALO" synth qwen3.5-4b --dry-run --type q8_0 --json >"$d/full.json"
assert_eq "$(jq "$d/full.json" 'd["tied_embeddings"]')" true
assert_eq "$(jq "$d/full.json" 'round(d["bytes"] / 1e7)')" 448
assert_exit 0 "$HALO" synth --arch qwen35moe --dry-run
assert_contains "$LAST_OUT" "RRRARRRARRRARRRARRRARRRARRRARRRARRRARRRA"

# --- small twins of every architecture ----------------------------------------
# name|arguments; head sizes of 64 and 128-wide layers keep each file a few MB
# (the embedding is most of it: the 32000-token SPM vocabulary, as is for most,
# padded to the model's 151936 for qwen3moe; the Qwen3.5 one for qwen35).
small="--hidden 128 --heads 4 --kv-heads 2 --head-dim 64 --ctx 4096 -q"
spm="--vocab $HALO_LLAMA_DIR/models/ggml-vocab-llama-spm.gguf"
twins=(
	"qwen35moe|qwen3.5-35b-a3b $small $spm --exact-vocab --layers 8 --experts 8 --experts-used 2 --expert-ff 64 --linear-key-heads 2 --linear-value-heads 4 --linear-head-dim 64"
	"qwen35|--arch qwen35 $small --layers 4 --ff 256 --linear-key-heads 2 --linear-value-heads 4 --linear-head-dim 64 --type q8_0 --exact-vocab"
	"qwen3moe|qwen3-coder-30b-a3b $small $spm --layers 2 --experts 8 --experts-used 2 --expert-ff 64 --type q4_0"
	"gemma3|--arch gemma3 $small $spm --exact-vocab --layers 7 --ff 256 --type bf16"
	"llama|--arch llama $small $spm --exact-vocab --layers 2 --ff 256 --seed 99"
)
declare -A maps=([qwen35moe]=RRRARRRA [qwen35]=RRRA [qwen3moe]=AA [gemma3]=SSSSSAS [llama]=AA)
for entry in "${twins[@]}"; do
	arch=${entry%%|*} args=${entry#*|}
	# shellcheck disable=SC2086 # word splitting of the argument list is meant
	"$HALO" synth $args -o "$d/$arch.gguf" --json >"$d/$arch.synth.json"
	assert_eq "$(jq "$d/$arch.synth.json" 'd["bytes"]')" "$(stat -c %s "$d/$arch.gguf")" "$arch: size"
	assert_eq "$(jq "$d/$arch.synth.json" 'd["architecture"]')" "$arch"
	assert_eq "$(jq "$d/$arch.synth.json" 'd["layers"]["map"]')" "${maps[$arch]}" "$arch: layer map"
	"$HALO" inspect --json "$d/$arch.gguf" >"$d/$arch.json"
	assert_eq "$(jq "$d/$arch.json" 'd["architecture"]')" "$arch"
	assert_eq "$(jq "$d/$arch.json" 'd["layers"]["map"]')" "${maps[$arch]}" "$arch: inspect layer map"
	assert_eq "$(jq "$d/$arch.json" 'd["data_complete"]')" true
	assert_eq "$(jq "$d/$arch.json" 'd["tensors"]')" "$(jq "$d/$arch.synth.json" 'd["tensors"]')"
	assert_eq "$(jq "$d/$arch.json" 'd["parameters"]')" "$(jq "$d/$arch.synth.json" 'd["parameters"]')"
	assert_eq "$(jq "$d/$arch.json" '[d["attention"][k] for k in ("head_count","head_count_kv","head_dim_k")]')" "[4, 2, 64]"
done
assert_eq "$(jq "$d/qwen35moe.json" 'd["name"]')" "Qwen3.5-35B-A3B synth twin"
assert_eq "$(jq "$d/qwen35moe.json" '[d["experts"][k] for k in ("count","used","feed_forward_length")]')" "[8, 2, 64]"
assert_eq "$(jq "$d/qwen35moe.json" 'd["vocab_size"]')" 32000
assert_eq "$(jq "$d/qwen35.json" 'd["vocab_size"]')" 151936 # --exact-vocab: the qwen35 file's count
assert_eq "$(jq "$d/qwen35.json" 'd["type_mix"][0]["type"]')" Q8_0
assert_eq "$(jq "$d/qwen3moe.json" 'd["type_mix"][0]["type"]')" Q4_0
assert_eq "$(jq "$d/qwen3moe.json" 'd["vocab_size"]')" 151936 # the SPM tokenizer padded to the model's
assert_eq "$(jq "$d/gemma3.json" 'd["layers"]["sliding_window_tokens"]')" 1024
assert_eq "$(jq "$d/gemma3.synth.json" 'd["tied_embeddings"]')" true
assert_eq "$(jq "$d/llama.synth.json" 'd["seed"]')" 99

# same seed, same bytes; another seed, another file
# shellcheck disable=SC2086
"$HALO" synth --arch llama $small $spm --exact-vocab --layers 2 --ff 256 --seed 99 -o "$d/again.gguf" >/dev/null
cmp -s "$d/llama.gguf" "$d/again.gguf" || fail "same seed, different bytes"
# shellcheck disable=SC2086
"$HALO" synth --arch llama $small $spm --exact-vocab --layers 2 --ff 256 --seed 100 -o "$d/again.gguf" >/dev/null
! cmp -s "$d/llama.gguf" "$d/again.gguf" || fail "another seed, same bytes"

# a big twin (256 MiB of tensors or more) reports progress on stderr, one
# plain line per 10% off a terminal
assert_exit 0 "$HALO" synth --arch llama --layers 1 --hidden 528 --heads 4 --kv-heads 4 --head-dim 128 --ff 256 \
	--exact-vocab -o "$d/big.gguf"
assert_contains "$LAST_ERR" "halo synth: "
assert_contains "$LAST_ERR" "(100%)"
[ "$(grep -c '%)$' "$TEST_TMP/last.err")" -ge 10 ] || fail "expected 10 progress lines: $LAST_ERR"
rm -f "$d/big.gguf"

# --- llama.cpp loads and runs them ---------------------------------------------
if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set: twins not run by llama.cpp (scripts/fixtures.sh llama-build builds it)"
	echo "PASS: $TEST_NAME"
	exit 0
fi
for t in llama-bench llama-completion llama-server; do
	[ -x "$HALO_LLAMA_BIN/$t" ] || fail "$HALO_LLAMA_BIN/$t is missing"
done

# llama-bench -o json: one object per test; both must report a speed.
bench() { # arch extra-args...
	local arch=$1 out=$d/$1.bench.json
	shift
	"$HALO_LLAMA_BIN/llama-bench" -m "$d/$arch.gguf" -p 16 -n 8 -r 1 -t 1 -o json "$@" >"$out" 2>"$d/$arch.bench.err" ||
		fail "$arch: llama-bench $*: $(tail -n 20 "$d/$arch.bench.err")"
	assert_eq "$(jq "$out" '[(t["n_prompt"], t["n_gen"]) for t in d]')" "[[16, 0], [0, 8]]" "$arch: bench tests"
	assert_eq "$(jq "$out" 'all(t["avg_ts"] > 0 for t in d)')" true "$arch: bench speeds"
	echo "$arch llama-bench $*: pp16 $(jq "$out" 'round(d[0]["avg_ts"], 1)') t/s, tg8 $(jq "$out" 'round(d[1]["avg_ts"], 1)') t/s"
}

# llama-completion: the one-shot generator; random weights may pick an end of
# text at once, so end-of-generation tokens are ignored. Its timing summary
# goes through an asynchronous logger that may not be flushed at exit, so the
# check is the text it printed after the prompt (llama-server counts tokens).
complete() { # arch extra-args...
	local arch=$1 log=$d/$1.completion.log out=$d/$1.completion.out prompt="The capital of France is"
	shift
	"$HALO_LLAMA_BIN/llama-completion" -m "$d/$arch.gguf" -p "$prompt" -n 8 --ignore-eos \
		-t 1 --seed 1 -no-cnv --no-warmup "$@" </dev/null >"$out" 2>"$log" ||
		fail "$arch: llama-completion $*: $(tail -n 20 "$log")"
	local text
	text=$(<"$out")
	[[ $text == *"$prompt"?* ]] ||
		fail "$arch: llama-completion $* generated nothing: [$text] $(tail -n 20 "$log")"
}

# unix socket paths must stay under 108 bytes, whatever the checkout's path
sockdir=$(mktemp -d /tmp/halo-synth.XXXXXX)
on_exit "rm -rf '$sockdir'"
server_pid=
server_stop() {
	[ -n "$server_pid" ] || return 0
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}
on_exit server_stop

# llama-server: start it, wait for /health, ask /completion for 8 tokens.
serve() { # arch extra-args...
	local arch=$1 log=$d/$1.server.log ok=
	shift
	# a private unix socket: no port for parallel tests (or anything else) to take first
	sock=$sockdir/$arch.$RANDOM.sock
	"$HALO_LLAMA_BIN/llama-server" -m "$d/$arch.gguf" --host "$sock" -t 1 -np 1 "$@" \
		>"$log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do
		if curl -sf --unix-socket "$sock" "http://localhost/health" >/dev/null 2>&1; then
			ok=1
			break
		fi
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ok" ] || fail "$arch: llama-server $* did not come up: $(tail -n 20 "$log")"
	curl -sf --unix-socket "$sock" "http://localhost/completion" -H 'Content-Type: application/json' \
		-d '{"prompt": "Hello", "n_predict": 8, "ignore_eos": true, "seed": 1}' >"$d/$arch.reply.json" ||
		fail "$arch: /completion failed: $(tail -n 20 "$log")"
	assert_eq "$(jq "$d/$arch.reply.json" 'd["tokens_predicted"]')" 8 "$arch: server tokens"
	server_stop
}

for entry in "${twins[@]}"; do
	arch=${entry%%|*}
	bench "$arch"
	bench "$arch" -ctk q8_0 -ctv q8_0 -fa 1
	complete "$arch" -c 512
	complete "$arch" -c 2048 -ctk q8_0 -ctv q8_0 -fa on
	serve "$arch" -c 2048 -ctk q8_0 -ctv q8_0 -fa on
done
serve gemma3 -c 512
echo "PASS: $TEST_NAME"
