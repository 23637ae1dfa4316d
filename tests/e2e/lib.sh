# shellcheck shell=bash
# Helpers for the end-to-end tests; source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# ctest passes HALO (the binary), HALO_LLAMA_DIR, HALO_SOURCE_DIR,
# HALO_BUILD_DIR and HALO_TEST_TMP; run by hand (`bash tests/e2e/test_x.sh`)
# they default to the repo's build/ directory.  Turns on `set -eEuo pipefail`,
# with a trap that reports the command that stopped the test.
#
#   fail MSG                  print "FAIL: MSG" and exit 1
#   assert_eq ACTUAL EXPECTED [MSG]
#   assert_ne ACTUAL UNEXPECTED [MSG]
#   assert_contains HAYSTACK NEEDLE [MSG]
#   assert_not_contains HAYSTACK NEEDLE [MSG]
#   assert_file FILE [MSG]    FILE exists
#   assert_exit CODE CMD...   run CMD, fail unless it exits CODE; its output
#                             is left in $LAST_OUT and $LAST_ERR (and the
#                             files $TEST_TMP/last.out and last.err)
#   TEST_TMP                  this test's scratch directory, under
#                             $HALO_TEST_TMP, removed on exit (kept when
#                             KEEP_TMP=1, or when the test fails)
#   tmpdir                    print the path of a fresh directory in TEST_TMP
#   on_exit CMD               run the shell command CMD when the test exits
#   nginx_start DIR [--no-range]
#                             serve DIR with a private nginx on 127.0.0.1 and a
#                             free port; exports NGINX_URL (http://127.0.0.1:PORT)
#                             and NGINX_LOG (access log: one line a request,
#                             "STATUS BODY_BYTES BYTES "REQUEST" "RANGE"").
#                             --no-range: Range headers are ignored (200 and
#                             the full body).  A second call restarts it.
#                             $NGINX_EXTRA: more server-level directives (e.g.
#                             locations; @ROOT@ in them is the served folder)
#   nginx_stop                stop it (also done on exit)
#   nginx_log_wait N          wait (up to 5 s) until the access log has N lines:
#                             nginx logs a request just after answering it
#   nginx_body_bytes          print the sum of body bytes sent so far
#   nginx_log_clear           empty the access log
#   oracle_start ANSWERS [ARGS...]
#                             start tests/tools/oracle_server.py (an OpenAI
#                             chat server scripted by the JSONL file ANSWERS;
#                             ARGS such as --slots N --latency S --no-props)
#                             on 127.0.0.1 and a free port; exports ORACLE_URL
#                             (http://127.0.0.1:PORT) and ORACLE_LOG (one JSON
#                             line a request).  A second call restarts it.
#                             It is a background job of the test: wait for
#                             your own jobs by pid, never with a bare `wait`.
#   oracle_stop               stop it (also done on exit)
#   oracle_requests [PATH]    print how many requests the oracle logged
#                             (default path /v1/chat/completions)
#   llama_server_start LOG ARGS...
#                             the real $HALO_LLAMA_BIN/llama-server with ARGS
#                             on 127.0.0.1 and a free port (retried should
#                             another test take the port first), output in
#                             LOG; waits for /health (30 s).  Sets LLAMA_PORT,
#                             LLAMA_URL and LLAMA_PID; killed on exit.

set -eEuo pipefail
# A failing command that `set -e` stops on says where it was.
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: exit $?: $BASH_COMMAND" >&2' ERR

_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${HALO_SOURCE_DIR:=$(cd "$_lib_dir/../.." && pwd)}"
: "${HALO_BUILD_DIR:=$HALO_SOURCE_DIR/build}"
: "${HALO:=$HALO_BUILD_DIR/halo}"
: "${HALO_LLAMA_DIR:=}"
: "${HALO_TEST_TMP:=$HALO_BUILD_DIR/tmp}"
export HALO HALO_SOURCE_DIR HALO_BUILD_DIR HALO_LLAMA_DIR HALO_TEST_TMP

TEST_NAME=$(basename "$0" .sh)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

assert_eq() {
	[[ $1 == "$2" ]] || fail "${3:-values differ}: expected [$2], got [$1]"
}

assert_ne() {
	[[ $1 != "$2" ]] || fail "${3:-values equal}: got [$1]"
}

assert_contains() {
	[[ $1 == *"$2"* ]] || fail "${3:-missing text}: [$2] not found in:
$1"
}

