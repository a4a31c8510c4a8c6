/* The translation of messages_chat.h. The system prompt (a string or
 * text blocks) and every role "system" entry of messages (Claude Code
 * sends its environment that way to other models) become one system
 * message first; user turns keep their text and images, their
 * tool_result blocks becoming tool messages first; assistant turns their
 * text and tool_use blocks, as tool_calls, thinking dropped (no chat
 * route takes it back). Server tools no chat route can run are refused
 * naming them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_read.h"
#include "api/messages_chat.h"
#include "lib/json.h"

struct mt {
	yajl_gen		 g;
	const struct family	*f;
	struct invalid		*bad;
};

static int
str_is(yajl_val v, const char *s)
{
	return YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0;
}

static const char *
type_of(yajl_val block)
{
	yajl_val	 t = json_get(block, "type");

	return YAJL_IS_STRING(t) ? t->u.string : "";
}

/* A field's name on the route: dropped (1) or renamed by its rules. */
static int
put_key(struct mt *t, const char *k)
{
	if ((k = models_field(t->f, k)) == NULL)
		return 1;
	return json_str(t->g, k);
}

/* The system prompt: system, then each role "system" entry. */
static int
system_message(struct mt *t, yajl_val req)
{
	yajl_val	 msgs = json_get(req, "messages"), m;
	struct buf	 sys;
	size_t		 i, before;
	int		 rc = -1;

	buf_init(&sys, 0);
	if (chat_parts_text(json_get(req, "system"), &sys) == -1)
		goto out;
	for (i = 0; i < msgs->u.array.len; i++) {
		m = msgs->u.array.values[i];
		if (!str_is(json_get(m, "role"), "system"))
			continue;
		before = sys.len;
		if (sys.len && buf_adds(&sys, "\n\n") == -1)
			goto out;
		if (chat_parts_text(json_get(m, "content"), &sys) == -1)
			goto out;
		if (sys.len == before + 2)
			sys.len = before;	/* nothing said */
	}
	rc = 0;
	if (sys.len && (json_map_open(t->g) ||
	    json_kstr(t->g, "role", "system") || json_str(t->g, "content") ||
	    json_strn(t->g, sys.data, sys.len) || json_map_close(t->g)))
		rc = -1;
out:
	buf_free(&sys);
	return rc;
}

/* An image block as an image_url part: base64 as a data URL. */
static int
image_part(struct mt *t, yajl_val block, size_t i)
{
	yajl_gen	 g = t->g;
	yajl_val	 src = json_get(block, "source");
	yajl_val	 mt = json_get(src, "media_type"), data = json_get(src,
			    "data"), url = json_get(src, "url");
	struct buf	 u;
	int		 rc;

	buf_init(&u, 0);
	if (str_is(json_get(src, "type"), "base64") && YAJL_IS_STRING(mt) &&
	    YAJL_IS_STRING(data)) {
		if (buf_printf(&u, "data:%s;base64,", mt->u.string) == -1 ||
		    buf_adds(&u, data->u.string) == -1) {
			buf_free(&u);
			return -1;
		}
	} else if (str_is(json_get(src, "type"), "url") &&
	    YAJL_IS_STRING(url)) {
		if (buf_adds(&u, url->u.string) == -1) {
			buf_free(&u);
			return -1;
		}
	} else {
		buf_free(&u);
		return body_invalid(t->bad, "messages", "messages.%zu: an "
		    "image needs a base64 or url source", i);
	}
	rc = json_map_open(g) || json_kstr(g, "type", "image_url") ||
	    json_str(g, "image_url") || json_map_open(g) ||
	    json_str(g, "url") || json_strn(g, u.data, u.len) ||
	    json_map_close(g) || json_map_close(g) ? -1 : 0;
	buf_free(&u);
	return rc;
}

