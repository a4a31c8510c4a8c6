# hexind: make, make check, make run, make install PREFIX= DESTDIR=

PREFIX	?= /usr/local
SBINDIR	 = $(PREFIX)/sbin
MANDIR	 = $(PREFIX)/share/man
DOCDIR	 = $(PREFIX)/share/doc/hexind
UNITDIR	?= $(PREFIX)/lib/systemd/system
CC	?= cc
PKG_CONFIG ?= pkg-config

# libsystemd is optional: journal logging when present.
# (Read before make run has installed anything: quiet when pkg-config is
# not there yet.)
WITH_SYSTEMD ?= $(shell $(PKG_CONFIG) --exists libsystemd 2>/dev/null && \
	   echo 1 || echo 0)
PKGS	 = libcurl yajl
DEFS	 =
ifeq ($(WITH_SYSTEMD),1)
PKGS	+= libsystemd
DEFS	+= -DHAVE_SYSTEMD
endif
# Over OpenSSL, hexind has it read openssl.cnf only before an https call.
WITH_OPENSSL ?= $(shell curl-config --ssl-backends 2>/dev/null | \
	   grep -q OpenSSL && $(PKG_CONFIG) --exists openssl 2>/dev/null && \
	   echo 1 || echo 0)
ifeq ($(WITH_OPENSSL),1)
PKGS	+= openssl
DEFS	+= -DHAVE_OPENSSL
endif

CFLAGS	?= -O2 -g
WARN	 = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla
# Sources include by layer folder: #include "upstream/attempt.h".
INCS	 = -Ihexind
ALL_CFLAGS = $(WARN) $(INCS) -D_GNU_SOURCE $(DEFS) \
	     $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CFLAGS)
# --as-needed: a library linked but not called costs nothing at start.
LIBS	 = -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(PKGS))
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all

# Sources by layer: hexind/ (the top), hexind/{http,api,upstream,lib}.
# Everything built on the way to hexind/hexind goes under build/.
HX_SRCS	 = $(wildcard hexind/*.c hexind/*/*.c)
SRCS	 = $(HX_SRCS) build/models_default.c
HDRS	 = $(wildcard hexind/*.h hexind/*/*.h)
OBJS	 = $(HX_SRCS:hexind/%.c=build/obj/%.o) build/obj/models_default.o

all: hexind/hexind

# hexind/hexind is the static build: libcurl (HTTP and HTTPS over
# wolfSSL only, both from Debian's source packages: scripts/build-curl),
# wolfSSL, yajl and libc linked in; a process starts in a fraction of
# the dynamic build's time, and makes an https call for a fraction of
# what OpenSSL's start costs (README, Performance). Where the curl or
# wolfssl source cannot be had, hexind/hexind is the dynamic build, and make
# says so in one line. make STATIC=0 makes it the dynamic build on
# purpose. make run, make install, the tests, the bench and the load
# test all use hexind/hexind.
STATIC	?= 1
CURL_DIR = build/curl
LIBDIR	 = $(shell $(PKG_CONFIG) --variable=libdir yajl 2>/dev/null)
WOLFSSL_DIR = $(CURL_DIR)/wolfssl
STATIC_CFLAGS = $(WARN) $(INCS) -D_GNU_SOURCE -DHAVE_WOLFSSL \
	     -I$(CURL_DIR)/include -I$(WOLFSSL_DIR)/include \
	     $(shell $(PKG_CONFIG) --cflags yajl) $(CFLAGS)
STATIC_LIBS = $(CURL_DIR)/lib/libcurl.a $(LIBDIR)/libyajl_s.a \
	     $(WOLFSSL_DIR)/lib/libwolfssl.a -lm -pthread
STATIC_OBJS = $(HX_SRCS:hexind/%.c=build/static/%.o) \
	     build/static/models_default.o
INSTALL_BIN = $(if $(filter 0,$(STATIC)),build/hexind-dynamic,hexind/hexind)

# libFuzzer targets: make fuzz, fuzz-smoke, fuzz-build (tests/fuzz/fuzz.mk).
include tests/fuzz/fuzz.mk
# make bench: hexind beside direct, nginx and Portkey (scripts/bench.mk).
include scripts/bench.mk

# Which build hexind/hexind is can change without a source changing (the
# curl source arrives, STATIC changes), so its recipe always runs, and
# copies only a binary that differs. A changed scripts/build-curl or
# patch of its runs it again (it rebuilds only if its stamp changed).
CURL_PATCHES = scripts/build-curl.d/wolfssl-cpuid.patch \
	       scripts/build-curl.d/wolfssl-gmtime.patch
ifeq ($(STATIC),0)
hexind/hexind: build/hexind-dynamic FORCE
	@cmp -s build/hexind-dynamic $@ || cp build/hexind-dynamic $@
