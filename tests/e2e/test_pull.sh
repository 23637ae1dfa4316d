#!/usr/bin/env bash
# halo pull against a real HTTP server (nginx on 127.0.0.1): a whole file; a
# transfer killed midway resumes with Range; SHA-256 from --sha256 and from
# Hugging Face's X-Linked-Etag; a corrupted byte is caught; split parts of a
# catalog quant; 404 and a server without Range give clear errors.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }

[[ -n ${HALO_LLAMA_DIR:-} ]] || fail "HALO_LLAMA_DIR is not set (scripts/fixtures.sh)"
srv=$(tmpdir)
models=$(tmpdir)
# a real GGUF header (the qwen2 tokenizer) and 24 MB of data
"$MKFIXTURE" vocab "$srv/m.gguf" "$HALO_LLAMA_DIR/models/ggml-vocab-qwen2.gguf" 24000000 >/dev/null
sha=$(sha256sum "$srv/m.gguf" | cut -d' ' -f1)
size=$(stat -c %s "$srv/m.gguf")
cp "$srv/m.gguf" "$srv/bad.gguf"
# one byte of the tensor data changed: the header still parses
printf '\xff' | dd of="$srv/bad.gguf" bs=1 seek=$((size - 1000)) conv=notrunc status=none
bad_sha=$(sha256sum "$srv/bad.gguf" | cut -d' ' -f1)
mkdir -p "$srv/hf" "$srv/hfbad" "$srv/slow"
ln "$srv/m.gguf" "$srv/hf/m.gguf"
ln "$srv/m.gguf" "$srv/hfbad/m.gguf"
ln "$srv/m.gguf" "$srv/slow/m.gguf"
export NGINX_EXTRA="
		location /hf/ { add_header X-Linked-Etag '\"$sha\"'; }
		location /hfbad/ { add_header X-Linked-Etag '\"$bad_sha\"'; }
		location /slow/ { limit_rate 4m; }"
nginx_start "$srv"

# --- a whole file, verified by the Hugging Face header
assert_exit 0 "$HALO" pull "$NGINX_URL/hf/m.gguf" --models-dir "$models" --json
echo "$LAST_OUT" >"$TEST_TMP/a.json"
cmp "$srv/m.gguf" "$models/m.gguf" || fail "downloaded file differs"
assert_eq "$(jq "$TEST_TMP/a.json" 'd["files"][0]["sha256_source"]')" x-linked-etag
assert_eq "$(jq "$TEST_TMP/a.json" 'd["files"][0]["sha256"]')" "$sha"
[ ! -e "$models/m.gguf.part" ] || fail "the .part file was left"
# again: already there, nothing transferred
assert_exit 0 "$HALO" pull "$NGINX_URL/hf/m.gguf" --models-dir "$models" --json
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][0]["already_complete"])')" True

# --- killed midway, then resumed with a Range request
rm -f "$models/m.gguf"
"$HALO" pull "$NGINX_URL/slow/m.gguf" --models-dir "$models" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	[[ -f $models/m.gguf.part ]] && (($(stat -c %s "$models/m.gguf.part") > 4000000)) && break
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
have=$(stat -c %s "$models/m.gguf.part")
((have > 0 && have < size)) || fail "expected a partial file, have $have of $size"
assert_exit 0 "$HALO" pull "$NGINX_URL/m.gguf" --models-dir "$models" --sha256 "$sha" --json
echo "$LAST_OUT" >"$TEST_TMP/r.json"
cmp "$srv/m.gguf" "$models/m.gguf" || fail "resumed file differs"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["files"][0]["resumed_from"]')" "$have"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["files"][0]["transferred"]')" $((size - have)) "only the rest was sent"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["files"][0]["sha256_source"]')" option
assert_contains "$(cat "$NGINX_LOG")" "\"bytes=$have-\"" "resumed with a Range request"

# --- a corrupted byte is caught (either hash source), nothing kept
rm -f "$models/m.gguf"
assert_exit 4 "$HALO" pull "$NGINX_URL/bad.gguf" --models-dir "$models" --sha256 "$sha"
assert_contains "$LAST_ERR" "sha256 mismatch"
[ ! -e "$models/bad.gguf" ] && [ ! -e "$models/bad.gguf.part" ] || fail "a corrupt download was kept"
assert_exit 4 "$HALO" pull "$NGINX_URL/hfbad/m.gguf" --models-dir "$models"
assert_contains "$LAST_ERR" "x-linked-etag"
[ ! -e "$models/m.gguf" ] || fail "a mismatching download was kept"

# --- errors
assert_exit 3 "$HALO" pull "$NGINX_URL/none.gguf" --models-dir "$models"
assert_contains "$LAST_ERR" "not found (HTTP 404)"
echo "not a model" >"$srv/text.gguf"
assert_exit 4 "$HALO" pull "$NGINX_URL/text.gguf" --models-dir "$models"
assert_contains "$LAST_ERR" "not a valid GGUF file"
nginx_start "$srv" --no-range
assert_exit 6 "$HALO" pull "$NGINX_URL/m.gguf" --models-dir "$(tmpdir)"
assert_contains "$LAST_ERR" "ignores Range"

