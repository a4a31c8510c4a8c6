/* An exchange's calls to Hexin as a handler runs them: the attempt loop
 * told which client to watch, its end noted for the access log, and a
 * failure answered in the client API's own shape. */
#ifndef HEXIND_CALLS_H
#define HEXIND_CALLS_H

#include <stddef.h>

#include "http/exchange.h"
#include "upstream/attempt.h"
#include "upstream/stream.h"

int	calls_init(struct attempt *, struct exchange *, size_t n);
enum attempt_end calls_run(struct exchange *, struct attempt *, size_t *bad);
int	calls_refuse(struct exchange *, const struct attempt *);
int	calls_feed(struct exchange *, struct stream_read *, const char *,
	    size_t);

#endif
