/* POST /v1/chat/completions for every family: onto the OpenAI chat routes
 * and gateways as it came, rewritten by the family's rules, and onto
 * Claude's Bedrock routes through the translation of chat_claude.c. The
 * client's body is parsed whole (it is bounded); the answer is unwrapped
 * from Hexin's envelope, and a stream is passed on event by event the
 * moment each one is complete. When the family's upstream ignores "n",
 * n calls run at once and their choices are merged, or in a stream
 * multiplexed, with their indexes rewritten. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/body.h"
#include "api/calls.h"
#include "api/chat.h"
#include "api/chat_claude.h"
#include "api/usage.h"
#include "http/reply.h"
#include "lib/json.h"
#include "lib/log.h"
#include "upstream/hexin.h"
#include "upstream/models.h"
#include "upstream/stream.h"
#include "upstream/transport.h"

/* --- writing to the client --- */

/* One event's data; the stream's head goes out before the first. */
static int
emit(struct chat *ch, const char *p, size_t n)
{
	return reply_event(ch->c, NULL, p, n);
}

/* Sends what ch->g generated as one event, and clears it. */
int
chat_emit_gen(struct chat *ch)
{
	return reply_gen_event(ch->c, NULL, ch->g);
}

/* The error event the SDKs raise: a chunk with an "error" object. */
static void
emit_error(struct chat *ch, int status, const char *msg)
{
	struct buf	 e;

	buf_init(&e, 0);
	if (error_body(&e, API_OPENAI, status, "upstream_error", msg) == 0)
		(void)emit(ch, e.data, e.len);
	buf_free(&e);
	if (ch->c->status == 200)
		log_warn("id=%s stream broken after it began: %s", ch->c->id,
		    msg);
}

/* --- stream events --- */

void
chat_remember(struct chat *ch, yajl_val chunk)
{
	yajl_val	 v;

	if ((v = json_get(chunk, "id")) && YAJL_IS_STRING(v))
		snprintf(ch->id, sizeof(ch->id), "%s", v->u.string);
	if ((v = json_get(chunk, "model")) && YAJL_IS_STRING(v))
		snprintf(ch->model, sizeof(ch->model), "%s", v->u.string);
	if ((v = json_get(chunk, "created")) && YAJL_IS_NUMBER(v))
		snprintf(ch->created, sizeof(ch->created), "%s",
		    v->u.number.r);
}

/* A choice of a chunk, its index moved by the stream's base. */
int
chat_gen_choice(struct chat *ch, struct stream *s, yajl_val choice)
{
	yajl_gen	 g = ch->g;
	yajl_val	 idx = json_get(choice, "index");
	yajl_val	 fin = json_get(choice, "finish_reason");
	size_t		 i;
	int		 closing = fin && !YAJL_IS_NULL(fin);

	if (!YAJL_IS_OBJECT(choice))
		return json_gen_value(g, choice);
	if (closing)
		s->finished = 1;
	if (json_map_open(g))
		return -1;
	for (i = 0; i < choice->u.object.len; i++) {
		const char *k = choice->u.object.keys[i];
		yajl_val v = choice->u.object.values[i];

		if (json_str(g, k))
			return -1;
		if (strcmp(k, "index") == 0) {
			if (json_int(g, s->base + (YAJL_IS_INTEGER(idx) ?
			    YAJL_GET_INTEGER(idx) : 0)))
				return -1;
		} else if ((strcmp(k, "delta") == 0 ||
		    strcmp(k, "message") == 0) && YAJL_IS_OBJECT(v)) {
			if (chat_think_message(ch, s, v, closing))
				return -1;
		} else if (json_gen_value(g, v)) {
			return -1;
		}
	}
	return json_map_close(g);
}

