/* POST /v1/responses: the OpenAI Responses API for every family. For
 * the families Hexin serves it natively (the model table's "responses":
 * "native": gpt, o-series) the client's body goes to HITHINK_RESPONSE_URL
 * byte for byte; the session (the client's X-Session-ID, else a fresh
 * UUID given back in x-session-id) pins the conversation to one upstream
 * node through arsenal-openai-hash and is the call's trace id, and
 * streams are reframed as strict SSE the moment each event is complete.
 * Every other family is translated: the request to the family's chat
 * route (responses_chat.c) or, for Claude, on to Bedrock (chat_claude.c),
 * and the answer back through the Responses writer, event by event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/body.h"
#include "api/calls.h"
#include "api/chat_claude.h"
#include "api/chat_read.h"
#include "api/passthrough.h"
#include "api/responses_chat.h"
#include "api/responses_claude.h"
#include "api/responses_out.h"
#include "http/reply.h"
#include "lib/ids.h"
#include "lib/json.h"
#include "lib/log.h"
#include "upstream/models.h"
#include "upstream/stream.h"

struct resp {
	struct exchange	*c;
	struct attempt	 h;
	struct passthrough pass;
	char		 url[1024];
	char		 hash[200];	/* the arsenal-openai-hash header */
};


/* The error event the SDK raises: the Responses API's own fields, and an
 * "error" object, which is what the SDK looks for. */
static void
emit_error(struct passthrough *pass, int status, const char *msg)
{
	const char	*code = status == 504 ? "upstream_timeout" :
			    "upstream_error";
	struct buf	 e;
	yajl_gen	 g;

	buf_init(&e, 0);
	if ((g = json_gen()) == NULL)
		return;
	if (json_map_open(g) || json_kstr(g, "type", "error") ||
	    json_kstr(g, "code", code) || json_kstr(g, "message", msg) ||
	    json_knull(g, "param") ||
	    json_kint(g, "sequence_number", pass->seq + 1) ||
	    json_str(g, "error") || json_map_open(g) ||
	    json_kstr(g, "type", "server_error") ||
	    json_kstr(g, "code", code) || json_kstr(g, "message", msg) ||
	    json_map_close(g) || json_map_close(g)) {
		yajl_gen_free(g);
		return;
	}
	if (json_take(g, &e) == 0)
		(void)passthrough_emit(pass, "error", e.data, e.len);
	buf_free(&e);
	log_warn("id=%s stream broken after it began: %s", pass->c->id, msg);
}

/* A whole response where a stream was asked for: the events that carry
 * it, created and completed. */
static void
emit_as_events(struct passthrough *pass, yajl_val response)
{
	const char	*names[] = { "response.created", "response.completed" };
	struct buf	 b;
	yajl_gen	 g;
	int		 k;

	for (k = 0; k < 2; k++) {
		buf_init(&b, 0);
		if ((g = json_gen()) == NULL)
			return;
		if (json_map_open(g) || json_kstr(g, "type", names[k]) ||
		    json_kint(g, "sequence_number", k) ||
		    json_str(g, "response") || json_gen_value(g, response) ||
		    json_map_close(g)) {
			yajl_gen_free(g);
			return;
		}
		if (json_take(g, &b) == -1 ||
		    passthrough_emit(pass, names[k], b.data, b.len) == -1) {
			buf_free(&b);
			return;
		}
		buf_free(&b);
	}
}

/* --- natively, byte for byte --- */

