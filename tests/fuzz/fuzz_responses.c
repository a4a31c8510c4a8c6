/* The Responses translations of the families Hexin serves no Responses
 * API. The first byte picks what the rest is:
 *
 *   0  a Responses request: checked, translated to chat (plain, and with
 *      a family's renames and drops), and the chat form on to Bedrock;
 *   1  a chat route's stream, read as responses.c reads it, into the
 *      Responses writer (events written to /dev/null through a tap);
 *   2  a Bedrock stream, the same way;
 *   3  a whole answer, as a chat completion and as a Claude message.
 *
 * The request the writer echoes declares a custom and a namespaced tool,
 * so that calls of every kind come back.
 *
 * Oracle: every request translated, every event and every Response is
 * one valid JSON object, and a stream ends with one terminal event. */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "api/chat_claude.h"
#include "api/chat_read.h"
#include "api/responses_chat.h"
#include "api/responses_claude.h"
#include "api/responses_out.h"
#include "lib/json.h"
#include "upstream/hexin.h"
#include "upstream/stream.h"

static const char request[] = "{\"model\":\"m\",\"input\":\"x\",\"tools\":["
    "{\"type\":\"function\",\"name\":\"f\"},{\"type\":\"custom\","
    "\"name\":\"apply_patch\"},{\"type\":\"namespace\",\"name\":\"ns\","
    "\"tools\":[{\"type\":\"function\",\"name\":\"g\"}]}]}";

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

/* Each event as it goes out: its data one JSON object. */
static int
tap_stream(struct exchange *c, const char *p, size_t n)
{
	const char	*d, *end;

	(void)c;
	FUZZ_CHECK(n > 2 && memcmp(p + n - 2, "\n\n", 2) == 0);
	FUZZ_CHECK(n > 7 && memcmp(p, "event: ", 7) == 0);
	d = memchr(p, '\n', n);
	FUZZ_CHECK(d && (size_t)(d - p) + 7 < n && memcmp(d + 1, "data: ",
	    6) == 0);
	d += 7;
	end = p + n - 2;
	FUZZ_CHECK(fuzz_json_valid(d, (size_t)(end - d)) && *d == '{');
	if (memmem(p, 40, "response.completed", 18) ||
	    memmem(p, 40, "response.incomplete", 19) ||
	    memmem(p, 40, "response.failed", 15))
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
translate(yajl_val req, const struct family *rules)
{
	struct resp_req		 rq;
	struct invalid		 bad;
	struct buf		 out;
	yajl_gen		 g;
	int			 rc;

	memset(&rq, 0, sizeof(rq));
	rq.rules = rules;
	rq.model = "m";
	rq.stream = rules != NULL;
	rq.id = "fuzz";
	buf_init(&out, 0);
	if ((g = json_gen()) == NULL)
		return;
	rc = responses_to_chat(g, req, &rq, &bad);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == 400);
	if (rc != 0) {
		yajl_gen_free(g);
		return;
	}
	FUZZ_CHECK(json_take(g, &out) == 0);
	FUZZ_CHECK(fuzz_json_valid(out.data, out.len) && out.data[0] == '{');
	buf_free(&out);
}

/* A Responses request, and its chat form on to Bedrock. */
static void
request_case(const char *p, size_t n)
{
	static const char rules_json[] = "{\"rename\":{\"max_tokens\":"
	    "\"max_completion_tokens\"},\"drop\":[\"top_p\"]}";
	struct family		 fam;
	struct resolved		 r;
	struct resp_req		 rq;
	struct invalid		 bad;
	struct claude_err	 e;
	struct buf		 chat, out;
	char			 err[128];
	yajl_val		 req, rules, tree;
	yajl_gen		 g;

	if ((req = json_parse(p, n, err, sizeof(err))) == NULL)
		return;
	rules = json_parse(rules_json, sizeof(rules_json) - 1, err,
	    sizeof(err));
	FUZZ_CHECK(rules != NULL);
	memset(&fam, 0, sizeof(fam));
	fam.rename = json_get(rules, "rename");
	fam.drop = json_get(rules, "drop");
	fam.max_tokens_default = 4096;
	fam.kind = FAMILY_BEDROCK;
	if (responses_check(req, &bad) == 0) {
		translate(req, NULL);
		translate(req, &fam);
		/* on to Bedrock */
		memset(&rq, 0, sizeof(rq));
		rq.model = "m";
		rq.claude = 1;
		rq.id = "fuzz";
		buf_init(&chat, 0);
		g = json_gen();
		if (g && responses_to_chat(g, req, &rq, &bad) == 0 &&
		    json_take(g, &chat) == 0) {
			tree = json_parse(chat.data, chat.len, err,
			    sizeof(err));
			FUZZ_CHECK(tree != NULL);
			memset(&r, 0, sizeof(r));
			r.family = &fam;
			snprintf(r.model, sizeof(r.model), "m");
			buf_init(&out, 0);
			if ((g = json_gen()) != NULL) {
				if (claude_request(g, tree, &r, &e) == 0) {
					FUZZ_CHECK(json_take(g, &out) == 0);
					FUZZ_CHECK(fuzz_json_valid(out.data,
					    out.len));
				} else
					yajl_gen_free(g);
			}
			buf_free(&out);
			yajl_tree_free(tree);
		} else if (g)
			yajl_gen_free(g);
		buf_free(&chat);
	}
	yajl_tree_free(rules);
	yajl_tree_free(req);
}