/* Passes one chunk on: indexes moved, usage only when asked for. */
static int
emit_chunk(struct chat *ch, struct stream *s, yajl_val chunk)
{
	yajl_gen	 g = ch->g;
	yajl_val	 choices = json_get(chunk, "choices");
	yajl_val	 usage = json_get(chunk, "usage");
	size_t		 i, k;
	int		 usage_only = YAJL_IS_ARRAY(choices) &&
			    choices->u.array.len == 0;

	chat_remember(ch, chunk);
	if (usage_only && (!ch->include_usage || ch->n > 1))
		return 0;	/* dropped, or summed at the end */
	if (json_map_open(g))
		return -1;
	for (i = 0; i < chunk->u.object.len; i++) {
		const char *key = chunk->u.object.keys[i];
		yajl_val v = chunk->u.object.values[i];

		if (strcmp(key, "usage") == 0 && (!ch->include_usage ||
		    (ch->n > 1 && !YAJL_IS_NULL(usage))))
			continue;
		if (json_str(g, key))
			return -1;
		if (strcmp(key, "choices") == 0 && YAJL_IS_ARRAY(v)) {
			if (json_array_open(g))
				return -1;
			for (k = 0; k < v->u.array.len; k++)
				if (chat_gen_choice(ch, s, v->u.array.values[k]))
					return -1;
			if (json_array_close(g))
				return -1;
		} else if (json_gen_value(g, v)) {
			return -1;
		}
	}
	if (json_map_close(g))
		return -1;
	return chat_emit_gen(ch);
}

/* Passes on one chunk whose tree is root. With n > 1 and usage asked
 * for, a stream's usage is held (with its tree) for the sum at the end. */
static int
deliver(struct stream *s, yajl_val root, yajl_val chunk)
{
	yajl_val	 usage = json_get(chunk, "usage");
	int		 rc;

	rc = emit_chunk(s->ch, s, chunk);
	if (s->ch->n > 1 && s->ch->include_usage && YAJL_IS_OBJECT(usage) &&
	    s->usage == NULL)
		s->usage = root;
	else
		yajl_tree_free(root);
	return rc;
}

/* Whether a chat route's chunk goes out as it came: one call (no index
 * to move, no usage to hold), no folding, and no usage to drop; it came
 * bare, not in the envelope. A choice that finishes is noted all the
 * same. */
static int
as_received(struct stream *s, const struct hx_result *res)
{
	struct chat	*ch = s->ch;
	yajl_val	 choices, fin;
	size_t		 i;

	if (ch->n > 1 || ch->fold || res->payload != res->root ||
	    (!ch->include_usage &&
	    YAJL_IS_OBJECT(json_get(res->payload, "usage"))))
		return 0;
	choices = json_get(res->payload, "choices");
	for (i = 0; YAJL_IS_ARRAY(choices) && i < choices->u.array.len; i++)
		if ((fin = json_get(choices->u.array.values[i],
		    "finish_reason")) && !YAJL_IS_NULL(fin))
			s->finished = 1;
	return 1;
}

/* A chunk translated from a Bedrock event, in ch->g: sent as it is. The
 * usage chunk goes out only when asked for and n is 1; with n > 1 it is
 * held, parsed once, for the sum at the end. */
static int
claude_emit(void *arg, enum claude_chunk kind)
{
	struct stream		*s = arg;
	struct chat		*ch = s->ch;
	const unsigned char	*p;
	char			 err[128];
	size_t			 n;

	ch->last = s;
	if (kind == CLAUDE_CHUNK || (ch->include_usage && ch->n == 1))
		return chat_emit_gen(ch);
	if (ch->include_usage && s->usage == NULL &&
	    json_buf(ch->g, &p, &n) == 0)
		s->usage = json_parse((const char *)p, n, err, sizeof(err));
	yajl_gen_clear(ch->g);
	yajl_gen_reset(ch->g, NULL);
	return 0;
}

/* One upstream event. A non-zero return stops that stream. */
/* An event of the stream, judged: a chat chunk passed on, or a Bedrock
 * event translated. Non-zero stops the stream. */
static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct stream	*s = arg;
	int		 rc;

	(void)event;
	if (s->ch->bedrock) {
		(void)usage_claude(&s->spent, json_get(json_get(res->payload,
		    "message"), "usage"));
		(void)usage_claude(&s->spent, json_get(res->payload, "usage"));
	} else {
		(void)usage_chat(&s->spent, json_get(res->payload, "usage"));
	}
	if (!s->ch->bedrock && as_received(s, res))
		return emit(s->ch, data, n);
	if (!s->ch->bedrock) {
		rc = deliver(s, res->root, res->payload);
		res->root = res->payload = NULL;	/* deliver has it */
		return rc;
	}
	if ((rc = claude_event(&s->cs, res->payload)) == -1) {
		/* a chunk half generated: the next starts afresh */
		yajl_gen_clear(s->ch->g);
		yajl_gen_reset(s->ch->g, NULL);
	}
	s->done = s->cs.stopped;
	s->finished = s->cs.finished;
	return rc;
}

