/* A translated exchange: one call to a family's own route (a chat route
 * or Bedrock) whose answer the client API's writer turns into its own
 * format, each stream event the moment it arrives. The writer says how;
 * the call, its retries before the first byte, the stream's reading and
 * end, and the failures are done here the same way for every client
 * API. */
#ifndef HEXIND_XLATE_H
#define HEXIND_XLATE_H

#include <yajl/yajl_tree.h>

#include "http/exchange.h"
#include "lib/buf.h"
#include "upstream/models.h"

struct xlate_writer {
	void	*arg;
	/* a new attempt: the writer starts afresh; -1 when out of memory */
	int	(*reset)(void *, int stream);
	/* one upstream event of a stream, written as it arrives */
	int	(*event)(void *, yajl_val payload);
	/* a whole answer (asked for, or sent for a stream) */
	int	(*answer)(void *, yajl_val payload);
	/* whether the stream so far has reached its end */
	int	(*finished)(void *);
	/* a stream's end, or its break after it began */
	int	(*end)(void *);
	int	(*failed)(void *, int status, const char *message);
	/* the whole answer's body */
	int	(*object)(void *, struct buf *);
};

void	xlate_run(struct exchange *, const struct resolved *, int stream,
	    const struct buf *body, const struct xlate_writer *);

#endif
