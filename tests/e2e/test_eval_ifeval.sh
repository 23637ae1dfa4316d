#!/usr/bin/env bash
# halo eval ifeval through the oracle; datasets fetched on first use from a
# mirror (nginx) and verified, a tampered copy refused; the same answers
# scored offline from IFEval's input_response_data format agree.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

# every prompt gets the same plain answer; two prompts get answers that follow them
python3 - "$DATA" "$TEST_TMP/answers.jsonl" <<'PY'
import json, sys
data, out = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(f"{data}/ifeval/input_data.jsonl")]
with open(out, "w") as o:
    o.write(json.dumps({"match": "", "content": "Hello, world. This is a plain answer."}) + "\n")
    for r in recs:
        ids = r["instruction_id_list"]
        if ids == ["change_case:english_lowercase"]:
            o.write(json.dumps({"match": r["prompt"], "content": "all of this answer is in lowercase letters."}) + "\n")
        elif ids == ["punctuation:no_comma"]:
            o.write(json.dumps({"match": r["prompt"], "content": "No commas here at all. None."}) + "\n")
PY
oracle_start "$TEST_TMP/answers.jsonl" --slots 8

# --- datasets: downloaded from a mirror into the cache, verified, then reused
mirror=$(tmpdir)
mkdir -p "$mirror/ifeval"
cp "$DATA/ifeval/input_data.jsonl" "$mirror/ifeval/"
nginx_start "$mirror"
cache=$(tmpdir)
assert_exit 0 "$HALO" eval ifeval --server "$ORACLE_URL" --dataset-mirror "$NGINX_URL" --cache-dir "$cache" \
	--db "$DB" --json
echo "$LAST_OUT" >"$TEST_TMP/r.json"
assert_file "$cache/datasets/ifeval/input_data.jsonl" "downloaded into the cache"
nginx_log_wait 1
assert_eq "$(grep -c 'input_data.jsonl' "$NGINX_LOG")" 1 "downloaded once"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["benchmarks"]["ifeval"]["samples"]')" 541
assert_eq "$(jq "$TEST_TMP/r.json" 'd["benchmarks"]["ifeval"]["instructions_n"]')" 834
assert_eq "$(jq "$TEST_TMP/r.json" 'len(d["benchmarks"]["ifeval"]["instructions"])')" 25 "per-instruction breakdown"
# the two prompts answered properly pass strictly; the plain answer passes some instructions
strict=$(jq "$TEST_TMP/r.json" 'd["benchmarks"]["ifeval"]["prompt_strict_pass"]')
((strict >= 2)) || fail "expected the followed prompts to pass, got $strict"
assert_eq "$(jq "$TEST_TMP/r.json" 'd["benchmarks"]["ifeval"]["instruction_loose"] >= d["benchmarks"]["ifeval"]["instruction_strict"]')" true
# a second run uses the cached copy: no new download
assert_exit 0 "$HALO" eval ifeval --server "$ORACLE_URL" --dataset-mirror "$NGINX_URL" --cache-dir "$cache" \
	--db "$DB" --limit 3
assert_eq "$(grep -c 'input_data.jsonl' "$NGINX_LOG")" 1 "the cache is reused"
# --offline with an empty cache: not found
assert_exit 3 "$HALO" eval ifeval --server "$ORACLE_URL" --offline --cache-dir "$(tmpdir)" --db "$DB" --limit 1
assert_contains "$LAST_ERR" "not downloaded"
# a tampered mirror copy is refused and not kept
printf 'x' >>"$mirror/ifeval/input_data.jsonl"
cache2=$(tmpdir)
assert_exit 4 "$HALO" eval ifeval --server "$ORACLE_URL" --dataset-mirror "$NGINX_URL" --cache-dir "$cache2" \
	--db "$DB" --limit 1
assert_contains "$LAST_ERR" "sha256 mismatch"
[ ! -e "$cache2/datasets/ifeval/input_data.jsonl" ] || fail "a tampered download was kept"
[ ! -e "$cache2/datasets/ifeval/input_data.jsonl.part" ] || fail "a tampered download was left behind"

# --- offline scoring of the same answers in input_response_data format agrees
python3 - "$DATA" "$TEST_TMP/answers.jsonl" "$TEST_TMP/responses.jsonl" <<'PY'
import json, sys
data, answers, out = sys.argv[1:4]
script = {}
default = None
for l in open(answers):
    e = json.loads(l)
    if e["match"]:
        script[e["match"]] = e["content"]
    else:
        default = e["content"]
with open(out, "w") as o:
    for l in open(f"{data}/ifeval/input_data.jsonl"):
        p = json.loads(l)["prompt"]
        o.write(json.dumps({"prompt": p, "response": script.get(p, default)}) + "\n")
PY
assert_exit 0 "$HALO" eval score ifeval "$TEST_TMP/responses.jsonl" --data-dir "$DATA" --db "$DB" --json
echo "$LAST_OUT" >"$TEST_TMP/o.json"
for k in prompt_strict prompt_loose instruction_strict instruction_loose; do
	assert_eq "$(jq "$TEST_TMP/o.json" "d['benchmarks']['ifeval']['$k']")" "$(jq "$TEST_TMP/r.json" "d['benchmarks']['ifeval']['$k']")" "offline $k"
done
echo "ok"
