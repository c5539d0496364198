# The two commands of the README:
#   make run   install missing packages, build, start ticketd in the foreground
#   make test  install missing packages, build, run the whole test suite
# And for development:
#   make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
WERROR ?= ON
CONFIG ?= config/ticketd.yaml
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: all deps build run test fuzz clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTICKETD_WERROR=$(WERROR)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	mkdir -p var
	$(BUILD_DIR)/ticketd --config $(CONFIG)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

fuzz: deps
	FUZZ_BUILD_DIR=$(BUILD_DIR)/fuzz tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR)
