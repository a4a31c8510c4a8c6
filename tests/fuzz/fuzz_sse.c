/* The tolerant SSE parser over an upstream stream: the input is the
 * stream's bytes. It is fed three ways (at once, a byte a call, and cut
 * in two where the first byte says), and the events it reports must be
 * the same each way: reads fall where the network puts them. A data
 * line reading "[STOP]" makes the callback stop the parse, which must
 * also happen at the same event each way. A fourth run under a tiny line
 * cap exercises the refusal of long lines. */
#include "fuzz.h"
#include "lib/buf.h"
#include "upstream/sse.h"

#define BIG_LINE	(1u << 24)	/* longer than any input: no refusals */
#define SMALL_LINE	16
#define STOP_RC		7

FUZZ_INITIALIZE_QUIET

/* Each event as <len><event>\0<len><data>, so two runs compare bytewise. */
static int
record(void *arg, const char *event, const char *data, size_t n)
{
	struct buf	*b = arg;
	size_t		 el = strlen(event);

	FUZZ_CHECK(el < 64);
	FUZZ_CHECK(memchr(data, '\n', n) == NULL);
	if (buf_add(b, &el, sizeof(el)) == -1 || buf_add(b, event, el + 1) ||
	    buf_add(b, &n, sizeof(n)) == -1 || buf_add(b, data, n) == -1)
		abort();
	return n == 6 && memcmp(data, "[STOP]", 6) == 0 ? STOP_RC : 0;
}

/* Feeds p[0..n) in pieces of step bytes (0: the first cut at cut, then
 * the rest); returns the parse's verdict. */
static int
run(const char *p, size_t n, size_t maxline, size_t step, size_t cut,
    struct buf *events)
{
	struct sse	 s;
	size_t		 at = 0, k;
	int		 rc = 0;

	buf_init(events, 0);
	sse_init(&s, maxline);
	while (rc == 0 && at < n) {
		k = step ? step : at == 0 && cut ? cut : n - at;
		if (k > n - at)
			k = n - at;
		rc = sse_feed(&s, p + at, k, record, events);
		at += k;
	}
	if (rc == 0)
		rc = sse_finish(&s, record, events);
	sse_free(&s);
	return rc;
}

static void
same(int r1, const struct buf *e1, int r2, const struct buf *e2)
{
	FUZZ_CHECK(r1 == r2);
	FUZZ_CHECK(e1->len == e2->len);
	FUZZ_CHECK(e1->len == 0 || memcmp(e1->data, e2->data, e1->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	const char	*d = (const char *)data;
	struct buf	 whole, bytes, two, small;
	size_t		 cut = n ? data[0] % (n + 1) : 0;
	int		 rw, rb, rt;

	rw = run(d, n, BIG_LINE, 0, n, &whole);
	rb = run(d, n, BIG_LINE, 1, 0, &bytes);
	rt = run(d, n, BIG_LINE, 0, cut, &two);
	FUZZ_CHECK(rw == 0 || rw == STOP_RC);
	same(rw, &whole, rb, &bytes);
	same(rw, &whole, rt, &two);
	(void)run(d, n, SMALL_LINE, 1, 0, &small);
	buf_free(&whole);
	buf_free(&bytes);
	buf_free(&two);
	buf_free(&small);
	return 0;
}