/* A tool_result block as a tool message. */
static int
tool_result(struct mt *t, yajl_val block, size_t i)
{
	yajl_val	 id = json_get(block, "tool_use_id");
	struct buf	 text;
	int		 rc;

	if (!YAJL_IS_STRING(id))
		return body_invalid(t->bad, "messages", "messages.%zu: a "
		    "tool_result needs a tool_use_id", i);
	buf_init(&text, 0);
	rc = (YAJL_IS_TRUE(json_get(block, "is_error")) &&
	    buf_adds(&text, "Error: ") == -1) ||
	    chat_parts_text(json_get(block, "content"), &text) == -1 ||
	    json_map_open(t->g) || json_kstr(t->g, "role", "tool") ||
	    json_kstr(t->g, "tool_call_id", id->u.string) ||
	    json_str(t->g, "content") ||
	    json_strn(t->g, text.data ? text.data : "", text.len) ||
	    json_map_close(t->g) ? -1 : 0;
	buf_free(&text);
	return rc;
}

/* A user turn: its tool results as tool messages, then what it says. */
static int
user_turn(struct mt *t, yajl_val content, size_t i)
{
	yajl_gen	 g = t->g;
	yajl_val	 b;
	const char	*type;
	struct buf	 text;
	size_t		 k;
	int		 images = 0, others = 0, rc;

	if (YAJL_IS_STRING(content))
		return json_map_open(g) || json_kstr(g, "role", "user") ||
		    json_kstr(g, "content", content->u.string) ||
		    json_map_close(g) ? -1 : 0;
	for (k = 0; k < content->u.array.len; k++) {
		b = content->u.array.values[k];
		type = type_of(b);
		if (strcmp(type, "tool_result") == 0) {
			if ((rc = tool_result(t, b, i)) != 0)
				return rc;
		} else if (strcmp(type, "image") == 0) {
			images = others = 1;
		} else if (strcmp(type, "text") == 0) {
			others = 1;
		} else {
			return body_invalid(t->bad, "messages", "messages.%zu: "
			    "content blocks of type %s cannot be sent to this "
			    "model's family", i, *type ? type : "(none)");
		}
	}
	if (!others)
		return 0;
	if (json_map_open(g) || json_kstr(g, "role", "user") ||
	    json_str(g, "content"))
		return -1;
	if (!images) {
		buf_init(&text, 0);
		rc = chat_parts_text(content, &text) == -1 ||
		    json_strn(g, text.data ? text.data : "", text.len) ? -1 : 0;
		buf_free(&text);
		return rc || json_map_close(g) ? -1 : 0;
	}
	if (json_array_open(g))
		return -1;
	for (k = 0; k < content->u.array.len; k++) {
		b = content->u.array.values[k];
		type = type_of(b);
		if (strcmp(type, "image") == 0) {
			if ((rc = image_part(t, b, i)) != 0)
				return rc;
		} else if (strcmp(type, "text") == 0 &&
		    YAJL_IS_STRING(json_get(b, "text"))) {
			if (json_map_open(g) || json_kstr(g, "type", "text") ||
			    json_kstr(g, "text",
			    json_get(b, "text")->u.string) ||
			    json_map_close(g))
				return -1;
		}
	}
	return json_array_close(g) || json_map_close(g) ? -1 : 0;
}

