/* POST /v1/messages: the Anthropic Messages API, for Claude Code and the
 * Anthropic SDKs, onto Hexin's Bedrock routes. The body passes through
 * with what Bedrock wants changed (hexin-backend.md, "Claude via
 * Bedrock"): anthropic_version in the body, no model or stream, max_tokens
 * capped per model, temperature over top_p, the system prompt folded into
 * the first user turn unless the family says native, and anthropic-beta
 * as the body's anthropic_beta, as Bedrock takes it. Every content block
 * type passes as sent. Stream events, bare data lines upstream, go out as
 * "event: <type>" and "data: <json>" the moment each one is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/body.h"
#include "api/calls.h"
#include "api/chat_read.h"
#include "api/messages_chat.h"
#include "api/messages_out.h"
#include "api/passthrough.h"
#include "api/xlate.h"
#include "http/reply.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/tokens.h"
#include "upstream/bedrock.h"
#include "upstream/models.h"


struct msgs {
	struct exchange	*c;
	const struct models *tbl;	/* the Bedrock allow-lists */
	struct attempt	 h;
	struct passthrough pass;
	struct resolved	 r;
	yajl_val	 req;
	struct buf	 body;
	char		 url[1024];
};



/* --- the Bedrock body --- */

static int
system_text(yajl_val sys, struct buf *out)
{
	yajl_val	 t;
	size_t		 i;

	if (YAJL_IS_STRING(sys))
		return buf_adds(out, sys->u.string);
	for (i = 0; YAJL_IS_ARRAY(sys) && i < sys->u.array.len; i++) {
		t = json_get(sys->u.array.values[i], "text");
		if (YAJL_IS_STRING(t) && ((out->len && buf_adds(out, "\n\n") ==
		    -1) || buf_adds(out, t->u.string) == -1))
			return -1;
	}
	return 0;
}

/* The messages, with the system text folded into the first user turn as
 * the Python proxy did. */
static int
gen_messages_folded(yajl_gen g, yajl_val msgs, const char *sys)
{
	yajl_val	 m, content, first;
	struct buf	 b;
	size_t		 i, k, done = 0;
	int		 rc = 0;

	if (json_array_open(g))
		return -1;
	buf_init(&b, 0);
	for (i = 0; rc == 0 && i < msgs->u.array.len; i++) {
		m = msgs->u.array.values[i];
		if (done || !YAJL_IS_OBJECT(m) || !YAJL_IS_STRING(json_get(m,
		    "role")) || strcmp(json_get(m, "role")->u.string, "user")) {
			rc = json_gen_value(g, m);
			continue;
		}
		done = 1;
		content = json_get(m, "content");
		b.len = 0;
		if (bedrock_fold(&b, sys, 1) == -1) {
			rc = -1;
			break;
		}
		rc = json_map_open(g) == 0 ? 0 : -1;
		for (k = 0; rc == 0 && k < m->u.object.len; k++) {
			const char *key = m->u.object.keys[k];
			yajl_val v = m->u.object.values[k];

			if (strcmp(key, "content") != 0) {
				rc = json_str(g, key) || json_gen_value(g, v);
				continue;
			}
			rc = json_str(g, key);
			if (rc == 0 && YAJL_IS_STRING(content)) {
				rc = buf_adds(&b, content->u.string) ||
				    json_strn(g, b.data, b.len);
			} else if (rc == 0 && YAJL_IS_ARRAY(content)) {
				/* into the first text block, or one of its
				 * own before the others */
				first = content->u.array.len ?
				    content->u.array.values[0] : NULL;
				if (YAJL_IS_STRING(json_get(first, "text")) &&
				    YAJL_IS_STRING(json_get(first, "type")) &&
				    strcmp(json_get(first, "type")->u.string,
				    "text") == 0) {
					rc = buf_adds(&b, json_get(first,
					    "text")->u.string);
					first = NULL;
				} else {
					b.len -= 2;	/* no blank line */
					first = content;
				}
				rc = rc || json_array_open(g) ||
				    json_map_open(g) ||
				    json_kstr(g, "type", "text") ||
				    json_str(g, "text") ||
				    json_strn(g, b.data, b.len) ||
				    json_map_close(g);
				for (size_t j = first ? 0 : 1; rc == 0 &&
				    j < content->u.array.len; j++)
					rc = json_gen_value(g,
					    content->u.array.values[j]);
				rc = rc || json_array_close(g);
			} else if (rc == 0) {
				rc = json_gen_value(g, v);
			}
		}
		rc = rc || json_map_close(g);
	}
	buf_free(&b);
	return rc == 0 && json_array_close(g) == 0 ? 0 : -1;
}

