# make bench: hexind, static and dynamic, beside the upstream itself,
# nginx proxy_pass (the floor) and the Portkey gateway, on loopback
# (scripts/bench: about 9 minutes; BENCH_FLAGS=--quick about 2). Include
# it from the Makefile after `all:`, so that `all` stays the default target:
#   include scripts/bench.mk
BENCH_FLAGS ?=
HTTPS_BENCH_FLAGS ?=

bench: hexind/hexind build/hexind-dynamic
	scripts/bench $(BENCH_FLAGS)

# The path production takes: an https upstream behind a round trip
# (scripts/https-bench: about 20 seconds with its defaults).
bench-https: hexind/hexind
	scripts/https-bench $(HTTPS_BENCH_FLAGS)

# What a named key's limits and the usage ledger cost a request in CPU
# (tests/unit/limits-bench: a few seconds). The goal is under 0.1 ms.
bench-limits: build/limits-bench
	@d=$$(mktemp -d) && build/limits-bench $$d 2000; rc=$$?; \
	    rm -rf $$d; exit $$rc

.PHONY: bench bench-https bench-limits