/* An assistant turn: its text, then its tool_use blocks as tool_calls. */
static int
assistant_turn(struct mt *t, yajl_val content, size_t i)
{
	yajl_gen	 g = t->g;
	yajl_val	 b;
	const char	*type;
	struct buf	 text;
	size_t		 k, calls = 0;
	int		 rc;

	if (YAJL_IS_STRING(content))
		return json_map_open(g) || json_kstr(g, "role", "assistant") ||
		    json_kstr(g, "content", content->u.string) ||
		    json_map_close(g) ? -1 : 0;
	buf_init(&text, 0);
	for (k = 0; k < content->u.array.len; k++) {
		b = content->u.array.values[k];
		type = type_of(b);
		if (strcmp(type, "text") == 0 &&
		    YAJL_IS_STRING(json_get(b, "text"))) {
			if ((text.len && buf_adds(&text, "\n") == -1) ||
			    buf_adds(&text, json_get(b, "text")->u.string) ==
			    -1) {
				buf_free(&text);
				return -1;
			}
		} else if (strcmp(type, "tool_use") == 0) {
			if (!YAJL_IS_STRING(json_get(b, "id")) ||
			    !YAJL_IS_STRING(json_get(b, "name"))) {
				buf_free(&text);
				return body_invalid(t->bad, "messages",
				    "messages.%zu: a tool_use needs an id and "
				    "a name", i);
			}
			calls++;
		} else if (strcmp(type, "thinking") != 0 &&
		    strcmp(type, "redacted_thinking") != 0) {
			buf_free(&text);
			return body_invalid(t->bad, "messages", "messages.%zu: "
			    "content blocks of type %s cannot be sent to this "
			    "model's family", i, *type ? type : "(none)");
		}
	}
	rc = json_map_open(g) || json_kstr(g, "role", "assistant") ||
	    json_str(g, "content") || (text.len || !calls ? json_strn(g,
	    text.data ? text.data : "", text.len) : json_null(g)) ? -1 : 0;
	buf_free(&text);
	if (rc || (calls && (json_str(g, "tool_calls") || json_array_open(g))))
		return -1;
	for (k = 0; calls && k < content->u.array.len; k++) {
		b = content->u.array.values[k];
		if (strcmp(type_of(b), "tool_use") != 0)
			continue;
		if (json_map_open(g) || json_kstr(g, "id",
		    json_get(b, "id")->u.string) ||
		    json_kstr(g, "type", "function") ||
		    json_str(g, "function") || json_map_open(g) ||
		    json_kstr(g, "name", json_get(b, "name")->u.string) ||
		    json_str(g, "arguments") ||
		    json_gen_object_text(g, json_get(b, "input")) ||
		    json_map_close(g) || json_map_close(g))
			return -1;
	}
	if (calls && json_array_close(g))
		return -1;
	return json_map_close(g);
}

static int
messages(struct mt *t, yajl_val req)
{
	yajl_val	 msgs = json_get(req, "messages"), m, role, content;
	size_t		 i;
	int		 rc = 0;

	if (json_str(t->g, "messages") || json_array_open(t->g) ||
	    system_message(t, req))
		return -1;
	for (i = 0; rc == 0 && i < msgs->u.array.len; i++) {
		m = msgs->u.array.values[i];
		role = json_get(m, "role");
		content = json_get(m, "content");
		if (str_is(role, "system"))
			continue;
		if (!YAJL_IS_STRING(content) && !YAJL_IS_ARRAY(content))
			rc = body_invalid(t->bad, "messages", "messages.%zu: "
			    "content must be a string or an array of content "
			    "blocks", i);
		else if (str_is(role, "user"))
			rc = user_turn(t, content, i);
		else if (str_is(role, "assistant"))
			rc = assistant_turn(t, content, i);
		else
			rc = body_invalid(t->bad, "messages", "messages.%zu: "
			    "role must be user or assistant", i);
	}
	return rc == 0 && json_array_close(t->g) == 0 ? 0 : rc ? rc : -1;
}

/* Tools as functions; a server tool (web search and the like, which has
 * a type of its own and no input_schema) is refused: no chat route runs
 * it. */
static int
tools(struct mt *t, yajl_val list)
{
	yajl_gen	 g = t->g;
	yajl_val	 tl, v;
	const char	*type;
	size_t		 i;

	for (i = 0; i < list->u.array.len; i++) {
		tl = list->u.array.values[i];
		type = type_of(tl);
		v = json_get(tl, "name");
		if ((*type && strcmp(type, "custom") != 0) ||
		    !YAJL_IS_OBJECT(json_get(tl, "input_schema")))
			return body_invalid(t->bad, "tools",
			    "tools.%zu: %s%s%s is a server tool that this "
			    "model's family cannot run", i, *type ? type : "a tool without an "
			    "input_schema", YAJL_IS_STRING(v) ? " " : "",
			    YAJL_IS_STRING(v) ? v->u.string : "");
		if (!YAJL_IS_STRING(v))
			return body_invalid(t->bad, "tools", "tools.%zu: a "
			    "tool needs a name", i);
	}
	if (list->u.array.len == 0)
		return 0;
	if (json_str(g, "tools") || json_array_open(g))
		return -1;
	for (i = 0; i < list->u.array.len; i++) {
		tl = list->u.array.values[i];
		if (json_map_open(g) || json_kstr(g, "type", "function") ||
		    json_str(g, "function") || json_map_open(g) ||
		    json_kstr(g, "name", json_get(tl, "name")->u.string))
			return -1;
		v = json_get(tl, "description");
		if (YAJL_IS_STRING(v) && json_kstr(g, "description",
		    v->u.string))
			return -1;
		if (json_str(g, "parameters") ||
		    json_gen_value(g, json_get(tl, "input_schema")) ||
		    json_map_close(g) || json_map_close(g))
			return -1;
	}
	return json_array_close(g) ? -1 : 0;
}