/* anthropic-beta: a, b -> "anthropic_beta": ["a", "b"] */
/* The flags of anthropic-beta Bedrock takes (the model table's
 * allow-list), as the body's anthropic_beta; the others are dropped and
 * logged at debug, and no list goes when none is left. */
static int
gen_beta(struct msgs *m, yajl_gen g, const char *beta)
{
	const char	*p, *e;
	size_t		 n;
	int		 kept = 0;

	for (p = beta; *p; p += n) {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		for (e = p + n; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e == p)
			continue;
		if (!models_allowed(m->tbl->bedrock_betas, p,
		    (size_t)(e - p))) {
			log_debug("id=%s anthropic-beta %.*s left out: not on "
			    "the Bedrock allow-list", m->c->id, (int)(e - p),
			    p);
			continue;
		}
		if ((kept++ == 0 && (json_str(g, "anthropic_beta") ||
		    json_array_open(g))) || json_strn(g, p, (size_t)(e - p)))
			return -1;
	}
	return kept && json_array_close(g) ? -1 : 0;
}

static int
body_build(struct msgs *m)
{
	const char	*beta = http_header(m->c->req, "anthropic-beta");
	yajl_val	 req = m->req, v;
	struct buf	 sys;
	long long	 cap = bedrock_cap(&m->r);
	yajl_gen	 g;
	size_t		 i;
	int		 rc = 0, fold = bedrock_folds_system(m->r.family);

	buf_init(&sys, 0);
	if ((g = json_gen()) == NULL)
		return -1;
	if (fold && system_text(json_get(req, "system"), &sys) == -1)
		rc = -1;
	if (rc || json_map_open(g) ||
	    json_kstr(g, "anthropic_version", BEDROCK_VERSION))
		rc = -1;
	for (i = 0; rc == 0 && i < req->u.object.len; i++) {
		const char *k = req->u.object.keys[i];

		v = req->u.object.values[i];
		if (!strcmp(k, "model") || !strcmp(k, "stream") ||
		    !strcmp(k, "anthropic_version") ||
		    (beta && !strcmp(k, "anthropic_beta")) ||
		    (fold && !strcmp(k, "system")))
			continue;
		if (!models_allowed(m->tbl->bedrock_fields, k, strlen(k))) {
			log_debug("id=%s field %s left out: not on the "
			    "Bedrock allow-list", m->c->id, k);
			continue;
		}
		/* Bedrock refuses temperature with top_p: keep temperature */
		if (!strcmp(k, "top_p") && json_get(req, "temperature"))
			continue;
		if (!strcmp(k, "max_tokens") && YAJL_IS_INTEGER(v) &&
		    YAJL_GET_INTEGER(v) > cap) {
			rc = json_kint(g, k, cap);
			continue;
		}
		if (!strcmp(k, "messages") && fold && sys.len) {
			rc = json_str(g, k) ||
			    gen_messages_folded(g, v, buf_cstr(&sys));
			continue;
		}
		rc = json_str(g, k) || json_gen_value(g, v);
	}
	if (rc == 0 && beta && gen_beta(m, g, beta))
		rc = -1;
	if (rc == 0 && json_map_close(g) == 0) {
		buf_free(&sys);
		return json_take(g, &m->body);
	}
	yajl_gen_free(g);
	buf_free(&sys);
	return -1;
}

/* --- the calls --- */

/* The error event the Anthropic SDKs raise. */
static void
emit_error(struct passthrough *pass, int status, const char *msg)
{
	struct buf	 e;

	buf_init(&e, 0);
	if (error_body(&e, API_ANTHROPIC, status, NULL, msg) == 0)
		(void)passthrough_emit(pass, "error", e.data, e.len);
	buf_free(&e);
	log_warn("id=%s stream broken after it began: %s", pass->c->id, msg);
}

