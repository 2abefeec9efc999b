# actlab front door. `make demo` and `make test` work on a fresh Debian 12 machine.
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
BUILD := build/release
ASAN := build/asan
FUZZ_SECONDS ?= 60

.PHONY: all build deps demo test fuzz bench install clean

all: build

deps:
	@scripts/deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/actlab

test: deps
	@scripts/test.sh

fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

bench: build
	@scripts/deps.sh bench
	@bench/run.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build