# --- a split catalog quant from a Hugging Face-like layout ($HF_ENDPOINT)
nginx_start "$srv"
export XDG_CONFIG_HOME=$TEST_TMP/config
mkdir -p "$XDG_CONFIG_HOME/halo"
cat >"$XDG_CONFIG_HOME/halo/models.conf" <<'CONF'
[extend qwen3.5-0.8b]
split_file = {quant}/Qwen3.5-0.8B-{quant}-{part}-of-{parts}.gguf
quant TEST = 3MB provider=test repo=test/repo parts=3
quant SLOW = 24MB provider=test repo=test/slow parts=3
CONF
assert_exit 0 "$HALO" models qwen3.5-0.8b --json
files=$(echo "$LAST_OUT" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["models"]:
    for q in m["quants"]:
        if q["quant"] == "TEST":
            print(" ".join(q["files"]))')
first=${files%% *}
mkdir -p "$srv/test/repo/resolve/main/$(dirname "$first")"
"$MKFIXTURE" split "$srv/test/repo/resolve/main/$first" qwen3.5-0.8b 1000000 >/dev/null
for f in $files; do [[ -f $srv/test/repo/resolve/main/$f ]] || fail "fixture part $f missing"; done
split_models=$(tmpdir)
nginx_log_clear
HF_ENDPOINT=$NGINX_URL assert_exit 0 "$HALO" pull qwen3.5-0.8b:TEST@test --models-dir "$split_models" --json
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')" 3 "all parts"
nginx_log_wait 3
assert_eq "$(grep -c 'resolve/main/TEST/' "$NGINX_LOG")" 3 "each part fetched once"
for f in $files; do
	cmp "$srv/test/repo/resolve/main/$f" "$split_models/$(basename "$f")" || fail "part $f differs"
done
assert_exit 0 "$HALO" models qwen3.5-0.8b --models-dir "$split_models" --json
echo "$LAST_OUT" >"$TEST_TMP/models.json"
assert_eq "$(jq "$TEST_TMP/models.json" '[q["parts_found"] for m in d["models"] for q in m["quants"] if q["quant"] == "TEST"][0]')" 3 \
	"halo models sees every part"
# a missing part fails the pull with its error; the parts that came are kept for the next run
rm "$srv/test/repo/resolve/main/${files##* }"
split2=$(tmpdir)
HF_ENDPOINT=$NGINX_URL assert_exit 3 "$HALO" pull qwen3.5-0.8b:TEST@test --models-dir "$split2" -j 1
assert_contains "$LAST_ERR" "not found (HTTP 404)"
assert_exit 0 "$HALO" models qwen3.5-0.8b --models-dir "$split2" --json
echo "$LAST_OUT" >"$TEST_TMP/models2.json"
assert_eq "$(jq "$TEST_TMP/models2.json" '[[q["status"], q["parts_found"]] for m in d["models"] for q in m["quants"] if q["quant"] == "TEST"][0]')" \
	'["partial", 2]' "halo models: partial after a failed pull"

# --- halo models while a catalog pull runs, after it is killed, and once it is resumed
slow_files=$(jq "$TEST_TMP/models.json" '" ".join([" ".join(q["files"]) for m in d["models"] for q in m["quants"] if q["quant"] == "SLOW"])')
slow_first=${slow_files%% *}
mkdir -p "$srv/slow/test/slow/resolve/main/$(dirname "$slow_first")"
"$MKFIXTURE" split "$srv/slow/test/slow/resolve/main/$slow_first" qwen3.5-0.8b 8000000 >/dev/null
slow_models=$(tmpdir)
status_of() {
	"$HALO" models qwen3.5-0.8b --models-dir "$slow_models" --json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["models"]:
    for q in m["quants"]:
        if q["quant"] == "SLOW":
            print(q["status"], q["have_bytes"])'
}
HF_ENDPOINT=$NGINX_URL/slow "$HALO" pull qwen3.5-0.8b:SLOW@test --models-dir "$slow_models" -j 1 >/dev/null 2>&1 &
pid=$!
on_exit "kill -9 $pid 2>/dev/null || true"
running=""
for _ in $(seq 1 200); do
	running=$(status_of)
	[[ $running == partial* ]] && ((${running#* } > 10000000)) && break
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[[ $running == partial* ]] || fail "halo models did not show the running pull as partial: '$running'"
after=$(status_of)
[[ $after == partial* ]] || fail "halo models after the kill: '$after', expected partial"
((${after#* } < 24000000)) || fail "the killed pull had everything already: $after"
HF_ENDPOINT=$NGINX_URL/slow assert_exit 0 "$HALO" pull qwen3.5-0.8b:SLOW@test --models-dir "$slow_models" --json
assert_eq "$(status_of | cut -d' ' -f1)" verified "halo models after the resumed pull"
echo "ok"
