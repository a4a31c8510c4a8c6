/* See relay.h. */
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/log.h"
#include "api/relay.h"
#include "http/reply.h"

/* Writes one event, and the head before the first. */
int
relay_emit(struct relay *r, const char *event, const char *data, size_t n)
{
	r->head_sent = 1;
	return reply_event(r->c, event, data, n);
}

/* Writes v as one event's data. */
int
relay_gen_emit(struct relay *r, const char *event, yajl_val v)
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
		rc = relay_emit(r, event, b.data, b.len);
	buf_free(&b);
	return rc;
}

static void
fail(struct relay *r, enum hx_kind kind, int status, const char *msg)
{
	if (r->error[0])
		return;
	r->kind = kind;
	r->status = status;
	snprintf(r->error, sizeof(r->error), "%s", msg);
}

static int
on_event(void *arg, const char *event, const char *data, size_t n)
{
	struct relay	*r = arg;
	struct hx_result res;
	yajl_val	 v, type, seq, msg;
	char		 err[128], name[64];
	size_t		 i;
	int		 rc;

	if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
		return 0;
	if ((v = json_parse(data, n, err, sizeof(err))) == NULL) {
		fail(r, HX_ERROR, 502, hexin_bad_event(data, n));
		return 1;
	}
	if (r->drop_pings && hexin_is_ping(v)) {
		yajl_tree_free(v);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	hexin_classify_tree(200, v, &res);
	type = json_get(res.payload, "type");
	if (res.kind == HX_OK && YAJL_IS_STRING(type) &&
	    strcmp(type->u.string, "error") == 0) {
		/* an error event: {"type":"error","message"} (OpenAI) or
		 * {"type":"error","error":{"message"}} (Anthropic) */
		msg = json_get(res.payload, "message");
		if (!YAJL_IS_STRING(msg))
			msg = json_get(json_get(res.payload, "error"),
			    "message");
		snprintf(res.message, sizeof(res.message), "Hexin: %s",
		    YAJL_IS_STRING(msg) ? msg->u.string : "an error event");
		res.kind = HX_ERROR;
		res.status = 502;
	}
	if (res.kind != HX_OK || !YAJL_IS_OBJECT(res.payload)) {
		fail(r, res.kind == HX_OK ? HX_ERROR : res.kind, res.status ?
		    res.status : 502, res.kind == HX_OK ? "Hexin sent an "
		    "event that is not an object" : res.message);
		hexin_result_free(&res);
		return 1;
	}
	/* Hexin's loose streams may leave the event lines out. */
	if (YAJL_IS_STRING(type) && (r->type_first || !*event))
		snprintf(name, sizeof(name), "%s", type->u.string);
	else
		snprintf(name, sizeof(name), "%s", *event ? event : "message");
	name[strcspn(name, "\r\n")] = '\0';
	if ((seq = json_get(res.payload, "sequence_number")) &&
	    YAJL_IS_INTEGER(seq))
		r->seq = YAJL_GET_INTEGER(seq);
	for (i = 0; r->terminal[i]; i++)
		if (strcmp(name, r->terminal[i]) == 0)
			r->done = 1;
	rc = res.payload == v ? relay_emit(r, name, data, n) :
	    relay_gen_emit(r, name, res.payload);
	hexin_result_free(&res);
	return rc == -1 ? 1 : 0;
}

static int
on_stream(struct up_call *u, const char *p, size_t n)
{
	struct relay	*r = u->arg;
	int		 rc;

	rc = sse_feed(&r->sse, p, n, on_event, r);
	if (rc != 0 && r->error[0] == '\0' && !r->c->conn->failed)
		fail(r, HX_ERROR, 502, "Hexin sent an event larger than "
		    "hexind accepts");
	return rc != 0 ? -1 : 0;
}

/* Each attempt's call: the request, and its stream to the relay. */
static void
call_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct relay	*r = h->arg;

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
	if (r->sse_ready)
		sse_free(&r->sse);
	sse_init(&r->sse, SSE_EVENT_MAX);
	r->sse_ready = 1;
	r->done = 0;
	r->error[0] = '\0';
}

/* What became of the call: its collected answer classified, or its
 * stream's end checked. */
static void
call_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct relay	*r = h->arg;
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (!u->streamed) {
		attempt_outcome(h, i, res);
		return;
	}
	if (!r->error[0])
		(void)sse_finish(&r->sse, on_event, r);
	if (r->error[0]) {
		res->kind = r->kind;
		res->status = r->status;
		snprintf(res->message, sizeof(res->message), "%s", r->error);
	} else if (!r->done) {
		res->kind = HX_ERROR;
		res->status = u->timeout ? 504 : 502;
		res->retryable = 1;
		snprintf(res->message, sizeof(res->message), "Hexin's stream "
		    "broke off before its end%s%s", u->error[0] ? ": " : "",
		    u->error);
	} else {
		res->kind = HX_OK;
	}
}

static int
call_started(struct attempt *h)
{
	return ((struct relay *)h->arg)->head_sent;
}

/* Makes the relay the judge of the attempt's one call. */
void
relay_bind(struct relay *r, struct attempt *h)
{
	h->arg = r;
	h->setup = call_setup;
	h->outcome = call_outcome;
	h->started = call_started;
}

/* Passes on the answer of a call that was not streamed: as events when
 * a stream was asked for, else as Hexin sent it (unwrapped from the
 * envelope if need be). */
void
relay_answer(struct relay *r, struct attempt *h)
{
	struct hx_result	*res = &h->res[0];
	struct up_call		*u = &h->calls[0];
	struct buf		 b;
	yajl_gen		 g;

	if (u->streamed)
		return;		/* already passed on, event by event */
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
relay_free(struct relay *r)
{
	if (r->sse_ready)
		sse_free(&r->sse);
	r->sse_ready = 0;
}
