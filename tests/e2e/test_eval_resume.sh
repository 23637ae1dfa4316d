#!/usr/bin/env bash
# kill -9 in the middle of a run, then --resume: the final results equal an
# uninterrupted run's, and finished samples are not asked again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

N=24
mkanswers "$DATA" humaneval >"$TEST_TMP/right.jsonl"
mkanswers "$DATA" humaneval wrong >"$TEST_TMP/wrong.jsonl"
# odd tasks answer wrongly, so "the same results" means something
python3 - "$TEST_TMP" <<'PY'
import sys
d = sys.argv[1]
right = open(f"{d}/right.jsonl").read().splitlines()
wrong = open(f"{d}/wrong.jsonl").read().splitlines()
with open(f"{d}/mixed.jsonl", "w") as o:
    for i, (r, w) in enumerate(zip(right, wrong)):
        o.write((w if i % 2 else r) + "\n")
PY
oracle_start "$TEST_TMP/mixed.jsonl" --slots 2 --latency 0.25

stored_count() { # DB -> samples stored so far (0 while the database is being created)
	python3 -c "import sqlite3,sys
try:
    print(sqlite3.connect(sys.argv[1]).execute('select count(*) from eval_samples').fetchone()[0])
except Exception:
    print(0)" "$1"
}

outcomes() { # DB RUN -> "task outcome" lines, sorted
	"$HALO" eval show "$2" --per-sample --json --db "$1" >"$TEST_TMP/o.json"
	jq "$TEST_TMP/o.json" '"\n".join(sorted(s["task_id"] + " " + s["outcome"] for s in d["samples"]))'
}

# the reference: one uninterrupted run
eval_run humaneval --server "$ORACLE_URL" --limit $N --concurrency 2
ref=$(outcomes "$DB" 1)
assert_eq "$(echo "$ref" | grep -c ' pass$')" $((N / 2)) "half the tasks pass"

# the same run, killed with SIGKILL once some samples are stored
DB2=$TEST_TMP/killed.db
log_before=$(wc -l <"$ORACLE_LOG")
"$HALO" eval humaneval --server "$ORACLE_URL" --limit $N --concurrency 2 --data-dir "$DATA" \
	--cache-dir "$EVAL_CACHE" --db "$DB2" >"$TEST_TMP/killed.out" 2>&1 &
pid=$!
stored=0
for _ in $(seq 1 600); do
	stored=$(stored_count "$DB2")
	((stored >= 8)) && break
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
((stored >= 8 && stored < N)) || fail "expected to kill mid-run, $stored of $N stored"
assert_exit 0 "$HALO" eval show 1 --json --db "$DB2"
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')" running \
	"a killed run is left as it was"
before_kill=$(python3 -c "import sqlite3,sys
print('\n'.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute('select task_id from eval_samples')))" "$DB2")

assert_exit 0 "$HALO" eval --resume 1 --server "$ORACLE_URL" --data-dir "$DATA" --cache-dir "$EVAL_CACHE" --db "$DB2"
assert_eq "$(outcomes "$DB2" 1)" "$ref" "resumed results equal the uninterrupted run's"
assert_exit 0 "$HALO" eval show 1 --json --db "$DB2"
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')" done

# finished samples were not asked again; at most the 2 in flight were asked twice
python3 - "$ORACLE_LOG" "$log_before" "$N" <<PY
import json, sys
from collections import Counter
log, skip, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = Counter()
for i, l in enumerate(open(log)):
    r = json.loads(l)
    if i >= skip and r.get("path", "").endswith("/chat/completions"):
        c[r["entry"]] += 1
assert len(c) == n, f"{len(c)} tasks asked, want {n}"
twice = [e for e, k in c.items() if k > 1]
assert all(k <= 2 for k in c.values()), c
assert len(twice) <= 2, f"asked twice: {twice}"
done_before = """$before_kill""".split()
for t in done_before:
    e = int(t.split("/")[1])
    assert c[e] == 1, f"{t} was finished before the kill but asked again"
PY
# ^C (SIGINT): in-flight requests are dropped, the run is marked interrupted,
# halo exits 130, and --resume completes it with the same results
DB3=$TEST_TMP/int.db
"$HALO" eval humaneval --server "$ORACLE_URL" --limit $N --concurrency 2 --data-dir "$DATA" \
	--cache-dir "$EVAL_CACHE" --db "$DB3" >"$TEST_TMP/int.out" 2>"$TEST_TMP/int.err" &
pid=$!
for _ in $(seq 1 600); do
	n=$(stored_count "$DB3")
	((n >= 4)) && break
	sleep 0.05
done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 130 "interrupted: exit 130"
assert_contains "$(cat "$TEST_TMP/int.err")" "halo eval --resume 1"
assert_exit 0 "$HALO" eval show 1 --json --db "$DB3"
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')" interrupted
assert_exit 0 "$HALO" eval --resume 1 --server "$ORACLE_URL" --data-dir "$DATA" --cache-dir "$EVAL_CACHE" --db "$DB3"
assert_eq "$(outcomes "$DB3" 1)" "$ref" "results after ^C and --resume equal the uninterrupted run's"
echo "ok"
