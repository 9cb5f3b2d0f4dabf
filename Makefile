# The two commands a newcomer runs: `make demo` and `make check`.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
STAGE := $(CURDIR)/build/stage
# Cargo's output directory (CARGO_TARGET_DIR when set, as in the worktrees).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
LIB := $(TARGET_DIR)/release/libvirt.so

.PHONY: all build headers check-headers install stage demo check deps deps-build bench matrix clean

all: build headers build/libvirt.pc

build:
	$(CARGO) build --release --lib --bin virt-native

headers:
	$(CARGO) run -q --release -p gen-headers -- $(CURDIR)

check-headers:
	$(CARGO) run -q --release -p gen-headers -- --check $(CURDIR)

build/libvirt.pc: pkgconfig/libvirt.pc.in
	mkdir -p build
	sed 's|@PREFIX@|$(PREFIX)|' $< > $@

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/libvirt $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TARGET_DIR)/release/virt-native $(DESTDIR)$(PREFIX)/bin/virt-native
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libvirt.so.0
	ln -sf libvirt.so.0 $(DESTDIR)$(PREFIX)/lib/libvirt.so
	install -m 0644 include/libvirt/*.h $(DESTDIR)$(PREFIX)/include/libvirt/
	install -m 0644 build/libvirt.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/libvirt.pc

# A private install tree under build/ that the tests and the demo use.
stage:
	$(MAKE) --no-print-directory install PREFIX=$(STAGE) DESTDIR=

# examples-c/*.c, each built like a libvirt user builds it and run on test:///default
# (domain-xml with its NAME argument); every example runs, then the rule fails if one did.
EXAMPLES := list-domains domain-xml lifecycle errors events
STAGE_LIBVIRT = $$(PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config --cflags --libs libvirt)

demo: deps-build stage
	mkdir -p build
	cc -o build/demo examples-c/demo.c $(STAGE_LIBVIRT)
	LD_LIBRARY_PATH=$(STAGE)/lib ./build/demo test:///default
	@for e in $(EXAMPLES); do \
	  echo "cc -std=c11 -Wall -Werror -o build/$$e examples-c/$$e.c \$$(pkg-config --cflags --libs libvirt)"; \
	  cc -std=c11 -Wall -Werror -o build/$$e examples-c/$$e.c $(STAGE_LIBVIRT) || exit 1; \
	done
	@failed=; for e in $(EXAMPLES); do \
	  args=test:///default; [ $$e = domain-xml ] && args="$$args test"; \
	  echo "== ./build/$$e $$args"; \
	  LD_LIBRARY_PATH=$(STAGE)/lib ./build/$$e $$args || { echo "(exit status $$?)"; failed="$$failed $$e"; }; \
	done; \
	if [ -n "$$failed" ]; then echo "demo: failed:$$failed"; exit 1; fi

# Debian packages the tests need (installed when missing; needs root).
TEST_PACKAGES := gcc pkg-config binutils util-linux libvirt0 libvirt-clients libvirt-dev libvirt-daemon python3-libvirt \
	libsys-virt-perl golang-go golang-github-libvirt-libvirt-go-dev golang-github-vmware-govmomi-dev \
	openssl wsl uuid-runtime libxml2-utils curl python3-winrm openssh-server openssh-client netcat-openbsd
BUILD_PACKAGES := gcc pkg-config binutils

deps-build:
	@tools/ensure-packages $(BUILD_PACKAGES)

deps:
	@tools/ensure-packages $(TEST_PACKAGES)

check: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(MAKE) --no-print-directory check-headers
	$(CARGO) test -q
	$(MAKE) --no-print-directory stage
	tests/run-all $(STAGE)

# MATRIX.md: which public symbols we implement, per driver and per client.
matrix:
	python3 tools/gen-matrix.py

bench: deps stage
	tests/bench/run $(STAGE)

clean:
	$(CARGO) clean
	rm -rf build
