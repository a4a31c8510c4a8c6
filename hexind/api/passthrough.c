/* See passthrough.h. */
#include <stdio.h>
#include <string.h>

#include "api/calls.h"
#include "api/passthrough.h"
#include "api/usage.h"
#include "http/reply.h"
#include "lib/json.h"

/* Writes one event, and the head before the first. */
int
passthrough_emit(struct passthrough *r, const char *event, const char *data,
    size_t n)
{
	return reply_event(r->c, event, data, n);
}

/* Writes v as one event's data. */
int
passthrough_gen_emit(struct passthrough *r, const char *event, yajl_val v)
{
	struct buf	 b;
	yajl_gen	 g;
	int		 rc = -1;

	buf_init(&b, 0);
	if ((g = json_gen()) == NULL)
		return -1;
	if (json_gen_value(g, v) != 0)
		yajl_gen_free(g);
	else if (json_take(g, &b) == 0)
		rc = passthrough_emit(r, event, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* The usage an answer or an event carries: at its top, or in the
 * response (Responses) or the message (Messages) it carries. */
static void
note_usage(struct passthrough *r, yajl_val v)
{
	yajl_val	 u = json_get(v, "usage");

	if (u == NULL)
		u = json_get(json_get(v, r->claude ? "message" : "response"),
		    "usage");
	if (r->claude)
		(void)usage_claude(&r->c->usage, u);
	else
		(void)usage_responses(&r->c->usage, u);
}

/* An event of the stream, judged: passed on as it came, unless it came
 * in Hexin's envelope. */
static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct passthrough	*r = arg;
	yajl_val	 type = json_get(res->payload, "type"), seq;
	char		 name[64];

	/* Hexin's loose streams may leave the event lines out. */
	if (YAJL_IS_STRING(type) && (r->type_first || !*event))
		snprintf(name, sizeof(name), "%s", type->u.string);
	else
		snprintf(name, sizeof(name), "%s", *event ? event : "message");
	name[strcspn(name, "\r\n")] = '\0';
	if ((seq = json_get(res->payload, "sequence_number")) &&
	    YAJL_IS_INTEGER(seq))
		r->seq = YAJL_GET_INTEGER(seq);
	note_usage(r, res->payload);
	if (stream_is_end(r->terminal, name)) {
		r->done = 1;
		reply_finish(r->c);
	}
	return res->payload == res->root ? passthrough_emit(r, name, data, n) :
	    passthrough_gen_emit(r, name, res->payload);
}

static int
on_stream(struct up_call *u, const char *p, size_t n)
{
	struct passthrough	*r = u->arg;

	return calls_feed(r->c, &r->rd, p, n);
}

/* Each attempt's call: the request, and its stream to the pass-through. */
static void
call_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct passthrough	*r = h->arg;

	(void)i;
	u->url = r->url;
	(void)up_call_header(u, "Content-Type: application/json");
	if (r->header)
		(void)up_call_header(u, r->header);
	u->post = r->post;
	u->postlen = r->postlen;
	if (!r->stream)
		return;
	(void)up_call_header(u, "Accept: text/event-stream");
	u->on_stream = on_stream;
	u->arg = r;
	r->rd.fn = on_event;
	r->rd.arg = r;
	r->rd.keep_pings = !r->drop_pings;
	r->rd.error_events = 1;
	stream_read_init(&r->rd);
	r->done = 0;
}

/* What became of the call: its collected answer classified, or its
 * stream's end checked. */
static void
call_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct passthrough	*r = h->arg;
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (!u->streamed) {
		attempt_outcome(h, i, res);
		return;
	}
	stream_read_finish(&r->rd);
	stream_read_outcome(&r->rd, u, r->done, res);
}

static int
call_started(struct attempt *h)
{
	return ((struct passthrough *)h->arg)->c->stream_head;
}

/* Makes the pass-through the judge of the attempt's one call. */
static void
passthrough_bind(struct passthrough *r, struct attempt *h)
{
	h->arg = r;
	h->setup = call_setup;
	h->outcome = call_outcome;
	h->started = call_started;
}

/* Passes on the answer of a call that was not streamed: as events when
 * a stream was asked for, else as Hexin sent it (unwrapped from the
 * envelope if need be). */
static void
passthrough_answer(struct passthrough *r, struct attempt *h)
{
	struct hx_result	*res = &h->res[0];
	struct up_call		*u = &h->calls[0];
	struct buf		 b;
	yajl_gen		 g;

	if (u->streamed)
		return;		/* already passed on, event by event */
	note_usage(r, res->payload);
	if (r->stream) {
		r->as_events(r, res->payload);
		return;
	}
	if (res->payload == res->root) {
		(void)reply_json(r->c, 200, &u->body);
		return;
	}
	buf_init(&b, 0);
	if ((g = json_gen()) != NULL && json_gen_value(g, res->payload) != 0) {
		yajl_gen_free(g);
		g = NULL;
	}
	if (g != NULL && json_take(g, &b) == 0)
		(void)reply_json(r->c, 200, &b);
	else
		reply_error(r->c, 500, NULL, "out of memory");
	buf_free(&b);
}

void
passthrough_free(struct passthrough *r)
{
	stream_read_free(&r->rd);
}

/* Runs the one call and passes its answer on: a failure before anything
 * reached the client is its error answer, one after it the API's error
 * event. */
void
passthrough_run(struct passthrough *r, struct attempt *h)
{
	size_t	 bad;

	passthrough_bind(r, h);
	switch (calls_run(r->c, h, &bad)) {
	case ATTEMPT_OK:
		passthrough_answer(r, h);
		break;
	case ATTEMPT_FAILED:
		if (r->c->stream_head)
			r->error_event(r, h->fail.status, h->fail.message);
		else
			calls_refuse(r->c, h);
		break;
	default:
		break;
	}
}
