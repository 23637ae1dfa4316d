# shellcheck shell=bash
# Helpers shared by the `halo eval` end-to-end tests (source after lib.sh).
#
#   DATA         the pinned datasets (HALO_DATASETS_DIR, else shared/ beside the repo)
#   EVAL_CACHE   halo's cache for these tests: the evalplus ground truth (minutes
#                to compute, keyed by dataset SHA-256 and worker version) is
#                shared by the tests, both build trees and later CI runs:
#                $HALO_EVAL_CACHE, else ~/.cache/halo, where halo keeps it anyway
#   DB           this test's results database
#   jq FILE EXPR python expression over the parsed JSON (tests/e2e/jq.py)
#   mkanswers    the answer-script writer (tests/tools/mkanswers.c)
#   eval_run ARGS...   halo eval ARGS with the test's data, cache and database
#                      (output in $LAST_OUT / $LAST_ERR, must exit 0)

DATA=${HALO_DATASETS_DIR:-$HALO_SOURCE_DIR/../shared/datasets}
[[ -f $DATA/SHA256SUMS ]] || fail "datasets not found at $DATA (set HALO_DATASETS_DIR)"
EVAL_CACHE=${HALO_EVAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/halo}
mkdir -p "$EVAL_CACHE"
DB=$TEST_TMP/halo.db
MKANSWERS=${MKANSWERS_BIN:-$HALO_BUILD_DIR/tests/mkanswers}

jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
mkanswers() { "$MKANSWERS" "$@"; }

eval_run() {
	assert_exit 0 "$HALO" eval "$@" --data-dir "$DATA" --cache-dir "$EVAL_CACHE" --db "$DB"
}