else
hexind/hexind: FORCE
	@if { [ -f $(CURL_DIR)/lib/libcurl.a ] && \
	    [ -f $(WOLFSSL_DIR)/lib/libwolfssl.a ] && \
	    [ $(CURL_DIR)/version -nt scripts/build-curl ] && \
	    [ -z "$$(find $(CURL_PATCHES) -newer $(CURL_DIR)/version)" ]; } || \
	    { mkdir -p build && \
	    echo "make: a static libcurl and wolfSSL from Debian's source" \
	        "(scripts/build-curl, build/curl.log)" && \
	    scripts/build-curl $(CURL_DIR) >build/curl.log 2>&1; }; \
	then \
		{ $(MAKE) -q --no-print-directory build/hexind-static || \
		    $(MAKE) --no-print-directory build/hexind-static; } && \
		{ cmp -s build/hexind-static $@ || cp build/hexind-static $@; }; \
	else \
		echo "make: no curl or wolfssl source (build/curl.log):" \
		    "hexind/hexind is the dynamic build, slower to start" \
		    "(README, Performance)"; \
		{ $(MAKE) -q --no-print-directory build/hexind-dynamic || \
		    $(MAKE) --no-print-directory build/hexind-dynamic; } && \
		{ cmp -s build/hexind-dynamic $@ || \
		    cp build/hexind-dynamic $@; }; \
	fi
endif

$(CURL_DIR)/lib/libcurl.a:
	scripts/build-curl $(CURL_DIR)

build/static/%.o: hexind/%.c $(HDRS) Makefile | $(CURL_DIR)/lib/libcurl.a
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -c -o $@ $<

build/static/models_default.o: build/models_default.c
	$(CC) $(STATIC_CFLAGS) -c -o $@ $<

# Static through and through, libc too: a process starts with no
# dynamic loader and no libc.so to map and bind. Linked where it runs
# (not position-independent): a PIE would have every start write the
# 20,000 addresses in OpenSSL's and libc's tables, 105 pages copied and
# written, a fifth of a /health's CPU (README, Performance). make PIE=1
# links it position-independent (-static-pie) and pays that for a
# random address. glibc's notes on getaddrinfo and dlopen in a static
# program go to build/link.log (README, Install).
PIE	?= 0
STATIC_LINK = $(if $(filter 1,$(PIE)),-static-pie,-static -no-pie)
build/hexind-static: $(STATIC_OBJS) $(CURL_DIR)/lib/libcurl.a build/link-mode
	$(CC) $(LDFLAGS) $(STATIC_LINK) -o $@ $(STATIC_OBJS) $(STATIC_LIBS) \
	    2>build/link.log || { cat build/link.log >&2; exit 1; }

# Relinks when PIE changes.
build/link-mode: FORCE
	@mkdir -p build
	@echo '$(STATIC_LINK)' | cmp -s - $@ || echo '$(STATIC_LINK)' >$@

# The dynamic build whatever STATIC says: tested by make check, compared
# by make bench.
build/hexind-dynamic: $(OBJS)
	@mkdir -p build
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

