/* The embeddings answer scan and its two encodings. The input is the body
 * of a 2xx answer from Hexin's embeddings route. scan(), gen_floats() and
 * gen_base64() are static in api_embeddings.c, which is compiled in here
 * (this target links every object but api_embeddings.o and main.o).
 *
 * Oracles: a vector found holds count NUL-separated numbers that fill its
 * buffer exactly; the float form is valid JSON; the base64 form decodes
 * to each number's float32, little-endian. b64_encode is also fed the
 * raw input and must round-trip it. */
#include "fuzz.h"

#include "../../hexind/api_embeddings.c"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

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

/* The generated text of one encoding of v, checked as JSON. */
static void
encode(const struct vec *v, int base64)
{
	const unsigned char	*p;
	struct buf		 text;
	unsigned char		*raw;
	yajl_val		 s;
	char			 err[128];
	size_t			 n, k, at = 0;
	uint32_t		 bits;
	float			 f;
	long			 m;
	yajl_gen		 g;

	if ((g = json_gen()) == NULL)
		abort();
	if ((base64 ? gen_base64(g, v) : gen_floats(g, v)) != 0) {
		yajl_gen_free(g);
		return;
	}
	FUZZ_CHECK(yajl_gen_get_buf(g, &p, &n) == yajl_gen_status_ok);
	FUZZ_CHECK(fuzz_json_valid((const char *)p, n));
	if (base64) {
		s = json_parse((const char *)p, n, err, sizeof(err));
		FUZZ_CHECK(YAJL_IS_STRING(s));
		buf_init(&text, 0);
		FUZZ_CHECK(buf_adds(&text, s->u.string) == 0);
		if ((raw = malloc(text.len / 4 * 3 + 1)) == NULL)
			abort();
		m = b64_decode(buf_cstr(&text), text.len, raw);
		FUZZ_CHECK(m == (long)(v->count * 4));
		for (k = 0; k < v->count; k++) {
			f = strtof(next_num(v, &at), NULL);
			memcpy(&bits, &f, 4);
			FUZZ_CHECK(raw[4 * k] == (unsigned char)bits &&
			    raw[4 * k + 1] == (unsigned char)(bits >> 8) &&
			    raw[4 * k + 2] == (unsigned char)(bits >> 16) &&
			    raw[4 * k + 3] == (unsigned char)(bits >> 24));
		}
		free(raw);
		buf_free(&text);
		yajl_tree_free(s);
	}
	yajl_gen_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct vec	 v;
	size_t		 k, at = 0;

	memset(&v, 0, sizeof(v));
	buf_init(&v.nums, 0);
	if (scan(&v, (const char *)data, n) == 0) {
		FUZZ_CHECK(v.count > 0 && !v.refused);
		FUZZ_CHECK(strlen(v.model) < sizeof(v.model));
		for (k = 0; k < v.count; k++) {
			FUZZ_CHECK(at < v.nums.len);
			(void)next_num(&v, &at);
		}
		FUZZ_CHECK(at == v.nums.len);
		encode(&v, 0);
		encode(&v, 1);
	}
	buf_free(&v.nums);
	b64_check(data, n);
	return 0;
}
