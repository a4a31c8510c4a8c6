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

#include <yajl/yajl_parse.h>

#include "api.h"
#include "b64.h"
#include "hexcall.h"
#include "json.h"
#include "log.h"
#include "reply.h"
#include "rollout.h"

#define INPUTS_MAX	2048

/* What the scan of one answer found. */
struct vec {
	struct buf	 nums;		/* the numbers' texts, NUL-separated */
	size_t		 count;
	char		 model[256];
	long long	 prompt, total;
	int		 refused;	/* success false, or an error object */
};

struct embed {
	struct call	*c;
	struct vec	*vecs;
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

/* --- reading an answer without building its tree ---
 *
 * An embeddings answer is mostly one long array of numbers: a yajl tree
 * of it costs many times its size (and grows its arrays one element a
 * realloc). The callback parser walks it once instead, keeping only the
 * numbers' texts, the model and the usage, wherever the envelope put
 * them: data[0].embedding of the answer, or of the envelope's data. */

#define SCAN_DEPTH	8

struct scan {
	struct vec	*v;
	int		 depth;
	char		 key[SCAN_DEPTH][32];	/* the key at each depth */
	long		 index[SCAN_DEPTH];	/* array index at each depth */
	int		 is_array[SCAN_DEPTH];
	int		 failed;
};

/* Whether the value being parsed sits at path (keys, "#0" for the first
 * array element), from the root or from the root's "data": the value's
 * container is at depth n (the root object is depth 1). */
static int
at(struct scan *s, const char *const *path, int n)
{
	int	 off, k;

	for (off = 1; off <= 2; off++) {
		if (s->depth != n - 1 + off)
			continue;
		if (off == 2 && (s->is_array[1] || strcmp(s->key[1], "data")))
			continue;
		for (k = 0; k < n; k++) {
			int d = k + off;

			if (strcmp(path[k], "#0") == 0 ? !s->is_array[d] ||
			    s->index[d] != 0 : s->is_array[d] ||
			    strcmp(s->key[d], path[k]))
				break;
		}
		if (k == n)
			return 1;
	}
	return 0;
}

static void
element(struct scan *s)
{
	if (s->depth > 0 && s->is_array[s->depth])
		s->index[s->depth]++;
}

static int
sc_number(void *ctx, const char *p, size_t n)
{
	static const char *const vec[] = { "data", "#0", "embedding" };
	static const char *const pt[] = { "usage", "prompt_tokens" };
	static const char *const tt[] = { "usage", "total_tokens" };
	static const char *const sc[] = { "status_code" };
	struct scan	*s = ctx;

	/* the vector's entries sit one deeper, in the embedding array */
	if (s->depth >= 4 && s->is_array[s->depth]) {
		s->depth--;
		if (at(s, vec, 3)) {
			s->depth++;
			if (buf_add(&s->v->nums, p, n) == -1 ||
			    buf_addc(&s->v->nums, '\0') == -1)
				return 0;
			s->v->count++;
			element(s);
			return 1;
		}
		s->depth++;
	}
	if (at(s, pt, 2))
		s->v->prompt = strtoll(p, NULL, 10);
	else if (at(s, tt, 2))
		s->v->total = strtoll(p, NULL, 10);
	else if (s->depth == 1 && at(s, sc, 1) && strtoll(p, NULL, 10) != 0)
		s->v->refused = 1;
	element(s);
	return 1;
}

static int
sc_string(void *ctx, const unsigned char *p, size_t n)
{
	static const char *const model[] = { "model" };
	struct scan	*s = ctx;

	if (at(s, model, 1) && n < sizeof(s->v->model)) {
		memcpy(s->v->model, p, n);
		s->v->model[n] = '\0';
	}
	element(s);
	return 1;
}

static int
sc_bool(void *ctx, int b)
{
	static const char *const ok[] = { "success" };
	struct scan	*s = ctx;

	if (!b && s->depth == 1 && at(s, ok, 1))
		s->v->refused = 1;
	element(s);
	return 1;
}

static int
sc_null(void *ctx)
{
	element(ctx);
	return 1;
}

static int
sc_open(struct scan *s, int array)
{
	static const char *const err[] = { "error" };

	if (at(s, err, 1))
		s->v->refused = 1;	/* an error object (not null) */
	if (s->depth + 1 >= SCAN_DEPTH) {
		s->failed = 1;
		return 0;
	}
	s->depth++;
	s->is_array[s->depth] = array;
	s->index[s->depth] = 0;
	s->key[s->depth][0] = '\0';
	return 1;
}

static int
sc_start_map(void *ctx)
{
	return sc_open(ctx, 0);
}

static int
sc_start_array(void *ctx)
{
	return sc_open(ctx, 1);
}

static int
sc_key(void *ctx, const unsigned char *p, size_t n)
{
	struct scan	*s = ctx;

	if (n >= sizeof(s->key[0]))
		n = sizeof(s->key[0]) - 1;
	memcpy(s->key[s->depth], p, n);
	s->key[s->depth][n] = '\0';
	return 1;
}

static int
sc_close(void *ctx)
{
	struct scan	*s = ctx;

	s->depth--;
	element(s);
	return 1;
}

static const yajl_callbacks scan_callbacks = {
	sc_null, sc_bool, NULL, NULL, sc_number, sc_string, sc_start_map,
	sc_key, sc_close, sc_start_array, sc_close,
};

/* Scans a 2xx answer; 0 when it holds a vector, -1 otherwise. */
static int
scan(struct vec *v, const char *p, size_t n)
{
	struct scan	 s;
	yajl_handle	 y;
	int		 ok;

	memset(&s, 0, sizeof(s));
	s.v = v;
	if ((y = yajl_alloc(&scan_callbacks, NULL, &s)) == NULL)
		return -1;
	ok = yajl_parse(y, (const unsigned char *)p, n) == yajl_status_ok &&
	    yajl_complete_parse(y) == yajl_status_ok && !s.failed;
	yajl_free(y);
	return ok && !v->refused && v->count > 0 ? 0 : -1;
}

static void
call_outcome(struct hexcall *h, size_t i, struct hx_result *res)
{
	struct embed	*e = h->arg;
	struct up_call	*u = &h->calls[i];
	struct vec	*v = &e->vecs[i];

	memset(res, 0, sizeof(*res));
	buf_free(&v->nums);
	memset(v, 0, sizeof(*v));
	buf_init(&v->nums, 0);
	if (u->status >= 200 && u->status < 300 && !u->error[0] &&
	    scan(v, buf_cstr(&u->body), u->body.len) == 0) {
		/* the numbers are in v now: the answer's text can go before
		 * the client's answer is built */
		buf_free(&u->body);
		res->kind = HX_OK;
		return;
	}
	/* A failure (small, as a rule) is judged the usual way. */
	hexcall_outcome(h, i, res);
	if (res->kind == HX_OK) {
		hexin_result_free(res);
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's "
		    "embeddings answer has no data[0].embedding of numbers");
	}
}

