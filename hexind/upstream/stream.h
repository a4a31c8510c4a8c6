/* Reading an upstream event stream, the same way for every route: the
 * tolerant SSE parser fed as the bytes arrive, each event parsed and
 * judged once ([DONE], pings, Hexin's envelope, error events), the first
 * failure kept, and the stream's outcome when its call ends: complete,
 * failed, or broken off before its end. The names that end a stream on
 * each route are here too. */
#ifndef HEXIND_STREAM_H
#define HEXIND_STREAM_H

#include <stddef.h>

#include "upstream/hexin.h"
#include "upstream/sse.h"
#include "upstream/transport.h"

/* Receives an event that is a JSON object, res classified (res->payload
 * the event, unwrapped from the envelope); it may take res->root (and
 * set it NULL). Non-zero stops the stream. */
typedef int (*stream_event_fn)(void *arg, const char *event,
    const char *data, size_t n, struct hx_result *res);

struct stream_read {
	stream_event_fn	 fn;
	void		*arg;
	int		 keep_pings;	/* pass pings on as events */
	int		 error_events;	/* {"type":"error"} is a failure */
	/* state */
	struct sse	 sse;
	int		 ready;
	int		 done_marker;	/* [DONE] arrived */
	enum hx_kind	 kind;		/* the first failure, when error[0] */
	int		 status;
	char		 error[512];
};

extern const char *const stream_end_bedrock[];	/* message_stop */
extern const char *const stream_end_responses[];

void	stream_read_init(struct stream_read *);
void	stream_read_free(struct stream_read *);
int	stream_read_feed(struct stream_read *, const char *, size_t);
void	stream_read_fail(struct stream_read *, enum hx_kind, int status,
	    const char *);
void	stream_read_finish(struct stream_read *);
void	stream_read_outcome(const struct stream_read *, const struct up_call *,
	    int complete, struct hx_result *);
int	stream_is_end(const char *const *names, const char *name);

#endif
