/* One JSON call to Hexin whose answer is passed on as it came: an event
 * stream as strict server-sent events with "event:" lines, the moment
 * each event is complete, or a whole answer as it is. What /v1/responses
 * and /v1/messages share. Events and answers go out byte for byte unless
 * they come wrapped in Hexin's envelope. */
#ifndef HEXIND_PASSTHROUGH_H
#define HEXIND_PASSTHROUGH_H

#include "http/exchange.h"
#include "upstream/attempt.h"
#include "upstream/stream.h"

struct passthrough {
	/* set by the endpoint */
	struct exchange		*c;
	const char		*url;
	const char		*post;		/* the request body */
	size_t			 postlen;
	const char		*header;	/* one more header line, or NULL */
	int			 stream;	/* the client asked for a stream */
	/* a whole answer where a stream was asked for, as its events */
	void			(*as_events)(struct passthrough *, yajl_val);
	/* a failure after the stream began, as the API's error event */
	void			(*error_event)(struct passthrough *, int status,
				    const char *message);
	const char *const	*terminal;	/* event names that end it */
	int			 type_first;	/* name from "type", then event: */
	int			 drop_pings;
	int			 claude;	/* usage in Anthropic's form */
	/* state */
	int			 done;		/* a terminal event arrived */
	long long		 seq;		/* the last sequence_number */
	struct stream_read	 rd;
};

int	passthrough_emit(struct passthrough *, const char *event,
	    const char *, size_t);
void	passthrough_run(struct passthrough *, struct attempt *);
int	passthrough_gen_emit(struct passthrough *, const char *event, yajl_val);
void	passthrough_free(struct passthrough *);

#endif
