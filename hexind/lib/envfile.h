/* The dotenv parser: pure, bounded by its length, no I/O. */
#ifndef HEXIND_ENVFILE_H
#define HEXIND_ENVFILE_H

#include <stddef.h>

/* Called for each KEY=VALUE; key and value are NUL-terminated. A non-zero
 * return stops the parse with that value. */
typedef int (*envfile_cb)(const char *key, const char *value, void *arg);

int	envfile_parse(const char *p, size_t n, envfile_cb, void *arg,
	    size_t *errline, const char **errmsg);

#endif
