# make bench: hexind, static and dynamic, beside the upstream itself,
# nginx proxy_pass (the floor) and the Portkey gateway, on loopback
# (scripts/bench: about 9 minutes; BENCH_FLAGS=--quick about 2). Include
# it from the Makefile after `all:`, so that `all` stays the default target:
#   include scripts/bench.mk
BENCH_FLAGS ?=

bench: hexind/hexind build/hexind-dynamic
	scripts/bench $(BENCH_FLAGS)

.PHONY: bench
