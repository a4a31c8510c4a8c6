/* The Messages translation of the families that are not Claude. The
 * first byte picks what the rest is:
 *
 *   0  a Messages request, translated to chat (with a family's renames
 *      and drops, and a route that takes a reasoning effort), and the
 *      bytes as count_tokens' text;
 *   1  a chat route's stream, read as messages.c reads it, into the
 *      Messages writer (events written to /dev/null through a tap);
 *   2  a whole chat answer, into the whole message.
 *
 * Oracle: every request translated, every event and every message is
 * one valid JSON object, and a stream ends with one message_stop or one
 * error event. */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "api/chat_read.h"
#include "api/messages_chat.h"
#include "api/messages_out.h"
#include "lib/json.h"
#include "lib/tokens.h"
#include "upstream/hexin.h"
#include "upstream/stream.h"

static struct conf	 conf;
static int		 devnull = -1;
static size_t		 terminals;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	if ((devnull = open("/dev/null", O_WRONLY)) == -1)
		abort();
	return 0;
}

static int
tap_stream(struct exchange *c, const char *p, size_t n)
{
	const char	*d;

	(void)c;
	FUZZ_CHECK(n > 9 && memcmp(p + n - 2, "\n\n", 2) == 0);
	FUZZ_CHECK(memcmp(p, "event: ", 7) == 0);
	d = memchr(p, '\n', n);
	FUZZ_CHECK(d && memcmp(d + 1, "data: ", 6) == 0);
	d += 7;
	FUZZ_CHECK(fuzz_json_valid(d, (size_t)(p + n - 2 - d)) && *d == '{');
	if (memcmp(p, "event: message_stop\n", 20) == 0 ||
	    memcmp(p, "event: error\n", 13) == 0)
		terminals++;
	return 0;
}

static void
tap_body(struct exchange *c, int status, const char *p, size_t n)
{
	(void)c;
	(void)status;
	(void)p;
	(void)n;
}

static void
tap_close(struct exchange *c)
{
	(void)c;
}

static const struct tap tap = { tap_body, tap_stream, tap_close };

static void
request_case(const char *p, size_t n)
{
	static const char rules_json[] = "{\"rename\":{\"max_tokens\":"
	    "\"max_completion_tokens\"},\"drop\":[\"top_p\"]}";
	struct family		 fam;
	struct resolved		 r;
	struct invalid		 bad;
	struct buf		 out;
	char			 err[128];
	yajl_val		 req, rules;
	yajl_gen		 g;
	int			 rc, stream;

	/* count_tokens' estimate: whatever the bytes, at most one token a
	 * byte, and one more for the rounding */
	FUZZ_CHECK(tokens_estimate(p, n) >= 0 &&
	    tokens_estimate(p, n) <= (long long)n + 1);
	if ((req = json_parse(p, n, err, sizeof(err))) == NULL)
		return;
	rules = json_parse(rules_json, sizeof(rules_json) - 1, err,
	    sizeof(err));
	FUZZ_CHECK(rules != NULL);
	memset(&fam, 0, sizeof(fam));
	fam.rename = json_get(rules, "rename");
	fam.drop = json_get(rules, "drop");
	fam.reasoning_effort = 1;
	memset(&r, 0, sizeof(r));
	r.family = &fam;
	snprintf(r.model, sizeof(r.model), "m");
	/* messages.c checks these before it translates */
	if (YAJL_IS_OBJECT(req) && YAJL_IS_ARRAY(json_get(req, "messages"))) {
		for (stream = 0; stream < 2; stream++) {
			buf_init(&out, 0);
			if ((g = json_gen()) == NULL)
				break;
			rc = messages_to_chat(g, req, &r, stream, &bad);
			FUZZ_CHECK(rc == 0 || rc == -1 || rc == 400);
			if (rc == 0) {
				FUZZ_CHECK(json_take(g, &out) == 0);
				FUZZ_CHECK(fuzz_json_valid(out.data, out.len));
			} else
				yajl_gen_free(g);
			buf_free(&out);
		}
	}
	yajl_tree_free(rules);
	yajl_tree_free(req);
}

struct run {
	struct mout	 o;
	struct answer	 sink;
};

static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct run	*r = arg;

	(void)event;
	(void)data;
	(void)n;
	if (mout_begin(&r->o) == -1)
		return -1;
	return chat_read_chunk(&r->sink, res->payload);
}

static void
stream_case(const char *p, size_t n)
{
	struct exchange		 c;
	struct conn		 conn;
	struct stream_read	 rd;
	struct run		 r;

	memset(&c, 0, sizeof(c));
	conn_init(&conn, -1, devnull, 1000);
	c.conn = &conn;
	c.conf = &conf;
	c.tap = &tap;
	snprintf(c.id, sizeof(c.id), "fuzz");
	terminals = 0;
	memset(&r, 0, sizeof(r));
	FUZZ_CHECK(mout_init(&r.o, &c, "m", 1) == 0);
	mout_answer(&r.o, &r.sink);
	memset(&rd, 0, sizeof(rd));
	rd.fn = on_event;
	rd.arg = &r;
	stream_read_init(&rd);
	if (stream_read_feed(&rd, p, n) == 0)
		stream_read_finish(&rd);
	stream_read_free(&rd);
	if (rd.error[0] || mout_end(&r.o) == -1)
		(void)mout_failed(&r.o, 502, "broken");
	FUZZ_CHECK(terminals == 1);
	mout_free(&r.o);
	conn_free(&conn);
}

static void
answer_case(yajl_val payload)
{
	struct exchange	 c;
	struct mout	 o;
	struct answer	 sink;
	struct buf	 out;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "fuzz");
	FUZZ_CHECK(mout_init(&o, &c, "m", 0) == 0);
	mout_answer(&o, &sink);
	buf_init(&out, 0);
	if (chat_read_answer(&sink, payload) == 0 && mout_object(&o, &out) == 0)
		FUZZ_CHECK(fuzz_json_valid(out.data, out.len) &&
		    out.data[0] == '{');
	buf_free(&out);
	mout_free(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hx_result	 res;
	const char		*p = (const char *)data + 1;

	if (n == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		request_case(p, n - 1);
		break;
	case 1:
		stream_case(p, n - 1);
		break;
	default:
		hexin_classify(200, p, n - 1, &res);
		if (res.kind == HX_OK)
			answer_case(res.payload);
		hexin_result_free(&res);
		break;
	}
	return 0;
}
