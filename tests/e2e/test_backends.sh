#!/usr/bin/env bash
# halo backends: backends.conf (named or the user's default), the llama-server
# of $HALO_LLAMA_BIN discovered as "path", each backend's version and devices
# as its real programs report them (run with its environment), and the errors
# (a broken file with its line, an unknown name, a backend that cannot run).
# Then halo doctor reading the same file.
. "$(dirname "$0")/lib.sh"

if [ -z "${HALO_LLAMA_BIN:-}" ]; then
	echo "SKIP: HALO_LLAMA_BIN is not set (scripts/fixtures.sh llama-build builds llama.cpp)"
	exit 0
fi
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
d=$(tmpdir)
export XDG_CONFIG_HOME="$d/config"
mkdir -p "$XDG_CONFIG_HOME/halo"
want_version=$("$HALO_LLAMA_BIN/llama-server" --version 2>&1 | sed -n 's/^version: //p')
[ -n "$want_version" ] || fail "llama-server --version printed no version line"

# no file: only the discovered build, named "path"
assert_exit 0 "$HALO" backends --json
echo "$LAST_OUT" >"$d/a.json"
assert_eq "$(jq "$d/a.json" 'len(d["backends"])')" 1
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["name"]')" path
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["source"]')" discovered
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["version"]')" "$want_version"
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["bin"]')" "$HALO_LLAMA_BIN"
# this CPU build has no GPU devices: llama-bench --list-devices says "(none)"
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["devices"]')" "[]"
assert_eq "$(jq "$d/a.json" 'd["backends"][0]["error"]')" null

# the user's file: two backends on the same build, different settings; the
# environment reaches the programs (a wrapper that reports it as a device)
wrap="$d/wrap"
mkdir -p "$wrap"
ln -s "$HALO_LLAMA_BIN/llama-server" "$wrap/llama-server"
cat >"$wrap/llama-bench" <<'SH'
#!/bin/sh
echo "Available devices:"
echo "  Fake0: device seen with AMD_VULKAN_ICD=$AMD_VULKAN_ICD (1024 MiB, 512 MiB free)"
SH
chmod +x "$wrap/llama-bench"
cat >"$XDG_CONFIG_HOME/halo/backends.conf" <<EOC
# two settings of one build
[backend cpu-t1]
bin = $HALO_LLAMA_BIN
bench_flags = -t 1
server_flags = --threads 1

[backend radv]
bin = $wrap
env = AMD_VULKAN_ICD=RADV
server_flags = --alias 'my model'
EOC
assert_exit 0 "$HALO" backends --json
echo "$LAST_OUT" >"$d/b.json"
# HALO_LLAMA_BIN is listed already (cpu-t1): no "path" duplicate
assert_eq "$(jq "$d/b.json" '[b["name"] for b in d["backends"]]')" '["cpu-t1", "radv"]'
assert_eq "$(jq "$d/b.json" 'd["backends"][0]["bench_flags"]')" '["-t", "1"]'
assert_eq "$(jq "$d/b.json" 'd["backends"][1]["server_flags"]')" '["--alias", "my model"]'
assert_eq "$(jq "$d/b.json" 'd["backends"][1]["env"]')" '["AMD_VULKAN_ICD=RADV"]'
assert_eq "$(jq "$d/b.json" 'd["backends"][1]["version"]')" "$want_version"
assert_eq "$(jq "$d/b.json" 'd["backends"][1]["devices"]')" \
	'["Fake0: device seen with AMD_VULKAN_ICD=RADV (1024 MiB, 512 MiB free)"]'
assert_contains "$(jq "$d/b.json" 'd["backends"][0]["source"]')" "backends.conf:2"
# the build number and commit are parsed out of the version
assert_contains "$want_version" "$(jq "$d/b.json" 'd["backends"][0]["commit"]')"
assert_eq "$(jq "$d/b.json" 'd["backends"][0]["build"] >= 0')" true

# the text form, one backend by name
assert_exit 0 "$HALO" backends radv
assert_contains "$LAST_OUT" "radv  $wrap"
assert_contains "$LAST_OUT" "env       AMD_VULKAN_ICD=RADV"
assert_contains "$LAST_OUT" "version   $want_version"
assert_contains "$LAST_OUT" "devices   Fake0: device seen with AMD_VULKAN_ICD=RADV"
assert_not_contains "$LAST_OUT" "cpu-t1"

# errors: an unknown name (3), a backend that cannot run (1), a broken file (4)
assert_exit 3 "$HALO" backends rocm
assert_contains "$LAST_ERR" "no backend 'rocm' (known: 'cpu-t1', 'radv')"
printf '[backend gone]\nbin = /nonexistent-halo-bin\n' >"$d/gone.conf"
assert_exit 1 "$HALO" backends --backends-file "$d/gone.conf" gone
assert_contains "$LAST_OUT" "no executable 'llama-server' in '/nonexistent-halo-bin'"
printf '[backend x]\nbin = /x\nflags = -t 1\n' >"$d/bad.conf"
assert_exit 4 "$HALO" backends --backends-file "$d/bad.conf"
assert_contains "$LAST_ERR" "bad.conf:3: unknown key 'flags' in [backend x]"
assert_exit 3 "$HALO" backends --backends-file "$d/missing.conf"

# doctor reads the same file
assert_exit 0 "$HALO" doctor --json --backends-file "$XDG_CONFIG_HOME/halo/backends.conf"
echo "$LAST_OUT" >"$d/doc.json"
assert_eq "$(jq "$d/doc.json" '[f["title"] for f in d["findings"] if f["id"] == "backends"][0]')" \
	"2 registered llama.cpp backends"
echo "ok"