struct run {
	struct rout		 o;
	struct answer		 sink;
	struct resp_claude	 cl;
	int			 bedrock;
};

static int
on_event(void *arg, const char *event, const char *data, size_t n,
    struct hx_result *res)
{
	struct run	*r = arg;

	(void)event;
	(void)data;
	(void)n;
	if (rout_begin(&r->o) == -1)
		return -1;
	if (r->bedrock)
		return responses_claude_event(&r->cl, &r->o, res->payload);
	return chat_read_chunk(&r->sink, res->payload);
}

static void
stream_case(const char *p, size_t n, int bedrock)
{
	struct exchange		 c;
	struct conn		 conn;
	struct stream_read	 rd;
	struct run		 r;
	char			 err[128];
	yajl_val		 req;

	req = json_parse(request, sizeof(request) - 1, err, sizeof(err));
	FUZZ_CHECK(req != NULL);
	memset(&c, 0, sizeof(c));
	conn_init(&conn, -1, devnull, 1000);
	c.conn = &conn;
	c.conf = &conf;
	c.tap = &tap;
	snprintf(c.id, sizeof(c.id), "fuzz");
	memset(&r, 0, sizeof(r));
	r.bedrock = bedrock;
	terminals = 0;
	FUZZ_CHECK(rout_init(&r.o, &c, req, 1) == 0);
	rout_answer(&r.o, &r.sink);
	memset(&rd, 0, sizeof(rd));
	rd.fn = on_event;
	rd.arg = &r;
	stream_read_init(&rd);
	if (stream_read_feed(&rd, p, n) == 0)
		stream_read_finish(&rd);
	stream_read_free(&rd);
	if (rd.error[0] || rout_end(&r.o) == -1)
		(void)rout_failed(&r.o, 502, "broken");
	FUZZ_CHECK(terminals == 1);
	rout_free(&r.o);
	conn_free(&conn);
	yajl_tree_free(req);
}

static void
answer(yajl_val payload, int bedrock)
{
	struct exchange		 c;
	struct rout		 o;
	struct answer		 sink;
	struct buf		 out;
	char			 err[128];
	yajl_val		 req;
	int			 rc;

	req = json_parse(request, sizeof(request) - 1, err, sizeof(err));
	FUZZ_CHECK(req != NULL);
	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "fuzz");
	FUZZ_CHECK(rout_init(&o, &c, req, 0) == 0);
	rout_answer(&o, &sink);
	rc = bedrock ? responses_claude_answer(&o, payload) :
	    chat_read_answer(&sink, payload);
	buf_init(&out, 0);
	if (rc == 0 && rout_object(&o, &out) == 0)
		FUZZ_CHECK(fuzz_json_valid(out.data, out.len) &&
		    out.data[0] == '{');
	buf_free(&out);
	rout_free(&o);
	yajl_tree_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hx_result	 res;
	const char		*p = (const char *)data + 1;

	if (n == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		request_case(p, n - 1);
		break;
	case 1:
	case 2:
		stream_case(p, n - 1, data[0] % 4 == 2);
		break;
	default:
		hexin_classify(200, p, n - 1, &res);
		if (res.kind == HX_OK) {
			answer(res.payload, 0);
			answer(res.payload, 1);
		}
		hexin_result_free(&res);
		break;
	}
	return 0;
}
