#!/usr/bin/env bash
# Prepares the test fixtures that live outside the repo, in a per-user cache,
# and prints the path of what was asked for as the last line on stdout.
# Progress goes to stderr; a cached fixture costs next to nothing.
#
#   scripts/fixtures.sh [llama-src]   the pinned llama.cpp source tree: the
#       release bundled in the npm package node-llama-cpp@3.21.1 (the git
#       bundle llama/gitRelease.bundle in its tarball), cloned into
#       ${XDG_CACHE_HOME:-~/.cache}/halo/llama.cpp-nlc3.21.1
#   scripts/fixtures.sh llama-build   that tree built with CMake (CPU backend,
#       Release, static, no network features): prints the directory holding
#       llama-server, llama-bench, llama-cli, llama-completion and
#       llama-fit-params, ${XDG_CACHE_HOME:-~/.cache}/halo/
#       llama.cpp-build-<commit12>-cpu-<hash8>/bin, where hash8 covers the
#       CMake options, targets, compilers and (native build) the CPU's flags.
#       The first build takes 10-13 minutes on 2 cores; then it is free.
#
# Environment:
#   HALO_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/halo)
#   HALO_NLC_TGZ     use this node-llama-cpp-3.21.1.tgz instead of `npm pack`
#   HALO_LLAMA_JOBS  llama-build parallelism (default: nproc)
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
# The source tree and the (long) binary build take separate locks, so a
# build in progress never holds up a run that only needs the source.
lock_cache() {
	mkdir -p "$CACHE"
	if command -v flock >/dev/null; then
		exec 9>"$CACHE/.lock"
		flock 9
	fi
}