static int
on_stream(struct up_call *u, const char *p, size_t n)
{
	struct stream	*s = u->arg;

	return calls_feed(s->ch->c, &s->rd, p, n);
}

/* --- the request --- */

/* Checks the body; 0, or -1 with what is wrong in *bad. */
static int
validate(yajl_val req, struct invalid *bad)
{
	yajl_val	 v, m;
	const char	*model;
	size_t		 i;

	if (body_model(req, &model, bad) == -1)
		return -1;
	v = json_get(req, "messages");
	if (!YAJL_IS_ARRAY(v))
		return body_invalid(bad, "messages", "'messages' must be "
		    "an array of messages, not %s", json_type_name(v));
	if (v->u.array.len == 0)
		return body_invalid(bad, "messages", "'messages' must "
		    "hold at least one message");
	for (i = 0; i < v->u.array.len; i++) {
		m = v->u.array.values[i];
		if (!YAJL_IS_OBJECT(m) || !YAJL_IS_STRING(json_get(m,
		    "role")))
			return body_invalid(bad, "messages", "messages[%zu] "
			    "must be an object with a string 'role'", i);
	}
	v = json_get(req, "stream");
	if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v) && !YAJL_IS_NULL(v))
		return body_invalid(bad, "stream", "'stream' must be a "
		    "boolean");
	v = json_get(req, "n");
	if (v && !YAJL_IS_NULL(v) && (!YAJL_IS_INTEGER(v) ||
	    YAJL_GET_INTEGER(v) < 1 || YAJL_GET_INTEGER(v) > N_MAX))
		return body_invalid(bad, "n", "'n' must be an integer from "
		    "1 to %d", N_MAX);
	v = json_get(req, "stream_options");
	if (v && !YAJL_IS_NULL(v) && !YAJL_IS_OBJECT(v))
		return body_invalid(bad, "stream_options", "'stream_options' "
		    "must be an object");
	return 0;
}

static int
list_has(yajl_val list, const char *s)
{
	size_t	 i;

	for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
		if (strcmp(list->u.array.values[i]->u.string, s) == 0)
			return 1;
	return 0;
}

/* A stream's options, the client's, with the usage always asked for: the
 * key's limits and the ledger count it (the client gets its usage chunk
 * only when it asked for one). */
static int
gen_stream_options(yajl_gen g, yajl_val v)
{
	size_t	 i;

	if (json_str(g, "stream_options") || json_map_open(g))
		return -1;
	for (i = 0; YAJL_IS_OBJECT(v) && i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], "include_usage") != 0 &&
		    (json_str(g, v->u.object.keys[i]) ||
		    json_gen_value(g, v->u.object.values[i])))
			return -1;
	return json_kbool(g, "include_usage", 1) || json_map_close(g);
}

/* The upstream body: the client's with the family's rewrites, or its
 * Bedrock translation. 0, -1 when out of memory, or 400 (answered). */
static int
body_build(struct chat *ch, struct buf *out)
{
	const struct family	*f = ch->r.family;
	yajl_val		 req = ch->req, to;
	struct claude_err	 e;
	yajl_gen		 g;
	size_t			 i;
	int			 rc = 0;

	if ((g = json_gen()) == NULL)
		return -1;
	if (ch->bedrock) {
		if ((rc = claude_request(g, req, &ch->r, &e)) == 0)
			return json_take(g, out);
		yajl_gen_free(g);
		if (rc == 400)
			reply_error_param(ch->c, e.param, "%s", e.message);
		return rc;
	}
	if (json_map_open(g))
		goto fail;
	for (i = 0; rc == 0 && i < req->u.object.len; i++) {
		const char *k = req->u.object.keys[i];
		yajl_val v = req->u.object.values[i];

		if (strcmp(k, "model") == 0) {
			rc = json_kstr(g, k, ch->r.model);
			continue;
		}
		if (list_has(f->drop, k) || (ch->n > 1 && strcmp(k, "n") == 0))
			continue;
		if (strcmp(k, "stream_options") == 0 && ch->stream) {
			rc = gen_stream_options(g, v);
			continue;
		}
		if ((to = json_get(f->rename, k)) != NULL) {
			/* the client's own value of the new name wins */
			if (json_get(req, to->u.string))
				continue;
			k = to->u.string;
		}
		rc = json_str(g, k) || json_gen_value(g, v);
	}
	if (rc == 0 && ch->stream && !json_get(req, "stream_options") &&
	    !list_has(f->drop, "stream_options"))
		rc = gen_stream_options(g, NULL);
	if (rc || json_map_close(g))
		goto fail;
	return json_take(g, out);
fail:
	if (g)
		yajl_gen_free(g);
	return -1;
}

