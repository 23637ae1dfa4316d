#!/usr/bin/env bash
# halo serve with the real llama-server (the pinned llama.cpp build) on a
# small random-weight Qwen3.5 twin: planned, started, healthy, answering a
# chat request, stopped on SIGTERM with nothing left behind; --dry-run
# commands (presets, a backend's env and flags); refusals (does not fit:
# exit 8; busy port; unknown model: exit 3); an early exit diagnosed.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }

d=$(tmpdir)
# no user backends.conf, logs in the test's folder
export XDG_CONFIG_HOME="$d/config" XDG_STATE_HOME="$d/state"

# --- without llama-server: unknown model, nothing downloaded, usage
assert_exit 3 "$HALO" serve no-such-model --dry-run
assert_contains "$LAST_ERR" "no model 'no-such-model'"
assert_exit 3 "$HALO" serve qwen3.5-0.8b --models-dir "$d/empty" --dry-run
assert_contains "$LAST_ERR" "halo pull qwen3.5-0.8b:"
assert_contains "$LAST_ERR" "halo plan qwen3.5-0.8b"
assert_exit 3 "$HALO" serve qwen3.5-0.8b:Q8_0 --models-dir "$d/empty" --dry-run
assert_contains "$LAST_ERR" "qwen3.5-0.8b:Q8_0 is not downloaded"
assert_exit 2 "$HALO" serve x.gguf --ctx lots
assert_exit 2 "$HALO" serve x.gguf --port 70000

if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build builds llama-server)"
	exit 0
fi
"$HALO" synth --arch qwen35 --layers 4 --hidden 128 --heads 4 --kv-heads 2 --head-dim 64 --ff 256 \
	--linear-key-heads 2 --linear-value-heads 4 --linear-head-dim 64 --ctx 4096 --exact-vocab -q \
	-o "$d/twin.gguf" >/dev/null
size=$(stat -c %s "$d/twin.gguf")
# a catalog model the twin is (same architecture facts), with presets, and
# its F16 "downloaded" into a models folder
cat >"$d/catalog.conf" <<EOF
[model serve-twin]
name = Serve Twin
family = qwen3.5
kind = dense hybrid
params = 0.04B
arch = qwen35
layers = 4
hidden = 128
vocab = 151936
context = 4096
full_attention_interval = 4
heads = 4
kv_heads = 2
head_dim = 64
linear_conv_kernel = 4
linear_key_heads = 2
linear_value_heads = 4
linear_key_head_dim = 64
linear_value_head_dim = 64
ffn = 256
preset thinking = temperature=0.91 top_p=0.95 top_k=20 min_p=0.0 presence_penalty=1.5 repeat_penalty=1.0 max_tokens=4096
preset thinking-coding = temperature=0.61 top_p=0.95 top_k=20 min_p=0.0 presence_penalty=0.0 repeat_penalty=1.0 max_tokens=4096
preset instruct = temperature=0.71 top_p=0.8 top_k=20 min_p=0.0 presence_penalty=1.5 repeat_penalty=1.0 max_tokens=4096
provider = test
repo = test/Serve-Twin-GGUF
file = Serve-Twin-{quant}.gguf
quant F16 = ${size}B
quant BF16 = ${size}B provider=other file=other/Serve-Twin-BF16.gguf
quant Q8_0 = 45MB
EOF
mkdir -p "$d/models"
cp "$d/twin.gguf" "$d/models/Serve-Twin-F16.gguf"
export HALO_MODELS_DIR="$d/models"
C=(--catalog "$d/catalog.conf")

# --- dry runs: the planned command with the mode's preset
assert_exit 0 "$HALO" serve "$d/twin.gguf" "${C[@]}" --port 18123 --ctx 2048 --mode instruct --dry-run
cmd=$LAST_OUT
assert_contains "$cmd" "$HALO_LLAMA_BIN/llama-server -m $d/twin.gguf -c 2048 "
assert_contains "$cmd" " --jinja"
assert_contains "$cmd" "--temp 0.71" "the instruct preset's temperature"
assert_contains "$cmd" "--host 127.0.0.1 --port 18123"
assert_exit 0 "$HALO" serve "$d/twin.gguf" "${C[@]}" --mode coding --dry-run
assert_contains "$LAST_OUT" "--temp 0.61" "coding is the thinking-coding preset"
assert_contains "$LAST_OUT" "-c 4096 " "--ctx max: the native context fits"
# the catalog model resolves to the downloaded file; without :QUANT the largest downloaded
assert_exit 0 "$HALO" serve serve-twin "${C[@]}" --dry-run
assert_contains "$LAST_OUT" "-m $d/models/Serve-Twin-F16.gguf"
assert_contains "$LAST_OUT" "--temp 0.91" "thinking by default"
assert_contains "$LAST_ERR" "using F16"
assert_exit 3 "$HALO" serve serve-twin:Q8_0 "${C[@]}" --dry-run
assert_contains "$LAST_ERR" "halo pull serve-twin:Q8_0"
# --json: command, argv, env and the plan
assert_exit 0 "$HALO" serve "$d/twin.gguf" "${C[@]}" --ctx 1024 --dry-run --json
echo "$LAST_OUT" >"$d/dry.json"
assert_eq "$(jq "$d/dry.json" 'd["argv"][d["argv"].index("-c") + 1]')" 1024
assert_eq "$(jq "$d/dry.json" 'd["plan"]["fits"]')" true
assert_eq "$(jq "$d/dry.json" 'd["catalog_model"]')" serve-twin
assert_eq "$(jq "$d/dry.json" 'd["backend"]')" path
assert_eq "$(jq "$d/dry.json" '" ".join(d["argv"]) == d["command"]')" true
# a downloaded catalog quant is planned from its file's header, exactly as the file itself
assert_exit 0 "$HALO" serve serve-twin:F16 "${C[@]}" --ctx 1024 --dry-run --json
echo "$LAST_OUT" >"$d/dry-cat.json"
assert_exit 0 "$HALO" serve "$d/models/Serve-Twin-F16.gguf" "${C[@]}" --ctx 1024 --dry-run --json
echo "$LAST_OUT" >"$d/dry-file.json"
assert_eq "$(jq "$d/dry-cat.json" 'd["plan"]["memory"]')" "$(jq "$d/dry-file.json" 'd["plan"]["memory"]')" \
	"catalog quant and file: the same memory plan"

