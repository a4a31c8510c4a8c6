/* The translations of chat_claude.h. The request side follows hexin-backend.md
 * ("Claude via Bedrock"): anthropic_version in the body, the model in the
 * URL only, no stream field, max_tokens always (a default, capped per
 * model), temperature and top_p never together, and the system prompt
 * folded into the first user turn unless the family says "native". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/chat_claude.h"
#include "lib/json.h"
#include "upstream/bedrock.h"


/* reasoning_effort to a thinking budget, in tokens */
static const struct {
	const char	*effort;
	long long	 budget;
} budgets[] = {
	{ "minimal", 1024 }, { "low", 2048 }, { "medium", 8192 },
	{ "high", 24576 },
};

static const struct {
	const char	*anthropic;
	const char	*openai;
} finish_map[] = {
	{ "end_turn", "stop" }, { "stop_sequence", "stop" },
	{ "max_tokens", "length" }, { "tool_use", "tool_calls" },
	{ "pause_turn", "stop" }, { "refusal", "content_filter" },
};

const char *
claude_finish_reason(const char *stop)
{
	size_t	 i;

	for (i = 0; stop && i < sizeof(finish_map) / sizeof(finish_map[0]);
	    i++)
		if (strcmp(stop, finish_map[i].anthropic) == 0)
			return finish_map[i].openai;
	return stop ? "stop" : NULL;
}

static int bad(struct claude_err *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct claude_err *e, const char *param, const char *fmt, ...)
{
	va_list	 ap;

	e->param = param;
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return 400;
}

/* --- request --- */

/* The text of a content that is a string or an array of text parts. */
static int
content_text(yajl_val content, struct buf *out)
{
	yajl_val	 part, t;
	size_t		 i;

	if (YAJL_IS_STRING(content))
		return buf_adds(out, content->u.string);
	for (i = 0; YAJL_IS_ARRAY(content) && i < content->u.array.len; i++) {
		part = content->u.array.values[i];
		t = json_get(part, "text");
		if (YAJL_IS_STRING(t) && ((out->len && buf_adds(out, "\n") ==
		    -1) || buf_adds(out, t->u.string) == -1))
			return -1;
	}
	return 0;
}

struct turns {
	yajl_gen	 g;
	const char	*role;		/* of the open turn, or NULL */
	size_t		 blocks;	/* in the open turn */
	const char	*fold;		/* system text still to fold in */
	char		 ids[64][128];	/* tool call ids seen */
	size_t		 nids;
};

static int
turn_open(struct turns *t, const char *role)
{
	yajl_gen	 g = t->g;

	if (t->role && strcmp(t->role, role) == 0)
		return 0;	/* consecutive same-role turns are one */
	if (t->role && (json_array_close(g) ||
	    json_map_close(g)))
		return -1;
	t->role = role;
	t->blocks = 0;
	return json_map_open(g) == 0 && json_kstr(g, "role", role) == 0 &&
	    json_str(g, "content") == 0 && json_array_open(g) == 0 ? 0 : -1;
}

static int
text_block(struct turns *t, const char *text)
{
	struct buf	 b;
	int		 rc;

	if (*text == '\0' && !(t->fold && strcmp(t->role, "user") == 0))
		return 0;	/* Bedrock refuses empty text blocks */
	buf_init(&b, 0);
	if (t->fold && strcmp(t->role, "user") == 0) {
		if (bedrock_fold(&b, t->fold, *text != '\0') == -1) {
			buf_free(&b);
			return -1;
		}
		t->fold = NULL;
	}
	if (buf_adds(&b, text) == -1) {
		buf_free(&b);
		return -1;
	}
	t->blocks++;
	rc = json_map_open(t->g) == 0 && json_kstr(t->g, "type", "text") ==
	    0 && json_str(t->g, "text") == 0 && json_strn(t->g, buf_cstr(&b),
	    b.len) == 0 && json_map_close(t->g) == 0 ? 0 : -1;
	buf_free(&b);
	return rc;
}

/* An image part: a data URL becomes a base64 source, an http(s) URL a
 * url source. */
