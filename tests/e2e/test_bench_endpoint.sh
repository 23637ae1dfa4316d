#!/usr/bin/env bash
# halo bench endpoint against real llama-servers (the pinned llama.cpp build)
# serving random-weight llama twins: a plain one (two slots, so concurrency 2
# is real) and one with a smaller draft twin of the same tokenizer (-md with
# --spec-type draft-simple: this build does not draft with -md alone),
# compared with --vs (--spec-draft-p-min 0: a random draft is never confident, and
# would otherwise propose nothing). The speeds are whatever this machine gives; the test
# judges the machinery: exact prompt lengths, ordered percentiles, draft
# statistics, failures counted, a dead URL reported; and the storage: each
# run in halo.db, listed and shown again as it was printed live.
. "$(dirname "$0")/lib.sh"

if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build builds llama-server)"
	exit 0
fi
# `halo bench` (cmd_bench.c) dispatches to `bench endpoint`; until it does
# there is nothing to run.
if ! "$HALO" bench endpoint --help 2>/dev/null | grep -q -- "--server"; then
	echo "SKIP: this halo's 'bench' does not dispatch 'bench endpoint' yet"
	exit 0
fi
d=$(tmpdir)
# runs without --db go to the data folder's halo.db: keep it in $d
export XDG_DATA_HOME="$d/xdg"
DB="$d/bench.db"
# A WordPiece tokenizer: every token is whole UTF-8 text. With a byte-level
# BPE one, random output cut by n_predict in the middle of a character makes
# this llama-server's chat parser (run on /completion too) reject the reply.
vocab="$HALO_LLAMA_DIR/models/ggml-vocab-bert-bge.gguf"
twin() { # OUT LAYERS HIDDEN SEED
	"$HALO" synth --arch llama --vocab "$vocab" --layers "$2" --hidden "$3" --heads 4 --kv-heads 2 --head-dim 32 --ff 256 \
		--ctx 2048 --exact-vocab --seed "$4" -q -o "$1" >/dev/null
}
twin "$d/main.gguf" 2 128 1
twin "$d/draft.gguf" 1 64 2

llama_server_start "$d/main.log" -c 1024 -np 2 -t 1 -m "$d/main.gguf"
main_url=$LLAMA_URL
llama_server_start "$d/draft.log" -c 1024 -np 2 -t 1 -m "$d/main.gguf" -md "$d/draft.gguf" --spec-type draft-simple --spec-draft-n-max 4 --spec-draft-n-min 0 --spec-draft-p-min 0
draft_url=$LLAMA_URL

# one server, two prompt lengths, concurrency 1 and 2
assert_exit 0 "$HALO" bench endpoint --server "$main_url" --prompt-tokens 32,128 -n 16 --concurrency 1,2 \
	--requests 4 --json --db "$DB"
echo "$LAST_OUT" >"$d/one.json"
J() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$d/$1.json" "$2"; }
assert_eq "$(J one 'len(d["server"]["levels"])')" 4 "2 prompt lengths x 2 concurrencies"
assert_eq "$(J one 'sorted(set(l["concurrency"] for l in d["server"]["levels"]))')" "[1, 2]"
assert_eq "$(J one 'all(l["requests"] == 4 and l["failures"] == 0 for l in d["server"]["levels"])')" true \
	"every request answered"
# llama-server evaluated exactly the tokens sent, none from its prompt cache
assert_eq "$(J one 'all(s["prompt_n"] == l["prompt_tokens"] and s["cache_n"] == 0 and not s["prompt_mismatch"] for l in d["server"]["levels"] for s in l["samples"])')" true \
	"prompt_n equals each requested length"
assert_eq "$(J one 'all(s["predicted_n"] == 16 for l in d["server"]["levels"] for s in l["samples"])')" true \
	"-n 16 tokens generated (ignore_eos)"
assert_eq "$(J one 'all(s["ttft_ms"] > 0 and s["prompt_per_second"] > 0 and s["predicted_per_second"] > 0 for l in d["server"]["levels"] for s in l["samples"])')" true \
	"TTFT and speeds are positive"
