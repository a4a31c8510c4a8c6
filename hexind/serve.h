/* Serving one request on a connection: what main calls for each request
 * the connection carries. */
#ifndef HEXIND_SERVE_H
#define HEXIND_SERVE_H

#include <stddef.h>

#include "http/conn.h"
#include "lib/conf.h"

/* Exit codes, documented in hexind.8. */
#define EXIT_SERVED	0	/* answered, whatever the status */
#define EXIT_CONFIG	1	/* configuration invalid, or --check failed */
#define EXIT_USAGE	2

int	serve(struct conn *, const struct conf *, const char *conf_err,
	    size_t left, int *again);

#endif
