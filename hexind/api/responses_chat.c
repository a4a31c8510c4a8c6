/* The translations of responses_chat.h. The request: instructions and
 * every system or developer message become one system message at the
 * front; input items become chat messages in order (function calls join
 * the assistant message before them, their outputs become tool
 * messages); function tools pass, custom (freeform) tools become
 * functions of one string "input", namespaced tools functions named
 * namespace__name; tools no chat route can call are left out and logged.
 * hexind keeps no responses, so previous_response_id is refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_read.h"
#include "api/responses_chat.h"
#include "api/responses_claude.h"
#include "lib/json.h"
#include "lib/log.h"


static int
str_is(yajl_val v, const char *s)
{
	return YAJL_IS_STRING(v) && strcmp(v->u.string, s) == 0;
}

static const char *
type_of(yajl_val item)
{
	yajl_val	 t = json_get(item, "type");

	if (YAJL_IS_STRING(t))
		return t->u.string;
	/* an easy input message: a role and content, no type */
	return YAJL_IS_STRING(json_get(item, "role")) ? "message" : "";
}

/* --- checks --- */

int
responses_check(yajl_val req, struct invalid *bad)
{
	const char	*model;
	yajl_val	 v, item;
	size_t		 i;

	if (body_model(req, &model, bad) == -1)
		return -1;
	v = json_get(req, "previous_response_id");
	if (v && !YAJL_IS_NULL(v))
		return body_invalid(bad, "previous_response_id", "hexind "
		    "keeps no responses for the model '%.200s': send the whole "
		    "conversation in 'input' instead of previous_response_id",
		    model);
	v = json_get(req, "conversation");
	if (v && !YAJL_IS_NULL(v))
		return body_invalid(bad, "conversation", "hexind keeps no "
		    "conversations for the model '%.200s': send the whole "
		    "conversation in 'input'", model);
	v = json_get(req, "stream");
	if (v && !YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v) && !YAJL_IS_NULL(v))
		return body_invalid(bad, "stream", "'stream' must be a "
		    "boolean");
	v = json_get(req, "input");
	if (!YAJL_IS_STRING(v) && !YAJL_IS_ARRAY(v))
		return body_invalid(bad, "input", "'input' must be a string "
		    "or an array of items, not %s", json_type_name(v));
	for (i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
		item = v->u.array.values[i];
		if (!YAJL_IS_OBJECT(item))
			return body_invalid(bad, "input", "input[%zu] must be "
			    "an object", i);
	}
	v = json_get(req, "instructions");
	if (v && !YAJL_IS_NULL(v) && !YAJL_IS_STRING(v))
		return body_invalid(bad, "instructions", "'instructions' must "
		    "be a string");
	v = json_get(req, "tools");
	if (v && !YAJL_IS_NULL(v) && !YAJL_IS_ARRAY(v))
		return body_invalid(bad, "tools", "'tools' must be an array");
	v = json_get(req, "max_output_tokens");
	if (v && !YAJL_IS_NULL(v) && (!YAJL_IS_INTEGER(v) ||
	    YAJL_GET_INTEGER(v) < 1))
		return body_invalid(bad, "max_output_tokens", "'max_output_"
		    "tokens' must be a positive integer");
	return 0;
}

/* --- the request --- */

struct tr {
	yajl_gen		 g;
	const struct resp_req	*rq;
	struct invalid		*bad;
	/* the assistant message being gathered: text, then tool calls */
	struct buf		 text;
	yajl_val		*calls;
	size_t			 ncalls, cap;
	yajl_val		*thinks;	/* Claude's reasoning items */
	size_t			 nthinks, tcap;
	int			 open;
};

/* A field's name on the route: dropped (1) or renamed by its rules. */
static int
put_key(struct tr *t, const char *k)
{
	if ((k = models_field(t->rq->rules, k)) == NULL)
		return 1;
	return json_str(t->g, k);
}

static int
is_system(yajl_val item)
{
	yajl_val	 role = json_get(item, "role");

	return strcmp(type_of(item), "message") == 0 &&
	    (str_is(role, "system") || str_is(role, "developer"));
}

