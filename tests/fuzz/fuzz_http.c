/* The HTTP/1.x request parser as serve() drives it: the head found by
 * http_head_end, copied to a buffer of exactly its size and parsed in
 * place, the framing decided, and a chunked body decoded from the bytes
 * after the head. The input is what a client sends on the connection.
 *
 * Oracles: statuses are 4xx/5xx with a reason; a Content-Length body is
 * within the limit; and the chunked decoder is split-invariant: fed the
 * body at once or a byte at a time, it must give the same verdict, stop
 * at the same byte and decode the same data (a parser whose answer
 * depends on how reads happen to fall is a smuggling risk). */
#include "fuzz.h"
#include "http/http.h"
#include "lib/buf.h"

#define MAX_HEADER_BYTES	16384		/* HEXIND_MAX_HEADER_BYTES */
#define MAX_HEADERS		100		/* HEXIND_MAX_HEADERS */
#define MAX_BODY		33554432ULL	/* HEXIND_MAX_BODY_BYTES */
#define SMALL_BODY		64ULL

FUZZ_INITIALIZE_QUIET

/* What serve() and its helpers read of a request, parsed or not. */
static void
touch(const struct http_req *r)
{
	size_t	 i;

	FUZZ_CHECK(strlen(r->method) <= 32);
	FUZZ_CHECK(r->path[0] == '/' || r->path[0] == '*');
	(void)strlen(r->target);
	if (r->query)
		(void)strlen(r->query);
	(void)http_header(r, "x-request-id");
	(void)http_header(r, "origin");
	(void)http_header(r, "access-control-request-headers");
	FUZZ_CHECK(r->nfields <= MAX_HEADERS);
	for (i = 0; i < r->nfields; i++) {
		FUZZ_CHECK(r->fields[i].name[0] != '\0');
		(void)strlen(r->fields[i].value);
	}
}

/* Decodes p[0..n) at once (whole) or a byte a call (split), as
 * body_read() does: the bytes a call used are consumed, the rest fed
 * again. Returns the verdict; *used and out say where it stopped. */
static int
decode(const char *p, size_t n, unsigned long long max, int split,
    struct buf *out, size_t *used, const char **why)
{
	struct chunked	 c;
	size_t		 at = 0, u, step;
	int		 rc = 0;

	chunked_init(&c, max);
	buf_init(out, max);
	*why = NULL;
	while (at < n) {
		step = split ? 1 : n - at;
		u = (size_t)-1;
		rc = chunked_feed(&c, p + at, step, out, &u, why);
		if (rc >= 400) {
			FUZZ_CHECK(*why != NULL);
			break;
		}
		FUZZ_CHECK(u <= step);
		at += u;
		if (rc == 1)
			break;
		FUZZ_CHECK(rc == 0 && u == step);
	}
	FUZZ_CHECK(out->len <= max);
	*used = at;
	return rc;
}

static void
chunked_check(const char *p, size_t n)
{
	struct buf	 whole, split;
	size_t		 uw, us;
	const char	*ww, *ws;
	int		 rw, rs;

	rw = decode(p, n, MAX_BODY, 0, &whole, &uw, &ww);
	rs = decode(p, n, MAX_BODY, 1, &split, &us, &ws);
	FUZZ_CHECK(rw == rs);
	if (rw < 400) {
		FUZZ_CHECK(uw == us);
		FUZZ_CHECK(whole.len == split.len);
		FUZZ_CHECK(whole.len == 0 ||
		    memcmp(whole.data, split.data, whole.len) == 0);
	} else {
		FUZZ_CHECK(strcmp(ww, ws) == 0);
	}
	buf_free(&whole);
	buf_free(&split);

	/* and under a small limit, the 413 paths */
	(void)decode(p, n, SMALL_BODY, 0, &whole, &uw, &ww);
	buf_free(&whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*d = (const char *)data;
	struct http_req	 req;
	char		*head;
	long		 end;
	int		 st;

	end = http_head_end(d, n);
	if (end < 0)
		return 0;
	FUZZ_CHECK(end >= 2 && (size_t)end <= n && d[end - 1] == '\n');
	if ((size_t)end > MAX_HEADER_BYTES)
		return 0;	/* refused before parsing: 431 or 414 */
	/* exactly its size and no NUL after it, as serve() copies it */
	if ((head = malloc((size_t)end)) == NULL)
		return 0;
	memcpy(head, d, (size_t)end);
	st = http_parse_head(head, (size_t)end, MAX_HEADERS, &req);
	if (st != 0)
		FUZZ_CHECK(st >= 400 && st <= 599 && req.error != NULL);
	if (st == 0 || req.path)
		touch(&req);
	if (st == 0) {
		st = http_framing(&req, MAX_BODY);
		if (st != 0) {
			FUZZ_CHECK(st >= 400 && st <= 599 && req.error);
		} else if (req.body == BODY_LENGTH) {
			FUZZ_CHECK(req.length > 0 && req.length <= MAX_BODY);
		} else if (req.body == BODY_CHUNKED) {
			FUZZ_CHECK(req.minor == 1);
			chunked_check(d + end, n - (size_t)end);
		}
		FUZZ_CHECK(!req.expect_continue || req.minor == 1);
	}
	FUZZ_CHECK(http_reason(st) != NULL);
	http_req_free(&req);
	free(head);
	return 0;
}