assert_not_contains() {
	[[ $1 != *"$2"* ]] || fail "${3:-unexpected text}: [$2] found in:
$1"
}

assert_file() {
	[[ -e $1 ]] || fail "${2:-missing file}: $1"
}

# shellcheck disable=SC2034 # set for the tests
LAST_OUT='' LAST_ERR='' LAST_RC=''
assert_exit() {
	local want=$1 rc=0
	shift
	"$@" >"$TEST_TMP/last.out" 2>"$TEST_TMP/last.err" || rc=$?
	# shellcheck disable=SC2034 # set for the tests
	LAST_RC=$rc LAST_OUT=$(<"$TEST_TMP/last.out") LAST_ERR=$(<"$TEST_TMP/last.err")
	if [[ $rc != "$want" ]]; then
		fail "exit $rc, expected $want: $*
--- stdout:
$(tail -n 30 "$TEST_TMP/last.out")
--- stderr:
$(tail -n 30 "$TEST_TMP/last.err")"
	fi
}

# --- scratch space and exit hooks -------------------------------------------

mkdir -p "$HALO_TEST_TMP"
TEST_TMP=$(mktemp -d "$HALO_TEST_TMP/$TEST_NAME.XXXXXX")
export TEST_TMP

tmpdir() {
	mktemp -d "$TEST_TMP/d.XXXXXX"
}

_on_exit=()
on_exit() {
	_on_exit+=("$1")
}

