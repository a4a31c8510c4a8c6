/* POST /v1/embeddings. Hexin takes one input a call, as a form post
 * (hexin-backend.md), so an array of inputs fans out, at most
 * HEXIND_EMBED_PARALLEL at once, and comes back in order with each
 * entry's index. Numbers are passed on as Hexin wrote them, never through
 * a double; base64 (what the OpenAI SDKs ask for by default) is each
 * number's float32, little-endian, as OpenAI encodes it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "b64.h"
#include "hexcall.h"
#include "json.h"
#include "log.h"
#include "reply.h"

#define INPUTS_MAX	2048

struct embed {
	struct call	*c;
	struct hexcall	 h;
	char		 url[1024];
	yajl_val	 inputs;	/* array of strings, or one string */
	const char	*model;
	long long	 dimensions;	/* 0: not asked for */
	int		 base64;
	struct buf	*posts;		/* the form body of each call */
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

static void
call_setup(struct hexcall *h, size_t i, struct up_call *u)
{
	struct embed	*e = h->arg;
	struct buf	*p = &e->posts[i];

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

/* The first embedding of call i's answer, or NULL. */
static yajl_val
vector_of(struct embed *e, size_t i)
{
	yajl_val	 data = json_get(e->h.res[i].payload, "data");
	yajl_val	 first;

	if (!YAJL_IS_ARRAY(data) || data->u.array.len == 0)
		return NULL;
	first = data->u.array.values[0];
	return YAJL_IS_ARRAY(json_get(first, "embedding")) ?
	    json_get(first, "embedding") : NULL;
}

static void
call_outcome(struct hexcall *h, size_t i, struct hx_result *res)
{
	struct embed	*e = h->arg;
	yajl_val	 v;
	size_t		 k;

	hexcall_outcome(h, i, res);
	if (res->kind != HX_OK)
		return;
	v = vector_of(e, i);
	for (k = 0; v && k < v->u.array.len; k++)
		if (!YAJL_IS_NUMBER(v->u.array.values[k]))
			v = NULL;
	if (v == NULL) {
		hexin_result_free(res);
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's "
		    "embeddings answer has no data[0].embedding of numbers");
	}
}

/* The vector as base64 of its float32s, little-endian: strtof reads each
 * number's text straight to the nearest float32. */
static int
gen_base64(yajl_gen g, yajl_val v)
{
	unsigned char	*raw;
	struct buf	 b;
	uint32_t	 bits;
	float		 f;
	size_t		 k;
	int		 rc;

	if ((raw = malloc(v->u.array.len * 4 + 1)) == NULL)
		return -1;
	for (k = 0; k < v->u.array.len; k++) {
		f = strtof(v->u.array.values[k]->u.number.r, NULL);
		memcpy(&bits, &f, 4);
		raw[4 * k] = (unsigned char)bits;
		raw[4 * k + 1] = (unsigned char)(bits >> 8);
		raw[4 * k + 2] = (unsigned char)(bits >> 16);
		raw[4 * k + 3] = (unsigned char)(bits >> 24);
	}
	buf_init(&b, 0);
	rc = b64_encode(&b, raw, v->u.array.len * 4) == 0 ?
	    json_strn(g, buf_cstr(&b), b.len) : -1;
	buf_free(&b);
	free(raw);
	return rc;
}