/* The system prompt: instructions, then each system or developer
 * message, a blank line between. */
static int
system_message(struct tr *t, yajl_val req)
{
	yajl_val	 input = json_get(req, "input"), v;
	struct buf	 sys;
	size_t		 i;
	int		 rc = -1;

	buf_init(&sys, 0);
	v = json_get(req, "instructions");
	if (YAJL_IS_STRING(v) && buf_adds(&sys, v->u.string) == -1)
		goto out;
	for (i = 0; YAJL_IS_ARRAY(input) && i < input->u.array.len; i++) {
		v = input->u.array.values[i];
		if (!is_system(v))
			continue;
		if ((sys.len && buf_adds(&sys, "\n\n") == -1) ||
		    chat_parts_text(json_get(v, "content"), &sys) == -1)
			goto out;
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

/* A tool's name on the route: a namespaced one flattened. */
static int
flat_name(yajl_val item, char *out, size_t n)
{
	yajl_val	 name = json_get(item, "name"), ns = json_get(item,
			    "namespace");
	int		 len;

	if (!YAJL_IS_STRING(name))
		return -1;
	if (YAJL_IS_STRING(ns) && ns->u.string[0])
		len = snprintf(out, n, "%s" RESP_NS_SEP "%s", ns->u.string,
		    name->u.string);
	else
		len = snprintf(out, n, "%s", name->u.string);
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* The Claude reasoning items gathered for the assistant message, as
 * Anthropic's own blocks that chat_claude.c puts first in its turn: the
 * summary is the thinking the signature signs. */
static int
thinking_blocks(struct tr *t)
{
	yajl_gen	 g = t->g;
	yajl_val	 item, enc;
	struct buf	 text;
	const char	*e;
	size_t		 i, ns = strlen(RESP_CLAUDE_SIGNED);
	size_t		 nr = strlen(RESP_CLAUDE_REDACTED);
	int		 rc = 0;

	if (json_str(g, "thinking_blocks") || json_array_open(g))
		return -1;
	buf_init(&text, 0);
	for (i = 0; rc == 0 && i < t->nthinks; i++) {
		item = t->thinks[i];
		enc = json_get(item, "encrypted_content");
		e = enc->u.string;
		text.len = 0;
		if (strncmp(e, RESP_CLAUDE_REDACTED, nr) == 0)
			rc = json_map_open(g) || json_kstr(g, "type",
			    "redacted_thinking") || json_kstr(g, "data",
			    e + nr) || json_map_close(g) ? -1 : 0;
		else
			rc = chat_parts_text(json_get(item, "summary"), &text) ||
			    json_map_open(g) || json_kstr(g, "type",
			    "thinking") || json_str(g, "thinking") ||
			    json_strn(g, text.data ? text.data : "",
			    text.len) || json_kstr(g, "signature", e + ns) ||
			    json_map_close(g) ? -1 : 0;
	}
	buf_free(&text);
	t->nthinks = 0;
	return rc == 0 && json_array_close(g) == 0 ? 0 : -1;
}

static int	flush(struct tr *);

/* A reasoning item Claude can take back (it carries Claude's signature
 * or redacted data) opens an assistant message, or joins the one open
 * before it has said anything; any other is dropped. */
static int
add_thinking(struct tr *t, yajl_val item)
{
	yajl_val	 enc = json_get(item, "encrypted_content");
	yajl_val	*n;
	size_t		 cap;

	if (!t->rq->claude || !YAJL_IS_STRING(enc) ||
	    (strncmp(enc->u.string, RESP_CLAUDE_SIGNED,
	    strlen(RESP_CLAUDE_SIGNED)) != 0 && strncmp(enc->u.string,
	    RESP_CLAUDE_REDACTED, strlen(RESP_CLAUDE_REDACTED)) != 0))
		return 0;
	if (t->open && (t->text.len || t->ncalls) && flush(t) == -1)
		return -1;
	t->open = 1;
	if (t->nthinks == t->tcap) {
		cap = t->tcap ? t->tcap * 2 : 4;
		if ((n = realloc(t->thinks, cap * sizeof(*n))) == NULL)
			return -1;
		t->thinks = n;
		t->tcap = cap;
	}
	t->thinks[t->nthinks++] = item;
	return 0;
}

/* The gathered assistant message goes out. */
static int
flush(struct tr *t)
{
	yajl_gen	 g = t->g;
	yajl_val	 c, v;
	char		 name[256];
	struct buf	 args;
	size_t		 i;
	int		 rc;

	if (!t->open)
		return 0;
	t->open = 0;
	if (json_map_open(g) || json_kstr(g, "role", "assistant") ||
	    json_str(g, "content") || (t->text.len || t->ncalls == 0 ?
	    json_strn(g, t->text.data ? t->text.data : "", t->text.len) :
	    json_null(g)))
		return -1;
	t->text.len = 0;
	if (t->nthinks && thinking_blocks(t) == -1)
		return -1;
	if (t->ncalls && (json_str(g, "tool_calls") || json_array_open(g)))
		return -1;
	for (i = 0; i < t->ncalls; i++) {
		c = t->calls[i];
		if (flat_name(c, name, sizeof(name)) == -1)
			return -1;
		if (json_map_open(g) || json_kstr(g, "id",
		    json_get(c, "call_id")->u.string) ||
		    json_kstr(g, "type", "function") ||
		    json_str(g, "function") || json_map_open(g) ||
		    json_kstr(g, "name", name) || json_str(g, "arguments"))
			return -1;
		if (strcmp(type_of(c), "custom_tool_call") == 0) {
			/* the freeform input, as the function's argument */
			yajl_gen ag = json_gen();

			buf_init(&args, 0);
			v = json_get(c, "input");
			rc = ag == NULL || json_map_open(ag) ||
			    json_kstr(ag, "input", YAJL_IS_STRING(v) ?
			    v->u.string : "") || json_map_close(ag) ||
			    json_take(ag, &args) ||
			    json_strn(g, args.data, args.len);
			buf_free(&args);
			if (rc)
				return -1;
		} else {
			v = json_get(c, "arguments");
			if (json_str(g, YAJL_IS_STRING(v) && v->u.string[0] ?
			    v->u.string : "{}"))
				return -1;
		}
		if (json_map_close(g) || json_map_close(g))
			return -1;
	}
	t->ncalls = 0;
	if (i && json_array_close(g))
		return -1;
	return json_map_close(g);
}

static int
assistant_open(struct tr *t)
{
	if (t->open && t->ncalls) {
		/* text after tool calls starts another message */
		if (flush(t) == -1)
			return -1;
	}
	t->open = 1;
	return 0;
}

static int
add_call(struct tr *t, yajl_val item, size_t i)
{
	yajl_val	*n;
	size_t		 cap;

	if (!YAJL_IS_STRING(json_get(item, "call_id")) ||
	    !YAJL_IS_STRING(json_get(item, "name")))
		return body_invalid(t->bad, "input", "input[%zu]: a %s needs "
		    "a call_id and a name", i, type_of(item));
	if (!t->open)
		t->open = 1;
	if (t->ncalls == t->cap) {
		cap = t->cap ? t->cap * 2 : 8;
		if ((n = realloc(t->calls, cap * sizeof(*n))) == NULL)
			return -1;
		t->calls = n;
		t->cap = cap;
	}
	t->calls[t->ncalls++] = item;
	return 0;
}

/* A user message's content: a string when it is all text, else parts. */
static int
user_content(struct tr *t, yajl_val content, size_t i)
{
	yajl_gen	 g = t->g;
	yajl_val	 part, v;
	const char	*type;
	struct buf	 text;
	size_t		 k;
	int		 images = 0, rc;

	for (k = 0; YAJL_IS_ARRAY(content) && k < content->u.array.len; k++) {
		part = content->u.array.values[k];
		type = type_of(part);
		if (strcmp(type, "input_image") == 0)
			images = 1;
		else if (strcmp(type, "input_text") && strcmp(type,
		    "output_text") && strcmp(type, "refusal") &&
		    strcmp(type, "text"))
			return body_invalid(t->bad, "input", "input[%zu]: "
			    "content parts of type %s cannot be sent to this "
			    "model's family", i, *type ? type : "(none)");
	}
	if (!images) {
		buf_init(&text, 0);
		rc = chat_parts_text(content, &text) == -1 ||
		    json_strn(g, text.data ? text.data : "", text.len) ? -1 : 0;
		buf_free(&text);
		return rc;
	}
	if (json_array_open(g))
		return -1;
	for (k = 0; k < content->u.array.len; k++) {
		part = content->u.array.values[k];
		if (strcmp(type_of(part), "input_image") != 0) {
			v = json_get(part, "text");
			if (json_map_open(g) || json_kstr(g, "type", "text") ||
			    json_kstr(g, "text", YAJL_IS_STRING(v) ?
			    v->u.string : "") || json_map_close(g))
				return -1;
			continue;
		}
		v = json_get(part, "image_url");
		if (!YAJL_IS_STRING(v))
			return body_invalid(t->bad, "input", "input[%zu]: an "
			    "input_image must carry an image_url (a URL or a "
			    "data URL); file_id needs OpenAI's file store", i);
		if (json_map_open(g) || json_kstr(g, "type", "image_url") ||
		    json_str(g, "image_url") || json_map_open(g) ||
		    json_kstr(g, "url", v->u.string))
			return -1;
		v = json_get(part, "detail");
		if (YAJL_IS_STRING(v) && json_kstr(g, "detail", v->u.string))
			return -1;
		if (json_map_close(g) || json_map_close(g))
			return -1;
	}
	return json_array_close(g);
}

static int
message_item(struct tr *t, yajl_val item, size_t i)
{
	yajl_val	 role = json_get(item, "role");
	yajl_val	 content = json_get(item, "content");

	if (str_is(role, "assistant")) {
		if (assistant_open(t) == -1)
			return -1;
		if (t->text.len && buf_adds(&t->text, "\n") == -1)
			return -1;
		return chat_parts_text(content, &t->text);
	}
	if (!str_is(role, "user"))
		return body_invalid(t->bad, "input", "input[%zu]: a message's "
		    "role must be user, assistant, system or developer", i);
	if (flush(t) == -1)
		return -1;
	if (json_map_open(t->g) || json_kstr(t->g, "role", "user") ||
	    json_str(t->g, "content"))
		return -1;
	if (user_content(t, content, i) != 0)
		return -1;
	return json_map_close(t->g);
}

/* A function's or custom tool's output, as a tool message. */
static int
output_item(struct tr *t, yajl_val item, size_t i)
{
	yajl_val	 id = json_get(item, "call_id");
	struct buf	 text;
	int		 rc;

	if (!YAJL_IS_STRING(id))
		return body_invalid(t->bad, "input", "input[%zu]: a %s needs "
		    "a call_id", i, type_of(item));
	if (flush(t) == -1)
		return -1;
	buf_init(&text, 0);
	rc = chat_parts_text(json_get(item, "output"), &text) == -1 ||
	    json_map_open(t->g) || json_kstr(t->g, "role", "tool") ||
	    json_kstr(t->g, "tool_call_id", id->u.string) ||
	    json_str(t->g, "content") ||
	    json_strn(t->g, text.data ? text.data : "", text.len) ||
	    json_map_close(t->g) ? -1 : 0;
	buf_free(&text);
	return rc;
}

static int
messages(struct tr *t, yajl_val req)
{
	yajl_val	 input = json_get(req, "input"), item;
	const char	*type;
	size_t		 i;
	int		 rc = 0;

	if (json_str(t->g, "messages") || json_array_open(t->g) ||
	    system_message(t, req))
		return -1;
	if (YAJL_IS_STRING(input))
		return json_map_open(t->g) || json_kstr(t->g, "role", "user") ||
		    json_kstr(t->g, "content", input->u.string) ||
		    json_map_close(t->g) || json_array_close(t->g) ? -1 : 0;
	for (i = 0; rc == 0 && i < input->u.array.len; i++) {
		item = input->u.array.values[i];
		type = type_of(item);
		if (is_system(item))
			continue;
		if (strcmp(type, "message") == 0)
			rc = message_item(t, item, i);
		else if (strcmp(type, "function_call") == 0 ||
		    strcmp(type, "custom_tool_call") == 0)
			rc = add_call(t, item, i);
		else if (strcmp(type, "function_call_output") == 0 ||
		    strcmp(type, "custom_tool_call_output") == 0)
			rc = output_item(t, item, i);
		else if (strcmp(type, "reasoning") == 0)
			rc = add_thinking(t, item);
		else if (strcmp(type, "web_search_call") == 0 ||
		    strcmp(type, "tool_search_call") == 0 ||
		    strcmp(type, "tool_search_output") == 0)
			continue;	/* nothing a chat route can take back */
		else if (strcmp(type, "item_reference") == 0)
			rc = body_invalid(t->bad, "input", "input[%zu]: hexind "
			    "keeps no items to refer to; send the item itself",
			    i);
		else
			rc = body_invalid(t->bad, "input", "input[%zu]: items "
			    "of type %s cannot be sent to this model's family",
			    i, *type ? type : "(none)");
	}
	if (rc == 0)
		rc = flush(t);
	return rc == 0 && json_array_close(t->g) == 0 ? 0 : -1;
}

/* A function tool as a chat function, named name. */
static int
function_tool(yajl_gen g, yajl_val tool, const char *name)
{
	yajl_val	 v;

	if (json_map_open(g) || json_kstr(g, "type", "function") ||
	    json_str(g, "function") || json_map_open(g) ||
	    json_kstr(g, "name", name))
		return -1;
	if ((v = json_get(tool, "description")) && YAJL_IS_STRING(v) &&
	    json_kstr(g, "description", v->u.string))
		return -1;
	if ((v = json_get(tool, "parameters")) && YAJL_IS_OBJECT(v) &&
	    (json_str(g, "parameters") || json_gen_value(g, v)))
		return -1;
	if ((v = json_get(tool, "strict")) && (YAJL_IS_TRUE(v) ||
	    YAJL_IS_FALSE(v)) && json_kbool(g, "strict", YAJL_IS_TRUE(v)))
		return -1;
	return json_map_close(g) || json_map_close(g) ? -1 : 0;
}

/* A custom (freeform) tool as a function of one string, "input"; its
 * grammar, when it has one, told to the model in the description. */
static int
custom_tool(yajl_gen g, yajl_val tool, const char *name)
{
	yajl_val	 fmt = json_get(tool, "format"), v;
	struct buf	 d;
	int		 rc;

	buf_init(&d, 0);
	v = json_get(tool, "description");
	if (YAJL_IS_STRING(v) && buf_adds(&d, v->u.string) == -1)
		goto fail;
	if (buf_adds(&d, (d.len ? "\n\n" : "")) == -1 || buf_adds(&d, "Put "
	    "the tool's whole input, as free text, in the string argument "
	    "\"input\".") == -1)
		goto fail;
	v = json_get(fmt, "definition");
	if (str_is(json_get(fmt, "type"), "grammar") && YAJL_IS_STRING(v) &&
	    buf_printf(&d, " The input follows this %s grammar:\n%s",
	    YAJL_IS_STRING(json_get(fmt, "syntax")) ?
	    json_get(fmt, "syntax")->u.string : "", v->u.string) == -1)
		goto fail;
	rc = json_map_open(g) || json_kstr(g, "type", "function") ||
	    json_str(g, "function") || json_map_open(g) ||
	    json_kstr(g, "name", name) || json_str(g, "description") ||
	    json_strn(g, d.data, d.len) || json_str(g, "parameters") ||
	    json_map_open(g) || json_kstr(g, "type", "object") ||
	    json_str(g, "properties") || json_map_open(g) ||
	    json_str(g, "input") || json_map_open(g) ||
	    json_kstr(g, "type", "string") || json_map_close(g) ||
	    json_map_close(g) || json_str(g, "required") ||
	    json_array_open(g) || json_str(g, "input") ||
	    json_array_close(g) || json_map_close(g) || json_map_close(g) ||
	    json_map_close(g) ? -1 : 0;
	buf_free(&d);
	return rc;
fail:
	buf_free(&d);
	return -1;
}

/* Whether a tool is one a chat route can call: a function or a custom
 * tool (in a namespace or not). */
static int
callable(yajl_val tl)
{
	const char	*type = type_of(tl);

	return (strcmp(type, "function") == 0 || strcmp(type, "custom") ==
	    0) && YAJL_IS_STRING(json_get(tl, "name"));
}

/* One tool, or a namespace's tools, as functions; n counts them. The
 * others are left out (and logged when generating). */
static int
tool_one(struct tr *t, yajl_val tl, const char *ns, int *n)
{
	yajl_val	 name = json_get(tl, "name"), list;
	const char	*type = type_of(tl);
	char		 flat[256];
	size_t		 i;
	int		 len;

	if (strcmp(type, "namespace") == 0 && YAJL_IS_STRING(name) && !ns) {
		list = json_get(tl, "tools");
		for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
			if (tool_one(t, list->u.array.values[i],
			    name->u.string, n) == -1)
				return -1;
		return 0;
	}
	if (!callable(tl)) {
		if (t->g)
			log_info("id=%s tool of type %s left out: the "
			    "family cannot call it", t->rq->id, *type ? type :
			    "(none)");
		return 0;
	}
	len = ns ? snprintf(flat, sizeof(flat), "%s" RESP_NS_SEP "%s", ns,
	    name->u.string) : snprintf(flat, sizeof(flat), "%s",
	    name->u.string);
	if (len < 0 || (size_t)len >= sizeof(flat))
		return body_invalid(t->bad, "tools", "the tool name %.64s... "
		    "is too long", name->u.string);
	(*n)++;
	if (t->g == NULL)
		return 0;
	return strcmp(type, "custom") == 0 ? custom_tool(t->g, tl, flat) :
	    function_tool(t->g, tl, flat);
}

/* tool_choice: the same words, a named tool as a named function. */
static int
tool_choice(struct tr *t, yajl_val tc)
{
	yajl_gen	 g = t->g;
	char		 flat[256];
	const char	*type;

	if (YAJL_IS_STRING(tc) && (str_is(tc, "auto") || str_is(tc, "none") ||
	    str_is(tc, "required")))
		return json_kstr(g, "tool_choice", tc->u.string);
	if (!YAJL_IS_OBJECT(tc))
		return 0;
	type = type_of(tc);
	if ((strcmp(type, "function") == 0 || strcmp(type, "custom") == 0) &&
	    flat_name(tc, flat, sizeof(flat)) == 0)
		return json_str(g, "tool_choice") || json_map_open(g) ||
		    json_kstr(g, "type", "function") ||
		    json_str(g, "function") || json_map_open(g) ||
		    json_kstr(g, "name", flat) || json_map_close(g) ||
		    json_map_close(g) ? -1 : 0;
	if (strcmp(type, "allowed_tools") == 0 && str_is(json_get(tc, "mode"),
	    "required"))
		return json_kstr(g, "tool_choice", "required");
	return 0;	/* a hosted tool's: the route's own default */
}

static int
tools(struct tr *t, yajl_val req)
{
	yajl_val	 list = json_get(req, "tools"), tc;
	yajl_gen	 g = t->g;
	size_t		 i;
	int		 n = 0;

	t->g = NULL;	/* count first: an empty list is not sent */
	for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
		if (tool_one(t, list->u.array.values[i], NULL, &n) == -1) {
			t->g = g;
			return -1;
		}
	t->g = g;
	if (n == 0) {
		for (i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len; i++)
			(void)tool_one(t, list->u.array.values[i], NULL, &n);
		return 0;
	}
	n = 0;
	if (json_str(g, "tools") || json_array_open(g))
		return -1;
	for (i = 0; i < list->u.array.len; i++)
		if (tool_one(t, list->u.array.values[i], NULL, &n) == -1)
			return -1;
	if (json_array_close(g))
		return -1;
	if ((tc = json_get(req, "tool_choice")) && tool_choice(t, tc))
		return -1;
	tc = json_get(req, "parallel_tool_calls");
	if ((YAJL_IS_TRUE(tc) || YAJL_IS_FALSE(tc)) &&
	    json_kbool(g, "parallel_tool_calls", YAJL_IS_TRUE(tc)))
		return -1;
	return 0;
}

/* text.format: a JSON schema or JSON object as response_format. */
static int
text_format(struct tr *t, yajl_val fmt)
{
	yajl_gen	 g = t->g;
	static const char *const keys[] = {
		"name", "schema", "strict", "description",
	};
	yajl_val	 v;
	size_t		 i;

	if (str_is(json_get(fmt, "type"), "json_object"))
		return json_str(g, "response_format") || json_map_open(g) ||
		    json_kstr(g, "type", "json_object") ||
		    json_map_close(g) ? -1 : 0;
	if (!str_is(json_get(fmt, "type"), "json_schema"))
		return 0;
	if (json_str(g, "response_format") || json_map_open(g) ||
	    json_kstr(g, "type", "json_schema") ||
	    json_str(g, "json_schema") || json_map_open(g))
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = json_get(fmt, keys[i])) && !YAJL_IS_NULL(v) &&
		    (json_str(g, keys[i]) || json_gen_value(g, v)))
			return -1;
	return json_map_close(g) || json_map_close(g) ? -1 : 0;
}

/* A number or string field passed on under the route's name for it. */
static int
pass(struct tr *t, yajl_val req, const char *from, const char *to)
{
	yajl_val	 v = json_get(req, from);
	int		 rc;

	if (v == NULL || YAJL_IS_NULL(v))
		return 0;
	if ((rc = put_key(t, to)) != 0)
		return rc == 1 ? 0 : -1;
	return json_gen_value(t->g, v);
}

/* The chat request a Responses request means. 0, -1 when out of memory,
 * or 400 with bad saying what is wrong. */
int
responses_to_chat(yajl_gen g, yajl_val req, const struct resp_req *rq,
    struct invalid *bad)
{
	struct tr	 t;
	yajl_val	 effort;
	const char	*e;
	int		 rc = -1, k;

	memset(&t, 0, sizeof(t));
	memset(bad, 0, sizeof(*bad));
	t.g = g;
	t.rq = rq;
	t.bad = bad;
	buf_init(&t.text, 0);
	if (json_map_open(g) || json_kstr(g, "model", rq->model))
		goto out;
	if ((k = messages(&t, req)) != 0)
		goto out_bad;
	if (tools(&t, req) || pass(&t, req, "max_output_tokens",
	    "max_tokens") || pass(&t, req, "temperature", "temperature") ||
	    pass(&t, req, "top_p", "top_p") || pass(&t, req, "user", "user") ||
	    text_format(&t, json_get(json_get(req, "text"), "format")))
		goto out_bad;
	/* to a chat route that takes a reasoning effort, or on to Claude,
	 * where it becomes a thinking budget */
	effort = json_get(json_get(req, "reasoning"), "effort");
	if (YAJL_IS_STRING(effort) && strcmp(effort->u.string, "none") != 0 &&
	    (rq->rules == NULL || rq->rules->reasoning_effort)) {
		e = strcmp(effort->u.string, "xhigh") == 0 ? "high" :
		    effort->u.string;
		if ((k = put_key(&t, "reasoning_effort")) == -1 ||
		    (k == 0 && json_str(g, e)))
			goto out;
	}
	if (rq->stream && (json_kbool(g, "stream", 1) ||
	    json_str(g, "stream_options") || json_map_open(g) ||
	    json_kbool(g, "include_usage", 1) || json_map_close(g)))
		goto out;
	rc = json_map_close(g) == 0 ? 0 : -1;
	goto out;
out_bad:
	rc = bad->message[0] ? 400 : -1;
out:
	buf_free(&t.text);
	free(t.calls);
	free(t.thinks);
	return rc;
}
