#!/usr/bin/env bash
# Hostile answers through the whole halo eval path: a sample that opens a
# network connection, writes outside its folder, fork-bombs, allocates 50 GB
# or sleeps forever is contained, recorded with its verdict, and the run goes
# on to score the next sample normally.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

outside=$(tmpdir)
chmod 777 "$outside" # writable by anyone: only the sandbox may stop the write
# a listener that records every connection it accepts
python3 - "$TEST_TMP/listen.port" "$TEST_TMP/connections" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connected\n")
    c.close()
PY
lpid=$!
on_exit "kill $lpid 2>/dev/null || true"
for _ in $(seq 1 100); do [[ -s $TEST_TMP/listen.port ]] && break; sleep 0.05; done
port=$(cat "$TEST_TMP/listen.port")

mkanswers "$DATA" humaneval >"$TEST_TMP/right.jsonl"
python3 - "$TEST_TMP/right.jsonl" "$TEST_TMP/hostile.jsonl" "$port" "$outside" <<'PY'
import json, sys
src, out, port, outside = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
e = [json.loads(l) for l in open(src)][:6]
bodies = {
    0: f"import socket\n    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n    return True",
    1: f"open('{outside}/pwned', 'w').write('x')\n    open('/tmp/halo-eval-pwned', 'w').write('x')\n    return []",
    2: "import os\n    while True:\n        os.fork()\n    return 0.0",
    3: "x = bytearray(50 * 2**30)\n    return len(x)",
    4: "import time\n    time.sleep(10**9)\n    return 0.0",
}
names = ["has_close_elements", "separate_paren_groups", "truncate_number", "below_zero", "mean_absolute_deviation"]
with open(out, "w") as o:
    for i, x in enumerate(e):
        if i in bodies:  # (every body returns: evalplus's sanitizer drops functions that do not)
            x["content"] = f"```python\ndef {names[i]}(*args):\n    {bodies[i]}\n```"
        o.write(json.dumps(x) + "\n")  # task 5 keeps its canonical answer
PY
oracle_start "$TEST_TMP/hostile.jsonl" --slots 2
rm -f /tmp/halo-eval-pwned
eval_run humaneval --server "$ORACLE_URL" --limit 6 --json
echo "$LAST_OUT" >"$TEST_TMP/r.json"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["run"]["status"]')" done "the run goes on"
"$HALO" eval show 1 --per-sample --json --db "$DB" >"$TEST_TMP/s.json"
outcome() { jq "$TEST_TMP/s.json" "[s['outcome'] for s in d['samples'] if s['task_id'] == 'HumanEval/$1'][0]"; }
assert_eq "$(outcome 0)" wrong "network: the connection fails"
assert_eq "$(outcome 1)" wrong "writing outside: refused"
assert_contains "wrong timeout" "$(outcome 2)" "fork bomb: contained"
assert_eq "$(outcome 3)" wrong "50 GB: MemoryError"
assert_eq "$(outcome 4)" timeout "sleeping forever: killed"
assert_eq "$(outcome 5)" pass "the next sample is scored normally"
[ ! -e "$TEST_TMP/connections" ] || fail "a sample reached the network"
[ ! -e "$outside/pwned" ] || fail "a sample wrote outside its folder"
[ ! -e /tmp/halo-eval-pwned ] || fail "a sample wrote to the host's /tmp"
# nothing of the fork bomb is left
sleep 0.5
left=$(ps -eo args | grep -c '[h]alo-evalplus\|[o]s.fork' || true)
assert_eq "$left" 0 "no process of a sample survives"
echo "ok"
