#!/usr/bin/env bash
# halo bench with the real llama-bench (the pinned build) on two small
# random-weight twins: two backends on the same bin dir that differ in
# bench_flags (-t 1 / -t 2) and a third whose llama-bench prints one result
# and dies with SIGSEGV. Results stored, table printed, SVG well-formed,
# list / show / compare, and a run killed with SIGKILL keeps its cells.
. "$(dirname "$0")/lib.sh"

if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build builds llama-bench)"
	exit 0
fi
d=$(tmpdir)
"$HALO" synth --arch llama --layers 2 --hidden 64 --heads 2 --kv-heads 1 --head-dim 32 --ff 128 --ctx 2048 \
	--exact-vocab -q -o "$d/llama.gguf" >/dev/null
"$HALO" synth --arch qwen3moe --layers 2 --hidden 64 --heads 2 --kv-heads 1 --head-dim 32 --experts 4 \
	--experts-used 2 --expert-ff 64 --ctx 2048 --exact-vocab -q -o "$d/moe.gguf" >/dev/null

mkdir -p "$d/crash"
cat >"$d/crash/llama-bench" <<EOF
#!/bin/sh
for a in "\$@"; do [ "\$a" = --list-devices ] && exec "$HALO_LLAMA_BIN/llama-bench" "\$@"; done
echo '{"build_commit": "fake", "n_prompt": 8, "n_gen": 0, "n_depth": 0, "avg_ts": 5.5, "samples_ts": [5.0, 6.0]}'
echo "about to crash" >&2
kill -SEGV \$\$
EOF
chmod +x "$d/crash/llama-bench"
cat >"$d/backends.conf" <<EOF
[backend t1]
bin = $HALO_LLAMA_BIN
bench_flags = -t 1

[backend t2]
bin = $HALO_LLAMA_BIN
bench_flags = -t 2

[backend boom]
bin = $d/crash
EOF
DB="$d/halo.db"
args=(--backends-file "$d/backends.conf" --db "$DB" -p 8 -n 4 --depth 0,512 -r 2)

cd "$d"
# 2 models x 3 backends x 2 depths; the crashing backend makes the exit status 1
assert_exit 1 "$HALO" bench "$d/llama.gguf" "$d/moe.gguf" "${args[@]}" --svg "$d/chart.svg"
out=$LAST_OUT
assert_contains "$LAST_ERR" "[12/12]"
assert_contains "$LAST_ERR" "4 of 12 cells did not end ok"
assert_contains "$out" "8 of 12 cells ok"
for col in "pp8 @ d0" "tg4 @ d0" "pp8 @ d512" "tg4 @ d512"; do
	assert_contains "$out" "$col" "table column $col"
done
assert_contains "$out" "llama.gguf"
assert_contains "$out" "moe.gguf"
assert_contains "$(grep '^boom' <<<"$out" | head -1)" "(crashed)"
assert_contains "$(grep '^t1' <<<"$out" | head -1)" "±"

# the database: every healthy cell has its pp and tg rows, the crash its one line
py() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])" "$DB" "$1"; }
assert_eq "$(py "select count(*) from bench_cells where run_id=1")" 12
assert_eq "$(py "select count(*) from bench_cells where run_id=1 and status='ok'")" 8
assert_eq "$(py "select count(*) from bench_cells where run_id=1 and status='crashed' and backend='boom' and exit_status=139")" 4
assert_eq "$(py "select count(*) from bench_results r join bench_cells c on c.id=r.cell_id where c.run_id=1 and c.status='ok'")" 16
assert_eq "$(py "select count(*) from bench_results r join bench_cells c on c.id=r.cell_id where c.backend='boom'")" 4
assert_eq "$(py "select count(distinct n_threads) from bench_results r join bench_cells c on c.id=r.cell_id where c.backend in ('t1','t2')")" 2 \
	"bench_flags reached llama-bench"
assert_eq "$(py "select count(*) from bench_results where run_id=1 and n_depth=512")" 8
assert_contains "$(py "select log_tail from bench_cells where backend='boom' limit 1")" "about to crash"
assert_eq "$(py "select status from bench_runs where id=1")" done
assert_eq "$(py "select build_commit from bench_results where run_id=1 and model_filename like '%llama.gguf' limit 1")" \
	"$(py "select json_extract(backend_json, '\$.commit') from bench_cells where backend='t1' limit 1")" \
	"llama-bench's commit matches the probed backend"

