#!/usr/bin/env bash
# halo eval mbpp against the oracle answering canonical solutions: 377 of the
# 378 MBPP+ tasks pass base and plus through the chat path. Mbpp/630 fails
# there in the reference too: evalplus's sanitizer drops its generator helper
# (no `return`), docs/evalplus.md. Judged as is (offline), all 378 pass. The
# code suite runs both benchmarks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

mkanswers "$DATA" mbpp >"$TEST_TMP/mbpp.jsonl"
mkanswers "$DATA" humaneval >>"$TEST_TMP/mbpp.jsonl"
assert_eq "$(wc -l <"$TEST_TMP/mbpp.jsonl")" $((378 + 164))
oracle_start "$TEST_TMP/mbpp.jsonl" --slots 2

eval_run mbpp --server "$ORACLE_URL" --json
echo "$LAST_OUT" >"$TEST_TMP/r.json"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["benchmarks"]["mbpp"]["samples"]')" 378
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["pass"]')" 377 "every canonical MBPP+ solution but one passes"
"$HALO" eval show "$(jq "$TEST_TMP/r.json" 'd["run"]["id"]')" --per-sample --json --db "$DB" >"$TEST_TMP/s.json"
assert_eq "$(jq "$TEST_TMP/s.json" '[s["task_id"] for s in d["samples"] if s["outcome"] != "pass"]')" '["Mbpp/630"]'
assert_contains "$(jq "$TEST_TMP/s.json" '[s["detail"]["detail"] for s in d["samples"] if s["task_id"] == "Mbpp/630"][0]')" \
	"NameError: name 'adjac' is not defined"

# offline, as evalplus's evaluate judges samples.jsonl: solutions as they are,
# Mbpp/630 included (test_evalplus judges all 378 this way)
python3 - "$DATA" "$TEST_TMP/samples.jsonl" <<'PY'
import gzip, json, sys
with gzip.open(f"{sys.argv[1]}/mbpp-plus/MbppPlus-v0.2.0.jsonl.gz", "rt") as f, open(sys.argv[2], "w") as o:
    for i, line in enumerate(f):
        t = json.loads(line)
        if i % 40 == 0 or t["task_id"] == "Mbpp/630":
            o.write(json.dumps({"task_id": t["task_id"], "solution": t["canonical_solution"]}) + "\n")
PY
assert_exit 0 "$HALO" eval score mbpp "$TEST_TMP/samples.jsonl" --data-dir "$DATA" --cache-dir "$EVAL_CACHE" --db "$DB" --json
echo "$LAST_OUT" >"$TEST_TMP/offline.json"
assert_eq "$(jq "$TEST_TMP/offline.json" 'd["totals"]["samples"]')" "$(wc -l <"$TEST_TMP/samples.jsonl")"
assert_eq "$(jq "$TEST_TMP/offline.json" 'd["outcomes"]["pass"]')" "$(wc -l <"$TEST_TMP/samples.jsonl")" "canonical solutions pass as is, Mbpp/630 too"

# the code suite: HumanEval+ and MBPP+ in one run, a shard of each
eval_run code --server "$ORACLE_URL" --shard 3/20 --json
echo "$LAST_OUT" >"$TEST_TMP/code.json"
assert_eq "$(jq "$TEST_TMP/code.json" 'sorted(d["benchmarks"])')" '["humaneval", "mbpp"]'
# task t is in shard (t mod 20) + 1: shard 3 holds t = 2, 22, ...: HumanEval+ 9 of 164, MBPP+ 19 of 378
assert_eq "$(jq "$TEST_TMP/code.json" 'd["benchmarks"]["humaneval"]["samples"]')" 9
assert_eq "$(jq "$TEST_TMP/code.json" 'd["benchmarks"]["mbpp"]["samples"]')" 19
assert_eq "$(jq "$TEST_TMP/code.json" 'd["outcomes"]["pass"]')" 28
echo "ok"
