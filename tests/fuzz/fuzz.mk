# libFuzzer targets for hexind's parsers and JSON transforms (clang).
#
#   make fuzz-build                  builds build/fuzz/fuzz_<name>
#   make fuzz [FUZZ_SECONDS=60]      runs each target in turn, one at a time
#   make fuzz-smoke                  the same for 5 s each (CI)
#   make fuzz FUZZ_TARGETS="http sse"  some targets only
#
# Meant to be included from the top Makefile, after its first target
# (include tests/fuzz/fuzz.mk); also works alone:
# make -f tests/fuzz/fuzz.mk fuzz-build. The hexind sources are compiled
# again, instrumented, into build/fuzz/obj. Seeds are in
# tests/fuzz/corpus/<name> and dictionaries in tests/fuzz/dict; what the
# fuzzer finds goes to build/fuzz: corpus/<name>, logs/<name>.log,
# and artifacts/<name>-crash-* (or leak-, timeout-, oom-). A finding
# makes fuzz and fuzz-smoke fail after every target has run. Reproducers
# worth keeping go to tests/fuzz/crashes; run one with
# build/fuzz/fuzz_<name> FILE.

FUZZ_DIR	:= $(patsubst $(CURDIR)/%,%,$(patsubst %/,%,$(dir $(abspath \
		   $(lastword $(MAKEFILE_LIST))))))
FUZZ_TOP	:= $(patsubst $(CURDIR)/%,%,$(abspath $(FUZZ_DIR)/../..))
ifeq ($(FUZZ_TOP),$(CURDIR))
FUZZ_TOP	:= .
endif
FUZZ_SRCDIR	:= $(patsubst ./%,%,$(FUZZ_TOP)/hexind)

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_OUT	?= $(FUZZ_TOP)/build/fuzz
FUZZ_TARGETS	?= http sse envfile models claude_request claude_answer \
		   claude_stream hexin embeddings body responses messages state
PKG_CONFIG	?= pkg-config
# libsystemd is left out: the targets never log to the journal.
FUZZ_PKGS	?= libcurl yajl
WARN		?= -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wformat=2 -Wvla
FUZZ_SAN	?= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	?= -O1 -g
FUZZ_ALL_CFLAGS	 = $(WARN) -D_GNU_SOURCE $(FUZZ_SAN) $(FUZZ_CFLAGS) \
		   $(shell $(PKG_CONFIG) --cflags $(FUZZ_PKGS))
FUZZ_LIBS	 = $(shell $(PKG_CONFIG) --libs $(FUZZ_PKGS))

# Every hexind source but main.c; models_default.c is generated here from
# the JSON by the top Makefile's build/models-gen, with this build's flags.
FUZZ_HEXIND_SRCS = $(filter-out $(FUZZ_SRCDIR)/main.c, \
		   $(wildcard $(FUZZ_SRCDIR)/*.c $(FUZZ_SRCDIR)/*/*.c))
FUZZ_HEXIND_HDRS = $(wildcard $(FUZZ_SRCDIR)/*.h $(FUZZ_SRCDIR)/*/*.h)
FUZZ_OBJS	 = $(patsubst $(FUZZ_SRCDIR)/%.c,$(FUZZ_OUT)/obj/%.o, \
		   $(FUZZ_HEXIND_SRCS)) $(FUZZ_OUT)/obj/models_default.o
FUZZ_BINS	 = $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_OUT=$(FUZZ_OUT) \
	    $(FUZZ_DIR)/run $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_OUT=$(FUZZ_OUT) $(FUZZ_DIR)/run $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_OUT)

$(FUZZ_OUT)/obj/%.o: $(FUZZ_SRCDIR)/%.c $(FUZZ_HEXIND_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer-no-link \
	    -I$(FUZZ_SRCDIR) -c -o $@ $<

$(FUZZ_OUT)/models_default.c: $(FUZZ_SRCDIR)/upstream/models_default.json \
    build/models-gen
	@mkdir -p $(@D)
	build/models-gen <$< >$@.$$$$ && mv $@.$$$$ $@

$(FUZZ_OUT)/obj/models_default.o: $(FUZZ_OUT)/models_default.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The objects as an archive: a target links only what it calls.
$(FUZZ_OUT)/libhexind.a: $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_OBJS)

$(FUZZ_OUT)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_DIR)/fuzz.h \
    $(FUZZ_HEXIND_HDRS) $(FUZZ_OUT)/libhexind.a
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer -I$(FUZZ_SRCDIR) \
	    -o $@ $< $(FUZZ_OUT)/libhexind.a $(FUZZ_LIBS)


.SECONDARY: $(FUZZ_OBJS) $(FUZZ_OUT)/models_default.c

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-clean
