# The two commands that set everything up on a fresh Debian 12 machine:
#   make run    build and start the embedded default server (prints how to use kubectl)
#   make test   build, run every test, then run them again under ASan+UBSan
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)
# CTest's parallelism: one test per CPU (e2e tests run servers and clients of their own, and
# the longest start first: COST in CMakeLists.txt)
TEST_JOBS  ?= $(JOBS)
PREFIX     ?= /usr/local
CTEST_ARGS ?=

.PHONY: all deps run test test-fast asan test-asan tsan test-tsan fuzz fuzz-long clean install

all: $(BUILD)/anzen

deps:
	@bash scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

$(BUILD)/anzen: $(BUILD)/Makefile FORCE
	@cmake --build $(BUILD) -j$(JOBS)

# The seed's pods use alpine:latest; nothing can be pulled offline, so make run imports the
# locally built test image (busybox-static + curl) under that name once.
run: deps $(BUILD)/anzen
	@$(BUILD)/anzen image ls --data-dir .anzen 2>/dev/null | grep -q '^docker.io/library/alpine  *latest ' || \
	  { scripts/make-test-image.sh .anzen/test-image >/dev/null && \
	    $(BUILD)/anzen image import --data-dir .anzen .anzen/test-image --name alpine:latest; }
	$(BUILD)/anzen serve --data-dir .anzen

test: deps test-fast test-asan

test-fast: $(BUILD)/anzen
	cd $(BUILD) && ctest --output-on-failure -j$(TEST_JOBS) $(CTEST_ARGS)

# the ASan+UBSan build alone (make test-asan builds it first)
asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DANZEN_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)

test-asan: asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(TEST_JOBS) $(CTEST_ARGS)

# The unit tests (the token cache's thread hammers among them) and the server under concurrent
# load with four request loops (tsan/load: tests/e2e/tsan_load.sh) under ThreadSanitizer; any
# report fails the test (TSan exits 66). .ci/run calls it after make test.
# the TSan build alone: the server and the unit tests (fuzz and bench targets only on request)
tsan:
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANZEN_TSAN=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS)

test-tsan: tsan
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -j$(TEST_JOBS) -R '^(unit|tsan)/' $(CTEST_ARGS)

fuzz:
	CC=clang cmake -S . -B build-fuzz -DANZEN_FUZZ=ON -DANZEN_SANITIZE=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS)

# make install [PREFIX=/usr/local]: the binary, and a kubectl-anzen link to it so that
# `kubectl anzen analyze ...` works as a kubectl plugin (kubectl finds kubectl-* on PATH).
# Installs what `make` built; run `make` first.
install:
	@test -x $(BUILD)/anzen || { echo "install: $(BUILD)/anzen not built; run make first" >&2; exit 1; }
	install -D -m 0755 $(BUILD)/anzen $(DESTDIR)$(PREFIX)/bin/anzen
	ln -sf anzen $(DESTDIR)$(PREFIX)/bin/kubectl-anzen

# Every fuzz target (or FUZZ_TARGETS="patch jwt ...") for FUZZ_RUNS executions (default 10
# million) from its seed corpus, FUZZ_JOBS (default 2) at a time under nice -n 19; one line
# per target in build-fuzz/fuzz-long.txt, libFuzzer's output in build-fuzz/NAME_fuzz.log,
# reproducers in build-fuzz/crashes/ (see docs/fuzzing.md).
FUZZ_RUNS ?= 10000000
FUZZ_TARGETS ?=
fuzz-long: fuzz
	scripts/fuzz-long.sh build-fuzz $(FUZZ_RUNS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz

FORCE:
