#!/usr/bin/env bash
# halo inspect on real llama.cpp vocabulary files and on catalog-shaped
# headers; the CLI's help, usage errors and exit codes.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
[ -n "$HALO_LLAMA_DIR" ] || fail "HALO_LLAMA_DIR is not set (scripts/fixtures.sh prepares it)"
d=$(tmpdir)

# --- help, version, usage -------------------------------------------------
assert_exit 0 "$HALO" --help;            assert_contains "$LAST_OUT" "inspect"
assert_exit 0 "$HALO" --version;         assert_contains "$LAST_OUT" "halo "
assert_exit 0 "$HALO" help inspect;      assert_contains "$LAST_OUT" "--json"
assert_exit 0 "$HALO" inspect --help;    assert_contains "$LAST_OUT" "usage: halo inspect"
assert_exit 0 "$HALO" models --help;     assert_contains "$LAST_OUT" "--models-dir"
assert_exit 2 "$HALO";                   assert_contains "$LAST_ERR" "usage: halo"
assert_exit 2 "$HALO" frobnicate;        assert_contains "$LAST_ERR" "'frobnicate' is not a halo command"
assert_exit 2 "$HALO" inspect;           assert_contains "$LAST_ERR" "usage: halo inspect"
assert_exit 2 "$HALO" inspect --bogus x; assert_contains "$LAST_ERR" "unknown option '--bogus'"

# --- errors name the subject and map to exit codes ------------------------
assert_exit 3 "$HALO" inspect "$d/nope.gguf"
assert_contains "$LAST_ERR" "nope.gguf"
printf 'this is not a gguf file at all' >"$d/junk.gguf"
assert_exit 4 "$HALO" inspect "$d/junk.gguf"
assert_contains "$LAST_ERR" "not a gguf file"
[ "$(wc -l <"$TEST_TMP/last.err")" -eq 1 ] || fail "error is not one line: $LAST_ERR"
head -c 5000 "$HALO_LLAMA_DIR/models/ggml-vocab-qwen2.gguf" >"$d/cut.gguf"
assert_exit 4 "$HALO" inspect "$d/cut.gguf"
assert_contains "$LAST_ERR" "'tokenizer.ggml.tokens': array of 151936 string values runs past the end of the file"
assert_contains "$LAST_ERR" "offset 588"
head -c 2000000 "$HALO_LLAMA_DIR/models/ggml-vocab-qwen2.gguf" >"$d/cut2.gguf"
assert_exit 4 "$HALO" inspect "$d/cut2.gguf"
assert_contains "$LAST_ERR" "offset 1999999: key #13 'tokenizer.ggml.tokens': truncated"

# --- real vocabulary files: architecture and token count ------------------
# (expected values read independently with llama.cpp's gguf-py)
check_vocab() { # file arch tokens
	"$HALO" inspect --json "$HALO_LLAMA_DIR/models/ggml-vocab-$1.gguf" >"$d/$1.json"
	assert_eq "$(jq "$d/$1.json" 'd["architecture"]')" "$2" "$1 architecture"
	assert_eq "$(jq "$d/$1.json" 'd["vocab_size"]')" "$3" "$1 vocab size"
}
check_vocab llama-spm llama 32000
check_vocab llama-bpe llama 128256
check_vocab qwen2 qwen2 151936
check_vocab gpt-2 gpt2 50257
check_vocab bert-bge bert 30522
check_vocab command-r command-r 256000
assert_exit 0 "$HALO" inspect "$HALO_LLAMA_DIR/models/ggml-vocab-llama-bpe.gguf"
assert_contains "$LAST_OUT" "architecture llama"

# --- a Qwen3.5-35B-A3B-shaped header: hybrid layer map and memory costs ----
"$MKFIXTURE" model "$d/q35.gguf" qwen3.5-35b-a3b
"$HALO" inspect --json "$d/q35.gguf" >"$d/q35.json"
assert_eq "$(jq "$d/q35.json" 'd["architecture"]')" qwen35moe
assert_eq "$(jq "$d/q35.json" 'd["layers"]["count"]')" 40
assert_eq "$(jq "$d/q35.json" 'd["layers"]["attention"]')" 10
assert_eq "$(jq "$d/q35.json" 'd["layers"]["recurrent"]')" 30
assert_eq "$(jq "$d/q35.json" 'd["layers"]["map"]')" "RRRARRRARRRARRRARRRARRRARRRARRRARRRARRRA"
assert_eq "$(jq "$d/q35.json" '[d["attention"][k] for k in ("head_count","head_count_kv","head_dim_k","head_dim_v")]')" "[16, 2, 256, 256]"
assert_eq "$(jq "$d/q35.json" '[d["experts"][k] for k in ("count","used","feed_forward_length")]')" "[256, 8, 512]"
# KV per token: 10 attention layers x (K + V) x 2 heads x 256 dims, in each type's blocks
assert_eq "$(jq "$d/q35.json" 'd["kv_cache"]["f16"]["full_attention_bytes_per_token"]')" $((10 * 2 * 512 * 2))
assert_eq "$(jq "$d/q35.json" 'd["kv_cache"]["q8_0"]["full_attention_bytes_per_token"]')" $((10 * 2 * 512 / 32 * 34))
assert_eq "$(jq "$d/q35.json" 'd["kv_cache"]["q4_0"]["full_attention_bytes_per_token"]')" $((10 * 2 * 512 / 32 * 18))
# recurrent state: 30 layers x f32 x (conv 3 x (4096 + 2*16*128) + delta 128 x 4096)
assert_eq "$(jq "$d/q35.json" 'd["recurrent"]["bytes_per_sequence"]')" $((30 * 4 * (3 * (4096 + 2 * 16 * 128) + 128 * 4096)))
assert_eq "$(jq "$d/q35.json" 'd["context_length"]')" 262144
assert_exit 0 "$HALO" inspect "$d/q35.gguf"
assert_contains "$LAST_OUT" "RRRARRRA"
assert_contains "$LAST_OUT" "30 recurrent"

# --- Qwen3-Coder-30B-A3B: plain attention, no recurrent state --------------
"$MKFIXTURE" model "$d/coder.gguf" qwen3-coder-30b-a3b
"$HALO" inspect --json "$d/coder.gguf" >"$d/coder.json"
assert_eq "$(jq "$d/coder.json" 'd["layers"]["recurrent"]')" 0
assert_eq "$(jq "$d/coder.json" 'd["kv_cache"]["f16"]["full_attention_bytes_per_token"]')" $((48 * 2 * 4 * 128 * 2))
assert_eq "$(jq "$d/coder.json" 'd["recurrent"]["bytes_per_sequence"]')" 0
echo "PASS: $TEST_NAME"
