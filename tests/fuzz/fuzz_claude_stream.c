/* Anthropic stream events -> OpenAI chat.completion.chunk objects. The
 * input is a Bedrock stream as Hexin sends it (data: lines, with or
 * without event: lines and blank lines); each event goes the way
 * api_chat's on_event takes it: parsed, pings dropped, the envelope
 * classified, and the payload of an event that is an object handed to
 * claude_event, the translation's state carried from event to event.
 *
 * Oracle: every chunk is one valid JSON object. */
#include "fuzz.h"
#include "api/chat_claude.h"
#include "lib/json.h"
#include "upstream/hexin.h"
#include "upstream/sse.h"

#define CREATED		1700000000LL
#define EVENT_MAX	(16 * 1024 * 1024)

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
on_event(void *arg, const char *event, const char *data, size_t n)
{
	struct run		*r = arg;
	struct hx_result	 res;
	char			 err[128];
	yajl_val		 v;
	int			 rc;

	(void)event;
	if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
		return 0;
	if ((v = json_parse(data, n, err, sizeof(err))) == NULL)
		return 0;	/* api_chat ends the stream; go on instead */
	if (hexin_is_ping(v)) {
		yajl_tree_free(v);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	hexin_classify_tree(200, v, &res);
	if (res.kind == HX_OK && YAJL_IS_OBJECT(res.payload)) {
		rc = claude_event(&r->cs, res.payload);
		FUZZ_CHECK(rc == 0 || rc == -1);
		if (rc == -1) {
			yajl_gen_clear(r->g);
			yajl_gen_reset(r->g, NULL);
		}
		FUZZ_CHECK(r->cs.tools >= 0);
		r->stopped = r->cs.stopped;
	}
	hexin_result_free(&res);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct run	 r;
	struct sse	 s;

	memset(&r, 0, sizeof(r));
	if ((r.g = json_gen()) == NULL)
		return 0;
	claude_stream_init(&r.cs, CREATED, r.g, chunk, &r);
	r.cs.fold = n > 0 && data[0] & 1;	/* both ways, by the input */
	sse_init(&s, EVENT_MAX);
	if (sse_feed(&s, (const char *)data, n, on_event, &r) == 0)
		(void)sse_finish(&s, on_event, &r);
	sse_free(&s);
	yajl_gen_free(r.g);
	FUZZ_CHECK(strlen(r.cs.id) < sizeof(r.cs.id));
	FUZZ_CHECK(strlen(r.cs.model) < sizeof(r.cs.model));
	return 0;
}