static int
image_block(struct turns *t, yajl_val part, size_t i, struct claude_err *e)
{
	yajl_gen	 g = t->g;
	yajl_val	 iu = json_get(part, "image_url");
	yajl_val	 url = YAJL_IS_STRING(iu) ? iu : json_get(iu, "url");
	const char	*u, *semi, *comma;

	if (!YAJL_IS_STRING(url))
		return bad(e, "messages", "messages[%zu]: an image_url part "
		    "needs a url", i);
	u = url->u.string;
	if (t->fold && text_block(t, "") == -1)
		return -1;
	t->blocks++;
	if (json_map_open(g) || json_kstr(g, "type", "image") ||
	    json_str(g, "source") || json_map_open(g))
		return -1;
	if (strncmp(u, "data:", 5) == 0) {
		semi = strchr(u, ';');
		comma = strchr(u, ',');
		if (semi == NULL || comma == NULL || semi > comma ||
		    strncmp(semi, ";base64,", 8) != 0)
			return bad(e, "messages", "messages[%zu]: an image data "
			    "URL must be data:<type>;base64,<data>", i);
		if (json_kstr(g, "type", "base64") ||
		    json_str(g, "media_type") ||
		    json_strn(g, u + 5, (size_t)(semi - u - 5)) ||
		    json_kstr(g, "data", comma + 1))
			return -1;
	} else if (strncmp(u, "http://", 7) == 0 ||
	    strncmp(u, "https://", 8) == 0) {
		if (json_kstr(g, "type", "url") || json_kstr(g, "url", u))
			return -1;
	} else {
		return bad(e, "messages", "messages[%zu]: an image URL must be "
		    "http(s) or a data URL", i);
	}
	return json_map_close(g) == 0 && json_map_close(g) == 0 ? 0 : -1;
}

static int
content_blocks(struct turns *t, yajl_val content, size_t i,
    struct claude_err *e)
{
	yajl_val	 part, type;
	size_t		 k;
	int		 rc;

