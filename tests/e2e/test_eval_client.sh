#!/usr/bin/env bash
# How halo eval treats what servers do: thinking (separate field, inline,
# unterminated), finish_reason=length, answers without code, dropped
# connections, malformed JSON, 503 with retries, a server that hangs.
# Every sample ends with the right outcome and the run goes on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/eval_lib.sh"

mkanswers "$DATA" humaneval >"$TEST_TMP/right.jsonl"
python3 - "$TEST_TMP/right.jsonl" "$TEST_TMP/script.jsonl" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
entries = [json.loads(l) for l in open(src)][:10]
bad_code = "```python\ndef nothing(*a):\n    return None\n```"
e = entries
e[0]["reasoning_content"] = "Let me think. " + bad_code           # reasoning field: ignored by scoring
e[1]["reasoning_content"] = "draft: " + bad_code
e[1]["behavior"] = "think_inline"                                   # <think>...</think> in content
e[2]["reasoning_content"] = "I keep thinking and never stop"
e[2]["behavior"] = "think_unterminated"                             # truncated
e[3]["content"] = e[3]["content"][: len(e[3]["content"]) // 2]
e[3]["behavior"] = "length"                                         # cut off: truncated
e[4]["behavior"] = "drop"                                           # infra error
e[5]["behavior"] = "malformed"                                      # infra error
e[6]["behavior"] = "status:503:2"                                   # retried, then passes
e[7]["content"] = "I am sorry, I cannot write that function."        # no code: parse error
e[8]["content"] = "Here you go:\n\n" + e[8]["content"] + "\n\nThis runs in O(n)."  # prose around: passes
e[9]["behavior"] = "hang"                                           # idle timeout
with open(out, "w") as o:
    for x in e:
        o.write(json.dumps(x) + "\n")
PY
oracle_start "$TEST_TMP/script.jsonl" --slots 4
eval_run humaneval --server "$ORACLE_URL" --limit 10 --idle-timeout 2 --json
echo "$LAST_OUT" >"$TEST_TMP/r.json"
run_id=$(jq "$TEST_TMP/r.json" 'd["run"]["id"]')
assert_eq "$(jq "$TEST_TMP/r.json" 'd["run"]["status"]')" done "the run finishes whatever the server did"
assert_exit 0 "$HALO" eval show "$run_id" --per-sample --json --db "$DB"
echo "$LAST_OUT" >"$TEST_TMP/s.json"
outcome() { jq "$TEST_TMP/s.json" "[s['outcome'] for s in d['samples'] if s['task_id'] == 'HumanEval/$1'][0]"; }
assert_eq "$(outcome 0)" pass "reasoning_content is not scored"
assert_eq "$(outcome 1)" pass "an inline think block is not scored"
assert_eq "$(outcome 2)" truncated "an unterminated think block is truncated"
assert_eq "$(outcome 3)" truncated "finish_reason=length is truncated"
assert_eq "$(outcome 4)" infra_error "a dropped connection is an infrastructure error"
assert_eq "$(outcome 5)" infra_error "malformed JSON is an infrastructure error"
assert_eq "$(outcome 6)" pass "503 is retried"
assert_eq "$(outcome 7)" parse_error "an answer without code is a parse error"
assert_eq "$(outcome 8)" pass "prose around the code block is fine"
assert_eq "$(outcome 9)" timeout "a server that goes silent times out"
# retries only where nothing can be generating: 3 requests for the 503 task, 1 for the dropped one
python3 - "$ORACLE_LOG" <<'PY'
import json, sys
from collections import Counter
c = Counter()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("path", "").endswith("/chat/completions"):
        c[r.get("entry")] += 1
assert c[6] == 3, f"503 task asked {c[6]} times, want 3"
assert c[4] == 1, f"dropped task asked {c[4]} times, want 1 (never resend what may be generating)"
assert c[9] == 1, f"hung task asked {c[9]} times, want 1"
PY
# the failure taxonomy in the report
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["infra_error"]')" 2
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["truncated"]')" 2
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["timeout"]')" 1
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["parse_error"]')" 1
assert_eq "$(jq "$TEST_TMP/r.json" 'd["outcomes"]["pass"]')" 4
# what was sent: the request and response are stored with each sample
assert_contains "$(jq "$TEST_TMP/s.json" "[s for s in d['samples'] if s['task_id'] == 'HumanEval/0'][0]['response']['reasoning']")" "Let me think"

# a server that is not there: a clear error and a distinct exit code, nothing stored as passed
assert_exit 5 "$HALO" eval humaneval --server http://127.0.0.1:9 --limit 1 --data-dir "$DATA" --cache-dir "$EVAL_CACHE" \
	--db "$DB" --connect-timeout 1
assert_contains "$LAST_ERR" "halo: "
echo "ok"