for m in ttft_ms pp_tps tg_tps; do
	assert_eq "$(J one "all(0 < l['$m']['p50'] <= l['$m']['p90'] <= l['$m']['p99'] and l['$m']['n'] == 4 for l in d['server']['levels'])")" true \
		"$m percentiles ordered"
done
assert_eq "$(J one 'all(l["aggregate_tps"] > 0 and l["generated"] == 64 and l["wall_s"] > 0 for l in d["server"]["levels"])')" true
assert_eq "$(J one 'all(l["draft_n"] is None and l["acceptance"] is None for l in d["server"]["levels"])')" true \
	"no draft statistics without a draft model"
# the prompts differ (random prefixes) although the lengths are the same
assert_eq "$(J one '"vs" in d')" false
# the fingerprint from GET /props (and /slots): the twin, its two slots
assert_eq "$(J one 'd["servers"]["server"]["model_path"].endswith("main.gguf")')" true "model_path in --json"
assert_eq "$(J one '[d["servers"]["server"][k] for k in ("total_slots", "n_ctx", "speculative", "url")]')" \
	"[2, 512, false, \"$main_url\"]" "slots, per-slot context (1024 / 2), no draft"
assert_contains "$(J one 'd["servers"]["server"]["build_info"]')" "b"
# the table
assert_exit 0 "$HALO" bench endpoint --server "$main_url" --prompt-tokens 32 -n 4 --concurrency 2 --requests 2
assert_contains "$LAST_OUT" "TTFT ms p50/p90/p99"
assert_contains "$LAST_OUT" "server  $main_url  model main.gguf, n_ctx 512, 2 slots, build "
assert_contains "$LAST_ERR" "prompt 32 concurrency 2: 2 requests done"
table_live=$LAST_OUT
[ -f "$XDG_DATA_HOME/halo/halo.db" ] || fail "a run without --db is stored in the data folder's halo.db"

# stored: listed with its status and URL, shown again as it was printed
one_id=$(J one 'd["id"]')
assert_contains "$LAST_ERR" "stored as endpoint run"
assert_exit 0 "$HALO" bench list --db "$DB" --json
echo "$LAST_OUT" >"$d/list.json"
python3 - "$DB" "$one_id" <<'EOF2'
import json, sqlite3, sys
rep = json.loads(sqlite3.connect(sys.argv[1]).execute("select report_json from bench_endpoint_runs where id = ?", (int(sys.argv[2]),)).fetchone()[0])
fp = rep["servers"]["server"]
assert fp["model_path"].endswith("main.gguf") and fp["total_slots"] == 2, fp
assert "partial" not in rep, "a finished run stores the whole report"
EOF2
assert_eq "$(J list '[(r["id"], r["kind"], r["status"], r["server_url"], r["vs_url"]) for r in d["endpoint_runs"]]')" \
	"[[$one_id, \"endpoint\", \"done\", \"$main_url\", null]]" "the endpoint run in the listing"
assert_eq "$(J list 'd["runs"]')" "[]" "no matrix runs"
assert_eq "$(J list 'd["endpoint_runs"][0]["params"]["prompt_tokens"]')" "[32, 128]"
assert_exit 0 "$HALO" bench show "endpoint:$one_id" --db "$DB" --json
echo "$LAST_OUT" >"$d/shown.json"
python3 - "$d/one.json" "$d/shown.json" <<'EOF2'
import json, sys
live, shown = (json.load(open(f)) for f in sys.argv[1:])
assert shown.pop("status") == "done", shown
assert shown == live, "show endpoint:N --json differs from the live --json"
assert [l["ttft_ms"] for l in shown["server"]["levels"]] == [l["ttft_ms"] for l in live["server"]["levels"]]
EOF2
assert_exit 0 "$HALO" bench list --db "$DB"
assert_contains "$LAST_OUT" "endpoint:$one_id"
assert_contains "$LAST_OUT" "$main_url p=32,128 c=1,2 n=16"
assert_exit 2 "$HALO" bench compare "endpoint:$one_id" 1 --db "$DB"
assert_contains "$LAST_ERR" "matrix runs only"
assert_exit 3 "$HALO" bench show endpoint:99 --db "$DB"
assert_contains "$LAST_ERR" "no endpoint run 99"
# the table run, stored in the default database, prints the same table again
assert_exit 0 "$HALO" bench list --json
last_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["endpoint_runs"][0]["id"])' <<<"$LAST_OUT")
assert_exit 0 "$HALO" bench show "endpoint:$last_id"
assert_eq "$(printf '%s\n' "$LAST_OUT" | tail -n +3)" "$table_live" "show endpoint:N prints the live table"

