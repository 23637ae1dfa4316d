#!/usr/bin/env bash
# The llama.cpp binaries that scripts/fixtures.sh llama-build makes from the
# pinned tree (CPU backend, static): they are all there and run, report the
# pinned version, list no accelerator, parse arguments the way halo expects,
# read a real GGUF, and llama-server's --help still matches the copy in
# docs/llama-server-help.txt that halo's command lines are written against.
#
# By hand: HALO_LLAMA_BIN=$(scripts/fixtures.sh llama-build) \
#          HALO_LLAMA_DIR=$(scripts/fixtures.sh) bash tests/e2e/test_llama_build.sh
. "$(dirname "$0")/lib.sh"

bin=${HALO_LLAMA_BIN:-}
[ -n "$bin" ] || fail "HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build prepares it)"
[ -d "$bin" ] || fail "HALO_LLAMA_BIN is not a directory: $bin"
[ -n "$HALO_LLAMA_DIR" ] || fail "HALO_LLAMA_DIR is not set (scripts/fixtures.sh prepares it)"

# The pinned release (scripts/fixtures.sh: LLAMA_COMMIT, tag v0.4.0).
version="version: 0.4.0 (build 1, commit 80fb11a)"
tools=(llama-server llama-bench llama-cli llama-completion llama-fit-params)

# --- present, self-contained, same version ----------------------------------
for t in "${tools[@]}"; do
	[[ -x $bin/$t ]] || fail "$bin/$t is missing or not executable"
	# Static build: no libllama/libggml to find at run time.
	if command -v ldd >/dev/null; then
		libs=$(ldd "$bin/$t" 2>&1 || true)
		assert_not_contains "$libs" "not found" "$t's shared libraries"
		assert_not_contains "$libs" "libllama" "$t links libllama statically"
		assert_not_contains "$libs" "libggml" "$t links ggml statically"
	fi
done
for t in llama-server llama-cli llama-completion llama-fit-params; do
	assert_exit 0 "$bin/$t" --version
	assert_contains "$LAST_OUT$LAST_ERR" "$version" "$t --version"
done

# --- devices: a CPU-only build has no accelerator to list -------------------
# (--list-devices leaves the CPU out by design, so the list is empty.)
assert_exit 0 "$bin/llama-bench" --list-devices
assert_contains "$LAST_OUT" "Available devices:"
assert_contains "$LAST_OUT" "(none)" "llama-bench --list-devices on a CPU-only build"
assert_exit 0 "$bin/llama-server" --list-devices
assert_contains "$LAST_OUT" "(none)" "llama-server --list-devices on a CPU-only build"

# --- help and argument errors -------------------------------------------------
assert_exit 0 "$bin/llama-fit-params" --help
assert_contains "$LAST_OUT" "--fit-target"
assert_exit 0 "$bin/llama-completion" --help
assert_contains "$LAST_OUT" "--n-predict"
assert_exit 0 "$bin/llama-cli" --help
assert_contains "$LAST_OUT" "--ctx-size"
assert_exit 0 "$bin/llama-bench" --help
assert_contains "$LAST_OUT" "usage:"
for t in llama-server llama-bench llama-cli llama-completion llama-fit-params; do
	assert_exit 1 "$bin/$t" --no-such-flag
	assert_contains "$LAST_ERR" "--no-such-flag" "$t names the bad argument"
done
assert_exit 1 "$bin/llama-fit-params"
assert_contains "$LAST_ERR" "--model is required"
# -fa takes a value: a bare -fa swallows the next argument.
assert_exit 1 "$bin/llama-server" -fa --version
assert_contains "$LAST_ERR" "unknown value for --flash-attn"
# The flags halo's generated command lines use are all accepted (--version
# exits after parsing them all).
assert_exit 0 "$bin/llama-server" -c 4096 -ngl all -fa on -ctk q8_0 -ctv q8_0 \
	-lm mmap --jinja -np 1 -ub 512 -b 2048 --n-cpu-moe 4 -ctxcp 8 -cram 0 -fit off \
	--temp 0.6 --top-p 0.95 --top-k 20 --min-p 0 --presence-penalty 1.5 \
	--repeat-penalty 1.0 --host 127.0.0.1 --port 8080 --version
assert_contains "$LAST_ERR" "$version"

# --- it reads a real GGUF ---------------------------------------------------------
# A vocabulary-only file gets through header, hyperparameters and vocabulary
# and stops at the first missing weight: the loader really ran.
vocab=$HALO_LLAMA_DIR/models/ggml-vocab-qwen35.gguf
assert_file "$vocab"
assert_exit 1 timeout 60 "$bin/llama-server" -m "$vocab" --host 127.0.0.1 --port 0 -fit off
assert_contains "$LAST_ERR" "tensor 'token_embd.weight' not found"
# (its last line, "exiting due to model loading error", is not always flushed before exit)
assert_contains "$LAST_ERR" "failed to load model"

# --- llama-server --help is what docs/llama-server-help.txt records -----------
ref=$HALO_SOURCE_DIR/docs/llama-server-help.txt
assert_file "$ref"
assert_exit 0 "$bin/llama-server" --help
if ! diff -u "$ref" "$TEST_TMP/last.out" >"$TEST_TMP/help.diff"; then
	fail "llama-server --help differs from docs/llama-server-help.txt (the pinned llama.cpp changed?
check the flags halo generates, then: \"\$(scripts/fixtures.sh llama-build)/llama-server\" --help >docs/llama-server-help.txt):
$(head -n 60 "$TEST_TMP/help.diff")"
fi