/* tool_choice: auto, any (required), none, or a named tool. */
static int
tool_choice(struct mt *t, yajl_val tc)
{
	yajl_gen	 g = t->g;
	yajl_val	 name = json_get(tc, "name");
	const char	*type = type_of(tc);

	if (YAJL_IS_TRUE(json_get(tc, "disable_parallel_tool_use")) &&
	    json_kbool(g, "parallel_tool_calls", 0))
		return -1;
	if (strcmp(type, "auto") == 0 || strcmp(type, "none") == 0)
		return json_kstr(g, "tool_choice", type);
	if (strcmp(type, "any") == 0)
		return json_kstr(g, "tool_choice", "required");
	if (strcmp(type, "tool") == 0 && YAJL_IS_STRING(name))
		return json_str(g, "tool_choice") || json_map_open(g) ||
		    json_kstr(g, "type", "function") ||
		    json_str(g, "function") || json_map_open(g) ||
		    json_kstr(g, "name", name->u.string) ||
		    json_map_close(g) || json_map_close(g) ? -1 : 0;
	return 0;
}

/* A field passed on under the route's name for it. */
static int
pass(struct mt *t, yajl_val v, const char *to)
{
	int	 rc;

	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if ((rc = put_key(t, to)) != 0)
		return rc == 1 ? 0 : -1;
	return json_gen_value(t->g, v);
}

/* A thinking budget as a reasoning effort, for a route that takes one. */
static const char *
effort(yajl_val thinking)
{
	yajl_val	 b = json_get(thinking, "budget_tokens");
	long long	 n;

	if (!str_is(json_get(thinking, "type"), "enabled") ||
	    !YAJL_IS_INTEGER(b))
		return NULL;
	n = YAJL_GET_INTEGER(b);
	return n <= 2048 ? "low" : n <= 16384 ? "medium" : "high";
}

/* The chat request an Anthropic Messages request means. 0, -1 when out
 * of memory, or 400 with bad saying what is wrong. */
int
messages_to_chat(yajl_gen g, yajl_val req, const struct resolved *r,
    int stream, struct invalid *bad)
{
	struct mt	 t;
	yajl_val	 v;
	const char	*e;
	int		 rc, k;

	memset(bad, 0, sizeof(*bad));
	t.g = g;
	t.f = r->family;
	t.bad = bad;
	if (json_map_open(g) || json_kstr(g, "model", r->model))
		return -1;
	if ((rc = messages(&t, req)) != 0)
		return bad->message[0] ? 400 : -1;
	v = json_get(req, "tools");
	if (YAJL_IS_ARRAY(v) && (rc = tools(&t, v)) != 0)
		return bad->message[0] ? 400 : -1;
	if (YAJL_IS_ARRAY(v) && v->u.array.len &&
	    (v = json_get(req, "tool_choice")) && tool_choice(&t, v))
		return -1;
	if (pass(&t, json_get(req, "max_tokens"), "max_tokens") ||
	    pass(&t, json_get(req, "temperature"), "temperature") ||
	    pass(&t, json_get(req, "top_p"), "top_p") ||
	    pass(&t, json_get(req, "stop_sequences"), "stop") ||
	    pass(&t, json_get(json_get(req, "metadata"), "user_id"), "user"))
		return -1;
	if (r->family->reasoning_effort &&
	    (e = effort(json_get(req, "thinking"))) != NULL &&
	    ((k = put_key(&t, "reasoning_effort")) == -1 ||
	    (k == 0 && json_str(g, e))))
		return -1;
	if (stream && (json_kbool(g, "stream", 1) ||
	    json_str(g, "stream_options") || json_map_open(g) ||
	    json_kbool(g, "include_usage", 1) || json_map_close(g)))
		return -1;
	return json_map_close(g) ? -1 : 0;
}