static void
native(struct exchange *c, int stream)
{
	struct resp	*r;
	const char	*sid = http_header(c->req, "x-session-id");
	char		 session[ID_MAX + 1];

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	r->pass.stream = stream;
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
	snprintf(c->log_route, sizeof(c->log_route), "responses");
	log_info("id=%s session=%s", c->id, session);

	r->c = c;
	r->pass.c = c;
	r->pass.url = r->url;
	r->pass.header = r->hash;
	r->pass.post = buf_cstr(&c->body);
	r->pass.postlen = c->body.len;
	r->pass.terminal = stream_end_responses;
	r->pass.drop_pings = 1;
	r->pass.as_events = emit_as_events;
	if (calls_init(&r->h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	r->pass.error_event = emit_error;
	r->h.trace = session;
	passthrough_run(&r->pass, &r->h);
out:
	attempt_free(&r->h);
	passthrough_free(&r->pass);
	free(r);
}

/* --- translated --- */

struct tr {
	struct exchange		*c;
	yajl_val		 req;
	const struct resolved	*r;
	int			 bedrock;
	int			 stream;
	struct buf		 body;
	char			 url[1024];
	struct attempt		 h;
	struct stream_read	 rd;
	struct rout		 o;
	struct answer		 sink;		/* o, as chat's reader feeds it */
	struct resp_claude	 cl;
	int			 ready;		/* rd and o set up */
};

/* The upstream body: the chat request, or its Bedrock translation. 0,
 * -1 when out of memory, or 400 (answered). */
static int
tr_body(struct tr *t)
{
	struct resp_req		 rq;
	struct invalid		 bad;
	struct claude_err	 e;
	struct buf		 chat;
	yajl_val		 tree;
	yajl_gen		 g;
	char			 err[128];
	int			 rc;

	memset(&rq, 0, sizeof(rq));
	rq.rules = t->bedrock ? NULL : t->r->family;
	rq.model = t->r->model;
	rq.stream = t->stream && !t->bedrock;
	rq.claude = t->bedrock;
	rq.id = t->c->id;
	if ((g = json_gen()) == NULL)
		return -1;
	if ((rc = responses_to_chat(g, t->req, &rq, &bad)) != 0) {
		yajl_gen_free(g);
		if (rc == 400)
			body_refuse(t->c, &bad);
		return rc;
	}
	if (!t->bedrock)
		return json_take(g, &t->body);
	/* Claude: the chat request on through the Bedrock rules */
	buf_init(&chat, 0);
	if (json_take(g, &chat) == -1) {
		buf_free(&chat);
		return -1;
	}
	tree = json_parse(buf_cstr(&chat), chat.len, err, sizeof(err));
	buf_free(&chat);
	if (tree == NULL || (g = json_gen()) == NULL) {
		yajl_tree_free(tree);
		return -1;
	}
	if ((rc = claude_request(g, tree, t->r, &e)) == 0)
		rc = json_take(g, &t->body);
	else
		yajl_gen_free(g);
	yajl_tree_free(tree);
	if (rc == 400)
		reply_error_param(t->c, e.param, "%s", e.message);
	return rc;
}

/* One upstream event, translated into the Responses events it means. */
static int
tr_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct tr	*t = arg;

	(void)event;
	(void)data;
	(void)n;
	if (t->o.g == NULL || rout_begin(&t->o) == -1)
		return -1;	/* out of memory, or the client is gone */
	if (t->bedrock)
		return responses_claude_event(&t->cl, &t->o, res->payload);
	return chat_read_chunk(&t->sink, res->payload);
}

static int
tr_stream(struct up_call *u, const char *p, size_t n)
{
	struct tr	*t = u->arg;

	return stream_read_feed(&t->rd, p, n);
}

/* Each attempt starts afresh: nothing of a failed one reached the
 * client. */
static void
tr_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct tr	*t = h->arg;

	(void)i;
	u->url = t->url;
	(void)up_call_header(u, "Content-Type: application/json");
	if (t->stream)
		(void)up_call_header(u, "Accept: text/event-stream");
	u->post = buf_cstr(&t->body);
	u->postlen = t->body.len;
	u->on_stream = t->stream ? tr_stream : NULL;
	u->arg = t;
	if (t->ready) {
		stream_read_free(&t->rd);
		rout_free(&t->o);
	}
	memset(&t->rd, 0, sizeof(t->rd));
	memset(&t->cl, 0, sizeof(t->cl));
	t->rd.fn = tr_event;
	t->rd.arg = t;
	stream_read_init(&t->rd);
	if (rout_init(&t->o, t->c, t->req, t->stream) == -1)
		log_error("id=%s out of memory", t->c->id);
	rout_answer(&t->o, &t->sink);
	t->ready = 1;
}

static int
tr_started(struct attempt *h)
{
	return ((struct tr *)h->arg)->c->stream_head;
}

