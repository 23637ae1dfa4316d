#!/usr/bin/env bash
# Installs the system packages halo needs, if any are missing.
#
#   scripts/deps.sh run    what building and running halo needs
#   scripts/deps.sh test   that, plus what the test suite needs (clang and
#                          libFuzzer, nginx, node/npm, curl, python3, and g++
#                          to build the llama.cpp binaries the tests run)
#
# Debian/Ubuntu (apt) and Fedora (dnf).  Presence is checked with dpkg-query /
# rpm (or the command itself, for tools that are often installed outside the
# package manager, such as node from NodeSource), so a call with nothing
# missing is fast and prints nothing.  `apt-get update` runs only when
# something is missing.  Works as root, or through sudo as a normal user.
set -euo pipefail

die() { echo "deps.sh: $*" >&2; exit 1; }

mode=${1:-}
case $mode in
run | test) ;;
-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
*) die "usage: scripts/deps.sh run|test" ;;
esac

# nginx lives in /usr/sbin, which a normal user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

# Each requirement is one word: alternatives separated by '|' (the first one
# the package manager knows is installed; any one installed satisfies it),
# optionally prefixed with 'cmd=NAME:' to accept a NAME command found in PATH
# instead of a package, or 'probe=FUNC:' to accept FUNC succeeding.
family=
if [[ -r /etc/os-release ]]; then
	# shellcheck disable=SC1091
	. /etc/os-release
	case " ${ID:-} ${ID_LIKE:-} " in
	*" debian "* | *" ubuntu "*) family=debian ;;
	*" fedora "* | *" rhel "* | *" centos "*) family=fedora ;;
	esac
fi
if [[ -z $family ]]; then
	if command -v apt-get >/dev/null; then family=debian
	elif command -v dnf >/dev/null; then family=fedora
	else die "unsupported system: need apt-get (Debian/Ubuntu) or dnf (Fedora)"
	fi
fi

case $family in
debian)
	run_reqs=(
		gcc libc6-dev make cmake pkg-config
		"libcurl4-openssl-dev|libcurl4-gnutls-dev"
		libjansson-dev zlib1g-dev libsqlite3-dev libssl-dev
		libexttextcat-dev libexttextcat-data # IFEval language identification
		libcmocka-dev # tests/CMakeLists.txt needs it to configure at all
	)
	test_reqs=(
		clang "probe=has_libfuzzer:libclang-rt-dev|libclang-rt-14-dev"
		g++ # scripts/fixtures.sh llama-build (llama.cpp is C++)
		git
		"cmd=nginx:nginx|nginx-light"
		"cmd=node:nodejs" "cmd=npm:npm"
		curl python3
	)
	;;
fedora)
	run_reqs=(
		gcc glibc-devel make cmake pkgconf-pkg-config
		libcurl-devel jansson-devel zlib-devel sqlite-devel openssl-devel
		libexttextcat-devel # IFEval language identification (data in libexttextcat)
		libcmocka-devel # tests/CMakeLists.txt needs it to configure at all
	)
	test_reqs=(
		clang probe=has_libfuzzer:compiler-rt libasan libubsan
		gcc-c++ # scripts/fixtures.sh llama-build (llama.cpp is C++)
		git
		cmd=nginx:nginx
		cmd=node:nodejs cmd=npm:npm
		curl python3
	)
	;;
esac

reqs=("${run_reqs[@]}")
[[ $mode == test ]] && reqs+=("${test_reqs[@]}")

# clang's libFuzzer runtime (compiler-rt), wherever this distribution puts it.
has_libfuzzer() {
	local dir
	dir=$(clang -print-resource-dir 2>/dev/null) && [[ -d $dir/lib ]] &&
		[[ -n $(find "$dir/lib" -name 'libclang_rt.fuzzer*.a' -print -quit) ]]
}

pkg_installed() {
	case $family in
	debian) [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]] ;;
	fedora) rpm -q --whatprovides "$1" >/dev/null 2>&1 ;;
	esac
}

missing=()
for req in "${reqs[@]}"; do
	alts=$req
	if [[ $req == cmd=* ]]; then
		cmd=${req%%:*}; cmd=${cmd#cmd=}
		alts=${req#*:}
		command -v "$cmd" >/dev/null 2>&1 && continue
	elif [[ $req == probe=* ]]; then
		probe=${req%%:*}; probe=${probe#probe=}
		alts=${req#*:}
		"$probe" && continue
	fi
	ok=
	IFS='|' read -ra list <<<"$alts"
	for p in "${list[@]}"; do
		if pkg_installed "$p"; then ok=1; break; fi
	done
	[[ -n $ok ]] || missing+=("$alts")
done

((${#missing[@]} == 0)) && exit 0

# Something is missing: become root if we are not.
SUDO=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root; install sudo or run as root"
	SUDO=(sudo)
	[[ -t 0 ]] || SUDO+=(-n)
fi

# apt/dnf chatter goes to a log that is shown only if they fail.
log=$(mktemp "${TMPDIR:-/tmp}/halo-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
quietly() {
	if ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "failed: $*"
	fi
}

case $family in
debian)
	apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
	echo "deps.sh: apt-get update" >&2
	quietly "${apt[@]}" -q update
	# Resolve alternatives to the first package this release has.
	pkgs=()
	for alts in "${missing[@]}"; do
		IFS='|' read -ra list <<<"$alts"
		pick=
		for p in "${list[@]}"; do
			if apt-cache show --no-all-versions "$p" >/dev/null 2>&1; then pick=$p; break; fi
		done
		if [[ -z $pick ]]; then
			echo "deps.sh: warning: no package available for $alts; skipping" >&2
			continue
		fi
		pkgs+=("$pick")
	done
	((${#pkgs[@]})) || exit 0
	echo "deps.sh: installing: ${pkgs[*]}" >&2
	quietly "${apt[@]}" -q -y --no-install-recommends install "${pkgs[@]}"
	;;
fedora)
	pkgs=()
	for alts in "${missing[@]}"; do pkgs+=("${alts%%|*}"); done
	echo "deps.sh: installing: ${pkgs[*]}" >&2
	quietly "${SUDO[@]}" dnf -y -q --setopt=install_weak_deps=False install "${pkgs[@]}"
	;;
esac
echo "deps.sh: done" >&2
