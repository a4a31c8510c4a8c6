/* What every fuzz target shares: libFuzzer's entry points (declared, for
 * -Wmissing-prototypes), a check that aborts with its location, and a
 * validator for the JSON text hexind generates. */
#ifndef HEXIND_FUZZ_H
#define HEXIND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "lib/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* An oracle: a broken promise of the code under test, as a crash. */
#define FUZZ_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		abort();						\
	}								\
} while (0)

/* Whether p[0..n) is one complete JSON text in valid UTF-8: what hexind
 * promises for everything it writes, whatever it was sent. */
static inline int
fuzz_json_valid(const char *p, size_t n)
{
	yajl_handle	 y;
	int		 ok;

	if ((y = yajl_alloc(NULL, NULL, NULL)) == NULL)
		abort();
	ok = yajl_parse(y, (const unsigned char *)p, n) == yajl_status_ok &&
	    yajl_complete_parse(y) == yajl_status_ok;
	yajl_free(y);
	return ok;
}

/* Logging at its quietest: only errors, and the targets reach none. */
static inline void
fuzz_quiet(void)
{
	log_set_level(LOG_LVL_ERROR);
}

/* The LLVMFuzzerInitialize of a target that needs nothing else. */
#define FUZZ_INITIALIZE_QUIET						\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	fuzz_quiet();							\
	return 0;							\
}

#endif
