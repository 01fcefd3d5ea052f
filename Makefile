# dsim: the two commands a new user types.
#
#   make run    install what is missing, build, run the default scenario
#   make test   the same set-up, then every test suite, the ASan+UBSan build
#               of the tests, and the determinism check; ends with
#               "N passed, N failed"
#
# Other targets: build, test-fast, test-slow, test-asan, test-asan-fuzz, bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
SCENARIO   ?= scenarios/default.scn
MESON_OPTS ?=

.PHONY: all deps setup build run test test-fast test-slow test-asan test-asan-fuzz bench clean

all: build

deps:
	@sh tools/install-deps.sh

$(BUILD)/build.ninja:
	@sh tools/install-deps.sh
	meson setup $(BUILD) $(MESON_OPTS)

setup: deps $(BUILD)/build.ninja

build: setup
	ninja -C $(BUILD)

# The default scenario shows a violation on purpose (exit code 1): that is
# the demonstration, not a failure of `make run`.
run: build
	@./$(BUILD)/cli/dsim run $(SCENARIO); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 1 ]

test: setup
	@sh tools/run-tests.sh $(BUILD) $(ASAN_BUILD)

test-fast: build
	meson test -C $(BUILD) --suite fast --print-errorlogs

test-slow: build
	meson test -C $(BUILD) --suite slow --print-errorlogs

test-asan: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	meson test -C $(ASAN_BUILD) --suite fast --print-errorlogs

# The long passes of the mutation fuzzers (scenarios, histories, traces,
# command-line arguments) under ASan+UBSan: minutes, so not in `make test`.
test-asan-fuzz: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	meson test -C $(ASAN_BUILD) --print-errorlogs --timeout-multiplier 4 \
	  scenario_fuzz_long history_fuzz_long cli_fuzz_long

bench: build
	sh bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
