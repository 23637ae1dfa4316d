#!/usr/bin/env bash
# halo models on a fixture models directory: every download status, files in
# subfolders, split parts, .part files, --quick, --json, and how the models
# directory is chosen.
. "$(dirname "$0")/lib.sh"
jq() { python3 "$HALO_SOURCE_DIR/tests/e2e/jq.py" "$@"; }
d=$(tmpdir)
m="$d/models"
mkdir -p "$m/sub/deeper" "$m/BF16"

# Headers that match the catalog, tensor data a sparse hole of the catalog size.
"$MKFIXTURE" model "$m/Qwen3.5-35B-A3B-UD-Q4_K_XL.gguf" qwen3.5-35b-a3b 22200000000
"$MKFIXTURE" model "$m/sub/deeper/Qwen3.5-35B-A3B-Q4_K_S.gguf" qwen3.5-35b-a3b 20700000000
# An interrupted download: the header is whole, the data stops at 5 GB.
"$MKFIXTURE" model "$m/Qwen3.5-35B-A3B-Q4_K_M.gguf" qwen3.5-35b-a3b 22000000000 5000000000
# halo pull's temporary name.
head -c 1048576 /dev/urandom >"$m/Qwen3.5-35B-A3B-Q8_0.gguf.part"
# One part of two of a split model.
"$MKFIXTURE" model "$m/BF16/Qwen3.5-35B-A3B-BF16-00001-of-00002.gguf" qwen3.5-35b-a3b 35000000000
# Right size, not a GGUF.
head -c 4096 /dev/urandom >"$m/Qwen3.5-27B-Q4_K_M.gguf"
truncate -s 16700000000 "$m/Qwen3.5-27B-Q4_K_M.gguf"
# A valid GGUF of another model under this model's name.
"$MKFIXTURE" model "$m/Qwen3.5-27B-Q8_0.gguf" qwen3.5-9b 28600000000

status() { # json model quant [provider] -> status
	jq "$1" "[q['status'] for x in d['models'] if x['id'] == '$2' for q in x['quants'] if q['quant'] == '$3' and q['provider'] == '${4:-unsloth}'][0]"
}
field() { # json model quant field
	jq "$1" "[q['$4'] for x in d['models'] if x['id'] == '$2' for q in x['quants'] if q['quant'] == '$3' and q['provider'] == 'unsloth'][0]"
}

"$HALO" models --json --models-dir "$m" >"$d/full.json"
assert_eq "$(jq "$d/full.json" 'd["models_dir"]')" "$m"
assert_eq "$(jq "$d/full.json" 'len(d["models"]) >= 8')" true "catalog has at least 8 models"
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b UD-Q4_K_XL)" verified
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b Q4_K_S)" verified "file in a subfolder"
assert_eq "$(field "$d/full.json" qwen3.5-35b-a3b Q4_K_S path)" "$m/sub/deeper/Qwen3.5-35B-A3B-Q4_K_S.gguf"
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b Q4_K_M)" partial "data cut short"
assert_eq "$(field "$d/full.json" qwen3.5-35b-a3b Q4_K_M have_bytes)" 5000000000
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b Q8_0)" partial ".part file"
assert_eq "$(field "$d/full.json" qwen3.5-35b-a3b Q8_0 have_bytes)" 1048576
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b BF16)" partial "one of two split parts"
assert_eq "$(field "$d/full.json" qwen3.5-35b-a3b BF16 parts_found)" 1
assert_eq "$(field "$d/full.json" qwen3.5-35b-a3b BF16 parts_total)" 2
assert_eq "$(status "$d/full.json" qwen3.5-27b Q4_K_M)" corrupt "garbage of the right size"
assert_contains "$(field "$d/full.json" qwen3.5-27b Q4_K_M detail)" "not a gguf file"
assert_eq "$(status "$d/full.json" qwen3.5-27b Q8_0)" corrupt "another model's header"
assert_contains "$(field "$d/full.json" qwen3.5-27b Q8_0 detail)" "n_layer: file 32, catalog 64"
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b UD-IQ2_XXS)" missing
assert_eq "$(status "$d/full.json" qwen3.5-35b-a3b Q4_K_M bartowski)" missing
assert_eq "$(status "$d/full.json" qwen3-coder-30b-a3b "$(jq "$d/full.json" '[x for x in d["models"] if x["id"] == "qwen3-coder-30b-a3b"][0]["quants"][0]["quant"]')")" missing