/* The next number's text in a vec, from *at. */
static const char *
next_num(const struct vec *v, size_t *at)
{
	const char	*p = v->nums.data + *at;

	*at += strlen(p) + 1;
	return p;
}

static int
gen_floats(yajl_gen g, const struct vec *v)
{
	const char	*p;
	size_t		 k, at = 0;

	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (k = 0; k < v->count; k++) {
		p = next_num(v, &at);
		if (yajl_gen_number(g, p, strlen(p)) != yajl_gen_status_ok)
			return -1;
	}
	return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/* The vector as base64 of its float32s, little-endian: strtof reads each
 * number's text straight to the nearest float32. */
static int
gen_base64(yajl_gen g, const struct vec *v)
{
	unsigned char	*raw;
	struct buf	 b;
	uint32_t	 bits;
	float		 f;
	size_t		 k, at = 0;
	int		 rc;

	if ((raw = malloc(v->count * 4 + 1)) == NULL)
		return -1;
	for (k = 0; k < v->count; k++) {
		f = strtof(next_num(v, &at), NULL);
		memcpy(&bits, &f, 4);
		raw[4 * k] = (unsigned char)bits;
		raw[4 * k + 1] = (unsigned char)(bits >> 8);
		raw[4 * k + 2] = (unsigned char)(bits >> 16);
		raw[4 * k + 3] = (unsigned char)(bits >> 24);
	}
	buf_init(&b, 0);
	rc = b64_encode(&b, raw, v->count * 4) == 0 ?
	    json_strn(g, buf_cstr(&b), b.len) : -1;
	buf_free(&b);
	free(raw);
	return rc;
}

static void
answer(struct embed *e)
{
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
		    gen_base64(g, &e->vecs[i]) : gen_floats(g, &e->vecs[i])) ||
		    yajl_gen_map_close(g);
		prompt = json_sum(prompt, e->vecs[i].prompt);
		total = json_sum(total, e->vecs[i].total);
	}
	rc = rc || yajl_gen_array_close(g) || json_kstr(g, "model",
	    e->vecs[0].model[0] ? e->vecs[0].model : e->model) ||
	    json_str(g, "usage") || yajl_gen_map_open(g) ||
	    json_kint(g, "prompt_tokens", prompt) ||
	    json_kint(g, "total_tokens", total) || yajl_gen_map_close(g) ||
	    yajl_gen_map_close(g);
	if (rc == 0 && json_take(g, &out) == 0) {
		rollout_embeddings(e->c, e->h.n, e->vecs[0].count, prompt,
		    total);
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
	    (e.posts = calloc(n, sizeof(*e.posts))) == NULL ||
	    (e.vecs = calloc(n, sizeof(*e.vecs))) == NULL) {
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
	for (i = 0; e.vecs && i < n; i++)
		buf_free(&e.vecs[i].nums);
	free(e.posts);
	free(e.vecs);
	yajl_tree_free(req);
}