lock_build() {
	mkdir -p "$CACHE"
	if command -v flock >/dev/null; then
		exec 8>"$CACHE/.lock-llama-build"
		if ! flock -n 8; then
			say "waiting for another llama.cpp build to finish (lock $CACHE/.lock-llama-build)"
			flock 8
		fi
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

# --- the llama.cpp binaries ------------------------------------------------

# What the tests run. llama-cli is the chat client (built on the server code);
# llama-completion is the one-shot generator (the old llama-cli).
LLAMA_TARGETS=(llama-server llama-bench llama-cli llama-completion llama-fit-params)

# CPU backend only, Release, everything linked statically into each binary
# (only libc, libstdc++, libgomp and libm from the system), no HTTPS (the
# binaries' own -hf/-mu downloads are not used), no web UI assets (this
# release would download them from a Hugging Face bucket, or build them with
# npm; without them llama-server serves its API and a placeholder page), no
# tests/examples/unified `llama` app, no ccache. LLAMA_BUILD_IS_DEV=OFF: the
# tree is the tagged release v0.4.0 (node-llama-cpp's llama.cpp.info.json),
# so --version says 0.4.0 rather than 0.4.0-dev. GGML_NATIVE=ON: -march=native,
# which is why the host's CPU flags are part of the cache key.
LLAMA_CMAKE_OPTS=(
	-DCMAKE_BUILD_TYPE=Release
	-DBUILD_SHARED_LIBS=OFF
	-DLLAMA_BUILD_IS_DEV=OFF
	-DLLAMA_BUILD_COMMON=ON
	-DLLAMA_BUILD_TOOLS=ON
	-DLLAMA_BUILD_SERVER=ON
	-DLLAMA_BUILD_TESTS=OFF
	-DLLAMA_BUILD_EXAMPLES=OFF
	-DLLAMA_BUILD_APP=OFF
	-DLLAMA_BUILD_UI=OFF
	-DLLAMA_USE_PREBUILT_UI=OFF
	-DLLAMA_OPENSSL=OFF
	-DLLAMA_LLGUIDANCE=OFF
	-DGGML_CPU=ON
	-DGGML_BACKEND_DL=OFF
	-DGGML_NATIVE=ON
	-DGGML_OPENMP=ON
	-DGGML_CCACHE=OFF
)
# Bump when the build recipe changes in a way the options above don't show.
LLAMA_BUILD_RECIPE=1

# What -march=native means to this compiler on this CPU: the target options
# the driver passes to the compiler proper (gcc: -march=X -mfoo -mno-bar
# --param cache sizes; clang: -target-cpu and -target-feature), else the
# CPU's flags from /proc/cpuinfo.
native_flags() {
	local out
	out=$("${CXX:-c++}" -march=native -### -x c++ -c /dev/null -o /dev/null 2>&1 |
		grep -E '/cc1plus |"-cc1"' | tr ' ' '\n' | tr -d '"' |
		grep -E -A1 '^-target-(cpu|feature)$' | grep -v -- '^--$' |
		paste -sd ' ' - || true)
	[[ -n $out ]] || out=$("${CXX:-c++}" -march=native -### -x c++ -c /dev/null -o /dev/null 2>&1 |
		grep -E '/cc1plus ' | tr ' ' '\n' | tr -d '"' |
		grep -E '^(-march=|-mtune=|-m[a-z0-9]|--param=?)|cache-size=|cache-line-size=' |
		paste -sd ' ' - || true)
	[[ -n $out ]] || out=$(grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo 2>/dev/null |
		sed 's/^[^:]*://' | tr ' ' '\n' | sed '/^$/d' | sort | paste -sd ' ' - || true)
	printf '%s\n' "$out"
}

# The key of a build: everything that changes the binaries.
llama_build_key() {
	printf '%s\n' \
		"llama.cpp $LLAMA_COMMIT (node-llama-cpp@$NLC_VERSION) recipe $LLAMA_BUILD_RECIPE" \
		"targets: ${LLAMA_TARGETS[*]}" \
		"cmake: ${LLAMA_CMAKE_OPTS[*]}" \
		"cc: ${CC:-cc}: $("${CC:-cc}" --version 2>/dev/null | head -n 1)" \
		"c++: ${CXX:-c++}: $("${CXX:-c++}" --version 2>/dev/null | head -n 1)" \
		"arch: $(uname -m)" \
		"native: $(native_flags)"
}

# The llama.cpp binaries, built from the pinned tree; prints the bin directory.
llama_build() {
	local src key hash dir
	src=$(llama_src | tail -n 1)
	# CMake compiles with $CC/$CXX when set, else cc/c++: the key names them.
	command -v "${CXX:-c++}" >/dev/null || die "no C++ compiler (${CXX:-c++}) found (scripts/deps.sh test installs g++)"
	key=$(llama_build_key)
	hash=$(printf '%s\n' "$key" | sha256sum | cut -c1-8)
	dir=$CACHE/llama.cpp-build-${LLAMA_COMMIT:0:12}-cpu-$hash
	if ! llama_build_ready "$dir" "$key"; then
		lock_build
		llama_build_ready "$dir" "$key" || llama_build_make "$src" "$dir" "$key"
	fi
	printf '%s\n' "$dir/bin"
}

llama_build_ready() {
	local t
	fixture_ready "$1" "$2" || return 1
	for t in "${LLAMA_TARGETS[@]}"; do
		[[ -x $1/bin/$t ]] || return 1
	done
}

llama_build_make() {
	local src=$1 dir=$2 key=$3 work jobs gen=() t start secs
	command -v cmake >/dev/null || die "cmake not found (scripts/deps.sh run installs it)"
	jobs=${HALO_LLAMA_JOBS:-$(nproc 2>/dev/null || echo 2)}
	work=$CACHE/.tmp-llama-build.$$
	rm -rf "$work" "$CACHE"/.tmp-llama-build.*
	mkdir -p "$work/out/bin"
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	command -v ninja >/dev/null && gen=(-G Ninja)
	# Our caller may be make: don't let cmake's build tool join its jobserver.
	unset MAKEFLAGS MAKELEVEL MFLAGS

	say "building llama.cpp ${LLAMA_COMMIT:0:12} (CPU, Release) with -j$jobs into $dir"
	say "targets: ${LLAMA_TARGETS[*]}; this takes several minutes the first time"
	start=$SECONDS
	printf '%s\n' "$key" >"$work/out/build-key.txt"
	if ! cmake -S "$src" -B "$work/build" "${gen[@]}" "${LLAMA_CMAKE_OPTS[@]}" \
		>"$work/out/build.log" 2>&1; then
		llama_build_fail "$work" "cmake configure failed"
	fi
	# The whole log goes to build.log; stderr gets the progress every 10%
	# and each executable linked.
	if ! cmake --build "$work/build" -j "$jobs" --target "${LLAMA_TARGETS[@]}" 2>&1 |
		tee -a "$work/out/build.log" | llama_build_progress; then
		llama_build_fail "$work" "cmake --build failed"
	fi

	for t in "${LLAMA_TARGETS[@]}"; do
		[[ -x $work/build/bin/$t ]] || llama_build_fail "$work" "$t was not built"
		cp "$work/build/bin/$t" "$work/out/bin/"
	done
	# Static libraries: nothing else to install. Check the binaries run.
	"$work/out/bin/llama-server" --version >"$work/out/version.txt" 2>&1 ||
		llama_build_fail "$work" "llama-server --version failed: $(cat "$work/out/version.txt")"
	secs=$((SECONDS - start))
	echo "build time: ${secs}s with -j$jobs on $(nproc 2>/dev/null) cores" >>"$work/out/version.txt"

	printf '%s\n' "$key" >"$work/out/$STAMP"
	rm -rf "$dir"
	mv "$work/out" "$dir"
	rm -rf "$work"
	trap - EXIT
	say "llama.cpp binaries ready in $dir/bin ($((secs / 60))m$((secs % 60))s): $(head -n 1 "$dir/version.txt")"
}

# Ninja's "[n/N] ..." or make's "[ NN%] ..." lines, thinned out for stderr.
llama_build_progress() {
	awk '
		function say(msg) { printf "fixtures.sh:   %s\n", msg > "/dev/stderr"; fflush("/dev/stderr") }
		{
			pct = -1
			if (match($0, /^\[[0-9]+\/[0-9]+\]/)) {
				split(substr($0, 2, RLENGTH - 2), nm, "/")
				if (nm[2] > 0) pct = int(100 * nm[1] / nm[2])
			} else if (match($0, /^\[ *[0-9]+%\]/)) {
				pct = substr($0, 2, RLENGTH - 3) + 0
			}
			if ($0 ~ /Linking CXX executable/) {
				sub(/^.*Linking CXX executable /, "")
				say("linked " $0)
			} else if (pct >= 0 && int(pct / 10) > last) {
				last = int(pct / 10)
				say(pct "%")
			}
		}'
}

llama_build_fail() {
	local work=$1 log=$CACHE/llama.cpp-build-failed.log
	cp "$work/out/build.log" "$log" 2>/dev/null || true
	tail -n 40 "$log" >&2 || true
	die "$2 (full log: $log)"
}

usage() {
	sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"
}

case ${1:-llama-src} in
llama-src) llama_src ;;
llama-build) llama_build ;;
-h | --help) usage ;;
*) say "unknown fixture: $1"; usage >&2; exit 2 ;;
esac
