#!/usr/bin/env bash
# Prepares the test fixtures that live outside the repo, in a per-user cache,
# and prints the path of what was asked for as the last line on stdout.
# Progress goes to stderr; a cached fixture costs next to nothing.
#
#   scripts/fixtures.sh [llama-src]   the pinned llama.cpp source tree: the
#       release bundled in the npm package node-llama-cpp@3.21.1 (the git
#       bundle llama/gitRelease.bundle in its tarball), cloned into
#       ${XDG_CACHE_HOME:-~/.cache}/halo/llama.cpp-nlc3.21.1
#
# Environment:
#   HALO_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/halo)
#   HALO_NLC_TGZ     use this node-llama-cpp-3.21.1.tgz instead of `npm pack`
#
# Each fixture is built in a scratch directory and renamed into place with a
# stamp file written last, so an interrupted run is simply redone.
set -euo pipefail

NLC_VERSION=3.21.1
# The commit the bundle's HEAD must be: the clone is verified against it.
LLAMA_COMMIT=80fb11ac73e66d89eae2c6a91d8a77428fa733ed
# A file the tests need from the tree (the vocab-only Qwen3.5 GGUF).
LLAMA_PROBE=models/ggml-vocab-qwen35.gguf

CACHE=${HALO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/halo}
STAMP=.halo-fixture-stamp

say() { echo "fixtures.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Serialise concurrent runs (parallel make, two build dirs) on the cache.
lock_cache() {
	mkdir -p "$CACHE"
	if command -v flock >/dev/null; then
		exec 9>"$CACHE/.lock"
		flock 9
	fi
}

# fixture_ready DIR KEY: DIR holds a finished fixture whose stamp says KEY.
fixture_ready() {
	[[ -f $1/$STAMP && $(<"$1/$STAMP") == "$2" ]]
}

# The pinned llama.cpp source tree (a git checkout, detached at LLAMA_COMMIT).
llama_src() {
	local dir=$CACHE/llama.cpp-nlc$NLC_VERSION
	local key="node-llama-cpp@$NLC_VERSION $LLAMA_COMMIT"
	if ! fixture_ready "$dir" "$key"; then
		lock_cache
		fixture_ready "$dir" "$key" || llama_src_make "$dir" "$key"
	fi
	[[ -f $dir/$LLAMA_PROBE ]] || die "$dir lacks $LLAMA_PROBE (remove the directory to refetch)"
	printf '%s\n' "$dir"
}

llama_src_make() {
	local dir=$1 key=$2 work tgz head
	command -v git >/dev/null || die "git not found (scripts/deps.sh test installs it)"
	work=$CACHE/.tmp-llama-src.$$
	rm -rf "$work" "$CACHE"/.tmp-llama-src.*
	mkdir -p "$work"
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT

	if [[ -n ${HALO_NLC_TGZ:-} ]]; then
		tgz=$HALO_NLC_TGZ
		say "using $tgz"
	else
		command -v npm >/dev/null || die "npm not found (scripts/deps.sh test installs it)"
		say "downloading node-llama-cpp@$NLC_VERSION (npm pack, ~35 MB)"
		(cd "$work" && npm pack --silent --ignore-scripts "node-llama-cpp@$NLC_VERSION" >/dev/null) ||
			die "npm pack node-llama-cpp@$NLC_VERSION failed"
		tgz=$work/node-llama-cpp-$NLC_VERSION.tgz
	fi
	[[ -f $tgz ]] || die "$tgz not found"
	tar -xzf "$tgz" -C "$work" package/llama/gitRelease.bundle ||
		die "$tgz has no package/llama/gitRelease.bundle"

	say "cloning llama.cpp from the bundle"
	git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$work/llama.cpp" ||
		die "git clone from the bundle failed"
	head=$(git -C "$work/llama.cpp" rev-parse HEAD)
	[[ $head == "$LLAMA_COMMIT" ]] || die "bundle HEAD is $head, expected $LLAMA_COMMIT"
	[[ -f $work/llama.cpp/$LLAMA_PROBE ]] || die "the llama.cpp tree lacks $LLAMA_PROBE"
	# The bundle is the clone's origin; don't leave it pointing at a deleted file.
	git -C "$work/llama.cpp" remote remove origin
	echo "/$STAMP" >>"$work/llama.cpp/.git/info/exclude"

	printf '%s\n' "$key" >"$work/llama.cpp/$STAMP"
	rm -rf "$dir"
	mv "$work/llama.cpp" "$dir"
	rm -rf "$work"
	trap - EXIT
	say "llama.cpp ready in $dir"
}

usage() {
	sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"
}

case ${1:-llama-src} in
llama-src) llama_src ;;
-h | --help) usage ;;
*) say "unknown fixture: $1"; usage >&2; exit 2 ;;
esac
