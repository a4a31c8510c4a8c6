/* Anthropic stream events -> OpenAI chat.completion.chunk objects. The
 * input is a Bedrock stream as Hexin sends it (data: lines, with or
 * without event: lines and blank lines), read by the reader chat uses
 * (upstream/stream.c: parsed, pings dropped, the envelope classified);
 * the payload of each event that is an object goes to claude_event, the
 * translation's state carried from event to event.
 *
 * Oracle: every chunk is one valid JSON object. */
#include "fuzz.h"
#include "api/chat_claude.h"
#include "lib/json.h"
#include "upstream/stream.h"

#define CREATED		1700000000LL

struct run {
	struct claude_stream	 cs;
	yajl_gen		 g;
	size_t			 chunks;
	int			 stopped;
};

FUZZ_INITIALIZE_QUIET

static int
chunk(void *arg, enum claude_chunk kind)
{
	struct run		*r = arg;
	const unsigned char	*p;
	size_t			 n;

	FUZZ_CHECK(kind == CLAUDE_CHUNK || kind == CLAUDE_USAGE);
	FUZZ_CHECK(json_buf(r->g, &p, &n) == 0);
	FUZZ_CHECK(fuzz_json_valid((const char *)p, n));
	FUZZ_CHECK(n > 0 && p[0] == '{');
	r->chunks++;
	yajl_gen_clear(r->g);
	yajl_gen_reset(r->g, NULL);
	return 0;
}

static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct run	*r = arg;
	int		 rc;

	(void)event;
	(void)data;
	(void)n;
	rc = claude_event(&r->cs, res->payload);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		yajl_gen_clear(r->g);
		yajl_gen_reset(r->g, NULL);
	}
	FUZZ_CHECK(r->cs.tools >= 0);
	r->stopped = r->cs.stopped;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct run		 r;
	struct stream_read	 rd;

	memset(&r, 0, sizeof(r));
	if ((r.g = json_gen()) == NULL)
		return 0;
	claude_stream_init(&r.cs, CREATED, r.g, chunk, &r);
	r.cs.fold = n > 0 && data[0] & 1;	/* both ways, by the input */
	memset(&rd, 0, sizeof(rd));
	rd.fn = on_event;
	rd.arg = &r;
	stream_read_init(&rd);
	if (stream_read_feed(&rd, (const char *)data, n) == 0)
		stream_read_finish(&rd);
	stream_read_free(&rd);
	yajl_gen_free(r.g);
	FUZZ_CHECK(strlen(r.cs.id) < sizeof(r.cs.id));
	FUZZ_CHECK(strlen(r.cs.model) < sizeof(r.cs.model));
	return 0;
}
