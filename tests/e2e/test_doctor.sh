#!/usr/bin/env bash
# halo doctor through the CLI on the recorded trees: text and JSON output,
# exit 0 with warnings, usage errors, and a bare run on this machine.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
F=$HALO_SOURCE_DIR/tests/fixtures/hw
tree() { echo --sysfs-root "$F/$1/sys" --proc-root "$F/$1/proc" --root "$F/$1" --user halo; }

assert_exit 0 "$HALO" doctor --help; assert_contains "$LAST_OUT" "--sysfs-root"
assert_exit 0 "$HALO" --help;        assert_contains "$LAST_OUT" "doctor"
assert_exit 2 "$HALO" doctor extra;  assert_contains "$LAST_ERR" "usage: halo doctor"
assert_exit 3 "$HALO" doctor --proc-root /nonexistent-halo --sysfs-root /nonexistent-halo

# A 64 GB Strix Halo on stock settings: warnings, each with its fix; still exit 0.
# shellcheck disable=SC2046 # tree prints separate words
PATH=/nonexistent assert_exit 0 "$HALO" doctor $(tree strix-halo-64)
assert_contains "$LAST_OUT" "[warn] ttm      ttm.pages_limit 8198070 (31.3 GiB): recommended 15347564 (58.5 GiB)"
assert_contains "$LAST_OUT" "fix:  add ttm.pages_limit=15347564 to the kernel command line"
assert_contains "$LAST_OUT" "[warn] power    platform profile 'balanced'"
assert_contains "$LAST_OUT" "0 fail"

# shellcheck disable=SC2046
assert_exit 0 "$HALO" doctor --json $(tree strix-halo-128)
printf '%s' "$LAST_OUT" >"$TEST_TMP/128.json"
assert_eq "$(jq "$TEST_TMP/128.json" '[f["status"] for f in d["findings"] if f["id"] == "gtt"][0]')" ok
assert_eq "$(jq "$TEST_TMP/128.json" '[f["status"] for f in d["findings"] if f["id"] == "vulkan"][0]')" ok
assert_eq "$(jq "$TEST_TMP/128.json" '[f["fix"] for f in d["findings"] if f["id"] == "power"][0]')" null
assert_contains "$(jq "$TEST_TMP/128.json" '[f["evidence"] for f in d["findings"] if f["id"] == "iommu"][0]')" "amd_iommu=off"
assert_eq "$(jq "$TEST_TMP/128.json" 'd["counts"]["fail"]')" 0

# A VM without a GPU says so.
# shellcheck disable=SC2046
assert_exit 0 "$HALO" doctor --json $(tree no-gpu)
printf '%s' "$LAST_OUT" >"$TEST_TMP/vm.json"
assert_eq "$(jq "$TEST_TMP/vm.json" 'd["findings"][0]["title"]')" "no GPU: llama.cpp will run on the CPU"
assert_eq "$(jq "$TEST_TMP/vm.json" '[f["status"] for f in d["findings"] if f["id"] == "swap"][0]')" warn

# This machine, whatever it is.
assert_exit 0 "$HALO" doctor
assert_contains "$LAST_OUT" "] gpu "
echo "test_doctor: ok"