# the SVG: well-formed, one line per backend in each panel that has results
python3 - "$d/chart.svg" <<'EOF'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
lines = [p.getAttribute("data-backend") for p in doc.getElementsByTagName("polyline")]
assert set(lines) == {"t1", "t2", "boom"}, lines
# 2 models x (pp: 3 backends, tg: 2 backends)
assert len(lines) == 10, lines
texts = "".join(t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild)
assert "depth (tokens)" in texts and "tokens/s" in texts and "512" in texts
EOF

# show / list / compare
assert_exit 0 "$HALO" bench show 1 --db "$DB" --json
echo "$LAST_OUT" >"$d/show.json"
assert_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(c["results"]) for c in d["cells"] if c["status"]=="ok"))' "$d/show.json")" 16
assert_eq "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["cells"][0]["backend_info"]["bench_flags"])' "$d/show.json")" "['-t', '1']"
assert_exit 0 "$HALO" bench "$d/llama.gguf" --backends t1,t2 "${args[@]}" --json
assert_eq "$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["n_ok"])' <<<"$LAST_OUT")" 4
assert_exit 0 "$HALO" bench list --db "$DB"
assert_contains "$LAST_OUT" "t1,t2,boom"
assert_eq "$(grep -c '^[12] ' <<<"$LAST_OUT")" 2
assert_exit 0 "$HALO" bench compare 1 2 --db "$DB"
assert_contains "$LAST_OUT" "verdict"
assert_exit 0 "$HALO" bench compare 1 2 --db "$DB" --json
echo "$LAST_OUT" >"$d/cmp.json"
python3 - "$d/cmp.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["rows"]
both = [r for r in rows if r["a"] and r["b"] and r["change_pct"] is not None]
# llama.gguf x (t1, t2) x (0, 512) x (pp, tg)
assert len(both) == 8, rows
assert all(r["verdict"] in ("faster", "slower", "noise") for r in both), both
only_a = [r for r in rows if r["verdict"] == "only in A"]
assert len(only_a) == 8 + 4, only_a  # moe.gguf's healthy cells, and boom's one result per model and depth
EOF
assert_exit 2 "$HALO" bench compare 1 --db "$DB"
assert_exit 3 "$HALO" bench show 99 --db "$DB"
assert_contains "$LAST_ERR" "no bench run 99"
assert_exit 3 "$HALO" bench "$d/nope.gguf" "${args[@]}"
assert_contains "$LAST_ERR" "'$d/nope.gguf'"

# killed with SIGKILL midway: the finished cells stay
"$HALO" bench "$d/llama.gguf" "$d/moe.gguf" --backends t1,t2 "${args[@]}" -r 20 >"$d/k.out" 2>"$d/k.err" &
pid=$!
for _ in $(seq 1 300); do
	[ "$(py "select count(*) from bench_cells where run_id=3" 2>/dev/null || echo 0)" -ge 2 ] && break
	sleep 0.1
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
n=$(py "select count(*) from bench_cells where run_id=3 and status='ok'")
[ "$n" -ge 2 ] && [ "$n" -lt 8 ] || fail "killed run kept $n cells"
assert_eq "$(py "select count(*) from bench_results where run_id=3")" $((n * 2))
assert_exit 0 "$HALO" bench show 3 --db "$DB"
assert_contains "$LAST_OUT" "running"

# --- --resume ---------------------------------------------------------------
# Wrapper backends t1/t2 over the same llama.cpp (same flags, so the same
# provenance): llama-bench logs each call (and waits while $d/hold exists,
# or from the call numbered in $d/holdat on, to hold a run mid-cell and kill
# it there); llama-server prints another
# version while $d/fakever exists. flaky crashes while $d/crashnow exists.
mkdir -p "$d/wrap" "$d/flaky"
cat >"$d/wrap/llama-server" <<EOF
#!/bin/sh
if [ -f "$d/fakever" ] && [ "\$1" = --version ]; then
	echo "version: 9.9.9 (build 99, commit deadbee)" >&2
	echo "built with fake" >&2
	exit 0
