/* The readers of responses_claude.h: thinking becomes reasoning (its
 * signature the item's encrypted_content), text a
 * message, tool_use a function (or custom tool) call whose arguments are
 * its input as JSON text, the stop reason and the usage carried over
 * (input counts the cache's reads and writes; cached is the reads). */
#include <string.h>

#include "api/chat_claude.h"
#include "api/responses_claude.h"
#include "lib/json.h"

static void
usage(struct resp_claude *s, struct rout *o)
{
	rout_usage(o, json_sum(json_sum(s->in, s->cache_read),
	    s->cache_write), s->cache_read, s->out, 0);
}

static void
usage_from(struct resp_claude *s, yajl_val u)
{
	if (!YAJL_IS_OBJECT(u))
		return;
	if (json_get(u, "input_tokens"))
		s->in = json_int_at(u, "input_tokens");
	if (json_get(u, "cache_read_input_tokens"))
		s->cache_read = json_int_at(u, "cache_read_input_tokens");
	if (json_get(u, "cache_creation_input_tokens"))
		s->cache_write = json_int_at(u, "cache_creation_input_tokens");
	if (json_get(u, "output_tokens"))
		s->out = json_int_at(u, "output_tokens");
}

static int
tool_input(struct rout *o, int key, yajl_val input)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	rc = json_object_text(input, &b) == -1 ? -1 :
	    rout_args(o, key, b.data, b.len);
	buf_free(&b);
	return rc;
}

static int
str(yajl_val obj, const char *k, const char **s)
{
	yajl_val	 v = json_get(obj, k);

	*s = YAJL_IS_STRING(v) ? v->u.string : "";
	return YAJL_IS_STRING(v);
}

/* A whole thinking block: its text, and what Claude needs to take it
 * back (its signature, or a redacted block's data) as the reasoning
 * item's encrypted_content. */
static int
thinking(struct rout *o, yajl_val b)
{
	const char	*t;

	if (str(b, "thinking", &t) && rout_reasoning(o, t, strlen(t)) == -1)
		return -1;
	if (str(b, "signature", &t) && *t && rout_encrypted(o,
	    RESP_CLAUDE_SIGNED, t, strlen(t)) == -1)
		return -1;
	if (str(b, "data", &t) && *t && rout_encrypted(o, RESP_CLAUDE_REDACTED,
	    t, strlen(t)) == -1)
		return -1;
	return 0;
}

int
responses_claude_answer(struct rout *o, yajl_val msg)
{
	struct resp_claude	 s;
	yajl_val		 content = json_get(msg, "content"), b;
	const char		*type, *t, *id, *name;
	size_t			 i;

	for (i = 0; YAJL_IS_ARRAY(content) && i < content->u.array.len; i++) {
		b = content->u.array.values[i];
		(void)str(b, "type", &type);
		if (strcmp(type, "thinking") == 0 || strcmp(type,
		    "redacted_thinking") == 0) {
			if (rout_break(o) == -1 || thinking(o, b) == -1)
				return -1;
		}
		if (strcmp(type, "text") == 0 && str(b, "text", &t) &&
		    rout_text(o, t, strlen(t)) == -1)
			return -1;
		if (strcmp(type, "tool_use") == 0) {
			(void)str(b, "id", &id);
			(void)str(b, "name", &name);
			if (rout_tool(o, (int)i, id, name) == -1 ||
			    tool_input(o, (int)i, json_get(b, "input")) == -1)
				return -1;
		}
	}
	if (str(msg, "stop_reason", &t))
		rout_stop(o, claude_finish_reason(t));
	memset(&s, 0, sizeof(s));
	usage_from(&s, json_get(msg, "usage"));
	usage(&s, o);
	return 0;
}

int
responses_claude_event(struct resp_claude *s, struct rout *o, yajl_val ev)
{
	yajl_val	 idx = json_get(ev, "index"), b, d;
	const char	*type, *t, *id, *name;
	int		 bi;

	(void)str(ev, "type", &type);
	bi = YAJL_IS_INTEGER(idx) ? (int)YAJL_GET_INTEGER(idx) : -1;
	if (strcmp(type, "content_block_delta") == 0) {
		d = json_get(ev, "delta");
		(void)str(d, "type", &type);
		if (strcmp(type, "text_delta") == 0 && str(d, "text", &t))
			return rout_text(o, t, strlen(t));
		if (strcmp(type, "thinking_delta") == 0 &&
		    str(d, "thinking", &t))
			return rout_reasoning(o, t, strlen(t));
		if (strcmp(type, "input_json_delta") == 0 &&
		    str(d, "partial_json", &t))
			return rout_args(o, bi, t, strlen(t));
		if (strcmp(type, "signature_delta") == 0 &&
		    str(d, "signature", &t))
			return rout_encrypted(o, RESP_CLAUDE_SIGNED, t,
			    strlen(t));
		return 0;
	}
	if (strcmp(type, "content_block_start") == 0) {
		b = json_get(ev, "content_block");
		(void)str(b, "type", &type);
		if (strcmp(type, "thinking") == 0 ||
		    strcmp(type, "redacted_thinking") == 0)
			return rout_break(o) == -1 ? -1 : thinking(o, b);
		if (strcmp(type, "tool_use") != 0)
			return 0;
		(void)str(b, "id", &id);
		(void)str(b, "name", &name);
		return rout_tool(o, bi, id, name);
	}
	if (strcmp(type, "message_start") == 0) {
		usage_from(s, json_get(json_get(ev, "message"), "usage"));
		usage(s, o);
	} else if (strcmp(type, "message_delta") == 0) {
		usage_from(s, json_get(ev, "usage"));
		usage(s, o);
		if (str(json_get(ev, "delta"), "stop_reason", &t))
			rout_stop(o, claude_finish_reason(t));
	} else if (strcmp(type, "message_stop") == 0) {
		s->stopped = 1;
	}
	return 0;
}
