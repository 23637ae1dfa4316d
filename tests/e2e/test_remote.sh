#!/usr/bin/env bash
# Remote GGUF headers over HTTP Range from a real nginx on 127.0.0.1: only
# the header crosses the wire; servers without Range, 404s and dead ports
# give clear errors.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
[ -n "$HALO_LLAMA_DIR" ] || fail "HALO_LLAMA_DIR is not set (scripts/fixtures.sh prepares it)"
d=$(tmpdir)

# A model file with a real tokenizer (~6 MB header) and 2 GB of tensor data
# (a sparse hole: nothing is stored, but nginx serves every byte of it).
"$MKFIXTURE" vocab "$d/big.gguf" "$HALO_LLAMA_DIR/models/ggml-vocab-qwen2.gguf" 2000000000 sparse
size=$(stat -c %s "$d/big.gguf")
[ "$size" -gt 2000000000 ] || fail "fixture is only $size bytes"
"$HALO" inspect --json "$d/big.gguf" >"$d/local.json"

nginx_start "$d"
"$HALO" inspect --json "$NGINX_URL/big.gguf" >"$d/remote.json"
nginx_log_wait 1
sent=$(nginx_body_bytes)
echo "remote header read: $sent bytes of $size"
[ "$sent" -gt 0 ] || fail "nginx logged no bytes"
[ $((sent * 100)) -lt "$size" ] || fail "transferred $sent bytes, not under 1% of $size"
assert_eq "$(jq "$d/remote.json" 'd["file_size"]')" "$size" "remote file size from Content-Range"
# Same model facts remotely as locally.
strip='{k: v for k, v in d.items() if k not in ("source", "header_bytes_read")}'
assert_eq "$(jq "$d/remote.json" "$strip")" "$(jq "$d/local.json" "$strip")" "remote and local inspect differ"
assert_eq "$(jq "$d/remote.json" 'd["vocab_size"]')" 151936
# halo's own count of bytes received agrees with what nginx sent.
assert_eq "$(jq "$d/remote.json" 'd["header_bytes_read"]')" "$sent"

# halo plan on a URL: the same header, planned without downloading the weights.
nginx_log_clear
"$HALO" plan "$NGINX_URL/big.gguf" --mem 64G --ctx 4096 --json >"$d/plan.json"
assert_eq "$(jq "$d/plan.json" 'd["plan"]["fits"]')" true
assert_contains "$(jq "$d/plan.json" 'd["plan"]["command"]')" "llama-server -m $NGINX_URL/big.gguf"
nginx_log_wait 1
sent=$(nginx_body_bytes)
[ $((sent * 100)) -lt "$size" ] || fail "plan transferred $sent bytes, not under 1% of $size"

# Through a redirect (as Hugging Face's resolve/ URLs): only the first request
# is redirected, the later ranges go straight to where it led.
nginx_log_clear
"$HALO" inspect --json "$NGINX_URL/redirect/big.gguf" >"$d/redirect.json"
assert_eq "$(jq "$d/redirect.json" "$strip")" "$(jq "$d/local.json" "$strip")" "inspect through a redirect differs"
nginx_log_wait 2
assert_eq "$(grep -c '^302 ' "$NGINX_LOG")" 1 "redirects followed"
[ "$(grep -c '^206 ' "$NGINX_LOG")" -gt 1 ] || fail "expected several range requests: $(cat "$NGINX_LOG")"

# A split model (3 parts of 1 GB data each): every part's header is read, the model combined.
mkdir -p "$d/split"
"$MKFIXTURE" split "$d/split/M-00001-of-00003.gguf" qwen3.5-27b 1000000000
nginx_log_clear
"$HALO" inspect --json "$NGINX_URL/split/M-00002-of-00003.gguf" >"$d/split.json"
"$HALO" inspect --json "$d/split/M-00001-of-00003.gguf" >"$d/split-local.json"
assert_eq "$(jq "$d/split.json" 'd["splits"]')" 3
assert_eq "$(jq "$d/split.json" 'd["tensors"]')" 3
assert_eq "$(jq "$d/split.json" 'd["architecture"]')" qwen35
assert_eq "$(jq "$d/split.json" 'd["file_size"]')" "$(cat "$d"/split/M-*.gguf | wc -c)"
assert_eq "$(jq "$d/split.json" "$strip")" "$(jq "$d/split-local.json" "$strip")" "remote and local split inspect differ"
nginx_log_wait 3
sent=$(nginx_body_bytes)
[ $((sent * 100)) -lt 3000000000 ] || fail "split: transferred $sent bytes"

# Missing file: 404 -> exit 3, naming the URL.
assert_exit 3 "$HALO" inspect "$NGINX_URL/missing.gguf"
assert_contains "$LAST_ERR" "missing.gguf"

# A server that ignores Range: a clear error, not a 2 GB download.
nginx_start "$d" --no-range
nginx_log_clear
assert_exit 6 "$HALO" inspect "$NGINX_URL/big.gguf"
assert_contains "$LAST_ERR" "ignored the range request"
nginx_stop
sent=$(awk '{s += $2} END {print s + 0}' "$NGINX_LOG")
echo "without Range: nginx sent $sent bytes before halo hung up"
[ $((sent * 100)) -lt "$size" ] || fail "without Range $sent bytes were sent (over 1%)"

# Nothing listening: a network error.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
assert_exit 5 "$HALO" inspect "http://127.0.0.1:$port/big.gguf"
echo "PASS: $TEST_NAME"
