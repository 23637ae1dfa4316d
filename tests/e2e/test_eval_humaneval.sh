#!/usr/bin/env bash
# halo eval humaneval against the oracle server answering canonical solutions:
# 164/164 base and plus; deliberately wrong solutions all fail; answers
# produced elsewhere (evalplus samples.jsonl) score the same offline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

mkanswers "$DATA" humaneval >"$TEST_TMP/right.jsonl"
assert_eq "$(wc -l <"$TEST_TMP/right.jsonl")" 164 "one answer per task"
oracle_start "$TEST_TMP/right.jsonl" --slots 4

# --- every canonical solution passes base and plus, through the whole path
eval_run humaneval --server "$ORACLE_URL" --json
echo "$LAST_OUT" >"$TEST_TMP/right.json"
assert_eq "$(jq "$TEST_TMP/right.json" 'd["benchmarks"]["humaneval"]["samples"]')" 164
assert_eq "$(jq "$TEST_TMP/right.json" 'd["outcomes"]["pass"]')" 164 "every canonical solution passes"
assert_eq "$(jq "$TEST_TMP/right.json" 'd["benchmarks"]["humaneval"]["base"]["pass@1"]')" 1.0
assert_eq "$(jq "$TEST_TMP/right.json" 'd["benchmarks"]["humaneval"]["plus"]["pass@1"]')" 1.0
assert_eq "$(jq "$TEST_TMP/right.json" 'd["run"]["status"]')" done
# (concurrency comes from the oracle's 4 slots)
assert_eq "$(grep -c '/v1/chat/completions' "$ORACLE_LOG")" 164 "each task asked once"

# the plain report says the same
run_id=$(jq "$TEST_TMP/right.json" 'd["run"]["id"]')
assert_exit 0 "$HALO" eval show "$run_id" --db "$DB"
assert_contains "$LAST_OUT" "humaneval: 164 samples, pass 100.0%"
assert_contains "$LAST_OUT" "pass@1   base 100.0%  plus 100.0%"
assert_exit 0 "$HALO" eval list --db "$DB" --json
assert_eq "$(echo "$LAST_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["passed"])')" 164

# --- pass@k with --samples, the catalog preset as sent, overrides and seeds
eval_run humaneval --server "$ORACLE_URL" --limit 2 --samples 3 --catalog-model qwen3.5-35b-a3b \
	--temperature 0.2 --seed 7 --json
echo "$LAST_OUT" >"$TEST_TMP/k.json"
assert_eq "$(jq "$TEST_TMP/k.json" 'd["benchmarks"]["humaneval"]["samples_per_task"]')" 3
assert_eq "$(jq "$TEST_TMP/k.json" 'd["benchmarks"]["humaneval"]["plus"]')" '{"pass@1": 1.0}' "pass@k only where every task has k samples"
python3 - "$ORACLE_LOG" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
bodies = [r["body"] for r in reqs if r.get("path", "").endswith("/chat/completions")][-6:]
for b in bodies:
    # thinking-coding preset of Qwen3.5-35B-A3B (configs/models.conf), temperature overridden
    assert b["temperature"] == 0.2, b
    assert b["top_p"] == 0.95 and b["top_k"] == 20 and b["min_p"] == 0.0, b
    assert b["presence_penalty"] == 0.0 and b["max_tokens"] == 32768, b
assert sorted(b["seed"] for b in bodies) == [7, 7, 8, 8, 9, 9], [b["seed"] for b in bodies]
PY

# --- wrong solutions are caught (first 20 tasks)
mkanswers "$DATA" humaneval wrong >"$TEST_TMP/wrong.jsonl"
oracle_start "$TEST_TMP/wrong.jsonl"
eval_run humaneval --server "$ORACLE_URL" --limit 20 --json
echo "$LAST_OUT" >"$TEST_TMP/wrong.json"
assert_eq "$(jq "$TEST_TMP/wrong.json" 'd["outcomes"]["pass"]')" 0 "no wrong solution passes"
assert_eq "$(jq "$TEST_TMP/wrong.json" 'd["outcomes"]["wrong"]')" 20

# --- offline: evalplus samples.jsonl, with "solution" and with "completion"
python3 - "$DATA" "$TEST_TMP/samples.jsonl" <<'PY'
import gzip, json, sys
data, out = sys.argv[1], sys.argv[2]
with gzip.open(f"{data}/humaneval-plus/HumanEvalPlus-v0.1.10.jsonl.gz", "rt") as f, open(out, "w") as o:
    for i, line in enumerate(f):
        t = json.loads(line)
        if i % 2:
            o.write(json.dumps({"task_id": t["task_id"], "solution": t["prompt"] + t["canonical_solution"]}) + "\n")
        else:
            o.write(json.dumps({"task_id": t["task_id"], "completion": t["canonical_solution"]}) + "\n")
PY
assert_exit 0 "$HALO" eval score humaneval "$TEST_TMP/samples.jsonl" --data-dir "$DATA" --cache-dir "$EVAL_CACHE" \
	--db "$DB" --json
echo "$LAST_OUT" >"$TEST_TMP/offline.json"
assert_eq "$(jq "$TEST_TMP/offline.json" 'd["outcomes"]["pass"]')" 164 "offline canonical samples pass"
assert_eq "$(jq "$TEST_TMP/offline.json" 'd["run"]["suite"]')" score:humaneval
echo "ok"
