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
#include "api/xlate.h"
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
	struct buf	 body;		/* a fallback's: the model replaced */
};

/* The client's body with another model: a fallback's. */
static int
with_model(yajl_val req, const char *model, struct buf *out)
{
	yajl_gen	 g;
	size_t		 i;
	int		 rc = 0;

	if ((g = json_gen()) == NULL)
		return -1;
	rc = json_map_open(g);
	for (i = 0; rc == 0 && i < req->u.object.len; i++)
		rc = strcmp(req->u.object.keys[i], "model") == 0 ?
		    json_kstr(g, "model", model) :
		    json_str(g, req->u.object.keys[i]) ||
		    json_gen_value(g, req->u.object.values[i]);
	if (rc || json_map_close(g)) {
		yajl_gen_free(g);
		return -1;
	}
	return json_take(g, out);
}


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
native(struct exchange *c, yajl_val req, int stream)
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
	if (c->served[0]) {
		if (with_model(req, c->served, &r->body) == -1) {
			reply_error(c, 500, NULL, "out of memory");
			goto out;
		}
		r->pass.post = buf_cstr(&r->body);
		r->pass.postlen = r->body.len;
	}
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
	buf_free(&r->body);
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
	struct rout		 o;
	struct answer		 sink;		/* o, as chat reads */
	struct resp_claude	 cl;
	int			 ready;		/* o set up */
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

/* The Responses writer as the translated call's writer: Claude's events
 * read by responses_claude.c, a chat route's by chat_read.c. */
static int
w_reset(void *arg, int stream)
{
	struct tr	*t = arg;

	if (t->ready)
		rout_free(&t->o);
	t->ready = 1;
	memset(&t->cl, 0, sizeof(t->cl));
	if (rout_init(&t->o, t->c, t->req, stream) == -1)
		return -1;
	rout_answer(&t->o, &t->sink);
	return 0;
}

static int
w_event(void *arg, yajl_val ev)
{
	struct tr	*t = arg;

	if (rout_begin(&t->o) == -1)
		return -1;	/* the client is gone */
	if (t->bedrock)
		return responses_claude_event(&t->cl, &t->o, ev);
	return chat_read_chunk(&t->sink, ev);
}

static int
w_answer(void *arg, yajl_val answer)
{
	struct tr	*t = arg;

	if (t->bedrock)
		return responses_claude_answer(&t->o, answer);
	return chat_read_answer(&t->sink, answer);
}

static int
w_finished(void *arg)
{
	struct tr	*t = arg;

	return t->cl.stopped || t->o.finish[0];
}

static int
w_end(void *arg)
{
	return rout_end(&((struct tr *)arg)->o);
}

static int
w_failed(void *arg, int status, const char *message)
{
	return rout_failed(&((struct tr *)arg)->o, status, message);
}

static int
w_object(void *arg, struct buf *out)
{
	return rout_object(&((struct tr *)arg)->o, out);
}

static void
translated(struct exchange *c, yajl_val req, const struct resolved *r)
{
	struct tr		 t;
	struct invalid		 bad;
	struct xlate_writer	 w = {
		&t, w_reset, w_event, w_answer, w_finished, w_end, w_failed,
		w_object,
	};
	int			 rc;

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
	if ((rc = tr_body(&t)) == 0)
		xlate_run(c, r, t.stream, &t.body, &w);
	else if (rc == -1)
		reply_error(c, 500, NULL, "out of memory");
	if (t.ready)
		rout_free(&t.o);
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
	if (models_resolve(&m, body_route_model(c, v->u.string), &r, err,
	    sizeof(err)) == -1)
		reply_error(c, 404, "model_not_found", "The model '%.200s' "
		    "cannot be routed: %s", v->u.string, err);
	else if (body_admit(c, r.family->name, r.fallbacks) == -1)
		;	/* refused, answered */
	else if (r.family->responses_native)
		native(c, req, YAJL_IS_TRUE(json_get(req, "stream")));
	else
		translated(c, req, &r);
	models_free(&m);
	yajl_tree_free(req);
}
