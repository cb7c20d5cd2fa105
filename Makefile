# Front door. Every target installs missing dependencies, configures and
# builds as needed. See README.md.
#   make run        build, run the default scenario suite, write traces + reports
#                   (build/out/report.txt and the HTML build/out/report.html)
#   make test       unit tests, scenario suites, determinism checks (ctest),
#                   with the trace hash compared across eight builds
#   make sanitize   the same tests under AddressSanitizer + UBSan
#   make tsan       the native (real-thread) tests under ThreadSanitizer
#   make bench      benchmarks (`bench: <name> <value> <unit>` lines)
#   make mutants    plant each bug of tests/mutants/ in a scratch copy, run the
#                   tests and a short fuzz budget on it: which were caught, by
#                   what, how fast (docs/mutants.md); a bench line mutants.caught
#   make fuzz       the capture importers under libFuzzer, FUZZ_SECONDS (600)
#                   a target, growing the corpus in build-fuzz/corpus
#   make hashes     record every scenario's trace hashes anew (after a change
#                   meant to alter what simulations do; see docs/architecture.md)

JOBS    ?= 2
FUZZ_SECONDS ?= 600
CMAKE   ?= cmake
BUILD   := build
OUT     := $(BUILD)/out

.PHONY: all deps build run test hashes mutants sanitize tsan bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc

build: deps $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(OUT)
	@rm -f $(OUT)/traces.db $(OUT)/traces.db-wal $(OUT)/traces.db-shm
	$(BUILD)/iosim suite scenarios/suite -j $(JOBS) --trace $(OUT)/traces.db --junit $(OUT)/junit.xml
	$(BUILD)/iosim report $(OUT)/traces.db -o $(OUT)/report.txt
	$(BUILD)/iosim report $(OUT)/traces.db -o $(OUT)/report.html
	@echo "traces: $(OUT)/traces.db  report: $(OUT)/report.txt  html: $(OUT)/report.html  junit: $(OUT)/junit.xml"

# The other builds of the CLI (gcc and clang x Release, RelWithDebInfo, Debug,
# ASan+UBSan, under build-hash/) whose trace hashes must equal this build's:
# scripts/hash-builds.sh builds them and names them for the determinism test.
test: build
	@builds=$$(scripts/hash-builds.sh $(JOBS)) && cd $(BUILD) && \
	  IOSIM_HASH_BUILDS="$$builds" ctest --output-on-failure -j $(JOBS)

mutants: deps
	scripts/mutants.sh $(JOBS)

hashes: build
	tests/scripts/hash_record.sh $(CURDIR)/$(BUILD)/iosim scenarios tests/fixtures/hashes/scenarios.txt --update

build-asan/CMakeCache.txt: | deps
	$(CMAKE) -S . -B build-asan -DCMAKE_C_COMPILER=clang -DIOSIM_SANITIZE=ON

sanitize: deps build-asan/CMakeCache.txt
	$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

build-tsan/CMakeCache.txt: | deps
	$(CMAKE) -S . -B build-tsan -DCMAKE_C_COMPILER=clang -DIOSIM_TSAN=ON

tsan: deps build-tsan/CMakeCache.txt
	$(CMAKE) --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j $(JOBS)

build-bench/CMakeCache.txt:
	@scripts/install-deps.sh bench
	$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DIOSIM_TESTS=OFF -DIOSIM_BENCH=ON

bench: build-bench/CMakeCache.txt
	@scripts/install-deps.sh bench
	$(CMAKE) --build build-bench -j $(JOBS)
	@scripts/bench.sh build-bench

fuzz: deps
	tests/scripts/libfuzzer.sh $(CURDIR) $(CURDIR)/build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-hash build-asan build-tsan build-bench build-fuzz