/* A whole message where a stream was asked for: the events that carry
 * it, as Anthropic would have streamed it. */
static void
emit_as_events(struct passthrough *pass, yajl_val msg)
{
	yajl_val	 content = json_get(msg, "content"), b, v;
	struct buf	 out;
	yajl_gen	 g;
	size_t		 i, k;
	int		 step, rc = 0;

	for (step = 0; rc == 0 && step < 3; step++) {
		/* 0: message_start, 1: the blocks, 2: delta and stop */
		if (step == 1) {
			for (i = 0; rc == 0 && YAJL_IS_ARRAY(content) &&
			    i < content->u.array.len; i++) {
				b = content->u.array.values[i];
				buf_init(&out, 0);
				if ((g = json_gen()) == NULL)
					return;
				rc = json_map_open(g) ||
				    json_kstr(g, "type", "content_block_start") ||
				    json_kint(g, "index", (long long)i) ||
				    json_str(g, "content_block") ||
				    json_gen_value(g, b) ||
				    json_map_close(g) ||
				    json_take(g, &out) ? -1 : passthrough_emit(pass,
				    "content_block_start", out.data, out.len);
				buf_free(&out);
				if (rc == 0) {
					char stop[64];
					int n = snprintf(stop, sizeof(stop),
					    "{\"type\":\"content_block_stop\","
					    "\"index\":%zu}", i);
					rc = passthrough_emit(pass, "content_block_stop", stop,
					    (size_t)n);
				}
			}
			continue;
		}
		buf_init(&out, 0);
		if ((g = json_gen()) == NULL)
			return;
		if (step == 0) {
			rc = json_map_open(g) ||
			    json_kstr(g, "type", "message_start") ||
			    json_str(g, "message") || json_map_open(g);
			for (k = 0; rc == 0 && k < msg->u.object.len; k++) {
				const char *key = msg->u.object.keys[k];

				if (strcmp(key, "content") == 0)
					rc = json_str(g, key) ||
					    json_array_open(g) ||
					    json_array_close(g);
				else
					rc = json_str(g, key) ||
					    json_gen_value(g,
					    msg->u.object.values[k]);
			}
			rc = rc || json_map_close(g) ||
			    json_map_close(g) || json_take(g, &out) ?
			    -1 : passthrough_emit(pass, "message_start", out.data, out.len);
		} else {
			v = json_get(msg, "stop_reason");
			rc = json_map_open(g) ||
			    json_kstr(g, "type", "message_delta") ||
			    json_str(g, "delta") || json_map_open(g) ||
			    json_str(g, "stop_reason") || json_gen_value(g, v) ||
			    json_str(g, "stop_sequence") ||
			    json_gen_value(g, json_get(msg, "stop_sequence")) ||
			    json_map_close(g) || json_str(g, "usage") ||
			    json_gen_value(g, json_get(msg, "usage")) ||
			    json_map_close(g) || json_take(g, &out) ?
			    -1 : passthrough_emit(pass, "message_delta", out.data, out.len);
			if (rc == 0)
				rc = passthrough_emit(pass, "message_stop",
				    "{\"type\":\"message_stop\"}", 23);
		}
		buf_free(&out);
	}
}

/* Checks the body as the Messages API does; 0, or -1 with what is
 * wrong in *bad. */
static int
validate(yajl_val req, struct invalid *bad)
{
	yajl_val	 v;

	if (!YAJL_IS_OBJECT(req))
		return body_invalid(bad, NULL, "the request body must be a "
		    "JSON object");
	v = json_get(req, "model");
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0')
		return body_invalid(bad, NULL, "model: Field required (a "
		    "non-empty string)");
	v = json_get(req, "messages");
	if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0)
		return body_invalid(bad, NULL, "messages: Field required (a "
		    "non-empty array)");
	v = json_get(req, "max_tokens");
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1)
		return body_invalid(bad, NULL, "max_tokens: Field required "
		    "(a positive integer)");
	v = json_get(req, "stream");
	if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return body_invalid(bad, NULL, "stream: must be a "
		    "boolean");
	return 0;
}

/* --- translated, for the families that are not Claude --- */