static void
stream_free(struct stream *s)
{
	if (s->ch == NULL)
		return;
	stream_read_free(&s->rd);
	yajl_tree_free(s->usage);
	s->usage = NULL;
	s->ch = NULL;
}

/* Call i of an attempt: where it goes and how its answer comes back. */
static void
call_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct chat	*ch = h->arg;
	struct stream	*s = &ch->st[i];

	u->url = ch->url;
	(void)up_call_header(u, "Content-Type: application/json");
	if (ch->stream)
		(void)up_call_header(u, "Accept: text/event-stream");
	u->post = buf_cstr((struct buf *)ch->body);
	u->postlen = ch->body->len;
	u->on_stream = ch->stream ? on_stream : NULL;
	u->arg = s;
	stream_free(s);
	memset(s, 0, sizeof(*s));
	s->ch = ch;
	s->base = (int)i;
	claude_stream_init(&s->cs, (long long)time(NULL), ch->g, claude_emit,
	    s);
	s->cs.base = (int)i;
	s->cs.fold = ch->fold;
	s->rd.fn = on_event;
	s->rd.arg = s;
	stream_read_init(&s->rd);
}

static int
call_started(struct attempt *h)
{
	return ((struct chat *)h->arg)->c->stream_head;
}

/* A Bedrock answer becomes the chat.completion it means. */
static void
translate_answer(struct hx_result *res)
{
	struct buf	 b;
	char		 err[128];
	yajl_val	 v = NULL;

	buf_init(&b, 0);
	if (claude_answer(&b, res->payload, (long long)time(NULL)) == 0)
		v = json_parse(buf_cstr(&b), b.len, err, sizeof(err));
	buf_free(&b);
	hexin_result_free(res);
	if (v == NULL) {
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's Claude "
		    "answer could not be translated");
		return;
	}
	res->root = res->payload = v;
}

/* What became of call i: its answer classified into res, or its stream's
 * end checked. */
static void
call_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct chat	*ch = h->arg;
	struct up_call	*u = &h->calls[i];
	struct stream	*s = &ch->st[i];

	memset(res, 0, sizeof(*res));
	if (u->streamed) {
		stream_read_finish(&s->rd);
		stream_read_outcome(&s->rd, u, s->rd.done_marker || s->done ||
		    s->finished, res);
		return;
	}
	attempt_outcome(h, i, res);
	if (res->kind == HX_OK && ch->bedrock)
		translate_answer(res);
}

/* The tokens of every call, streamed or answered whole (a Bedrock
 * answer is in chat's form by now). */
static void
spent(struct chat *ch)
{
	struct usage	 u;
	int		 i;

	for (i = 0; i < ch->n; i++) {
		memset(&u, 0, sizeof(u));
		if (ch->h.calls[i].streamed)
			u = ch->st[i].spent;
		else
			(void)usage_chat(&u, json_get(ch->h.res[i].payload,
			    "usage"));
		usage_add(&ch->c->usage, &u);
	}
}