	if (content == NULL || YAJL_IS_NULL(content))
		return 0;
	if (YAJL_IS_STRING(content))
		return text_block(t, content->u.string);
	if (!YAJL_IS_ARRAY(content))
		return bad(e, "messages", "messages[%zu]: content must be a "
		    "string or an array of parts", i);
	for (k = 0; k < content->u.array.len; k++) {
		part = content->u.array.values[k];
		type = json_get(part, "type");
		if (!YAJL_IS_STRING(type))
			return bad(e, "messages", "messages[%zu]: a content "
			    "part without a type", i);
		if (strcmp(type->u.string, "text") == 0 &&
		    YAJL_IS_STRING(json_get(part, "text")))
			rc = text_block(t, json_get(part, "text")->u.string);
		else if (strcmp(type->u.string, "image_url") == 0)
			rc = image_block(t, part, i, e);
		else
			return bad(e, "messages", "messages[%zu]: content "
			    "parts of type %s are not supported for Claude",
			    i, type->u.string);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Assistant tool calls become tool_use blocks, their arguments parsed. */
static int
tool_uses(struct turns *t, yajl_val calls, size_t i, struct claude_err *e)
{
	yajl_gen	 g = t->g;
	yajl_val	 call, fn, id, name, args, input;
	char		 perr[128];
	size_t		 k;
	int		 rc;

	for (k = 0; YAJL_IS_ARRAY(calls) && k < calls->u.array.len; k++) {
		call = calls->u.array.values[k];
		fn = json_get(call, "function");
		id = json_get(call, "id");
		name = json_get(fn, "name");
		args = json_get(fn, "arguments");
		if (!YAJL_IS_STRING(id) || !YAJL_IS_STRING(name))
			return bad(e, "messages", "messages[%zu]: a tool call "
			    "needs an id and a function name", i);
		input = NULL;
		if (YAJL_IS_STRING(args) && args->u.string[strspn(
		    args->u.string, " \t\r\n")] != '\0') {
			input = json_parse(args->u.string,
			    strlen(args->u.string), perr, sizeof(perr));
			if (!YAJL_IS_OBJECT(input)) {
				yajl_tree_free(input);
				return bad(e, "messages", "messages[%zu]: the "
				    "arguments of tool call %s are not a JSON "
				    "object", i, id->u.string);
			}
		}
		if (t->nids < sizeof(t->ids) / sizeof(t->ids[0]))
			snprintf(t->ids[t->nids++], sizeof(t->ids[0]), "%s",
			    id->u.string);
		t->blocks++;
		rc = json_map_open(g) == 0 && json_kstr(g, "type",
		    "tool_use") == 0 && json_kstr(g, "id", id->u.string) == 0 &&
		    json_kstr(g, "name", name->u.string) == 0 &&
		    json_str(g, "input") == 0 && (input ? json_gen_value(g,
		    input) == 0 : (json_map_open(g) == 0 &&
		    json_map_close(g) == 0)) && json_map_close(g) == 0;
		yajl_tree_free(input);
		if (!rc)
			return -1;
	}
	return 0;
}

static int
tool_result(struct turns *t, yajl_val m, size_t i, struct claude_err *e)
{
	yajl_gen	 g = t->g;
	yajl_val	 id = json_get(m, "tool_call_id");
	struct buf	 text;
	size_t		 k;
	int		 rc;

	if (!YAJL_IS_STRING(id))
		return bad(e, "messages", "messages[%zu]: a tool message "
		    "needs a tool_call_id", i);
	for (k = 0; k < t->nids; k++)
		if (strcmp(t->ids[k], id->u.string) == 0)
			break;
	if (k == t->nids)
		return bad(e, "messages", "messages[%zu]: tool_call_id %s "
		    "answers no tool call of an earlier assistant message", i,
		    id->u.string);
	buf_init(&text, 0);
	if (content_text(json_get(m, "content"), &text) == -1) {
		buf_free(&text);
		return -1;
	}
	t->blocks++;
	rc = json_map_open(g) == 0 && json_kstr(g, "type", "tool_result") ==
	    0 && json_kstr(g, "tool_use_id", id->u.string) == 0 &&
	    json_str(g, "content") == 0 && json_strn(g, buf_cstr(&text),
	    text.len) == 0 && json_map_close(g) == 0 ? 0 : -1;
	buf_free(&text);
	return rc;
}

/* An assistant message's thinking_blocks, Anthropic's own thinking and
 * redacted_thinking blocks (with their signatures) given back: they go
 * first in its turn, as Claude requires of a turn that used tools while
 * thinking. Blocks of other types, or missing their fields, are left
 * out. */
static int
thinking_blocks(struct turns *t, yajl_val list)
{
	yajl_val	 b, type;
	size_t		 k;
	int		 ok;

	for (k = 0; YAJL_IS_ARRAY(list) && k < list->u.array.len; k++) {
		b = list->u.array.values[k];
		type = json_get(b, "type");
		if (!YAJL_IS_STRING(type))
			continue;
		if (strcmp(type->u.string, "thinking") == 0)
			ok = YAJL_IS_STRING(json_get(b, "thinking")) &&
			    YAJL_IS_STRING(json_get(b, "signature"));
		else
			ok = strcmp(type->u.string, "redacted_thinking") == 0 &&
			    YAJL_IS_STRING(json_get(b, "data"));
		if (!ok)
			continue;
		t->blocks++;
		if (json_map_open(t->g) || json_kstr(t->g, "type",
		    type->u.string))
			return -1;
		if (strcmp(type->u.string, "thinking") == 0 ?
		    json_kstr(t->g, "thinking",
		    json_get(b, "thinking")->u.string) ||
		    json_kstr(t->g, "signature",
		    json_get(b, "signature")->u.string) :
		    json_kstr(t->g, "data", json_get(b, "data")->u.string))
			return -1;
		if (json_map_close(t->g))
			return -1;
	}
	return 0;
}

/* Whether the last assistant message, when it called tools, gives its
 * thinking blocks back: with thinking on, Claude refuses to go on with a
 * tool loop whose assistant turn starts without one. */
static int
last_turn_thought(yajl_val msgs)
{
	yajl_val	 m, role;
	size_t		 i;

	for (i = msgs->u.array.len; i > 0; i--) {
		m = msgs->u.array.values[i - 1];
		role = json_get(m, "role");
		if (strcmp(role->u.string, "assistant") != 0)
			continue;
		if (!YAJL_IS_ARRAY(json_get(m, "tool_calls")) ||
		    json_get(m, "tool_calls")->u.array.len == 0)
			return 1;	/* a new turn, not a tool loop */
		return YAJL_IS_ARRAY(json_get(m, "thinking_blocks")) &&
		    json_get(m, "thinking_blocks")->u.array.len > 0;
	}
	return 1;	/* no assistant turn: nothing to give back */
}

static int
messages(yajl_gen g, yajl_val msgs, const char *fold, struct claude_err *e)
{
	struct turns	*t;
	yajl_val	 m;
	const char	*role;
	size_t		 i;
	int		 rc = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->g = g;
	t->fold = fold;
	if (json_str(g, "messages") || json_array_open(g))
		rc = -1;
	for (i = 0; rc == 0 && i < msgs->u.array.len; i++) {
		m = msgs->u.array.values[i];
		role = json_get(m, "role")->u.string;
		if (strcmp(role, "system") == 0 ||
		    strcmp(role, "developer") == 0)
			continue;
		if (strcmp(role, "user") == 0) {
			rc = turn_open(t, "user");
			if (rc == 0)
				rc = content_blocks(t, json_get(m, "content"),
				    i, e);
		} else if (strcmp(role, "assistant") == 0) {
			rc = turn_open(t, "assistant");
			if (rc == 0)
				rc = thinking_blocks(t, json_get(m,
				    "thinking_blocks"));
			if (rc == 0)
				rc = content_blocks(t, json_get(m, "content"),
				    i, e);
			if (rc == 0)
				rc = tool_uses(t, json_get(m, "tool_calls"), i,
				    e);
		} else if (strcmp(role, "tool") == 0) {
			/* consecutive tool results share one user turn */
			rc = turn_open(t, "user");
			if (rc == 0)
				rc = tool_result(t, m, i, e);
		} else {
			rc = bad(e, "messages", "messages[%zu]: role %s is not "
			    "supported for Claude", i, role);
		}
	}
	if (rc == 0 && t->fold) {
		/* no user turn carried the system prompt: one more */
		if (t->role && strcmp(t->role, "user") != 0)
			rc = turn_open(t, "user");
		else if (t->role == NULL)
			rc = turn_open(t, "user");
		if (rc == 0)
			rc = text_block(t, "");
	}
	if (rc == 0 && t->role && (json_array_close(g) ||
	    json_map_close(g)))
		rc = -1;
	if (rc == 0 && json_array_close(g))
		rc = -1;
	free(t);
	return rc;
}

static int
tools(yajl_gen g, yajl_val list)
{
	yajl_val	 fn, v;
	size_t		 i;

	if (json_str(g, "tools") || json_array_open(g))
		return -1;
	for (i = 0; i < list->u.array.len; i++) {
		fn = json_get(list->u.array.values[i], "function");
		if (!YAJL_IS_STRING(json_get(fn, "name")))
			continue;
		if (json_map_open(g) || json_kstr(g, "name",
		    json_get(fn, "name")->u.string))
			return -1;
		if ((v = json_get(fn, "description")) && YAJL_IS_STRING(v) &&
		    json_kstr(g, "description", v->u.string))
			return -1;
		if (json_str(g, "input_schema"))
			return -1;
		if ((v = json_get(fn, "parameters")) && YAJL_IS_OBJECT(v)) {
			if (json_gen_value(g, v))
				return -1;
		} else if (json_map_open(g) ||
		    json_kstr(g, "type", "object") ||
		    json_str(g, "properties") || json_map_open(g) ||
		    json_map_close(g) || json_map_close(g)) {
			return -1;
		}
		if (json_map_close(g))
			return -1;
	}
	return json_array_close(g) == 0 ? 0 : -1;
}

/* tool_choice: auto, required (any), none, or a named function. */
static int
tool_choice(yajl_gen g, yajl_val tc, int no_parallel, struct claude_err *e)
{
	const char	*type = NULL, *name = NULL;

	if (YAJL_IS_STRING(tc)) {
		type = strcmp(tc->u.string, "required") == 0 ? "any" :
		    tc->u.string;
		if (strcmp(type, "auto") && strcmp(type, "any") &&
		    strcmp(type, "none"))
			return bad(e, "tool_choice", "tool_choice must be "
			    "auto, required, none or a named function");
	} else if (YAJL_IS_STRING(json_get(json_get(tc, "function"), "name"))) {
		type = "tool";
		name = json_get(json_get(tc, "function"), "name")->u.string;
	} else if (tc == NULL) {
		type = "auto";
	} else {
		return bad(e, "tool_choice", "tool_choice must be auto, "
		    "required, none or a named function");
	}
	if (json_str(g, "tool_choice") || json_map_open(g) ||
	    json_kstr(g, "type", type) || (name && json_kstr(g, "name", name)))
		return -1;
	if (no_parallel && strcmp(type, "none") &&
	    json_kbool(g, "disable_parallel_tool_use", 1))
		return -1;
	return json_map_close(g) == 0 ? 0 : -1;
}

/* The Bedrock body for an OpenAI chat request. 0, -1 when out of memory,
 * or 400 with e saying what is wrong. */
int
claude_request(yajl_gen g, yajl_val req, const struct resolved *r,
    struct claude_err *e)
{
	yajl_val	 msgs = json_get(req, "messages"), v, m;
	yajl_val	 temp = json_get(req, "temperature");
	yajl_val	 effort = json_get(req, "reasoning_effort");
	struct buf	 sys;
	long long	 max_tokens, cap, budget = 0;
	size_t		 i;
	int		 rc = -1, native = !bedrock_folds_system(r->family);

	memset(e, 0, sizeof(*e));
	buf_init(&sys, 0);
	for (i = 0; i < msgs->u.array.len; i++) {
		m = msgs->u.array.values[i];
		v = json_get(m, "role");
		if (strcmp(v->u.string, "system") &&
		    strcmp(v->u.string, "developer"))
			continue;
		if ((sys.len && buf_adds(&sys, "\n\n") == -1) ||
		    content_text(json_get(m, "content"), &sys) == -1)
			goto out;
	}
	cap = bedrock_cap(r);
	v = json_get(req, "max_completion_tokens");
	if (!YAJL_IS_INTEGER(v))
		v = json_get(req, "max_tokens");
	max_tokens = YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) :
	    r->family->max_tokens_default;
	if (YAJL_IS_STRING(effort)) {
		for (i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++)
			if (strcmp(effort->u.string, budgets[i].effort) == 0)
				budget = budgets[i].budget;
		if (budget == 0) {
			rc = bad(e, "reasoning_effort", "reasoning_effort must "
			    "be minimal, low, medium or high");
			goto out;
		}
		/* a tool loop whose assistant turn gave no thinking back
		 * (another model's, or a client that kept none) cannot go on
		 * with thinking on: it goes without */
		if (!last_turn_thought(msgs))
			budget = 0;
		/* the budget counts inside max_tokens and must be below it */
		if (budget >= cap)
			budget = cap / 2;
		if (max_tokens <= budget)
			max_tokens = json_sum(budget,
			    r->family->max_tokens_default);
	}
	if (max_tokens < 1) {
		rc = bad(e, "max_tokens", "max_tokens must be at least 1");
		goto out;
	}
	if (max_tokens > cap)
		max_tokens = cap;
	if (json_map_open(g) ||
	    json_kstr(g, "anthropic_version", BEDROCK_VERSION) ||
	    json_kint(g, "max_tokens", max_tokens))
		goto out;
	if (native && sys.len && (json_str(g, "system") ||
	    json_strn(g, sys.data, sys.len)))
		goto out;
	if ((rc = messages(g, msgs, !native && sys.len ? sys.data : NULL,
	    e)) != 0)
		goto out;
	rc = -1;
	/* Bedrock refuses temperature with top_p: temperature wins, and
	 * thinking allows neither. */
	if (budget == 0 && temp && YAJL_IS_NUMBER(temp)) {
		if (json_str(g, "temperature") || json_gen_value(g, temp))
			goto out;
	} else if (budget == 0 && (v = json_get(req, "top_p")) &&
	    YAJL_IS_NUMBER(v)) {
		if (json_str(g, "top_p") || json_gen_value(g, v))
			goto out;
	}
	if (budget && (json_str(g, "thinking") || json_map_open(g) ||
	    json_kstr(g, "type", "enabled") ||
	    json_kint(g, "budget_tokens", budget) ||
	    json_map_close(g)))
		goto out;
	v = json_get(req, "stop");
	if (YAJL_IS_STRING(v)) {
		if (json_str(g, "stop_sequences") ||
		    json_array_open(g) || json_str(g, v->u.string) ||
		    json_array_close(g))
			goto out;
	} else if (YAJL_IS_ARRAY(v) && v->u.array.len > 0) {
		if (json_str(g, "stop_sequences") || json_gen_value(g, v))
			goto out;
	}
	v = json_get(req, "tools");
	if (YAJL_IS_ARRAY(v) && v->u.array.len > 0) {
		if (tools(g, v))
			goto out;
		if ((rc = tool_choice(g, json_get(req, "tool_choice"),
		    YAJL_IS_FALSE(json_get(req, "parallel_tool_calls")),
		    e)) != 0)
			goto out;
		rc = -1;
	}
	v = json_get(req, "user");
	if (YAJL_IS_STRING(v) && (json_str(g, "metadata") ||
	    json_map_open(g) || json_kstr(g, "user_id", v->u.string) ||
	    json_map_close(g)))
		goto out;
	rc = json_map_close(g) == 0 ? 0 : -1;
out:
	buf_free(&sys);
	return rc;
}

/* --- answer --- */

/* OpenAI usage from Anthropic's: prompt tokens include the cache's. */
static int
gen_usage(yajl_gen g, long long in, long long cread, long long cwrite,
    long long out)
{
	return json_str(g, "usage") || json_map_open(g) ||
	    json_kint(g, "prompt_tokens", json_sum(json_sum(in, cread),
	    cwrite)) || json_kint(g, "completion_tokens", out) ||
	    json_kint(g, "total_tokens", json_sum(json_sum(json_sum(in,
	    cread), cwrite), out)) ||
	    json_str(g, "prompt_tokens_details") ||
	    json_map_open(g) || json_kint(g, "cached_tokens", cread) ||
	    json_kint(g, "cache_creation_tokens", cwrite) ||
	    json_map_close(g) || json_map_close(g) ? -1 : 0;
}

/* An Anthropic message as an OpenAI chat.completion, as JSON text. */
int
claude_answer(struct buf *out, yajl_val msg, long long created)
{
	yajl_val	 content = json_get(msg, "content"), b, v;
	yajl_val	 usage = json_get(msg, "usage");
	struct buf	 text, think;
	yajl_gen	 g;
	size_t		 i;
	int		 ntools = 0, rc = -1;

	buf_init(&text, 0);
	buf_init(&think, 0);
	if ((g = json_gen()) == NULL)
		return -1;
	for (i = 0; YAJL_IS_ARRAY(content) && i < content->u.array.len; i++) {
		b = content->u.array.values[i];
		v = json_get(b, "type");
		if (!YAJL_IS_STRING(v))
			continue;
		if (strcmp(v->u.string, "text") == 0 &&
		    YAJL_IS_STRING(json_get(b, "text")) &&
		    buf_adds(&text, json_get(b, "text")->u.string) == -1)
			goto out;
		if (strcmp(v->u.string, "thinking") == 0 &&
		    YAJL_IS_STRING(json_get(b, "thinking")) &&
		    buf_adds(&think, json_get(b, "thinking")->u.string) == -1)
			goto out;
		if (strcmp(v->u.string, "tool_use") == 0)
			ntools++;
	}
	v = json_get(msg, "id");
	if (json_map_open(g) || json_kstr(g, "id",
	    YAJL_IS_STRING(v) ? v->u.string : "msg") ||
	    json_kstr(g, "object", "chat.completion") ||
	    json_kint(g, "created", created))
		goto out;
	v = json_get(msg, "model");
	if (json_kstr(g, "model", YAJL_IS_STRING(v) ? v->u.string : "claude") ||
	    json_str(g, "choices") || json_array_open(g) ||
	    json_map_open(g) || json_kint(g, "index", 0) ||
	    json_str(g, "message") || json_map_open(g) ||
	    json_kstr(g, "role", "assistant") || json_str(g, "content") ||
	    (text.len || !ntools ? json_strn(g, buf_cstr(&text), text.len) :
	    json_null(g)))
		goto out;
	if (think.len && (json_str(g, "reasoning_content") ||
	    json_strn(g, think.data, think.len)))
		goto out;
	if (ntools) {
		if (json_str(g, "tool_calls") || json_array_open(g))
			goto out;
		for (i = 0; i < content->u.array.len; i++) {
			b = content->u.array.values[i];
			v = json_get(b, "type");
			if (!YAJL_IS_STRING(v) ||
			    strcmp(v->u.string, "tool_use") != 0)
				continue;
			v = json_get(b, "id");
			if (json_map_open(g) || json_kstr(g, "id",
			    YAJL_IS_STRING(v) ? v->u.string : "") ||
			    json_kstr(g, "type", "function") ||
			    json_str(g, "function") ||
			    json_map_open(g))
				goto out;
			v = json_get(b, "name");
			if (json_kstr(g, "name", YAJL_IS_STRING(v) ?
			    v->u.string : "") || json_str(g, "arguments") ||
			    json_gen_object_text(g, json_get(b, "input")) ||
			    json_map_close(g) ||
			    json_map_close(g))
				goto out;
		}
		if (json_array_close(g))
			goto out;
	}
	v = json_get(msg, "stop_reason");
	if (json_map_close(g) || json_kstr(g, "finish_reason",
	    claude_finish_reason(YAJL_IS_STRING(v) ? v->u.string : NULL)) ||
	    json_map_close(g) || json_array_close(g) ||
	    gen_usage(g, json_int_at(usage, "input_tokens"),
	    json_int_at(usage, "cache_read_input_tokens"),
	    json_int_at(usage, "cache_creation_input_tokens"),
	    json_int_at(usage, "output_tokens")) || json_map_close(g))
		goto out;
	rc = json_take(g, out);
	g = NULL;
out:
	if (g)
		yajl_gen_free(g);
	buf_free(&text);
	buf_free(&think);
	return rc;
}

/* --- stream --- */

void
claude_stream_init(struct claude_stream *s, long long created, yajl_gen g,
    claude_emit_fn emit, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->created = created;
	s->g = g;
	s->emit = emit;
	s->arg = arg;
	snprintf(s->model, sizeof(s->model), "claude");
}

/* Opens a chunk object up to its delta: {"id",...,"choices":[{"index":0,
 * "delta":{ */
static int
chunk_open(struct claude_stream *s)
{
	yajl_gen	 g = s->g;

	return json_map_open(g) || json_kstr(g, "id", s->id) ||
	    json_kstr(g, "object", "chat.completion.chunk") ||
	    json_kint(g, "created", s->created) ||
	    json_kstr(g, "model", s->model) || json_str(g, "choices") ||
	    json_array_open(g) || json_map_open(g) ||
	    json_kint(g, "index", s->base) || json_str(g, "delta") ||
	    json_map_open(g) ? -1 : 0;
}

static int
chunk_close(struct claude_stream *s, const char *finish)
{
	yajl_gen	 g = s->g;

	if (json_map_close(g) || json_kstr(g, "finish_reason", finish) ||
	    json_map_close(g) || json_array_close(g) || json_map_close(g))
		return -1;
	return s->emit(s->arg, CLAUDE_CHUNK);
}

static int
usage_chunk(struct claude_stream *s)
{
	yajl_gen	 g = s->g;

	if (json_map_open(g) || json_kstr(g, "id", s->id) ||
	    json_kstr(g, "object", "chat.completion.chunk") ||
	    json_kint(g, "created", s->created) ||
	    json_kstr(g, "model", s->model) || json_str(g, "choices") ||
	    json_array_open(g) || json_array_close(g) ||
	    gen_usage(g, s->input, s->cache_read, s->cache_write, s->output) ||
	    json_map_close(g))
		return -1;
	return s->emit(s->arg, CLAUDE_USAGE);
}

/* "content": pre and text as one string. */
static int
content(yajl_gen g, const char *pre, const char *text)
{
	struct buf	 b;
	int		 rc;

	if (pre[0] == '\0')
		return json_kstr(g, "content", text);
	buf_init(&b, 0);
	rc = buf_adds(&b, pre) == -1 || buf_adds(&b, text) == -1 ||
	    json_str(g, "content") || json_strn(g, buf_cstr(&b), b.len);
	buf_free(&b);
	return rc ? -1 : 0;
}

/* A text delta; folding, it ends the reasoning's <think> first. */
static int
text_delta(struct claude_stream *s, const char *text)
{
	const char	*pre = "";

	if (s->think && text[0]) {
		pre = "</think>";
		s->think = 0;
	}
	return chunk_open(s) || content(s->g, pre, text) ? -1 :
	    chunk_close(s, NULL);
}

/* A thinking delta: the reasoning, or folded, content in <think> tags. */
static int
thinking_delta(struct claude_stream *s, const char *text)
{
	const char	*pre = s->think ? "" : "<think>";

	if (!s->fold)
		return chunk_open(s) || json_kstr(s->g, "reasoning_content",
		    text) ? -1 : chunk_close(s, NULL);
	if (text[0] == '\0')
		return chunk_open(s) ? -1 : chunk_close(s, NULL);
	s->think = 1;
	return chunk_open(s) || content(s->g, pre, text) ? -1 :
	    chunk_close(s, NULL);
}

/* The last chunk of the choice; folding, it closes an open <think>. */
static int
finish(struct claude_stream *s, const char *stop_reason)
{
	if (chunk_open(s))
		return -1;
	if (s->think) {
		s->think = 0;
		if (json_kstr(s->g, "content", "</think>"))
			return -1;
	}
	return chunk_close(s, claude_finish_reason(stop_reason));
}

/* A tool call's first chunk: its id, name and empty arguments. */
static int
tool_start(struct claude_stream *s, yajl_val block, long long bi)
{
	yajl_gen	 g = s->g;
	yajl_val	 id = json_get(block, "id"), name = json_get(block, "name");

	s->tool_of[bi] = ++s->tools;
	return chunk_open(s) || json_str(g, "tool_calls") ||
	    json_array_open(g) || json_map_open(g) ||
	    json_kint(g, "index", s->tools - 1) ||
	    json_kstr(g, "id", YAJL_IS_STRING(id) ? id->u.string : "") ||
	    json_kstr(g, "type", "function") || json_str(g, "function") ||
	    json_map_open(g) ||
	    json_kstr(g, "name", YAJL_IS_STRING(name) ? name->u.string : "") ||
	    json_kstr(g, "arguments", "") || json_map_close(g) ||
	    json_map_close(g) || json_array_close(g) ? -1 :
	    chunk_close(s, NULL);
}

/* A piece of a tool call's arguments. */
static int
tool_delta(struct claude_stream *s, long long bi, const char *json)
{
	yajl_gen	 g = s->g;

	return chunk_open(s) || json_str(g, "tool_calls") ||
	    json_array_open(g) || json_map_open(g) ||
	    json_kint(g, "index", s->tool_of[bi] - 1) ||
	    json_str(g, "function") || json_map_open(g) ||
	    json_kstr(g, "arguments", json) || json_map_close(g) ||
	    json_map_close(g) || json_array_close(g) ? -1 :
	    chunk_close(s, NULL);
}

static void
event_start(struct claude_stream *s, yajl_val ev)
{
	yajl_val	 msg = json_get(ev, "message"), v;
	yajl_val	 usage = json_get(msg, "usage");

	if ((v = json_get(msg, "id")) && YAJL_IS_STRING(v))
		snprintf(s->id, sizeof(s->id), "%s", v->u.string);
	if ((v = json_get(msg, "model")) && YAJL_IS_STRING(v))
		snprintf(s->model, sizeof(s->model), "%s", v->u.string);
	s->input = json_int_at(usage, "input_tokens");
	s->cache_read = json_int_at(usage, "cache_read_input_tokens");
	s->cache_write = json_int_at(usage, "cache_creation_input_tokens");
	s->output = json_int_at(usage, "output_tokens");
}

/* Translates one Anthropic stream event into the OpenAI chunks it means,
 * each generated into s->g and sent with s->emit. 0, or the emitter's
 * or a generator's failure. */
int
claude_event(struct claude_stream *s, yajl_val ev)
{
	yajl_val	 type = json_get(ev, "type"), idx, block, delta, v;
	const char	*t;
	long long	 bi;

	if (!YAJL_IS_STRING(type))
		return 0;
	t = type->u.string;
	idx = json_get(ev, "index");
	bi = YAJL_IS_INTEGER(idx) ? YAJL_GET_INTEGER(idx) : -1;
	if (strcmp(t, "content_block_delta") == 0) {
		delta = json_get(ev, "delta");
		v = json_get(delta, "type");
		t = YAJL_IS_STRING(v) ? v->u.string : "";
		if (strcmp(t, "text_delta") == 0 &&
		    YAJL_IS_STRING(v = json_get(delta, "text")))
			return text_delta(s, v->u.string);
		if (strcmp(t, "thinking_delta") == 0 &&
		    YAJL_IS_STRING(v = json_get(delta, "thinking")))
			return thinking_delta(s, v->u.string);
		if (strcmp(t, "input_json_delta") == 0 && bi >= 0 &&
		    bi < CLAUDE_BLOCKS && s->tool_of[bi] &&
		    YAJL_IS_STRING(v = json_get(delta, "partial_json")))
			return tool_delta(s, bi, v->u.string);
		return 0;
	}
	if (strcmp(t, "message_start") == 0) {
		event_start(s, ev);
		return chunk_open(s) || json_kstr(s->g, "role", "assistant") ||
		    json_kstr(s->g, "content", "") ? -1 : chunk_close(s, NULL);
	}
	if (strcmp(t, "content_block_start") == 0) {
		block = json_get(ev, "content_block");
		v = json_get(block, "type");
		if (YAJL_IS_STRING(v) && strcmp(v->u.string, "tool_use") == 0 &&
		    bi >= 0 && bi < CLAUDE_BLOCKS)
			return tool_start(s, block, bi);
		return 0;
	}
	if (strcmp(t, "message_delta") == 0) {
		v = json_get(json_get(ev, "usage"), "output_tokens");
		if (YAJL_IS_INTEGER(v))
			s->output = YAJL_GET_INTEGER(v);
		v = json_get(json_get(ev, "delta"), "stop_reason");
		if (!YAJL_IS_STRING(v))
			return 0;
		s->finished = 1;
		return finish(s, v->u.string);
	}
	if (strcmp(t, "message_stop") == 0) {
		s->stopped = 1;
		return usage_chunk(s);
	}
	return 0;
}