# A driver that calls the token cache's functions directly, for tests.
build/token-test: tests/unit/token-test.c $(filter-out build/obj/main.o, $(OBJS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The compiled built-in model table as JSON (tests/models.bats).
build/models-dump: tests/unit/models-dump.c build/obj/models_default.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs yajl)

# clock_utc against gmtime_r (tests/http-request.bats); the static
# build's wolfSSL's UTC dates against it (tests/units.bats).
build/clock-test: tests/unit/clock-test.c build/obj/lib/clock.o
	$(CC) $(ALL_CFLAGS) -o $@ $^
build/gmtime-test: tests/unit/clock-test.c $(WOLFSSL_DIR)/lib/libwolfssl.a
	$(CC) $(ALL_CFLAGS) -DWOLFSSL_UTC -o $@ $^ -lm -pthread

# What a named key's limits and the ledger cost a request (make
# bench-limits).
build/limits-bench: tests/unit/limits-bench.c $(filter-out build/obj/main.o, $(OBJS))
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

build/obj/%.o: hexind/%.c $(HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/models_default.o: build/models_default.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The built-in model table is data kept as JSON; it becomes a C string.
# The built-in model table, parsed at build time into the tree hexind
# reads where it lies: no parse, no allocation at a request.
# (Written under a name of its own and renamed: make check's parallel
# builds and the static build's own make may both come here at once.)
build/models_default.c: hexind/upstream/models_default.json build/models-gen
	build/models-gen <$< >$@.$$$$ && mv $@.$$$$ $@

build/models-gen: scripts/models-gen.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(shell $(PKG_CONFIG) --cflags yajl) $(CFLAGS) \
	    -o $@.$$$$ $< $(shell $(PKG_CONFIG) --libs yajl) -lm && \
	    mv $@.$$$$ $@

# The same sources under AddressSanitizer and UBSan, for make check.
build/hexind-asan: $(SRCS) $(HDRS)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $(SRCS) $(LIBS)

# clang, without libsystemd: the other half of the build matrix. It runs
# the suites where the builds can differ (the connection, logging,
# configuration, the keys); the sanitizer build runs them all.
NOSD_SUITES = tests/connections.bats tests/config.bats tests/run.bats \
	      tests/auth.bats tests/security.bats
NOSD_PKGS = libcurl yajl
build/hexind-nosd: $(SRCS) $(HDRS)
	clang $(WARN) $(INCS) -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags $(NOSD_PKGS)) \
	    $(CFLAGS) -o $@ $(SRCS) -Wl,--as-needed \
	    $(shell $(PKG_CONFIG) --libs $(NOSD_PKGS))

deps:
	scripts/install-deps

# The official SDKs, pinned by the lockfile.
tests/clients/node_modules: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The real agent programs (the Codex CLI, Claude Code), pinned by their
# lockfile.
tests/agents/node_modules: tests/agents/package.json tests/agents/package-lock.json
	cd tests/agents && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The sanitizer build (a dynamic one) runs every suite; each other build
# only the suites where it differs. The build make install uses: where
# its link makes a difference (TLS, the connection, logging,
# configuration, the units, keep-alive, crash safety, the deadlines) and
# where the real agents meet it. The plain dynamic build: TLS, through
# Debian's libcurl and OpenSSL as the sanitizer build's, but
# uninstrumented, and what only OpenSSL does (tests/tls-openssl.bats;
# the static build speaks wolfSSL). The rest of the C is the same in
# every build, and every suite once per build would take the CI far past
# its 20 minutes.
STATIC_SUITES = tests/tls.bats tests/connections.bats tests/config.bats \
	      tests/units.bats tests/keepalive.bats tests/run.bats \
	      tests/kill.bats tests/http-deadlines.bats tests/codex.bats \
	      tests/claude-code.bats tests/resolve.bats
DYNAMIC_SUITES = tests/tls.bats tests/tls-openssl.bats
CHECK_BUILDS = hexind/hexind build/hexind-dynamic build/hexind-asan \
	      build/hexind-nosd build/token-test build/clock-test \
	      build/models-dump fuzz-build
check: deps tests/clients/node_modules tests/agents/node_modules
	$(MAKE) -j$$(nproc) $(CHECK_BUILDS)
	mandoc -Tlint -W warning hexind.8
	$(MAKE) fuzz-smoke
	HEXIND=build/hexind-asan bats tests
	HEXIND=hexind/hexind bats $(STATIC_SUITES)
	HEXIND=build/hexind-nosd bats $(NOSD_SUITES)
	HEXIND=build/hexind-dynamic bats $(DYNAMIC_SUITES)

# The whole suite once more with every hexind process under valgrind's
# memcheck: zero errors and zero leaks, or it fails. Slow (see README).
check-valgrind: deps build/hexind-dynamic build/token-test \
    tests/clients/node_modules tests/agents/node_modules
	rm -rf tests/valgrind/logs
	HEXIND=tests/valgrind/hexind bats tests || \
	    echo "check-valgrind: the tests above that failed time things" \
	        "valgrind slows twentyfold; memcheck's verdict follows"
	tests/valgrind/report tests/valgrind/logs

# 500 concurrent streams and 2000 sequential requests through a local
# listener: every byte checked, figures printed (scripts/load --help).
load: hexind/hexind
	scripts/load

# The first command on a fresh machine: what the build needs, the build,
# and a local server.
run:
	scripts/install-deps --build
	$(MAKE) --no-print-directory hexind/hexind
	scripts/run

# The units name /usr/local/sbin/hexind; installed, they name SBINDIR.
install: $(INSTALL_BIN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(SBINDIR)/hexind
	install -m 644 hexind.8 $(DESTDIR)$(MANDIR)/man8/hexind.8
	for f in hexind.socket hexind@.service; do \
	    sed 's|/usr/local/sbin/hexind|$(SBINDIR)/hexind|' units/$$f \
	        >$(DESTDIR)$(UNITDIR)/$$f && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$f || exit 1; done
	sed 's|/usr/local/sbin/hexind|$(SBINDIR)/hexind|' units/hexind.xinetd \
	    >$(DESTDIR)$(DOCDIR)/hexind.xinetd
	install -m 644 units/hexind.env.example units/haproxy.cfg.example \
	    $(DESTDIR)$(DOCDIR)/

clean: fuzz-clean
	rm -rf build
	rm -f hexind/hexind

FORCE:

.PHONY: all deps check check-valgrind load run install clean FORCE
