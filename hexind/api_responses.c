/* POST /v1/responses: the OpenAI Responses API (o3, o4-mini and other
 * reasoning models). The client's body goes to HITHINK_RESPONSE_URL byte
 * for byte; the session (the client's X-Session-ID, else a fresh UUID
 * given back in x-session-id) pins the conversation to one upstream node
 * through arsenal-openai-hash and is the call's trace id. Streams are
 * reframed as strict SSE, "event: <type>" and "data: <json>", the moment
 * each event is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "hexcall.h"
#include "ids.h"
#include "json.h"
#include "log.h"
#include "reply.h"
#include "sse.h"

#define EVENT_MAX	(16 * 1024 * 1024)
#define STREAM_HEADERS	"Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"

struct resp {
	struct call	*c;
	struct hexcall	 h;
	char		 url[1024];
	char		 hash[200];	/* the arsenal-openai-hash header */
	int		 stream;
	int		 head_sent;
	int		 done;		/* a terminal event arrived */
	long long	 seq;		/* the last sequence_number seen */
	struct sse	 sse;
	int		 sse_ready;
	char		 error[512];
	int		 status;
	enum hx_kind	 kind;
};

static const char *const terminal[] = {
	"response.completed", "response.failed", "response.incomplete",
};

static int
emit(struct resp *r, const char *event, const char *data, size_t n)
{
	struct buf	 b;
	int		 rc = -1;

	if (!r->head_sent) {
		r->head_sent = 1;
		if (reply_head(r->c, 200, "text/event-stream", -1,
		    STREAM_HEADERS) == -1)
			return -1;
	}
	buf_init(&b, 0);
	if (buf_printf(&b, "event: %s\ndata: ", event) == 0 &&
	    buf_add(&b, data, n) == 0 && buf_add(&b, "\n\n", 2) == 0)
		rc = conn_write(r->c->conn, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* The error event the SDK raises: the Responses API's own fields, and an
 * "error" object, which is what the SDK looks for. */
static void
emit_error(struct resp *r, int status, const char *msg)
{
	struct buf	 e;
	yajl_gen	 g;

	buf_init(&e, 0);
	if ((g = json_gen()) == NULL)
		return;
	if (yajl_gen_map_open(g) || json_kstr(g, "type", "error") ||
	    json_kstr(g, "code", status == 504 ? "upstream_timeout" :
	    "upstream_error") || json_kstr(g, "message", msg) ||
	    json_knull(g, "param") ||
	    json_kint(g, "sequence_number", r->seq + 1) ||
	    json_str(g, "error") || yajl_gen_map_open(g) ||
	    json_kstr(g, "type", "server_error") ||
	    json_kstr(g, "code", status == 504 ? "upstream_timeout" :
	    "upstream_error") || json_kstr(g, "message", msg) ||
	    yajl_gen_map_close(g) || yajl_gen_map_close(g) ||
	    json_take(g, &e) == -1) {
		buf_free(&e);
		return;
	}
	(void)emit(r, "error", e.data, e.len);
	buf_free(&e);
	log_warn("id=%s stream broken after it began: %s", r->c->id, msg);
}

static void
fail(struct resp *r, enum hx_kind kind, int status, const char *msg)
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
	struct resp	*r = arg;
	struct hx_result res;
	struct buf	 b;
	yajl_val	 v, type, seq, msg;
	yajl_gen	 g;
	char		 err[128], name[64];
	size_t		 i;
	int		 rc;

	if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
		return 0;
	if ((v = json_parse(data, n, err, sizeof(err))) == NULL) {
		fail(r, HX_ERROR, 502, "Hexin sent an event that is not JSON");
		return 1;
	}
	if (hexin_is_ping(v)) {
		yajl_tree_free(v);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	hexin_classify_tree(200, v, &res);
	type = json_get(res.payload, "type");
	if (res.kind == HX_OK && YAJL_IS_STRING(type) &&
	    strcmp(type->u.string, "error") == 0) {
		msg = json_get(res.payload, "message");
		snprintf(res.message, sizeof(res.message), "Hexin: %s",
		    YAJL_IS_STRING(msg) ? msg->u.string : "error event");
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
	/* The name: the event line, else the type inside (Hexin's loose
	 * streams may leave the event lines out). */
	snprintf(name, sizeof(name), "%s", *event ? event :
	    YAJL_IS_STRING(type) ? type->u.string : "message");
	name[strcspn(name, "\r\n")] = '\0';
	if ((seq = json_get(res.payload, "sequence_number")) &&
	    YAJL_IS_INTEGER(seq))
		r->seq = YAJL_GET_INTEGER(seq);
	for (i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
		if (strcmp(name, terminal[i]) == 0)
			r->done = 1;
	if (res.payload == v) {
		/* as Hexin sent it, byte for byte */
		rc = emit(r, name, data, n);
	} else {
		/* unwrapped from Hexin's envelope */
		buf_init(&b, 0);
		rc = -1;
		if ((g = json_gen()) != NULL) {
			if (json_gen_value(g, res.payload) == 0)
				rc = json_take(g, &b) == 0 ? emit(r, name,
				    b.data, b.len) : -1;
			else
				yajl_gen_free(g);
		}
		buf_free(&b);
	}
	hexin_result_free(&res);
	return rc == -1 ? 1 : 0;
}

static int
on_stream(struct up_call *u, const char *p, size_t n)
{
	struct resp	*r = u->arg;
	int		 rc;

	rc = sse_feed(&r->sse, p, n, on_event, r);
	if (rc != 0 && r->error[0] == '\0' && !r->c->conn->failed)
		fail(r, HX_ERROR, 502, "Hexin sent an event larger than "
		    "hexind accepts");
	return rc != 0 ? -1 : 0;
}

static void
call_setup(struct hexcall *h, size_t i, struct up_call *u)
{
	struct resp	*r = h->arg;
	struct call	*c = r->c;

	(void)i;
	u->url = r->url;
	(void)up_call_header(u, "Content-Type: application/json");
	(void)up_call_header(u, r->hash);
	if (r->stream)
		(void)up_call_header(u, "Accept: text/event-stream");
	u->post = buf_cstr(&c->body);
	u->postlen = c->body.len;
	u->on_stream = r->stream ? on_stream : NULL;
	u->arg = r;
	if (r->sse_ready)
		sse_free(&r->sse);
	sse_init(&r->sse, EVENT_MAX);
	r->sse_ready = 1;
	r->done = 0;
	r->error[0] = '\0';
}

static void
call_outcome(struct hexcall *h, size_t i, struct hx_result *res)
{
	struct resp	*r = h->arg;
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (!u->streamed) {
		hexcall_outcome(h, i, res);
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
call_started(struct hexcall *h)
{
	return ((struct resp *)h->arg)->head_sent;
}

/* A whole response where a stream was asked for: the events that carry
 * it, created and completed. */
static void
emit_as_events(struct resp *r, yajl_val response)
{
	const char	*names[] = { "response.created", "response.completed" };
	struct buf	 b;
	yajl_gen	 g;
	int		 k;

	for (k = 0; k < 2; k++) {
		buf_init(&b, 0);
		if ((g = json_gen()) == NULL)
			return;
		if (yajl_gen_map_open(g) || json_kstr(g, "type", names[k]) ||
		    json_kint(g, "sequence_number", k) ||
		    json_str(g, "response") || json_gen_value(g, response) ||
		    yajl_gen_map_close(g) || json_take(g, &b) == -1 ||
		    emit(r, names[k], b.data, b.len) == -1) {
			buf_free(&b);
			return;
		}
		buf_free(&b);
	}
}

static void
answer(struct resp *r)
{
	struct hx_result *res = &r->h.res[0];
	struct up_call	*u = &r->h.calls[0];
	struct buf	 b;
	yajl_gen	 g;

	if (u->streamed)
		return;		/* already passed on, event by event */
	if (r->stream) {
		emit_as_events(r, res->payload);
		return;
	}
	if (res->payload == res->root) {
		/* not wrapped: as Hexin sent it */
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
api_responses(struct call *c)
{
	struct resp	*r;
	const char	*sid = http_header(c->req, "x-session-id");
	char		 session[ID_MAX + 1], err[256];
	yajl_val	 req, v;
	size_t		 bad;

	if ((req = json_parse(buf_cstr(&c->body), c->body.len, err,
	    sizeof(err))) == NULL) {
		reply_error_param(c, NULL, "the request body is not valid "
		    "JSON: %s", err);
		return;
	}
	v = json_get(req, "model");
	if (!YAJL_IS_OBJECT(req) || !YAJL_IS_STRING(v) ||
	    v->u.string[0] == '\0') {
		reply_error_param(c, "model", "the request body must be a JSON "
		    "object with a model (a non-empty string)");
		yajl_tree_free(req);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		yajl_tree_free(req);
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s", v->u.string);
	r->stream = YAJL_IS_TRUE(json_get(req, "stream"));
	yajl_tree_free(req);

	if (id_ok(sid))
		snprintf(session, sizeof(session), "%s", sid);
	else
		id_uuid(session);
	snprintf(c->headers, sizeof(c->headers), "x-session-id: %s\r\n",
	    session);
	snprintf(r->hash, sizeof(r->hash), "arsenal-openai-hash: %s", session);
	if (c->conf->response_url)
		snprintf(r->url, sizeof(r->url), "%s", c->conf->response_url);
	else
		snprintf(r->url, sizeof(r->url), "%s/chatgpt/v1/responses",
		    c->conf->base_url);
	snprintf(c->route, sizeof(c->route), "responses");
	log_info("id=%s session=%s", c->id, session);

	r->c = c;
	if (hexcall_init(&r->h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	r->h.arg = r;
	r->h.trace = session;
	r->h.setup = call_setup;
	r->h.outcome = call_outcome;
	r->h.started = call_started;
	switch (hexcall_run(&r->h, &bad)) {
	case HC_OK:
		answer(r);
		break;
	case HC_FAILED:
		if (r->head_sent)
			emit_error(r, r->h.res[bad].status,
			    r->h.res[bad].message);
		else
			hexcall_reply_error(&r->h, bad);
		break;
	default:
		break;
	}
out:
	hexcall_free(&r->h);
	if (r->sse_ready)
		sse_free(&r->sse);
	free(r);
}