# ^C: the run is marked interrupted, the exit status is 130
"$HALO" bench endpoint --server "$main_url" --prompt-tokens 32 -n 64 --concurrency 1 --requests 100 --db "$DB" \
	>"$d/int.out" 2>"$d/int.err" &
pid=$!
for _ in $(seq 1 100); do
	grep -q "request" "$d/int.err" 2>/dev/null && break
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute("select count(*) from bench_endpoint_runs where status=\"running\"").fetchone()[0] else 1)' "$DB" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 130 "interrupted: $(cat "$d/int.err")"
assert_exit 0 "$HALO" bench list --db "$DB" --json
assert_eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["endpoint_runs"][0]["status"])' <<<"$LAST_OUT")" interrupted

# kill -9 after the first level: the levels finished so far are stored, with
# their percentiles, and the run stays "running"
"$HALO" bench endpoint --server "$main_url" --prompt-tokens 16,24,40 -n 32 --concurrency 1 --requests 30 \
	--json --db "$DB" >/dev/null 2>"$d/kill.err" &
pid=$!
kid=""
for _ in $(seq 1 200); do
	kid=$(python3 -c '
import json, sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("select id, report_json from bench_endpoint_runs where status = \"running\" order by id desc").fetchone()
if r and r[1] and json.loads(r[1])["server"]["levels"]: print(r[0])' "$DB" 2>/dev/null) && [ -n "$kid" ] && break
	sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -n "$kid" ] || fail "no level stored while running: $(cat "$d/kill.err")"
assert_exit 0 "$HALO" bench show "endpoint:$kid" --db "$DB" --json
echo "$LAST_OUT" >"$d/killed.json"
assert_eq "$(J killed '[d["status"], d["partial"]]')" '["running", true]' "killed: still running, partial"
assert_eq "$(J killed '1 <= len(d["server"]["levels"]) < 3')" true "the finished levels, not all three"
assert_eq "$(J killed 'd["server"]["levels"][0]["prompt_tokens"]')" 16
assert_eq "$(J killed 'all(l["requests"] == 30 and 0 < l["ttft_ms"]["p50"] <= l["ttft_ms"]["p90"] <= l["ttft_ms"]["p99"] and l["tg_tps"]["n"] == 30 for l in d["server"]["levels"])')" true \
	"each stored level is whole, with its percentiles"
assert_eq "$(J killed 'd["servers"]["server"]["total_slots"]')" 2 "the fingerprint is stored with the first level"
assert_exit 0 "$HALO" bench show "endpoint:$kid" --db "$DB"
assert_contains "$LAST_OUT" "running: the levels finished so far; still measuring, or killed"
assert_contains "$LAST_OUT" "server  $main_url  model main.gguf"

# --vs a server with a draft model
assert_exit 0 "$HALO" bench endpoint --server "$main_url" --vs "$draft_url" --prompt-tokens 32 -n 16 \
	--concurrency 1,2 --requests 2 --json
echo "$LAST_OUT" >"$d/vs.json"
assert_eq "$(J vs 'len(d["comparison"])')" 2
assert_eq "$(J vs 'all(c["tg_speedup_p50"] > 0 and c["ttft_speedup_p50"] > 0 for c in d["comparison"])')" true \
	"speed-ups computed"
assert_eq "$(J vs 'all(l["draft_n"] > 0 and 0 <= l["acceptance"] <= 1 and l["draft_n_accepted"] <= l["draft_n"] for l in d["vs"]["levels"])')" true \
	"the draft server reports draft_n > 0 and an acceptance rate in [0, 1]"