# --quick: sizes only, so the right-size garbage looks complete and the good file too.
"$HALO" models --json --quick --models-dir "$m" >"$d/quick.json"
assert_eq "$(status "$d/quick.json" qwen3.5-35b-a3b UD-Q4_K_XL)" complete
assert_eq "$(status "$d/quick.json" qwen3.5-27b Q4_K_M)" complete
assert_eq "$(status "$d/quick.json" qwen3.5-35b-a3b Q4_K_M)" partial
assert_eq "$(status "$d/quick.json" qwen3.5-35b-a3b Q8_0)" partial

# One model, as a table.
assert_exit 0 "$HALO" models qwen3.5-35b-a3b --models-dir "$m"
assert_contains "$LAST_OUT" "Qwen3.5-35B-A3B"
assert_not_contains "$LAST_OUT" "Qwen3.5-27B"
assert_contains "$(grep -E '^  UD-Q4_K_XL ' <<<"$LAST_OUT")" "verified"
assert_contains "$(grep -E '^  Q4_K_M +unsloth' <<<"$LAST_OUT")" "partial (5.00 GB of 22.00 GB)"
assert_contains "$(grep -E '^  UD-IQ2_XXS ' <<<"$LAST_OUT")" "missing"
assert_exit 0 "$HALO" models --models-dir "$m"
assert_contains "$(grep -E '^  Q8_0 ' <<<"$LAST_OUT" | head -n 2 | tail -n 1)" "corrupt: does not match"
assert_exit 3 "$HALO" models no-such-model --models-dir "$m"
assert_contains "$LAST_ERR" "no model 'no-such-model'"

# The models directory: $HALO_MODELS_DIR, then models_dir in the config file, then ~/models.
HALO_MODELS_DIR="$m" "$HALO" models --json >"$d/env.json"
assert_eq "$(jq "$d/env.json" 'd["models_dir"]')" "$m"
mkdir -p "$d/xdg/halo"
echo "models_dir = $m" >"$d/xdg/halo/config"
env -u HALO_MODELS_DIR XDG_CONFIG_HOME="$d/xdg" "$HALO" models --json >"$d/cfg.json"
assert_eq "$(jq "$d/cfg.json" 'd["models_dir"]')" "$m"
assert_eq "$(status "$d/cfg.json" qwen3.5-35b-a3b UD-Q4_K_XL)" verified
env -u HALO_MODELS_DIR XDG_CONFIG_HOME="$d/none" HOME="$d/home" "$HALO" models --json >"$d/home.json"
assert_eq "$(jq "$d/home.json" 'd["models_dir"]')" "$d/home/models"

# A user catalog adds a model; an error in it names file and line.
cat >"$d/xdg/halo/models.conf" <<'CONF'
[extend qwen3.5-9b]
quant MY-Q4 = 5.5GB file=my-9b.gguf
CONF
env -u HALO_MODELS_DIR XDG_CONFIG_HOME="$d/xdg" "$HALO" models qwen3.5-9b --json >"$d/user.json"
assert_eq "$(jq "$d/user.json" '[q["quant"] for q in d["models"][0]["quants"]][-1]')" "MY-Q4"
printf '[model broken]\nlayers = lots\n' >"$d/xdg/halo/models.conf"
assert_exit 4 env XDG_CONFIG_HOME="$d/xdg" "$HALO" models
assert_contains "$LAST_ERR" "models.conf:2"
echo "PASS: $TEST_NAME"
