# halo: top-level entry points (docs/building.md says more).
#
#   make run     install what halo needs, build build/, run `halo plan`
#                (RUN_ARGS=...: other arguments)
#   make build   (default) configure and build build/, installing nothing
#   make test    install what the tests need, fetch the fixtures (and build
#                llama.cpp once, cached), build and test build/ and
#                build-asan/, compile the fuzzers (build-fuzz/)
#   make fuzz    run the libFuzzer target FUZZ_TARGET (gguf) for FUZZ_TIME s
#   make clean   remove the build directories
#
# The real work is done by CMake; every configure is `cmake -S . -B DIR`, so a
# second `make` reconfigures and rebuilds only what changed.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := build
MAKEFLAGS += --no-print-directory

JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS  ?= 2
# build/: optimised (-O2 -g) with -Werror, for `make run` and the tests alike.
BUILD_TYPE  ?= RelWithDebInfo
WERROR      ?= ON
# Compilers for the sanitizer and fuzzer builds (read at their first configure).
ASAN_CC     ?= clang
FUZZ_CC     ?= clang
# What `make run` runs.
RUN_ARGS    ?= plan
FUZZ_TARGET ?= gguf
FUZZ_TIME   ?= 60
FUZZ_MERGE  ?= 0
FUZZ_ARGS   ?=

CMAKE_CONFIGURE = cmake --log-level=WARNING -S .
# Don't hand our jobserver to the make that cmake --build runs.
CMAKE_BUILD     = env -u MAKEFLAGS -u MAKELEVEL cmake --build

# $(call step,TEXT): a visible header for each stage.
step = echo; echo "==> $(1)"

.PHONY: build run test fuzz clean help

help:
	@sed -n '3,11s/^# //p' Makefile

build:
	@$(call step,build/ ($(BUILD_TYPE)))
	$(CMAKE_CONFIGURE) -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHALO_WERROR=$(WERROR)
	$(CMAKE_BUILD) build -j $(JOBS)

run:
	@$(call step,dependencies (scripts/deps.sh run))
	scripts/deps.sh run
	$(call step,build/ ($(BUILD_TYPE)))
	$(CMAKE_CONFIGURE) -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHALO_WERROR=$(WERROR)
	$(CMAKE_BUILD) build -j $(JOBS) --target halo
	$(call step,./build/halo $(RUN_ARGS))
	./build/halo $(RUN_ARGS)

test:
	@$(call step,dependencies (scripts/deps.sh test))
	scripts/deps.sh test
	$(call step,fixtures (scripts/fixtures.sh))
	llama=$$(scripts/fixtures.sh | tail -n 1)
	echo "HALO_LLAMA_DIR=$$llama"
	# llama.cpp's binaries, built once (minutes) and cached outside the repo.
	$(call step,llama.cpp binaries (scripts/fixtures.sh llama-build))
	llama_bin=$$(scripts/fixtures.sh llama-build | tail -n 1)
	echo "HALO_LLAMA_BIN=$$llama_bin"

	$(call step,build/ ($(BUILD_TYPE)))
	$(CMAKE_CONFIGURE) -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHALO_WERROR=$(WERROR) \
		-DHALO_LLAMA_DIR="$$llama" -DHALO_LLAMA_BIN="$$llama_bin"
	$(CMAKE_BUILD) build -j $(JOBS)

	$(call step,build-asan/ (AddressSanitizer + UBSan, CC=$(ASAN_CC)))
	CC=$(ASAN_CC) $(CMAKE_CONFIGURE) -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHALO_WERROR=$(WERROR) \
		-DHALO_SANITIZE=ON -DHALO_LLAMA_DIR="$$llama" -DHALO_LLAMA_BIN="$$llama_bin"
	$(CMAKE_BUILD) build-asan -j $(JOBS)

	$(call step,build-fuzz/ (libFuzzer targets compile, CC=$(FUZZ_CC)))
	CC=$(FUZZ_CC) $(CMAKE_CONFIGURE) -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS_DEBUG="-g -O1" -DHALO_WERROR=$(WERROR) -DHALO_FUZZ=ON \
		-DHALO_LLAMA_DIR="$$llama" -DHALO_LLAMA_BIN="$$llama_bin"
	$(CMAKE_BUILD) build-fuzz -j $(JOBS)

	# Both suites run even if the first fails; the summary comes last.
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	rc=0 summary=() pass=0 failed=0
	for dir in build build-asan; do
		$(call step,ctest in $$dir/)
		(cd $$dir && ctest --output-on-failure -j $(CTEST_JOBS)) | tee $$dir/ctest.log || rc=1
		line=$$(grep -E '[0-9]+ tests? failed out of [0-9]+' $$dir/ctest.log | tail -n 1 || true)
		f=$$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$$line")
		t=$$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$$line")
		[[ -n $$line ]] || { f=0; t=0; rc=1; }
		pass=$$((pass + t - f)) failed=$$((failed + f))
		summary+=("$$dir/ $$((t - f)) of $$t passed;")
	done
	echo
	echo "make test: $${summary[*]}$$( ((rc)) && echo ' FAILED' || echo ' OK')"
	echo "total: $$pass passed, $$failed failed"
	exit $$rc

fuzz:
	@$(call step,dependencies (scripts/deps.sh test))
	scripts/deps.sh test
	$(call step,build-fuzz/ fuzz_$(FUZZ_TARGET))
	CC=$(FUZZ_CC) $(CMAKE_CONFIGURE) -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS_DEBUG="-g -O1" -DHALO_WERROR=$(WERROR) -DHALO_FUZZ=ON
	$(CMAKE_BUILD) build-fuzz -j $(JOBS) --target fuzz_$(FUZZ_TARGET)
	bin=$$(find build-fuzz -type f -perm -u+x -name fuzz_$(FUZZ_TARGET) -not -path '*/CMakeFiles/*' | head -n 1)
	[[ -n $$bin ]] || { echo "fuzz_$(FUZZ_TARGET) not found under build-fuzz/" >&2; exit 1; }
	# New inputs go to a scratch corpus in the build tree that persists across
	# runs; the repo's corpus is copied in, never written (FUZZ_MERGE=1 merges
	# what adds coverage back).
	seed=tests/fuzz/corpus/$(FUZZ_TARGET)
	work=build-fuzz/tests/fuzz/work/$(FUZZ_TARGET)
	art=build-fuzz/tests/fuzz/crashes/$(FUZZ_TARGET)
	dict=tests/fuzz/fuzz_$(FUZZ_TARGET).dict
	mkdir -p "$$work" "$$art"
	[[ -d $$seed ]] && cp -r "$$seed/." "$$work/"
	opts=()
	[[ -f $$dict ]] && opts+=("-dict=$$dict")
	$(call step,fuzz_$(FUZZ_TARGET) for $(FUZZ_TIME) s (corpus $$work, crashes to $$art/))
	rc=0
	"$$bin" -max_total_time=$(FUZZ_TIME) -print_final_stats=1 "$${opts[@]}" \
		-artifact_prefix="$$art/" $(FUZZ_ARGS) "$$work" || rc=$$?
	if [[ $(FUZZ_MERGE) == 1 ]]; then
		$(call step,merging new coverage into $$seed)
		mkdir -p "$$seed"
		"$$bin" -merge=1 "$$seed" "$$work"
	fi
	if ((rc)); then
		echo "fuzz_$(FUZZ_TARGET) failed (exit $$rc); reproduce with: $$bin $$art/crash-..." >&2
		ls -l "$$art" >&2
	fi
	exit $$rc

clean:
	rm -rf build build-asan build-fuzz
