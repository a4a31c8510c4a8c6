/* The tolerant parser for Hexin's server-sent events. The strict writer
 * is http/reply.h's. */
#ifndef HEXIND_SSE_H
#define HEXIND_SSE_H

#include <stddef.h>

#include "lib/buf.h"

#define SSE_EVENT_MAX	(16 * 1024 * 1024)	/* the longest line taken */
#define SSE_ERR_LINE	(-100)	/* sse_feed: a line longer than the cap */

/* Called for each event: its name ("" when none) and its data. A
 * non-zero return stops the parse and is returned by sse_feed. */
typedef int (*sse_event_fn)(void *arg, const char *event, const char *data,
    size_t n);

struct sse {
	struct buf	 line;		/* a line not yet ended */
	char		 event[64];	/* the pending "event:" name */
};

void	sse_init(struct sse *, size_t maxline);
void	sse_free(struct sse *);
int	sse_feed(struct sse *, const char *, size_t, sse_event_fn, void *);
int	sse_finish(struct sse *, sse_event_fn, void *);

#endif
