/* The translated call of xlate.h. */
#include <stdio.h>
#include <string.h>

#include "api/calls.h"
#include "api/xlate.h"
#include "http/reply.h"
#include "lib/log.h"
#include "upstream/stream.h"

struct xlate {
	struct exchange			*c;
	const struct xlate_writer	*w;
	const struct buf		*body;
	int				 stream;
	char				 url[1024];
	struct attempt			 h;
	struct stream_read		 rd;
	int				 ready;	/* rd and the writer set up */
	int				 oom;	/* the writer could not */
};

static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct xlate	*x = arg;

	(void)event;
	(void)data;
	(void)n;
	if (x->oom)
		return -1;
	return x->w->event(x->w->arg, res->payload);
}

static int
on_stream(struct up_call *u, const char *p, size_t n)
{
	struct xlate	*x = u->arg;

	return calls_feed(x->c, &x->rd, p, n);
}

/* Each attempt starts afresh: nothing of a failed one reached the
 * client. */
static void
setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct xlate	*x = h->arg;

	(void)i;
	u->url = x->url;
	(void)up_call_header(u, "Content-Type: application/json");
	if (x->stream)
		(void)up_call_header(u, "Accept: text/event-stream");
	u->post = x->body->data;
	u->postlen = x->body->len;
	u->on_stream = x->stream ? on_stream : NULL;
	u->arg = x;
	if (x->ready)
		stream_read_free(&x->rd);
	memset(&x->rd, 0, sizeof(x->rd));
	x->rd.fn = on_event;
	x->rd.arg = x;
	stream_read_init(&x->rd);
	if ((x->oom = x->w->reset(x->w->arg, x->stream) == -1))
		log_error("id=%s out of memory", x->c->id);
	x->ready = 1;
}

static int
started(struct attempt *h)
{
	return ((struct xlate *)h->arg)->c->stream_head;
}

static void
outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct xlate	*x = h->arg;
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (!u->streamed) {
		attempt_outcome(h, i, res);
		return;
	}
	stream_read_finish(&x->rd);
	stream_read_outcome(&x->rd, u, x->rd.done_marker ||
	    (!x->oom && x->w->finished(x->w->arg)), res);
}

static void
untranslatable(struct xlate *x)
{
	if (x->c->stream_head)
		(void)x->w->failed(x->w->arg, 502, "Hexin's answer could not "
		    "be translated");
	else
		reply_error(x->c, 502, "upstream_error", "Hexin's answer "
		    "could not be translated");
}

static void
run(struct xlate *x)
{
	struct exchange	*c = x->c;
	struct attempt	*h = &x->h;
	struct buf	 out;
	size_t		 bad;

	switch (calls_run(c, h, &bad)) {
	case ATTEMPT_OK:
		break;
	case ATTEMPT_FAILED:
		if (c->stream_head && !x->oom)
			(void)x->w->failed(x->w->arg, h->fail.status,
			    h->fail.message);
		else
			calls_refuse(c, h);
		return;
	default:
		return;
	}
	if (x->oom) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	if (!h->calls[0].streamed && x->w->answer(x->w->arg,
	    h->res[0].payload) == -1) {
		untranslatable(x);
		return;
	}
	if (x->stream) {
		reply_finish(c);
		/* the stream's last events, in one write */
		reply_hold(c);
		if (x->w->end(x->w->arg) == -1)
			(void)x->w->failed(x->w->arg, 502, "Hexin's answer "
			    "could not be translated");
		(void)reply_release(c);
		return;
	}
	buf_init(&out, 0);
	if (x->w->object(x->w->arg, &out) == 0)
		(void)reply_json(c, 200, &out);
	else
		reply_error(c, 500, NULL, "out of memory");
	buf_free(&out);
}

void
xlate_run(struct exchange *c, const struct resolved *r, int stream,
    const struct buf *body, const struct xlate_writer *w)
{
	struct xlate	 x;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.w = w;
	x.body = body;
	x.stream = stream;
	snprintf(c->log_route, sizeof(c->log_route), "%s",
	    models_route_name(r));
	(void)models_url(c->conf, r, stream, x.url, sizeof(x.url));
	if (calls_init(&x.h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	x.h.arg = &x;
	x.h.setup = setup;
	x.h.outcome = outcome;
	x.h.started = started;
	if (r->family->kind == FAMILY_GATEWAY)
		x.h.key_env = r->family->key_env;
	run(&x);
	if (x.ready)
		stream_read_free(&x.rd);
	attempt_free(&x.h);
}
