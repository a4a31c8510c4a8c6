/* POST /v1/embeddings. Hexin takes one input a call, as a form post
 * (hexin-backend.md), so an array of inputs fans out, at most
 * HEXIND_EMBED_PARALLEL at once, and comes back in order with each
 * entry's index. Numbers are passed on as Hexin wrote them, never through
 * a double; base64 (what the OpenAI SDKs ask for by default) is each
 * number's float32, little-endian, as OpenAI encodes it.
 *
 * Memory stays flat in the answers' size: the answers go, as they
 * arrive, to one unlinked file in $TMPDIR, scanned on the way; once every
 * answer is in and good, the client's answer, whose length is known by
 * then, is written from that file a piece at a time. Answers arriving
 * side by side interleave in the file: each keeps the list of its
 * pieces. */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "api/api.h"
#include "api/body.h"
#include "api/calls.h"
#include "api/capture.h"
#include "api/embed_vec.h"
#include "http/reply.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/spool.h"

#define INPUTS_MAX	2048

struct embed {
	struct exchange	*c;
	struct vec	*vecs;
	struct attempt	 h;
	char		 url[1024];
	yajl_val	 inputs;	/* array of strings, or one string */
	const char	*model;
	long long	 dimensions;	/* 0: not asked for */
	int		 base64;
	struct buf	*posts;		/* the form body of each call */
	struct spool	 spool;
};

/* application/x-www-form-urlencoded: unreserved bytes as they are, the
 * rest as %XX (a space too: '+' would also do, %20 is never wrong). */
static int
form_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char		 e[3];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			if (buf_addc(b, (char)c) == -1)
				return -1;
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		if (buf_add(b, e, 3) == -1)
			return -1;
	}
	return 0;
}

static const char *
input_at(struct embed *e, size_t i)
{
	return YAJL_IS_STRING(e->inputs) ? e->inputs->u.string :
	    e->inputs->u.array.values[i]->u.string;
}

/* A 2xx answer's bytes as they arrive. */
static int
on_answer(struct up_call *u, const char *p, size_t n)
{
	if (vec_feed(u->arg, p, n) == -1) {
		snprintf(u->error, sizeof(u->error), "hexind cannot keep the "
		    "answer in %s: %s", spool_dir(), strerror(errno));
		return -1;
	}
	return 0;
}

static void
call_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct embed	*e = h->arg;
	struct buf	*p = &e->posts[i];
	struct vec	*v = &e->vecs[i];

	/* each attempt starts a fresh scan */
	vec_start(v);
	u->on_answer = on_answer;
	u->arg = v;

	if (p->len == 0) {
		/* built once, kept for retries */
		if (buf_adds(p, "input=") == -1 ||
		    form_escape(p, input_at(e, i)) == -1 ||
		    buf_adds(p, "&model=") == -1 ||
		    form_escape(p, e->model) == -1 ||
		    (e->dimensions && buf_printf(p, "&dimensions=%lld",
		    e->dimensions) == -1))
			p->len = 0;
	}
	u->url = e->url;
	(void)up_call_header(u, "Content-Type: "
	    "application/x-www-form-urlencoded");
	u->post = buf_cstr(p);
	u->postlen = p->len;
}

/* --- a call's outcome, and the client's answer --- */

static void
call_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct embed	*e = h->arg;
	struct up_call	*u = &h->calls[i];
	struct vec	*v = &e->vecs[i];

	memset(res, 0, sizeof(*res));
	if (u->status >= 200 && u->status < 300 && !u->error[0] &&
	    vec_end(v) == 0) {
		res->kind = HX_OK;
		return;
	}
	/* A failure (small, as a rule) is judged the usual way, on its
	 * text. */
	if (u->answered > 0 && u->body.len == 0)
		vec_load(v, &u->body);
	attempt_outcome(h, i, res);
	if (res->kind == HX_OK) {
		hexin_result_free(res);
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's "
		    "embeddings answer has no data[0].embedding of numbers");
	}
}

static int
sink_client(void *arg, const char *p, size_t n)
{
	return reply_body(arg, p, n);
}

static const char list_open[] = "{\"object\":\"list\",\"data\":[";

/* What comes before entry i's numbers, in head; its length. */
static int
entry_head(char *head, size_t size, size_t i)
{
	return snprintf(head, size, "%s{\"object\":\"embedding\",\"index\":%zu,"
	    "\"embedding\":", i > 0 ? "," : "", i);
}

