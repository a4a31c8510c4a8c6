/* See embed_vec.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "api/embed_vec.h"
#include "lib/b64.h"

static const yajl_callbacks scan_callbacks;

/* Forgets v's scan and pieces (they stay in the spool, unread). */
void
vec_free(struct vec *v)
{
	struct spool	*sp = v->part.spool;

	if (v->y)
		yajl_free(v->y);
	spooled_free(&v->part);
	memset(v, 0, sizeof(*v));
	v->part.spool = sp;
}

/* A fresh scan of v (its old pieces stay in the spool, unread). */
void
vec_start(struct vec *v)
{
	vec_free(v);
	v->s.v = v;
	if ((v->y = yajl_alloc(&scan_callbacks, NULL, &v->s)) == NULL)
		v->bad = 1;
}

/* An answer's bytes as they arrive: to the spool and the scan. -1 with
 * errno when the spool cannot take them. */
int
vec_feed(struct vec *v, const char *p, size_t n)
{
	if (spool_add(&v->part, p, n) == -1)
		return -1;
	if (!v->bad && yajl_parse(v->y, (const unsigned char *)p, n) !=
	    yajl_status_ok)
		v->bad = 1;	/* judged, with the text, at the end */
	return 0;
}

/* --- reading an answer without building its tree ---
 *
 * An embeddings answer is mostly one long array of numbers: a yajl tree
 * of it costs many times its size (and grows its arrays one element a
 * realloc). The callback parser walks it instead, twice: as it arrives,
 * counting the numbers and keeping the model and the usage, wherever the
 * envelope put them (data[0].embedding of the answer, or of the
 * envelope's data); then from its file, writing the numbers out. */

static int out_number(struct out *, const char *, size_t);

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

/* A count's value: yajl's text of a number is not NUL-terminated. */
static long long
count_of(const char *p, size_t n)
{
	char		 t[32];

	if (n >= sizeof(t))
		n = sizeof(t) - 1;	/* past 19 digits it saturates anyway */
	memcpy(t, p, n);
	t[n] = '\0';
	return strtoll(t, NULL, 10);
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
			if (s->out) {
				if (out_number(s->out, p, n) == -1)
					return 0;
			} else {
				s->v->count++;
				s->v->numlen += n;
			}
			element(s);
			return 1;
		}
		s->depth++;
	}
	if (at(s, pt, 2))
		s->v->prompt = count_of(p, n);
	else if (at(s, tt, 2))
		s->v->total = count_of(p, n);
	else if (s->depth == 1 && at(s, sc, 1) && count_of(p, n) != 0)
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
	if (s->depth + 1 >= VEC_DEPTH) {
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

/* Ends the scan of a 2xx answer; 0 when it held a vector. */
int
vec_end(struct vec *v)
{
	if (v->bad || v->y == NULL || v->part.next == 0 ||
	    yajl_complete_parse(v->y) != yajl_status_ok || v->s.failed)
		return -1;
	return !v->refused && v->count > 0 ? 0 : -1;
}

/* The spooled answer back in b (it fit its cap on the way in). */
void
vec_load(struct vec *v, struct buf *b)
{
	char		 piece[VEC_PIECE];
	size_t		 at = 0;
	ssize_t		 r;

	while ((r = spool_read(&v->part, piece, sizeof(piece), at)) > 0) {
		if (buf_add(b, piece, (size_t)r) == -1)
			return;
		at += (size_t)r;
	}
}

/* --- the client's answer --- */

void
out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed && o->sink(o->arg, o->buf, o->len) == -1)
		o->failed = 1;
	o->sent += (long long)o->len;
	o->len = 0;
}

void
out_add(struct out *o, const char *p, size_t n)
{
	size_t		 k;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
	}
}

void
out_adds(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static void
out_raw(struct out *o)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (b64_encode(&b, o->raw, o->nraw) == -1)
		o->failed = 1;
	else
		out_add(o, b.data, b.len);
	buf_free(&b);
	o->nraw = 0;
}

/* One number of the vector being written: its text, or its float32
 * (strtof reads the text straight to the nearest float32). */
static int
out_number(struct out *o, const char *p, size_t n)
{
	char		 small[64], *t = small;
	uint32_t	 bits;
	float		 f;

	if (!o->base64) {
		if (o->k++ > 0)
			out_add(o, ",", 1);
		out_add(o, p, n);
		return o->failed ? -1 : 0;
	}
	if (n >= sizeof(small) && (t = malloc(n + 1)) == NULL)
		return -1;
	memcpy(t, p, n);
	t[n] = '\0';
	f = strtof(t, NULL);
	if (t != small)
		free(t);
	memcpy(&bits, &f, 4);
	o->raw[o->nraw++] = (unsigned char)bits;
	o->raw[o->nraw++] = (unsigned char)(bits >> 8);
	o->raw[o->nraw++] = (unsigned char)(bits >> 16);
	o->raw[o->nraw++] = (unsigned char)(bits >> 24);
	if (o->nraw == sizeof(o->raw))
		out_raw(o);	/* a multiple of 3: no padding mid-way */
	o->k++;
	return o->failed ? -1 : 0;
}

/* The bytes vec_write() writes for v. */
long long
vec_length(const struct vec *v, int base64)
{
	if (base64)
		return 2 + (long long)((v->count * 4 + 2) / 3 * 4);
	return 2 + (long long)v->numlen + (long long)v->count - 1;
}

/* v's numbers, a JSON array of texts or a base64 string, read back from
 * its file; -1 when they cannot be, or are not what the scan counted. */
int
vec_write(struct out *o, struct vec *v)
{
	struct scan	 s;
	char		 piece[VEC_PIECE];
	yajl_handle	 y;
	size_t		 at = 0;
	ssize_t		 r = 0;
	int		 ok;

	memset(&s, 0, sizeof(s));
	s.v = v;
	s.out = o;
	o->k = 0;
	o->nraw = 0;
	if ((y = yajl_alloc(&scan_callbacks, NULL, &s)) == NULL)
		return -1;
	out_add(o, o->base64 ? "\"" : "[", 1);
	while ((r = spool_read(&v->part, piece, sizeof(piece), at)) > 0 &&
	    yajl_parse(y, (const unsigned char *)piece, (size_t)r) ==
	    yajl_status_ok)
		at += (size_t)r;
	ok = r == 0 && yajl_complete_parse(y) == yajl_status_ok &&
	    !s.failed && o->k == v->count;
	yajl_free(y);
	if (o->base64 && o->nraw > 0)
		out_raw(o);
	out_add(o, o->base64 ? "\"" : "]", 1);
	return ok && !o->failed ? 0 : -1;
}