# a registered backend: its environment in front, its flags after halo's
cat >"$d/backends.conf" <<EOF
[backend mine]
bin = $HALO_LLAMA_BIN
env = HALO_SERVE_TEST=a b
env = LLAMA_ARG_THREADS=2
server_flags = -t 2 --no-warmup
[backend broken]
bin = $HALO_LLAMA_BIN
server_flags = --no-such-flag
EOF
assert_exit 0 "$HALO" serve "$d/twin.gguf" "${C[@]}" --backends-file "$d/backends.conf" --dry-run
assert_contains "$LAST_OUT" "HALO_SERVE_TEST='a b' LLAMA_ARG_THREADS=2 $HALO_LLAMA_BIN/llama-server -m "
assert_contains "$LAST_OUT" "--port 8080 -t 2 --no-warmup"
assert_exit 0 "$HALO" serve "$d/twin.gguf" "${C[@]}" --backends-file "$d/backends.conf" --dry-run --json
echo "$LAST_OUT" >"$d/dry2.json"
assert_eq "$(jq "$d/dry2.json" 'd["env"]["HALO_SERVE_TEST"]')" "a b"
assert_exit 3 "$HALO" serve "$d/twin.gguf" --backends-file "$d/backends.conf" --backend nope --dry-run
assert_contains "$LAST_ERR" "no backend 'nope'"

# --- refusals before anything starts: exit 8 with what binds and the advice
assert_exit 8 "$HALO" serve "$d/twin.gguf" --mem 6G --headroom 1G --ctx 30000000 --dry-run
assert_contains "$LAST_ERR" "30000000 tokens of context does not fit"
assert_contains "$LAST_ERR" "over ram by"
assert_contains "$LAST_ERR" "advice"
assert_exit 8 "$HALO" serve serve-twin "${C[@]}" --mem 2G
assert_contains "$LAST_ERR" "does not fit this machine, not even with 256 tokens"
assert_contains "$LAST_ERR" "RAM binds"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- a busy port is refused before llama-server starts
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$d/busy.port" &
busy_pid=$!
on_exit "kill $busy_pid 2>/dev/null || true"
for _ in $(seq 50); do [ -s "$d/busy.port" ] && break; sleep 0.1; done
busy=$(cat "$d/busy.port")
assert_exit 7 "$HALO" serve "$d/twin.gguf" --port "$busy" --log "$d/busy.log"
assert_contains "$LAST_ERR" "127.0.0.1:$busy: port in use"
[ ! -e "$d/busy.log" ] || fail "nothing was started on a busy port"
kill "$busy_pid" 2>/dev/null || true

# Starts halo serve in the background on a free port (retried should another
# test take it first); sets SERVE_PID, PORT; its stdout/stderr in $d/serve.{out,err}.
serve_start() {
	local started=0
	for _ in 1 2 3; do
		PORT=$(free_port)
		"$HALO" serve "$@" --port "$PORT" >"$d/serve.out" 2>"$d/serve.err" &
		SERVE_PID=$!
		on_exit "kill -9 $SERVE_PID 2>/dev/null || true"
		for _ in $(seq 600); do
			grep -q '^ready' "$d/serve.out" && { started=1; break; }
			kill -0 "$SERVE_PID" 2>/dev/null || break
			sleep 0.1
		done
		((started)) && return 0
		grep -q "port in use" "$d/serve.err" || return 1
	done
	return 1
}
# llama-server processes of this test (their command line names the twin)
servers() {
	pgrep -f "llama-server -m $d/" || true
}

# --- the real thing: healthy, the URL printed, a chat answered, stopped on SIGTERM
serve_start "$d/twin.gguf" "${C[@]}" --ctx 2048 --mode instruct ||
	fail "halo serve did not become ready: $(cat "$d/serve.err")"
out=$(cat "$d/serve.out")
assert_contains "$out" "ready     http://127.0.0.1:$PORT"
assert_contains "$out" "openai    http://127.0.0.1:$PORT/v1"
log="$d/state/halo/logs/serve-twin-$PORT.log"
assert_contains "$out" "log       $log"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" 200
# (random weights: now and then llama-server's chat parser rejects the noise
# with a 500, as in test_eval_llama.sh; another sample is tried)
chat_ok=0
for _ in 1 2 3 4 5 6; do
	if curl -sf "http://127.0.0.1:$PORT/v1/chat/completions" -H 'Content-Type: application/json' \
		-d '{"messages":[{"role":"user","content":"Say hi."}],"max_tokens":8}' >"$d/chat.json"; then
		chat_ok=1
		break
	fi
done
((chat_ok)) || fail "the chat request failed: $(tail -n 5 "$d/state/halo/logs/"*.log)"
assert_eq "$(jq "$d/chat.json" 'd["usage"]["completion_tokens"]')" 8 "eight tokens generated"
assert_eq "$(jq "$d/chat.json" 'd["choices"][0]["message"]["role"]')" assistant
# the preset and context reached llama-server
curl -sf "http://127.0.0.1:$PORT/props" >"$d/props.json"
assert_eq "$(jq "$d/props.json" 'd["default_generation_settings"]["n_ctx"]')" 2048
assert_eq "$(jq "$d/props.json" 'round(d["default_generation_settings"]["params"]["temperature"], 2)')" 0.71
[ -n "$(servers)" ] || fail "no llama-server running"
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
assert_eq "$rc" 0 "halo serve exits 0 after SIGTERM: $(cat "$d/serve.err")"
assert_contains "$(cat "$d/serve.err")" "stopped"
assert_eq "$(servers)" "" "no llama-server survives"
assert_file "$log"
assert_contains "$(cat "$log")" "listening on http://127.0.0.1:$PORT" "the log holds llama-server's output"

# --- halo killed outright: its llama-server does not outlive it
serve_start "$d/twin.gguf" --ctx 1024 --backends-file "$d/backends.conf" --log "$d/kill.log" ||
	fail "halo serve did not become ready: $(cat "$d/serve.err")"
grep -q -- "-t 2 --no-warmup" <(ps -o args= -p "$(servers | head -1)") || fail "the backend's flags were not used"
grep -qz "HALO_SERVE_TEST=a b" "/proc/$(servers | head -1)/environ" || fail "the backend's environment was not set"
kill -9 "$SERVE_PID"
for _ in $(seq 50); do [ -z "$(servers)" ] && break; sleep 0.1; done
assert_eq "$(servers)" "" "llama-server ends with its halo"

# --- --json: one object once ready (URL, llama-server's pid, log, context), then supervised as before
PORT=$(free_port)
"$HALO" serve "$d/twin.gguf" --ctx 1024 --json --port "$PORT" --log "$d/json.log" >"$d/serve-json.out" 2>"$d/serve-json.err" &
jpid=$!
on_exit "kill -9 $jpid 2>/dev/null || true"
for _ in $(seq 600); do
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$d/serve-json.out" 2>/dev/null && break
	kill -0 "$jpid" 2>/dev/null || fail "halo serve --json ended: $(cat "$d/serve-json.err")"
	sleep 0.1
done
assert_eq "$(jq "$d/serve-json.out" 'd["url"]')" "http://127.0.0.1:$PORT"
assert_eq "$(jq "$d/serve-json.out" 'd["openai_base_url"]')" "http://127.0.0.1:$PORT/v1"
assert_eq "$(jq "$d/serve-json.out" 'd["log"]')" "$d/json.log"
assert_eq "$(jq "$d/serve-json.out" 'd["context"]')" 1024
spid=$(jq "$d/serve-json.out" 'd["pid"]')
assert_contains "$(ps -o args= -p "$spid")" "llama-server -m $d/twin.gguf" "the pid is llama-server's"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" 200
kill -TERM "$jpid"
rc=0
wait "$jpid" || rc=$?
assert_eq "$rc" 0 "halo serve --json exits 0 after SIGTERM"
kill -0 "$spid" 2>/dev/null && fail "llama-server $spid survived"

# --- llama-server failing at start: non-zero exit, the log's tail and the cause
assert_exit 1 "$HALO" serve "$d/twin.gguf" --backends-file "$d/backends.conf" --backend broken \
	--port "$(free_port)" --log "$d/broken.log"
assert_contains "$LAST_ERR" "before it was ready"
assert_contains "$LAST_ERR" "no-such-flag"
assert_contains "$LAST_ERR" "likely cause: llama-server rejected an argument"
assert_eq "$(servers)" ""
echo "ok"
