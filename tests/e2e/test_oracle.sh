#!/usr/bin/env bash
# The oracle server itself (tests/tools/oracle_server.py), driven with curl:
# answer matching, the llama-server shapes, the scripted failures, the log,
# many concurrent requests, and garbage that must not kill it.
. "$(dirname "$0")/lib.sh"

JQ="python3 $HALO_SOURCE_DIR/tests/e2e/jq.py"
cat >"$TEST_TMP/answers.jsonl" <<'EOF'
{"match": "capital", "content": "Paris"}
{"match": "capital of Italy", "content": "Rome", "reasoning_content": "Italy -> Rome"}
{"match": "weather", "tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}
{"match": "busy", "content": "finally", "behavior": "status:503:2", "retry_after": 3}
{"match": "mal", "content": "x", "behavior": "malformed"}
EOF

oracle_start "$TEST_TMP/answers.jsonl" --slots 6 --model m1

chat() { # PROMPT [STREAM] -> body in $TEST_TMP/r.json, status printed
	local s=${2:-false}
	curl -s -o "$TEST_TMP/r.json" -w '%{http_code}' "$ORACLE_URL/v1/chat/completions" \
		-d "{\"stream\": $s, \"temperature\": 0.25, \"messages\": [{\"role\": \"system\", \"content\": \"capital\"}, {\"role\": \"user\", \"content\": \"$1\"}]}"
}

# The longest match wins; system messages are not matched.
assert_eq "$(chat "the capital of Italy?")" 200
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["message"]["content"]')" Rome
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["message"]["reasoning_content"]')" "Italy -> Rome"
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["usage"]["completion_tokens_details"]["reasoning_tokens"]')" 4
assert_eq "$($JQ "$TEST_TMP/r.json" '"predicted_per_second" in d["timings"]')" true
assert_eq "$(chat "capital of France")" 200
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["message"]["content"]')" Paris
# No entry and no default: an OpenAI error object.
assert_eq "$(chat "unrelated")" 400
assert_contains "$(cat "$TEST_TMP/r.json")" "no answer matches"

# Tool call arguments are a JSON string.
assert_eq "$(chat "weather please")" 200
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]')" '{"city": "Oslo"}'
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["finish_reason"]')" tool_calls

# Streaming: events, the finish chunk, [DONE].
assert_eq "$(chat "capital of Italy" true)" 200
out=$(cat "$TEST_TMP/r.json")
assert_contains "$out" '"reasoning_content": "Italy -> Rome"'
assert_contains "$out" '"finish_reason": "stop"'
assert_contains "$out" 'data: [DONE]'

# status:503:2 with Retry-After, then the answer.
curl -s -D "$TEST_TMP/h" -o /dev/null "$ORACLE_URL/v1/chat/completions" -d '{"messages":[{"role":"user","content":"busy"}]}'
assert_contains "$(cat "$TEST_TMP/h")" "503"
assert_contains "$(cat "$TEST_TMP/h")" "Retry-After: 3"
assert_eq "$(chat busy)" 503
assert_eq "$(chat busy)" 200
assert_eq "$($JQ "$TEST_TMP/r.json" 'd["choices"][0]["message"]["content"]')" finally

# Malformed: a body that is not JSON.
assert_eq "$(chat mal)" 200
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TEST_TMP/r.json" 2>/dev/null; then
	fail "malformed answer parsed as JSON"
fi

# Server information.
curl -s "$ORACLE_URL/props" >"$TEST_TMP/p.json"
assert_eq "$($JQ "$TEST_TMP/p.json" 'd["total_slots"]')" 6
assert_eq "$($JQ "$TEST_TMP/p.json" 'd["model_path"]')" /models/m1.gguf
curl -s "$ORACLE_URL/v1/models" >"$TEST_TMP/m.json"
assert_eq "$($JQ "$TEST_TMP/m.json" 'd["data"][0]["id"]')" m1
curl -s "$ORACLE_URL/slots" >"$TEST_TMP/s.json"
assert_eq "$($JQ "$TEST_TMP/s.json" 'len(d)')" 6

# Garbage must not kill it: a bad body, a bad path, a truncated request.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$ORACLE_URL/v1/chat/completions" -d 'not json')" 400
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$ORACLE_URL/nope" -d '{}')" 404
printf 'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"mess' |
	timeout 5 python3 -c 'import socket,sys,os; s=socket.create_connection(("127.0.0.1", int(os.environ["ORACLE_URL"].rsplit(":",1)[1]))); s.sendall(sys.stdin.buffer.read()); s.close()'

# 64 concurrent requests, all answered.
pids=()
for i in $(seq 64); do
	stream=false
	((i % 2)) && stream=true
	curl -s -o "$TEST_TMP/c$i.json" "$ORACLE_URL/v1/chat/completions" \
		-d "{\"stream\": $stream, \"messages\":[{\"role\":\"user\",\"content\":\"capital $i\"}]}" &
	pids+=($!)
done
wait "${pids[@]}" # not a bare wait: the oracle runs in the background too
for i in $(seq 64); do
	assert_contains "$(cat "$TEST_TMP/c$i.json")" Paris "request $i"
done

# The log: every request, with the parsed body.
n=$(oracle_requests /v1/chat/completions)
assert_eq "$n" $((11 + 64)) "chat requests logged"
assert_contains "$(head -1 "$ORACLE_LOG")" '"temperature": 0.25'
assert_eq "$(curl -s "$ORACLE_URL/health")" '{"status": "ok"}'

# Ollama-like: no /props, /slots; /api/tags instead.
oracle_start "$TEST_TMP/answers.jsonl" --no-props --model qwen3:8b
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$ORACLE_URL/props")" 404
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$ORACLE_URL/slots")" 404
assert_contains "$(curl -s "$ORACLE_URL/api/tags")" '"digest"'
echo "ok"