static void
answer(struct embed *e)
{
	long long	 prompt = 0, total = 0, length;
	struct buf	 model, tail;
	struct out	*o;
	yajl_gen	 g;
	size_t		 i;
	char		 head[96];
	int		 rc;

	for (i = 0; i < e->h.n; i++) {
		prompt = json_sum(prompt, e->vecs[i].prompt);
		total = json_sum(total, e->vecs[i].total);
	}
	buf_init(&model, 0);
	buf_init(&tail, 0);
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (g = json_gen()) == NULL) {
		free(o);
		reply_error(e->c, 500, NULL, "out of memory");
		return;
	}
	/* the model's name as a JSON string, then what ends the answer */
	if (json_str(g, e->vecs[0].model[0] ? e->vecs[0].model : e->model)) {
		yajl_gen_free(g);
		rc = -1;
	} else {
		rc = json_take(g, &model);	/* which frees g */
	}
	if (rc == 0)
		rc = buf_printf(&tail, "],\"model\":%s,\"usage\":{"
		    "\"prompt_tokens\":%lld,\"total_tokens\":%lld}}",
		    buf_cstr(&model), prompt, total);
	if (rc == -1) {
		reply_error(e->c, 500, NULL, "out of memory");
		goto out;
	}
	length = (long long)strlen(list_open) + (long long)tail.len;
	for (i = 0; i < e->h.n; i++)
		length += entry_head(head, sizeof(head), i) +
		    vec_length(&e->vecs[i], e->base64) + 1;
	capture_embeddings(e->c, e->h.n, e->vecs[0].count, prompt, total);
	e->c->usage.input = prompt;
	e->c->usage.seen = 1;
	if (reply_head(e->c, 200, "application/json", length, NULL) == -1)
		goto out;
	o->sink = sink_client;
	o->arg = e->c;
	o->base64 = e->base64;
	out_adds(o, list_open);
	for (i = 0; i < e->h.n; i++) {
		(void)entry_head(head, sizeof(head), i);
		out_adds(o, head);
		if (vec_write(o, &e->vecs[i]) == -1)
			break;
		out_add(o, "}", 1);
	}
	if (i < e->h.n || o->failed) {
		/* past the head no error can be answered: the client sees
		 * the answer cut short */
		log_error("id=%s embeddings: cannot write the "
		    "answer from its spool", e->c->id);
		e->c->keep = 0;
		goto out;
	}
	out_add(o, tail.data, tail.len);
	/* the capture's line, the tokens and the ledger go before the
	 * answer's last byte */
	capture_close(e->c);
	reply_finish(e->c);
	out_flush(o);
	if (o->sent != length)
		log_error("id=%s embeddings: wrote %lld bytes of "
		    "%lld", e->c->id, o->sent, length);
out:
	buf_free(&model);
	buf_free(&tail);
	free(o);
}

/* Checks the body; 0, or -1 with what is wrong in *bad. */
static int
validate(yajl_val req, struct embed *e, struct invalid *bad)
{
	yajl_val	 v;
	size_t		 i;

	if (body_model(req, &e->model, bad) == -1)
		return -1;
	v = json_get(req, "input");
	if (YAJL_IS_STRING(v)) {
		if (v->u.string[0] == '\0')
			return body_invalid(bad, "input", "'input' must not "
			    "be empty");
	} else if (YAJL_IS_ARRAY(v)) {
		if (v->u.array.len == 0 || v->u.array.len > INPUTS_MAX)
			return body_invalid(bad, "input", "'input' must "
			    "hold 1 to %d strings", INPUTS_MAX);
		for (i = 0; i < v->u.array.len; i++) {
			yajl_val s = v->u.array.values[i];

			if (YAJL_IS_NUMBER(s) || YAJL_IS_ARRAY(s))
				return body_invalid(bad, "input", "token "
				    "arrays are not supported: send 'input' as "
				    "a string or an array of strings");
			if (!YAJL_IS_STRING(s) || s->u.string[0] == '\0')
				return body_invalid(bad, "input", "input[%zu] "
				    "must be a non-empty string", i);
		}
	} else {
		return body_invalid(bad, "input", "'input' must be a string "
		    "or an array of strings, not %s", json_type_name(v));
	}
	e->inputs = v;
	v = json_get(req, "encoding_format");
	if (v && !YAJL_IS_NULL(v)) {
		if (!YAJL_IS_STRING(v) || (strcmp(v->u.string, "float") &&
		    strcmp(v->u.string, "base64")))
			return body_invalid(bad, "encoding_format",
			    "'encoding_format' must be float or base64");
		e->base64 = strcmp(v->u.string, "base64") == 0;
	}
	v = json_get(req, "dimensions");
	if (v && !YAJL_IS_NULL(v)) {
		if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1)
			return body_invalid(bad, "dimensions", "'dimensions' "
			    "must be a positive integer");
		e->dimensions = YAJL_GET_INTEGER(v);
	}
	return 0;
}

void
api_embeddings(struct exchange *c)
{
	struct embed	 e;
	yajl_val	 req;
	size_t		 i, n = 0, bad;
	struct invalid	 why;

	memset(&e, 0, sizeof(e));
	spool_init(&e.spool);
	if ((req = body_json(c)) == NULL)
		return;
	if (validate(req, &e, &why) == -1) {
		body_refuse(c, &why);
		goto out;
	}
	snprintf(c->model, sizeof(c->model), "%s", e.model);
	if (body_admit(c, "embeddings", NULL) == -1)
		goto out;
	snprintf(c->log_route, sizeof(c->log_route), "embeddings");
	snprintf(e.url, sizeof(e.url), "%s/chatgpt/v1/embeddings",
	    c->conf->base_url);
	n = YAJL_IS_STRING(e.inputs) ? 1 : e.inputs->u.array.len;
	e.c = c;
	if (calls_init(&e.h, c, n) == -1 ||
	    (e.posts = calloc(n, sizeof(*e.posts))) == NULL ||
	    (e.vecs = calloc(n, sizeof(*e.vecs))) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		e.vecs[i].part.spool = &e.spool;
	e.h.arg = &e;
	e.h.parallel = c->conf->embed_parallel;
	e.h.setup = call_setup;
	e.h.outcome = call_outcome;
	switch (calls_run(c, &e.h, &bad)) {
	case ATTEMPT_OK:
		answer(&e);
		break;
	case ATTEMPT_FAILED:
		calls_refuse(c, &e.h);
		break;
	default:
		break;
	}
out:
	attempt_free(&e.h);
	for (i = 0; e.posts && i < n; i++)
		buf_free(&e.posts[i]);
	for (i = 0; e.vecs && i < n; i++)
		vec_free(&e.vecs[i]);
	spool_close(&e.spool);
	free(e.posts);
	free(e.vecs);
	yajl_tree_free(req);
}
