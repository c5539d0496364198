# The two commands of the README:
#   make run   install missing packages to build and run (scripts/install-deps.sh
#              run), build, start ticketd in the foreground
#   make test  install every missing package (build, package, test), build, run
#              the whole test suite
# Without the test packages (GoogleTest), `make run` and `make build` build
# only ticketd and ticketctl (TICKETD_BUILD_TESTS=AUTO).
#   make package    build the Debian package in $(BUILD_DIR) (ticketd_VERSION_ARCH.deb)
# And for development:
#   make sanitize   build with ASan+UBSan in build-asan/ and run the tests there
#                   (SANITIZE=thread: TSan in build-tsan/)
#   make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS
#   make lint       list the C++ files clang-format would change (changes nothing)
#   make format     apply clang-format to them
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR ?= ON
CONFIG ?= config/ticketd.yaml
JOBS ?= $(shell nproc)
SANITIZE ?= address
SANITIZE_DIR ?= build-$(patsubst address,asan,$(patsubst thread,tsan,$(SANITIZE)))
FUZZ_SECONDS ?= 20

.PHONY: all deps deps-run deps-package build run test package sanitize fuzz lint format clean

all: build

deps:
	./scripts/install-deps.sh test

deps-run:
	./scripts/install-deps.sh run

deps-package:
	./scripts/install-deps.sh package

CONFIGURE = cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTICKETD_WERROR=$(WERROR)

$(BUILD_DIR)/build.ninja:
	$(CONFIGURE)

build: deps-run $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	mkdir -p var
	$(BUILD_DIR)/ticketd --config $(CONFIG)

# Configures again: a tree first made by `make run` without GoogleTest gets
# its tests once deps has installed it.
test: deps
	$(CONFIGURE)
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

package: deps-package
	$(CONFIGURE)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target ticketd ticketctl ticketd_man
	cd $(BUILD_DIR) && cpack

# Every target instrumented (benches left out); a sanitizer report fails the
# test that triggered it, in the test process or in a daemon it started.
# -O1 -g1 keeps the instrumented build short; asserts stay on.
# Left out: fuzz_parsers (its own tree is instrumented anyway) and the
# out-of-descriptors test: with every descriptor taken, UBSan cannot open the
# pipe it probes memory with and reports a valid object as "invalid vptr".
# SANITIZE=thread runs the tests that exercise threads and sockets
# (SANITIZE_TESTS), not the single-threaded parsers and checkers.
SANITIZE_SKIP = ^(fuzz_parsers|NetRobustness\.OutOfDescriptorsAcceptBacksOffLogsRarelyAndRecovers)$$
SANITIZE_CXXFLAGS ?= -O1 -g1
ifeq ($(SANITIZE),thread)
SANITIZE_TESTS ?= ^(TimerQueue|PipelineTest|ListenerTest|PeerLimiter|OutboxTest|OutboxNotifications|Daemon|Syslog|Relp|CrashRegression|CrashLoop|Overload|NetRobustness|Queue|Backends|JiraBackend|SnmpTest|JsonSources|ApiTls|Webhooks)\.
else
SANITIZE_TESTS ?= .
endif
sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(SANITIZE_CXXFLAGS)" -DTICKETD_WERROR=$(WERROR) \
	  -DTICKETD_SANITIZE=$(SANITIZE) -DTICKETD_BUILD_BENCH=OFF
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	cd $(SANITIZE_DIR) && UBSAN_OPTIONS=print_stacktrace=1 TSAN_OPTIONS=second_deadlock_stack=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -R '$(SANITIZE_TESTS)' -E '$(SANITIZE_SKIP)'

fuzz: deps
	FUZZ_BUILD_DIR=$(BUILD_DIR)/fuzz tests/fuzz/run.sh $(FUZZ_SECONDS)

lint:
	./scripts/lint.sh

format:
	./scripts/lint.sh --fix

clean:
	rm -rf $(BUILD_DIR)