_lib_exit() {
	local rc=$? cmd
	set +e
	for cmd in "${_on_exit[@]}"; do
		eval "$cmd"
	done
	nginx_stop
	oracle_stop
	if [[ ${KEEP_TMP:-0} == 1 || $rc != 0 ]]; then
		echo "($TEST_NAME: scratch files kept in $TEST_TMP)" >&2
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- private nginx ------------------------------------------------------------

NGINX_PID=
NGINX_URL=
NGINX_LOG=
NGINX_PREFIX=

_nginx_bin() {
	if command -v nginx >/dev/null 2>&1; then
		command -v nginx
	elif [[ -x /usr/sbin/nginx ]]; then
		echo /usr/sbin/nginx
	else
		fail "nginx not found (scripts/deps.sh test installs it)"
	fi
}

# Temp paths for every module this nginx has, so it never touches the
# compiled-in /var/lib/nginx (unwritable for a normal user).
_nginx_temp_paths() {
	local v m
	v=$("$1" -V 2>&1)
	echo "	client_body_temp_path $NGINX_PREFIX/temp/client_body;"
	for m in proxy fastcgi uwsgi scgi; do
		[[ $v == *"--without-http_${m}_module"* ]] ||
			echo "	${m}_temp_path $NGINX_PREFIX/temp/$m;"
	done
}

nginx_start() {
	local root=${1:?nginx_start DIR [--no-range]} ranges="" bin conf port user="" pidfile
	[[ ${2:-} == --no-range ]] && ranges="		max_ranges 0;"
	[[ -d $root ]] || fail "nginx_start: no such directory: $root"
	root=$(cd "$root" && pwd)
	nginx_stop
	bin=$(_nginx_bin)
	NGINX_PREFIX=$(mktemp -d "$TEST_TMP/nginx.XXXXXX")
	mkdir -p "$NGINX_PREFIX/temp"
	# As root, workers would otherwise run as nobody and could not read a
	# 0700 scratch directory; as a normal user the directive is ignored with
	# a warning, so leave it out.
	((EUID == 0)) && user="user root;"
	pidfile=$NGINX_PREFIX/nginx.pid
	NGINX_LOG=$NGINX_PREFIX/access.log

	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		conf=$(<"$_lib_dir/nginx.conf.in")
		conf=${conf//@USER@/"$user"}
		conf=${conf//@PREFIX@/"$NGINX_PREFIX"}
		conf=${conf//@PORT@/"$port"}
		conf=${conf//@ROOT@/"$root"}
		conf=${conf//@RANGES@/"$ranges"}
		conf=${conf//@TEMP_PATHS@/"$(_nginx_temp_paths "$bin")"}
		conf=${conf//@EXTRA@/"${NGINX_EXTRA:-}"}
		conf=${conf//@ROOT@/"$root"}
		printf '%s\n' "$conf" >"$NGINX_PREFIX/nginx.conf"
		: >"$NGINX_PREFIX/error.log"
		rm -f "$pidfile"

		"$bin" -p "$NGINX_PREFIX/" -e "$NGINX_PREFIX/error.log" \
			-c "$NGINX_PREFIX/nginx.conf" </dev/null >>"$NGINX_PREFIX/stdout.log" 2>&1 &
		NGINX_PID=$!
		# nginx writes its pid file once it is listening; it exits at once
		# if it cannot bind.
		for _ in $(seq 100); do
			if [[ -s $pidfile ]]; then
				NGINX_URL=http://127.0.0.1:$port
				export NGINX_URL NGINX_LOG NGINX_PID
				return 0
			fi
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$NGINX_PID" 2>/dev/null; then
			nginx_stop
			fail "nginx did not start within 5 s: $(cat "$NGINX_PREFIX"/error.log "$NGINX_PREFIX"/stdout.log)"
		fi
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=
		grep -q "Address already in use" "$NGINX_PREFIX/error.log" "$NGINX_PREFIX/stdout.log" ||
			fail "nginx failed to start: $(cat "$NGINX_PREFIX"/error.log "$NGINX_PREFIX"/stdout.log)"
	done
	fail "nginx: no free port after 10 tries"
}

# Stops a background server of the test: SIGTERM, up to 5 s, then SIGKILL.
_stop_pid() {
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

nginx_stop() {
	[[ -n $NGINX_PID ]] || return 0
	_stop_pid "$NGINX_PID"
	NGINX_PID=
	NGINX_URL=
}

nginx_log_wait() {
	local want=$1
	for _ in $(seq 100); do
		(($(wc -l <"$NGINX_LOG") >= want)) && return 0
		sleep 0.05
	done
	fail "nginx access log has $(wc -l <"$NGINX_LOG") lines, expected $want:
$(cat "$NGINX_LOG")"
}

nginx_body_bytes() {
	awk '{ n += $2 } END { print n + 0 }' "$NGINX_LOG"
}

nginx_log_clear() {
	: >"$NGINX_LOG"
}

# --- oracle chat server (tests/tools/oracle_server.py) ------------------------

ORACLE_PID=
ORACLE_URL=
ORACLE_LOG=

oracle_start() {
	local answers=${1:?oracle_start ANSWERS [ARGS...]} dir
	shift
	[[ -f $answers ]] || fail "oracle_start: no such file: $answers"
	oracle_stop
	dir=$(mktemp -d "$TEST_TMP/oracle.XXXXXX")
	ORACLE_LOG=$dir/log.jsonl
	python3 "$HALO_SOURCE_DIR/tests/tools/oracle_server.py" --answers "$answers" \
		--port-file "$dir/port" --log "$ORACLE_LOG" "$@" </dev/null >>"$dir/stderr.log" 2>&1 &
	ORACLE_PID=$!
	for _ in $(seq 200); do
		if [[ -s $dir/port ]]; then
			ORACLE_URL=http://127.0.0.1:$(<"$dir/port")
			export ORACLE_URL ORACLE_LOG ORACLE_PID
			return 0
		fi
		kill -0 "$ORACLE_PID" 2>/dev/null || break
		sleep 0.05
	done
	oracle_stop
	fail "oracle server did not start: $(cat "$dir/stderr.log")"
}

oracle_stop() {
	[[ -n $ORACLE_PID ]] || return 0
	_stop_pid "$ORACLE_PID"
	ORACLE_PID=
	ORACLE_URL=
}

oracle_requests() {
	local path=${1:-/v1/chat/completions}
	[[ -s $ORACLE_LOG ]] || { echo 0; return 0; }
	grep -c "\"path\": \"$path\"" "$ORACLE_LOG" || true
}

# --- a real llama-server ------------------------------------------------------

llama_server_start() {
	local log=$1 started=0 pid
	shift
	for _ in 1 2 3; do
		LLAMA_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		"$HALO_LLAMA_BIN/llama-server" --host 127.0.0.1 --port "$LLAMA_PORT" "$@" >"$log" 2>&1 &
		pid=$!
		on_exit "kill $pid 2>/dev/null || true"
		for _ in $(seq 1 300); do
			if curl -sf "http://127.0.0.1:$LLAMA_PORT/health" >/dev/null 2>&1; then
				started=1
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		((started)) && break
		kill "$pid" 2>/dev/null || true
	done
	((started)) || fail "llama-server did not start: $(tail -n 20 "$log")"
	LLAMA_PID=$pid
	LLAMA_URL="http://127.0.0.1:$LLAMA_PORT"
}
