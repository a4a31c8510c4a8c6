/* The reader of chat_read.h: the first choice of a chat completion or
 * chunk handed over piece by piece, reasoning, text, tool calls, in that
 * order. */
#include <string.h>

#include "api/chat_read.h"
#include "lib/json.h"

/* Text of a string, or of the text parts of an array (input_text,
 * output_text, refusal, summary_text, text), one per line. */
int
chat_parts_text(yajl_val content, struct buf *out)
{
	yajl_val	 part, v;
	size_t		 i;
	int		 first = 1;

	if (YAJL_IS_STRING(content))
		return buf_adds(out, content->u.string);
	for (i = 0; YAJL_IS_ARRAY(content) && i < content->u.array.len; i++) {
		part = content->u.array.values[i];
		v = json_get(part, "text");
		if (!YAJL_IS_STRING(v))
			v = json_get(part, "refusal");
		if (!YAJL_IS_STRING(v))
			continue;
		if ((!first && buf_adds(out, "\n") == -1) ||
		    buf_adds(out, v->u.string) == -1)
			return -1;
		first = 0;
	}
	return 0;
}

static void
usage(const struct answer *a, yajl_val u)
{
	if (!YAJL_IS_OBJECT(u))
		return;
	a->usage(a->arg, json_int_at(u, "prompt_tokens"),
	    json_int_at(json_get(u, "prompt_tokens_details"), "cached_tokens"),
	    json_int_at(u, "completion_tokens"),
	    json_int_at(json_get(u, "completion_tokens_details"),
	    "reasoning_tokens"));
}

/* The tool calls of a message or a delta. A call opens an item when it
 * first shows its id or name, or a new id under the same index. */
static int
tool_calls(const struct answer *a, yajl_val calls)
{
	yajl_val	 c, id, fn, name, args, idx;
	size_t		 i;
	int		 key;

	for (i = 0; YAJL_IS_ARRAY(calls) && i < calls->u.array.len; i++) {
		c = calls->u.array.values[i];
		idx = json_get(c, "index");
		key = YAJL_IS_INTEGER(idx) ? (int)YAJL_GET_INTEGER(idx) :
		    (int)i;
		id = json_get(c, "id");
		fn = json_get(c, "function");
		name = json_get(fn, "name");
		args = json_get(fn, "arguments");
		if ((YAJL_IS_STRING(id) && id->u.string[0] &&
		    !a->has_call(a->arg, key, id->u.string)) ||
		    (!a->has_call(a->arg, key, NULL) && YAJL_IS_STRING(name))) {
			if (a->tool(a->arg, key, YAJL_IS_STRING(id) ?
			    id->u.string : NULL, YAJL_IS_STRING(name) ?
			    name->u.string : "") == -1)
				return -1;
		}
		if (YAJL_IS_STRING(args) && a->args(a->arg, key, args->u.string,
		    strlen(args->u.string)) == -1)
			return -1;
	}
	return 0;
}

/* A message or a delta: reasoning, text, tool calls, in that order. */
static int
message(const struct answer *a, yajl_val m)
{
	yajl_val	 v;
	struct buf	 text;
	int		 rc;

	v = json_get(m, "reasoning_content");
	if (!YAJL_IS_STRING(v))
		v = json_get(m, "reasoning");
	if (YAJL_IS_STRING(v) && a->reasoning(a->arg, v->u.string,
	    strlen(v->u.string)) == -1)
		return -1;
	v = json_get(m, "content");
	if (YAJL_IS_STRING(v)) {
		if (a->text(a->arg, v->u.string, strlen(v->u.string)) == -1)
			return -1;
	} else if (YAJL_IS_ARRAY(v)) {
		buf_init(&text, 0);
		rc = chat_parts_text(v, &text) == -1 ||
		    a->text(a->arg, text.data, text.len) == -1 ? -1 : 0;
		buf_free(&text);
		if (rc)
			return -1;
	}
	v = json_get(m, "refusal");
	if (YAJL_IS_STRING(v) && a->text(a->arg, v->u.string,
	    strlen(v->u.string)) == -1)
		return -1;
	return tool_calls(a, json_get(m, "tool_calls"));
}

/* The first choice of a completion or chunk; the others are not asked
 * for (a Response has one answer). */
static int
choice(const struct answer *a, yajl_val obj, const char *field)
{
	yajl_val	 choices = json_get(obj, "choices"), c, fin, v;

	usage(a, json_get(obj, "usage"));
	if (!YAJL_IS_ARRAY(choices) || choices->u.array.len == 0)
		return 0;
	c = choices->u.array.values[0];
	if (message(a, json_get(c, field)) == -1)
		return -1;
	fin = json_get(c, "finish_reason");
	if (YAJL_IS_STRING(fin))
		a->stop(a->arg, fin->u.string);
	/* a route that names the stop sequence it met (vLLM's stop_reason
	 * beside a finish_reason of stop) */
	v = json_get(c, "stop_reason");
	if (YAJL_IS_STRING(v) && YAJL_IS_STRING(fin) &&
	    strcmp(fin->u.string, "stop") == 0 && a->stop_sequence)
		a->stop_sequence(a->arg, v->u.string);
	return 0;
}

int
chat_read_answer(const struct answer *a, yajl_val completion)
{
	return choice(a, completion, "message");
}

int
chat_read_chunk(const struct answer *a, yajl_val chunk)
{
	return choice(a, chunk, "delta");
}