fi
exec "$HALO_LLAMA_BIN/llama-server" "\$@"
EOF
cat >"$d/wrap/llama-bench" <<EOF
#!/bin/sh
for a in "\$@"; do [ "\$a" = --list-devices ] && exec "$HALO_LLAMA_BIN/llama-bench" "\$@"; done
echo "\$(basename "\$(dirname "\$0")") \$*" >>"$d/calls.log"
echo \$\$ >"$d/last.pid"
while [ -f "$d/hold" ]; do sleep 0.05; done
if [ -f "$d/holdat" ] && [ "\$(wc -l <"$d/calls.log")" -ge "\$(cat "$d/holdat")" ]; then
	while [ -f "$d/holdat" ]; do sleep 0.05; done
fi
if [ "\$(basename "\$(dirname "\$0")")" = flaky ] && [ -f "$d/crashnow" ]; then
	echo '{"n_prompt": 8, "n_gen": 0, "n_depth": 0, "avg_ts": 5.5}'
	kill -SEGV \$\$
fi
exec "$HALO_LLAMA_BIN/llama-bench" "\$@"
EOF
cp "$d/wrap/llama-server" "$d/wrap/llama-bench" "$d/flaky/"
chmod +x "$d/wrap/"* "$d/flaky/"*
cat >"$d/wrap.conf" <<EOF
[backend t1]
bin = $d/wrap
bench_flags = -t 1

[backend t2]
bin = $d/wrap
bench_flags = -t 2

[backend flaky]
bin = $d/flaky
EOF
grep -v flaky "$d/wrap.conf" >"$d/noflaky.conf"
: >"$d/calls.log"
calls() { wc -l <"$d/calls.log" | tr -d ' '; }
R=(--db "$DB" --backends-file "$d/wrap.conf")

# run 4: killed with SIGKILL in its 4th cell, 3 of 8 finished
echo 4 >"$d/holdat"
"$HALO" bench "$d/llama.gguf" "$d/moe.gguf" --backends t1,t2 -p 8 -n 4 --depth 0,512 -r 1 "${R[@]}" \
	>"$d/k4.out" 2>"$d/k4.err" &
kpid=$!
for _ in $(seq 1 400); do [ "$(calls)" -ge 4 ] && break; sleep 0.05; done
assert_eq "$(calls)" 4 "run 4 reached its 4th cell: $(cat "$d/k4.err")"
kill -KILL "$kpid"
wait "$kpid" 2>/dev/null || true
kill -KILL "$(cat "$d/last.pid")" # the held llama-bench wrapper
rm "$d/holdat"
assert_eq "$(py "select count(*) from bench_cells where run_id=4")" 3
assert_eq "$(py "select status from bench_runs where id=4")" running
: >"$d/calls.log"
n=3
# matrix options are the run's own
assert_exit 2 "$HALO" bench --resume 4 -p 99 "${R[@]}"
assert_contains "$LAST_ERR" "'-p' cannot be given with it"
assert_exit 2 "$HALO" bench --resume 4 "$d/llama.gguf" "${R[@]}"
assert_exit 2 "$HALO" bench "$d/llama.gguf" --retry-failed "${R[@]}"
assert_exit 3 "$HALO" bench --resume 99 "${R[@]}"

# another backend version than the earlier cells': refused, nothing run
touch "$d/fakever"
assert_exit 6 "$HALO" bench --resume 4 "${R[@]}"
assert_contains "$LAST_ERR" "backend 't1': version \"0.4.0"
assert_contains "$LAST_ERR" "9.9.9"
assert_contains "$LAST_ERR" "--force"
assert_eq "$(calls)" 0
rm "$d/fakever"