assert_eq "$(J vs 'all(c["vs_acceptance"] is not None and c["server_acceptance"] is None for c in d["comparison"])')" true
assert_eq "$(J vs 'all(s["prompt_n"] == 32 for l in d["vs"]["levels"] for s in l["samples"])')" true
assert_eq "$(J vs '[d["servers"]["server"]["speculative"], d["servers"]["vs"]["speculative"], d["servers"]["vs"]["total_slots"]]')" \
	"[false, true, 2]" "the --vs server's fingerprint: drafting"
assert_exit 0 "$HALO" bench endpoint --server "$main_url" --vs "$draft_url" --prompt-tokens 32 -n 4 \
	--concurrency 1 --requests 1
assert_contains "$LAST_OUT" "--vs $draft_url against $main_url"
assert_contains "$LAST_OUT" "vs      $draft_url  model main.gguf, n_ctx 512, 2 slots, build "
# the comparison row ends with the acceptance of each: none for the plain server
last=$(printf '%s\n' "$LAST_OUT" | tail -n 1)
assert_eq "$(echo "$last" | awk '{print $(NF-1)}')" "-" "no acceptance for the plain server: $last"
[[ "$(echo "$last" | awk '{print $NF}')" =~ ^[01]\.[0-9]{3}$ ]] || fail "acceptance of the draft server: $last"

# a failing request is counted, not fatal: a prompt longer than a slot's context
assert_exit 0 "$HALO" bench endpoint --server "$main_url" --prompt-tokens 32,900 -n 4 --concurrency 1 \
	--requests 1 --json
echo "$LAST_OUT" >"$d/fail.json"
assert_eq "$(J fail '[l["failures"] for l in d["server"]["levels"]]')" "[0, 1]"
assert_contains "$(J fail 'd["server"]["levels"][1]["samples"][0]["error"]')" "HTTP 400"
assert_contains "$LAST_ERR" "1 of 1 requests failed"

# errors: nothing listening, a bad option
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
assert_exit 5 "$HALO" bench endpoint --server "http://127.0.0.1:$port" --prompt-tokens 32 -n 4 --db "$DB"
assert_contains "$LAST_ERR" "http://127.0.0.1:$port"
# a dead URL leaves no "running" row: the run is "failed", with the reason
assert_exit 0 "$HALO" bench list --db "$DB" --json
echo "$LAST_OUT" >"$d/list2.json"
assert_eq "$(J list2 '[r["status"] for r in d["endpoint_runs"] if r["server_url"] == "http://127.0.0.1:'"$port"'"]')" '["failed"]'
assert_eq "$(J list2 'sum(r["status"] == "running" and r["id"] != '"$kid"' for r in d["endpoint_runs"])')" 0 \
	"no run left running (but the one killed with -9)"
assert_contains "$(J list2 'd["endpoint_runs"][0]["error"]')" "127.0.0.1:$port"
assert_exit 2 "$HALO" bench endpoint --server "$main_url" --concurrency 0
assert_exit 2 "$HALO" bench endpoint --prompt-tokens 32
assert_exit 2 "$HALO" bench endpoint --server "$main_url" --bogus
assert_contains "$LAST_ERR" "halo bench endpoint: unknown option '--bogus'"
assert_contains "$LAST_ERR" "try 'halo bench endpoint --help'"
# a server that wants an API key: refused without it (the status named), measured with it
llama_server_start "$d/key.log" -c 1024 -np 1 -t 1 -m "$d/main.gguf" --api-key s3cret-key
assert_exit 5 "$HALO" bench endpoint --server "$LLAMA_URL" --prompt-tokens 32 -n 4 --concurrency 1 --requests 1 --db "$DB"
assert_contains "$LAST_ERR" "HTTP 401"
assert_exit 0 "$HALO" bench endpoint --server "$LLAMA_URL" --api-key s3cret-key --prompt-tokens 32 -n 4 \
	--concurrency 1 --requests 2 --json --db "$DB"
echo "$LAST_OUT" >"$d/key.json"
assert_eq "$(J key 'd["server"]["levels"][0]["failures"]')" 0 "every request authorised"
assert_not_contains "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select group_concat(params_json) from bench_endpoint_runs").fetchone()[0])' "$DB")" \
	"s3cret-key" "the key is not stored"
echo "ok"