/* Runs the calls and passes on what they answered. */
static void
chat_run(struct chat *ch)
{
	struct exchange	*c = ch->c;
	struct attempt	*h = &ch->h;
	yajl_val	 answers[N_MAX];
	struct buf	 out;
	size_t		 bad;
	int		 i, ok = 1;

	switch (calls_run(c, h, &bad)) {
	case ATTEMPT_OK:
		break;
	case ATTEMPT_FAILED:
		if (ch->c->stream_head)
			emit_error(ch, h->fail.status, h->fail.message);
		else
			calls_refuse(c, h);
		return;
	default:
		return;
	}
	if (ch->stream) {
		for (i = 0; i < ch->n && ok; i++)
			if (!h->calls[i].streamed && chat_answer_chunks(ch,
			    &ch->st[i], h->res[i].payload) == -1)
				ok = 0;
		if (ok && ch->include_usage && ch->n > 1)
			ok = chat_usage_sum(ch) == 0;
		spent(ch);
		if (ok) {
			reply_finish(c);
			(void)emit(ch, "[DONE]", 6);
		}
		return;
	}
	spent(ch);
	for (i = 0; i < ch->n; i++)
		answers[i] = h->res[i].payload;
	buf_init(&out, 0);
	if (chat_answer_merge(ch, answers, (size_t)ch->n) == 0) {
		const unsigned char *p;
		size_t n;

		if (json_buf(ch->g, &p, &n) == 0 &&
		    buf_add(&out, p, n) == 0)
			(void)reply_json(c, 200, &out);
		else
			reply_error(c, 500, NULL, "out of memory");
	} else {
		reply_error(c, 502, "upstream_error", "Hexin's answer could "
		    "not be passed on");
	}
	buf_free(&out);
}

void
api_chat(struct exchange *c)
{
	struct chat	 ch;
	struct models	 m;
	struct buf	 body;
	char		 err[MODELS_ERRSZ], url[1024];
	yajl_val	 v, req;
	int		 rc, i;
	struct invalid	 why;

	memset(&ch, 0, sizeof(ch));
	buf_init(&body, 0);
	if ((req = body_json(c)) == NULL)
		return;
	if (validate(req, &why) == -1) {
		body_refuse(c, &why);
		goto out_req;
	}
	v = json_get(req, "model");
	snprintf(c->model, sizeof(c->model), "%s", v->u.string);
	if (models_load(c->conf, &m, err, sizeof(err)) == -1) {
		log_error("%s", err);
		reply_error(c, 500, "config_error", "the model table is "
		    "invalid; run hexind --check");
		goto out_req;
	}
	ch.c = c;
	ch.req = req;
	if (models_resolve(&m, body_route_model(c, v->u.string), &ch.r, err,
	    sizeof(err)) == -1) {
		reply_error(c, 404, "model_not_found", "The model '%.200s' "
		    "cannot be routed: %s", v->u.string, err);
		goto out_models;
	}
	if (body_admit(c, ch.r.family->name, ch.r.fallbacks) == -1)
		goto out_models;
	ch.bedrock = ch.r.family->kind == FAMILY_BEDROCK;
	ch.stream = YAJL_IS_TRUE(json_get(req, "stream"));
	ch.include_usage = YAJL_IS_TRUE(json_get(json_get(req,
	    "stream_options"), "include_usage"));
	ch.fold = c->conf->think_tags;
	v = json_get(req, "n");
	ch.n = ch.r.fan_out_n && YAJL_IS_INTEGER(v) ?
	    (int)YAJL_GET_INTEGER(v) : 1;
	snprintf(c->log_route, sizeof(c->log_route), "%s",
	    models_route_name(&ch.r));
	(void)models_url(c->conf, &ch.r, ch.stream, url, sizeof(url));
	ch.st = calloc((size_t)ch.n, sizeof(*ch.st));
	if (ch.st == NULL || calls_init(&ch.h, c, (size_t)ch.n) == -1 ||
	    (ch.g = json_gen()) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	if ((rc = body_build(&ch, &body)) != 0) {
		if (rc == -1)
			reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	ch.url = url;
	ch.body = &body;
	ch.h.arg = &ch;
	ch.h.setup = call_setup;
	ch.h.outcome = call_outcome;
	ch.h.started = call_started;
	if (ch.r.family->kind == FAMILY_GATEWAY)
		ch.h.key_env = ch.r.family->key_env;
	chat_run(&ch);
out:
	if (ch.g)
		yajl_gen_free(ch.g);
	for (i = 0; ch.st && i < ch.n; i++)
		stream_free(&ch.st[i]);
	attempt_free(&ch.h);
	free(ch.st);
	buf_free(&body);
out_models:
	models_free(&m);
out_req:
	yajl_tree_free(req);
}