static void
tr_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct tr	*t = h->arg;
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (!u->streamed) {
		attempt_outcome(h, i, res);
		return;
	}
	stream_read_finish(&t->rd);
	stream_read_outcome(&t->rd, u, t->rd.done_marker || t->cl.stopped ||
	    t->o.finish[0], res);
}

/* A whole answer into the writer. */
static int
tr_answer(struct tr *t, yajl_val answer)
{
	if (t->bedrock)
		return responses_claude_answer(&t->o, answer);
	return chat_read_answer(&t->sink, answer);
}

static void
tr_run(struct tr *t)
{
	struct exchange	*c = t->c;
	struct attempt	*h = &t->h;
	struct buf	 out;
	size_t		 bad;

	switch (calls_run(c, h, &bad)) {
	case ATTEMPT_OK:
		break;
	case ATTEMPT_FAILED:
		if (c->stream_head && t->o.g)
			(void)rout_failed(&t->o, h->fail.status,
			    h->fail.message);
		else
			calls_refuse(c, h);
		return;
	default:
		return;
	}
	if (t->o.g == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	if (!h->calls[0].streamed && tr_answer(t, h->res[0].payload) == -1) {
		if (c->stream_head)
			(void)rout_failed(&t->o, 502, "Hexin's answer could "
			    "not be translated");
		else
			reply_error(c, 502, "upstream_error", "Hexin's answer "
			    "could not be translated");
		return;
	}
	if (t->stream) {
		if (rout_end(&t->o) == -1)
			(void)rout_failed(&t->o, 502, "Hexin's answer could "
			    "not be translated");
		return;
	}
	buf_init(&out, 0);
	if (rout_object(&t->o, &out) == 0)
		(void)reply_json(c, 200, &out);
	else
		reply_error(c, 500, NULL, "out of memory");
	buf_free(&out);
}

static void
translated(struct exchange *c, yajl_val req, const struct resolved *r)
{
	struct tr	 t;
	struct invalid	 bad;
	int		 rc;

	if (responses_check(req, &bad) == -1) {
		body_refuse(c, &bad);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.c = c;
	t.req = req;
	t.r = r;
	t.bedrock = r->family->kind == FAMILY_BEDROCK;
	t.stream = YAJL_IS_TRUE(json_get(req, "stream"));
	buf_init(&t.body, 0);
	snprintf(c->log_route, sizeof(c->log_route), "%s",
	    models_route_name(r));
	(void)models_url(c->conf, r, t.stream, t.url, sizeof(t.url));
	if ((rc = tr_body(&t)) != 0) {
		if (rc == -1)
			reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	if (calls_init(&t.h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	t.h.arg = &t;
	t.h.setup = tr_setup;
	t.h.outcome = tr_outcome;
	t.h.started = tr_started;
	if (r->family->kind == FAMILY_GATEWAY)
		t.h.key_env = r->family->key_env;
	tr_run(&t);
out:
	if (t.ready) {
		stream_read_free(&t.rd);
		rout_free(&t.o);
	}
	attempt_free(&t.h);
	buf_free(&t.body);
}

void
api_responses(struct exchange *c)
{
	struct models	 m;
	struct resolved	 r;
	char		 err[MODELS_ERRSZ];
	yajl_val	 req, v;

	if ((req = body_json(c)) == NULL)
		return;
	v = json_get(req, "model");
	if (!YAJL_IS_OBJECT(req) || !YAJL_IS_STRING(v) ||
	    v->u.string[0] == '\0') {
		reply_error_param(c, "model", "the request body must be a JSON "
		    "object with a model (a non-empty string)");
		yajl_tree_free(req);
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s", v->u.string);
	if (models_load(c->conf, &m, err, sizeof(err)) == -1) {
		log_error("%s", err);
		reply_error(c, 500, "config_error", "the model table is "
		    "invalid; run hexind --check");
		yajl_tree_free(req);
		return;
	}
	if (models_resolve(&m, v->u.string, &r, err, sizeof(err)) == -1)
		reply_error(c, 404, "model_not_found", "The model '%.200s' "
		    "cannot be routed: %s", v->u.string, err);
	else if (r.family->responses_native)
		native(c, YAJL_IS_TRUE(json_get(req, "stream")));
	else
		translated(c, req, &r);
	models_free(&m);
	yajl_tree_free(req);
}