struct tr {
	struct exchange	*c;
	struct mout	 o;
	struct answer	 sink;		/* o, as chat's reader feeds it */
	int		 ready;		/* o set up */
};

static int
w_reset(void *arg, int stream)
{
	struct tr	*t = arg;

	if (t->ready)
		mout_free(&t->o);
	t->ready = 1;
	if (mout_init(&t->o, t->c, t->c->model, stream) == -1)
		return -1;
	mout_answer(&t->o, &t->sink);
	return 0;
}

static int
w_event(void *arg, yajl_val ev)
{
	struct tr	*t = arg;

	if (mout_begin(&t->o) == -1)
		return -1;	/* the client is gone */
	return chat_read_chunk(&t->sink, ev);
}

static int
w_answer(void *arg, yajl_val answer)
{
	return chat_read_answer(&((struct tr *)arg)->sink, answer);
}

static int
w_finished(void *arg)
{
	return ((struct tr *)arg)->o.finish[0] != '\0';
}

static int
w_end(void *arg)
{
	return mout_end(&((struct tr *)arg)->o);
}

static int
w_failed(void *arg, int status, const char *message)
{
	return mout_failed(&((struct tr *)arg)->o, status, message);
}

static int
w_object(void *arg, struct buf *out)
{
	return mout_object(&((struct tr *)arg)->o, out);
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
	struct buf		 body;
	yajl_gen		 g;
	int			 rc, stream;

	stream = YAJL_IS_TRUE(json_get(req, "stream"));
	memset(&t, 0, sizeof(t));
	t.c = c;
	buf_init(&body, 0);
	if ((g = json_gen()) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	if ((rc = messages_to_chat(g, req, r, stream, &bad)) != 0) {
		yajl_gen_free(g);
		if (rc == 400)
			body_refuse(c, &bad);
		else
			reply_error(c, 500, NULL, "out of memory");
		return;
	}
	if (json_take(g, &body) == 0)
		xlate_run(c, r, stream, &body, &w);
	else
		reply_error(c, 500, NULL, "out of memory");
	if (t.ready)
		mout_free(&t.o);
	buf_free(&body);
}

void
api_messages(struct exchange *c)
{
	struct msgs	*m;
	struct models	 tbl;
	char		 err[MODELS_ERRSZ];
	yajl_val	 req;
	struct invalid	 why;

	if ((req = body_json(c)) == NULL)
		return;
	if (validate(req, &why) == -1) {
		body_refuse(c, &why);
		yajl_tree_free(req);
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s",
	    json_get(req, "model")->u.string);
	if (models_load(c->conf, &tbl, err, sizeof(err)) == -1) {
		log_error("%s", err);
		reply_error(c, 500, NULL, "the model table is invalid; run "
		    "hexind --check");
		yajl_tree_free(req);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		goto out_tbl;
	}
	m->c = c;
	m->tbl = &tbl;
	m->req = req;
	m->pass.c = c;
	m->pass.terminal = stream_end_bedrock;
	m->pass.type_first = 1;
	m->pass.claude = 1;
	buf_init(&m->body, 0);
	if (models_resolve(&tbl, body_route_model(c, c->model), &m->r, err,
	    sizeof(err)) == -1) {
		reply_error(c, 404, NULL, "model: %.200s cannot be routed: %s",
		    c->model, err);
		goto out;
	}
	if (body_admit(c, m->r.family->name, m->r.fallbacks) == -1)
		goto out;
	if (m->r.family->kind != FAMILY_BEDROCK) {
		translated(c, req, &m->r);
		goto out;
	}
	m->pass.stream = YAJL_IS_TRUE(json_get(req, "stream"));
	(void)models_url(c->conf, &m->r, m->pass.stream, m->url,
	    sizeof(m->url));
	snprintf(c->log_route, sizeof(c->log_route), "%s",
	    models_route_name(&m->r));
	if (body_build(m) == -1 || calls_init(&m->h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	m->pass.url = m->url;
	m->pass.post = buf_cstr(&m->body);
	m->pass.postlen = m->body.len;
	m->pass.as_events = emit_as_events;
	m->pass.error_event = emit_error;
	passthrough_run(&m->pass, &m->h);
out:
	attempt_free(&m->h);
	passthrough_free(&m->pass);
	buf_free(&m->body);
	free(m);
out_tbl:
	models_free(&tbl);
	yajl_tree_free(req);
}

/* --- count_tokens --- */

#define COUNT_IMAGE	1600	/* an image or a document, whole */
#define COUNT_MESSAGE	3	/* a message's own framing */
#define COUNT_TOOL	5	/* a tool's */

static long long
count_text(yajl_val v)
{
	return YAJL_IS_STRING(v) ? tokens_estimate(v->u.string,
	    strlen(v->u.string)) : 0;
}

static long long
count_json(yajl_val v)
{
	struct buf	 b;
	long long	 n = 0;

	buf_init(&b, 0);
	if (v && json_object_text(v, &b) == 0)
		n = tokens_estimate(b.data, b.len);
	buf_free(&b);
	return n;
}

/* A content: a string, or blocks of any kind. */
static long long
count_content(yajl_val content)
{
	yajl_val	 b, type;
	long long	 n = 0;
	size_t		 i;

	if (YAJL_IS_STRING(content))
		return count_text(content);
	for (i = 0; YAJL_IS_ARRAY(content) && i < content->u.array.len; i++) {
		b = content->u.array.values[i];
		type = json_get(b, "type");
		if (!YAJL_IS_STRING(type))
			continue;
		if (strcmp(type->u.string, "image") == 0 ||
		    strcmp(type->u.string, "document") == 0)
			n = json_sum(n, COUNT_IMAGE);
		else if (strcmp(type->u.string, "tool_use") == 0)
			n = json_sum(n, json_sum(count_text(json_get(b,
			    "name")), count_json(json_get(b, "input"))));
		else if (strcmp(type->u.string, "tool_result") == 0)
			n = json_sum(n, json_sum(COUNT_MESSAGE,
			    count_content(json_get(b, "content"))));
		else if (strcmp(type->u.string, "thinking") == 0)
			n = json_sum(n, count_text(json_get(b, "thinking")));
		else
			n = json_sum(n, count_text(json_get(b, "text")));
	}
	return n;
}

/* POST /v1/messages/count_tokens for every model, answered here with
 * no upstream call: an estimate (lib/tokens.c) of the system prompt,
 * the messages, the tool definitions and a fixed count for each image,
 * with a few tokens of framing for each message and tool. */
void
api_count_tokens(struct exchange *c)
{
	yajl_val	 req, msgs, tools, t, v;
	struct invalid	 why;
	struct buf	 out;
	long long	 n = COUNT_MESSAGE;
	size_t		 i;

	if ((req = body_json(c)) == NULL)
		return;
	v = json_get(req, "model");
	msgs = json_get(req, "messages");
	why.message[0] = '\0';
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0')
		(void)body_invalid(&why, NULL, "model: Field required (a "
		    "non-empty string)");
	else if (!YAJL_IS_ARRAY(msgs) || msgs->u.array.len == 0)
		(void)body_invalid(&why, NULL, "messages: Field required (a "
		    "non-empty array)");
	if (why.message[0]) {
		body_refuse(c, &why);
		yajl_tree_free(req);
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s", v->u.string);
	snprintf(c->log_route, sizeof(c->log_route), "count_tokens");
	n = json_sum(n, count_content(json_get(req, "system")));
	for (i = 0; i < msgs->u.array.len; i++)
		n = json_sum(n, json_sum(COUNT_MESSAGE, count_content(
		    json_get(msgs->u.array.values[i], "content"))));
	tools = json_get(req, "tools");
	for (i = 0; YAJL_IS_ARRAY(tools) && i < tools->u.array.len; i++) {
		t = tools->u.array.values[i];
		n = json_sum(n, json_sum(COUNT_TOOL, json_sum(json_sum(
		    count_text(json_get(t, "name")), count_text(json_get(t,
		    "description"))), count_json(json_get(t,
		    "input_schema")))));
	}
	buf_init(&out, 0);
	if (buf_printf(&out, "{\"input_tokens\":%lld}", n) == 0)
		(void)reply_json(c, 200, &out);
	else
		reply_error(c, 500, NULL, "out of memory");
	buf_free(&out);
	yajl_tree_free(req);
}
