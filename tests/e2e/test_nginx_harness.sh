#!/usr/bin/env bash
# Self-test of the private nginx in lib.sh: Range requests answered with 206
# and exactly the bytes asked for, ignored (200, whole body) with --no-range,
# and the access log counting the bytes sent.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl not found (scripts/deps.sh test installs it)"

www=$(tmpdir)
head -c 1048576 /dev/urandom >"$www/blob.bin"
size=1048576

# --- with Range support ---
nginx_start "$www"
assert_contains "$NGINX_URL" "http://127.0.0.1:"

code=$(curl -sS -r 100-199 -o "$TEST_TMP/part" -w '%{http_code}' "$NGINX_URL/blob.bin")
assert_eq "$code" 206 "status of a range request"
assert_eq "$(wc -c <"$TEST_TMP/part")" 100 "bytes in the 100-199 range"
cmp -s "$TEST_TMP/part" <(tail -c +101 "$www/blob.bin" | head -c 100) ||
	fail "range body differs from bytes 100-199 of the file"

code=$(curl -sS -o /dev/null -w '%{http_code}' "$NGINX_URL/missing.bin")
assert_eq "$code" 404 "status of a missing file"

nginx_log_wait 2
log=$(cat "$NGINX_LOG")
assert_contains "$log" '206 100 ' "access log records the 206 and its 100 body bytes"
assert_contains "$log" '"bytes=100-199"' "access log records the Range header"
assert_eq "$(head -n 1 "$NGINX_LOG" | cut -d' ' -f1-2)" "206 100"

# --- without Range support (restart) ---
first_url=$NGINX_URL
nginx_start "$www" --no-range
nginx_log_clear
code=$(curl -sS -r 100-199 -o "$TEST_TMP/full" -w '%{http_code}' "$NGINX_URL/blob.bin")
assert_eq "$code" 200 "status of a range request with ranges off"
assert_eq "$(wc -c <"$TEST_TMP/full")" "$size" "body size with ranges off"
cmp -s "$TEST_TMP/full" "$www/blob.bin" || fail "full body differs from the file"
nginx_log_wait 1
assert_eq "$(nginx_body_bytes)" "$size" "body bytes sent, from the access log"

# The first server is gone, and so is this one once stopped.
if [[ $first_url != "$NGINX_URL" ]] && curl -s -o /dev/null "$first_url/blob.bin"; then
	fail "the first nginx still answers on $first_url"
fi
url=$NGINX_URL
nginx_stop
if curl -s -o /dev/null "$url/blob.bin"; then
	fail "nginx still answers on $url after nginx_stop"
fi
echo "PASS: nginx harness"
