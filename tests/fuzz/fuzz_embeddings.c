/* The embeddings answer scan and its two encodings (api/embed_vec.h).
 * The input is the body of a 2xx answer from Hexin's embeddings route,
 * spooled and scanned in two pieces as if it arrived so (vec_feed).
 *
 * Oracles: a vector found is written back from its spool in both
 * encodings, each exactly as long as predicted; the float form is valid
 * JSON with count numbers; the base64 form decodes to each of those
 * numbers' float32, little-endian. b64_encode is also fed the raw input
 * and must round-trip it. */
#include <stdint.h>
#include <unistd.h>

#include "fuzz.h"
#include "api/embed_vec.h"
#include "lib/b64.h"
#include "lib/json.h"

FUZZ_INITIALIZE_QUIET

/* An independent decoder, RFC 4648's standard alphabet. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes the padded base64 s[0..n) into out (of size at least n/4*3);
 * returns the decoded length, or -1 when it is no valid base64. */
static long
b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t		 i, o = 0;
	int		 v[4], k;

	if (n % 4)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++) {
			v[k] = s[i + k] == '=' ? -2 : b64_value(s[i + k]);
			if (v[k] == -1)
				return -1;
		}
		if (v[0] < 0 || v[1] < 0 || (v[2] == -2 && v[3] != -2) ||
		    ((v[2] == -2 || v[3] == -2) && i + 4 != n))
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

static void
b64_check(const unsigned char *p, size_t n)
{
	struct buf	 b;
	unsigned char	*back;
	long		 m;

	buf_init(&b, 0);
	FUZZ_CHECK(b64_encode(&b, p, n) == 0);
	FUZZ_CHECK(b.len == (n + 2) / 3 * 4);
	if ((back = malloc(b.len / 4 * 3 + 1)) == NULL)
		abort();
	m = b64_decode(buf_cstr(&b), b.len, back);
	FUZZ_CHECK(m == (long)n);
	FUZZ_CHECK(n == 0 || memcmp(back, p, n) == 0);
	free(back);
	buf_free(&b);
}

static int
sink_buf(void *arg, const char *p, size_t n)
{
	return buf_add(arg, p, n);
}

/* v written back in one encoding, checked; the float form's text goes
 * to floats for the base64 form's check. */
static void
encode(struct vec *v, int base64, struct buf *floats)
{
	struct buf	 text, b64;
	struct out	*o;
	unsigned char	*raw;
	yajl_val	 s;
	char		 err[128], *p, *end;
	size_t		 k;
	uint32_t	 bits;
	float		 f;
	long		 m;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		abort();
	buf_init(&text, 0);
	o->sink = sink_buf;
	o->arg = &text;
	o->base64 = base64;
	FUZZ_CHECK(vec_write(o, v) == 0);
	out_flush(o);
	FUZZ_CHECK(!o->failed && o->sent == vec_length(v, base64));
	FUZZ_CHECK(text.len == (size_t)vec_length(v, base64));
	FUZZ_CHECK(fuzz_json_valid(buf_cstr(&text), text.len));
	if (!base64) {
		FUZZ_CHECK(buf_add(floats, text.data, text.len) == 0);
	} else {
		s = json_parse(buf_cstr(&text), text.len, err, sizeof(err));
		FUZZ_CHECK(YAJL_IS_STRING(s));
		buf_init(&b64, 0);
		FUZZ_CHECK(buf_adds(&b64, s->u.string) == 0);
		if ((raw = malloc(b64.len / 4 * 3 + 1)) == NULL)
			abort();
		m = b64_decode(buf_cstr(&b64), b64.len, raw);
		FUZZ_CHECK(m == (long)(v->count * 4));
		/* the float form's numbers, one by one: "[n,n,...]" */
		p = buf_cstr(floats) + 1;
		for (k = 0; k < v->count; k++) {
			end = strchr(p, k + 1 < v->count ? ',' : ']');
			FUZZ_CHECK(end != NULL);
			*end = '\0';
			f = strtof(p, NULL);
			p = end + 1;
			memcpy(&bits, &f, 4);
			FUZZ_CHECK(raw[4 * k] == (unsigned char)bits &&
			    raw[4 * k + 1] == (unsigned char)(bits >> 8) &&
			    raw[4 * k + 2] == (unsigned char)(bits >> 16) &&
			    raw[4 * k + 3] == (unsigned char)(bits >> 24));
		}
		free(raw);
		buf_free(&b64);
		yajl_tree_free(s);
	}
	buf_free(&text);
	free(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct spool	 sp = { -1, 0 };
	struct vec	 v, other;
	struct buf	 floats;
	size_t		 cut = n > 0 ? data[0] % (n + 1) : 0;

	memset(&v, 0, sizeof(v));
	memset(&other, 0, sizeof(other));
	v.part.spool = other.part.spool = &sp;
	vec_start(&v);
	if (v.bad)
		abort();	/* no memory: the harness, not the input */
	/* as if it arrived in two pieces, another answer's between them */
	if (vec_feed(&v, (const char *)data, cut) == -1 ||
	    spool_add(&other.part, "[0.5,", 5) == -1 ||
	    vec_feed(&v, (const char *)data + cut, n - cut) == -1)
		abort();	/* no spool: the harness, not the input */
	if (vec_end(&v) == 0) {
		FUZZ_CHECK(v.count > 0 && !v.refused);
		FUZZ_CHECK(strlen(v.model) < sizeof(v.model));
		buf_init(&floats, 0);
		encode(&v, 0, &floats);
		encode(&v, 1, &floats);
		buf_free(&floats);
	}
	vec_free(&v);
	vec_free(&other);
	if (sp.fd >= 0)
		(void)close(sp.fd);
	b64_check(data, n);
	return 0;
}