# run 4 was killed after $n of 8 cells: a resume runs exactly the other ones;
# a second resume while the first holds the run is refused
touch "$d/hold"
"$HALO" bench --resume 4 "${R[@]}" >"$d/r.out" 2>"$d/r.err" &
rpid=$!
for _ in $(seq 1 200); do [ "$(calls)" -ge 1 ] && break; sleep 0.05; done
assert_eq "$(calls)" 1 "the first resume is in its first cell"
assert_exit 1 "$HALO" bench --resume 4 "${R[@]}"
assert_contains "$LAST_ERR" "being run by process $rpid"
rm "$d/hold"
rrc=0
wait "$rpid" || rrc=$?
assert_eq "$rrc" 0 "resume exit status: $(cat "$d/r.err")"
assert_contains "$(cat "$d/r.err")" "$((8 - n)) of 8 cells to run"
assert_eq "$(calls)" $((8 - n)) "llama-bench calls of the resume"
assert_eq "$(grep -c -- '-p 8 -n 4 -d [0-9]* -r 1 ' "$d/calls.log")" $((8 - n)) "the run's own -p -n -r"
assert_eq "$(py "select status from bench_runs where id=4")" done
assert_eq "$(py "select pid is null from bench_runs where id=4")" 1
assert_exit 0 "$HALO" bench show 4 --db "$DB" --json
echo "$LAST_OUT" >"$d/show3.json"
python3 - "$d/show3.json" "$d/calls.log" "$d" $((8 - n)) <<'PY'
import json, sys, itertools
d = json.load(open(sys.argv[1]))
cells = [(c["model"], c["backend"], c["depth"]) for c in d["cells"]]
full = set(itertools.product([sys.argv[3] + "/llama.gguf", sys.argv[3] + "/moe.gguf"], ["t1", "t2"], [0, 512]))
assert sorted(cells) == sorted(full), cells          # every cell once: the shape of a full matrix
assert all(c["status"] == "ok" and len(c["results"]) == 2 for c in d["cells"]), d["cells"]
resumed = {(c["model"], c["backend"], c["depth"]) for c in d["cells"] if c["backend_info"].get("resumed")}
assert len(resumed) == int(sys.argv[4]), resumed
called = set()
for line in open(sys.argv[2]):
    a = line.split()
    called.add((a[a.index("-m") + 1], "t" + a[a.index("-t") + 1], int(a[a.index("-d") + 1])))
assert called == resumed, (called, resumed)           # exactly the missing cells ran
PY
assert_exit 0 "$HALO" bench show 4 --db "$DB"
assert_contains "$LAST_OUT" "8 of 8 cells ok"
t3=$(grep -c '^t[12] ' <<<"$LAST_OUT")
assert_exit 0 "$HALO" bench show 1 --db "$DB"
assert_eq "$t3" "$(grep -c '^t[12] ' <<<"$LAST_OUT")" "as many t1/t2 table rows as run 1's full matrix"
# done: nothing to resume
assert_exit 0 "$HALO" bench --resume 4 "${R[@]}"
assert_contains "$LAST_ERR" "nothing to resume"
assert_eq "$(calls)" $((8 - n))

# a crashing backend: --resume alone has nothing to do; --retry-failed runs
# exactly the crashed cells again (replacing them), after the provenance checks
: >"$d/calls.log"
touch "$d/crashnow"
assert_exit 1 "$HALO" bench "$d/llama.gguf" --backends t1,flaky -p 8 -n 4 --depth 0,512 -r 1 "${R[@]}"
assert_contains "$LAST_ERR" "run 5 "
assert_eq "$(py "select count(*) from bench_cells where run_id=5 and status='crashed'")" 2
rm "$d/crashnow"
assert_exit 0 "$HALO" bench --resume 5 "${R[@]}"
assert_contains "$LAST_ERR" "2 did not end ok; --retry-failed"
assert_exit 3 "$HALO" bench --resume 5 --retry-failed --db "$DB" --backends-file "$d/noflaky.conf"
assert_contains "$LAST_ERR" "backend 'flaky', which is no longer in backends.conf"
touch -d '2001-01-01' "$d/llama.gguf"
touch "$d/fakever"
assert_exit 6 "$HALO" bench --resume 5 --retry-failed "${R[@]}"
assert_contains "$LAST_ERR" "model '$d/llama.gguf': modified since"
assert_contains "$LAST_ERR" "backend 'flaky': version"
assert_not_contains "$LAST_ERR" "backend 't1'"
assert_eq "$(calls)" 4
assert_exit 0 "$HALO" bench --resume 5 --retry-failed --force "${R[@]}"
assert_contains "$LAST_ERR" "2 of 4 cells to run"
assert_eq "$(calls)" 6
assert_eq "$(tail -2 "$d/calls.log" | grep -c '^flaky ')" 2
assert_eq "$(py "select count(*) from bench_cells where run_id=5")" 4
assert_eq "$(py "select count(*) from bench_cells where run_id=5 and status='ok'")" 4
assert_eq "$(py "select count(*) from bench_results where run_id=5")" 8
assert_eq "$(py "select count(*) from bench_cells where run_id=5 and backend='flaky' and json_extract(backend_json, '\$.resume_forced[0]') like '%modified since%'")" 2
assert_eq "$(py "select count(*) from bench_cells where run_id=5 and backend='t1' and json_extract(backend_json, '\$.resumed') is null")" 2
assert_eq "$(py "select status from bench_runs where id=5")" done
rm "$d/fakever"
echo "ok"