static long long
usage_of(struct embed *e, size_t i, const char *key)
{
	yajl_val	 v = json_get(json_get(e->h.res[i].payload, "usage"), key);

	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static void
answer(struct embed *e)
{
	yajl_val	 model = json_get(e->h.res[0].payload, "model");
	long long	 prompt = 0, total = 0;
	struct buf	 out;
	yajl_gen	 g;
	size_t		 i;
	int		 rc;

	buf_init(&out, 0);
	if ((g = json_gen()) == NULL) {
		reply_error(e->c, 500, NULL, "out of memory");
		return;
	}
	rc = yajl_gen_map_open(g) || json_kstr(g, "object", "list") ||
	    json_str(g, "data") || yajl_gen_array_open(g);
	for (i = 0; rc == 0 && i < e->h.n; i++) {
		rc = yajl_gen_map_open(g) || json_kstr(g, "object", "embedding") ||
		    json_kint(g, "index", (long long)i) ||
		    json_str(g, "embedding") || (e->base64 ?
		    gen_base64(g, vector_of(e, i)) : json_gen_value(g,
		    vector_of(e, i))) || yajl_gen_map_close(g);
		prompt += usage_of(e, i, "prompt_tokens");
		total += usage_of(e, i, "total_tokens");
	}
	rc = rc || yajl_gen_array_close(g) || json_kstr(g, "model",
	    YAJL_IS_STRING(model) ? model->u.string : e->model) ||
	    json_str(g, "usage") || yajl_gen_map_open(g) ||
	    json_kint(g, "prompt_tokens", prompt) ||
	    json_kint(g, "total_tokens", total) || yajl_gen_map_close(g) ||
	    yajl_gen_map_close(g);
	if (rc == 0 && json_take(g, &out) == 0) {
		(void)reply_json(e->c, 200, &out);
	} else {
		if (rc)
			yajl_gen_free(g);
		reply_error(e->c, 500, NULL, "out of memory");
	}
	buf_free(&out);
}

/* Checks the body; 0, or -1 after answering 400 naming the field. */
static int
validate(struct call *c, yajl_val req, struct embed *e)
{
	yajl_val	 v;
	size_t		 i;

	if (!YAJL_IS_OBJECT(req))
		return reply_error_param(c, NULL, "the request body must be "
		    "a JSON object"), -1;
	v = json_get(req, "model");
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0')
		return reply_error_param(c, "model", "you must provide a "
		    "model parameter (a non-empty string)"), -1;
	e->model = v->u.string;
	v = json_get(req, "input");
	if (YAJL_IS_STRING(v)) {
		if (v->u.string[0] == '\0')
			return reply_error_param(c, "input", "'input' must not "
			    "be empty"), -1;
	} else if (YAJL_IS_ARRAY(v)) {
		if (v->u.array.len == 0 || v->u.array.len > INPUTS_MAX)
			return reply_error_param(c, "input", "'input' must "
			    "hold 1 to %d strings", INPUTS_MAX), -1;
		for (i = 0; i < v->u.array.len; i++) {
			yajl_val s = v->u.array.values[i];

			if (YAJL_IS_NUMBER(s) || YAJL_IS_ARRAY(s))
				return reply_error_param(c, "input", "token "
				    "arrays are not supported: send 'input' as "
				    "a string or an array of strings"), -1;
			if (!YAJL_IS_STRING(s) || s->u.string[0] == '\0')
				return reply_error_param(c, "input", "input[%zu] "
				    "must be a non-empty string", i), -1;
		}
	} else {
		return reply_error_param(c, "input", "'input' must be a string "
		    "or an array of strings, not %s", json_type_name(v)), -1;
	}
	e->inputs = v;
	v = json_get(req, "encoding_format");
	if (v && !YAJL_IS_NULL(v)) {
		if (!YAJL_IS_STRING(v) || (strcmp(v->u.string, "float") &&
		    strcmp(v->u.string, "base64")))
			return reply_error_param(c, "encoding_format",
			    "'encoding_format' must be float or base64"), -1;
		e->base64 = strcmp(v->u.string, "base64") == 0;
	}
	v = json_get(req, "dimensions");
	if (v && !YAJL_IS_NULL(v)) {
		if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1)
			return reply_error_param(c, "dimensions", "'dimensions' "
			    "must be a positive integer"), -1;
		e->dimensions = YAJL_GET_INTEGER(v);
	}
	return 0;
}

void
api_embeddings(struct call *c)
{
	struct embed	 e;
	char		 err[256];
	yajl_val	 req;
	size_t		 i, n = 0, bad;

	memset(&e, 0, sizeof(e));
	if ((req = json_parse(buf_cstr(&c->body), c->body.len, err,
	    sizeof(err))) == NULL) {
		reply_error_param(c, NULL, "the request body is not valid "
		    "JSON: %s", err);
		return;
	}
	if (validate(c, req, &e) == -1)
		goto out;
	snprintf(c->model, sizeof(c->model), "%s", e.model);
	snprintf(c->route, sizeof(c->route), "embeddings");
	snprintf(e.url, sizeof(e.url), "%s/chatgpt/v1/embeddings",
	    c->conf->base_url);
	n = YAJL_IS_STRING(e.inputs) ? 1 : e.inputs->u.array.len;
	e.c = c;
	if (hexcall_init(&e.h, c, n) == -1 ||
	    (e.posts = calloc(n, sizeof(*e.posts))) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	e.h.arg = &e;
	e.h.parallel = c->conf->embed_parallel;
	e.h.setup = call_setup;
	e.h.outcome = call_outcome;
	switch (hexcall_run(&e.h, &bad)) {
	case HC_OK:
		answer(&e);
		break;
	case HC_FAILED:
		hexcall_reply_error(&e.h, bad);
		break;
	default:
		break;
	}
out:
	hexcall_free(&e.h);
	for (i = 0; e.posts && i < n; i++)
		buf_free(&e.posts[i]);
	free(e.posts);
	yajl_tree_free(req);
}
