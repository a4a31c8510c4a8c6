/* The Responses writer of responses_out.h. Items are opened in the order
 * the answer gives them and each is closed, with its .done events,
 * before the next opens: a reader of the stream sees one item at a time,
 * as OpenAI sends them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/responses_out.h"
#include "http/reply.h"
#include "lib/ids.h"
#include "lib/json.h"
#include "lib/log.h"

static const char *const kind_names[] = {
	"message", "reasoning", "function_call", "custom_tool_call",
};
static const char *const id_prefix[] = { "msg", "rs", "fc", "ctc" };

int
rout_init(struct rout *o, struct exchange *c, yajl_val req, int stream)
{
	char	 hex[33];

	memset(o, 0, sizeof(*o));
	o->c = c;
	o->req = req;
	o->stream = stream;
	o->created = (long long)time(NULL);
	id_hex(hex);
	snprintf(o->id, sizeof(o->id), "resp_%s", hex);
	return (o->g = json_gen()) == NULL ? -1 : 0;
}

void
rout_free(struct rout *o)
{
	size_t	 i;

	for (i = 0; i < o->nitems; i++) {
		buf_free(&o->items[i].text);
		buf_free(&o->items[i].enc);
	}
	free(o->items);
	if (o->g)
		yajl_gen_free(o->g);
	memset(o, 0, sizeof(*o));
}

/* --- events --- */

/* Opens an event object: its type and sequence number. */
static int
ev_open(struct rout *o, const char *type)
{
	/* nothing of an event that failed half made goes out with this one */
	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	return json_map_open(o->g) || json_kstr(o->g, "type", type) ||
	    json_kint(o->g, "sequence_number", o->seq++) ? -1 : 0;
}

/* Closes the event o->g holds and sends it under its type. */
static int
ev_send(struct rout *o, const char *type)
{
	if (json_map_close(o->g) == 0)
		return reply_gen_event(o->c, type, o->g);
	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	return -1;
}

/* An item's place fields: item_id and output_index. */
static int
ev_place(struct rout *o, const struct rout_item *it)
{
	return json_kstr(o->g, "item_id", it->id) || json_kint(o->g,
	    "output_index", (long long)(it - o->items)) ? -1 : 0;
}

/* --- the Response object --- */

static int
is_incomplete(const struct rout *o)
{
	return (strcmp(o->finish, "length") == 0 ||
	    strcmp(o->finish, "content_filter") == 0);
}

/* The client's field, or the default text when it gave none. */
static int
echo(yajl_gen g, yajl_val req, const char *k, const char *dflt)
{
	yajl_val	 v = json_get(req, k);
	char		 err[64];
	int		 rc;

	if (json_str(g, k))
		return -1;
	if (v && !YAJL_IS_NULL(v))
		return json_gen_value(g, v);
	if ((v = json_parse(dflt, strlen(dflt), err, sizeof(err))) == NULL)
		return -1;
	rc = json_gen_value(g, v);
	yajl_tree_free(v);
	return rc;
}

static int
gen_part(yajl_gen g, const char *type, const struct buf *text)
{
	if (json_map_open(g) || json_kstr(g, "type", type) ||
	    json_str(g, "text") || json_strn(g, text ? text->data : "",
	    text ? text->len : 0))
		return -1;
	if (strcmp(type, "output_text") == 0 && (json_str(g, "annotations") ||
	    json_array_open(g) || json_array_close(g) ||
	    json_str(g, "logprobs") || json_array_open(g) ||
	    json_array_close(g)))
		return -1;
	return json_map_close(g);
}

/* An item as it stands: whole once closed, empty while open. */
static int
gen_item(struct rout *o, const struct rout_item *it)
{
	yajl_gen	 g = o->g;
	const char	*status = it->open ? "in_progress" :
			    is_incomplete(o) ? "incomplete" : "completed";
	const struct buf *t = it->open ? NULL : &it->text;

	if (json_map_open(g) || json_kstr(g, "id", it->id) ||
	    json_kstr(g, "type", kind_names[it->kind]))
		return -1;
	switch (it->kind) {
	case ROUT_MESSAGE:
		if (json_kstr(g, "status", status) ||
		    json_kstr(g, "role", "assistant") ||
		    json_str(g, "content") || json_array_open(g) ||
		    (t && gen_part(g, "output_text", t)) ||
		    json_array_close(g))
			return -1;
		break;
	case ROUT_REASONING:
		if (json_str(g, "summary") || json_array_open(g) ||
		    (t && t->len && gen_part(g, "summary_text", t)) ||
		    json_array_close(g))
			return -1;
		if (t && it->enc.len && (json_str(g, "encrypted_content") ||
		    json_strn(g, it->enc.data, it->enc.len)))
			return -1;
		break;
	case ROUT_FUNCTION:
	case ROUT_CUSTOM:
		if (json_kstr(g, "status", status) ||
		    json_kstr(g, "call_id", it->call_id) ||
		    json_kstr(g, "name", it->name) ||
		    (it->ns[0] && json_kstr(g, "namespace", it->ns)) ||
		    json_str(g, it->kind == ROUT_FUNCTION ? "arguments" :
		    "input") || json_strn(g, t ? t->data : "", t ? t->len : 0))
			return -1;
		break;
	}
	return json_map_close(g);
}

static int
gen_usage(struct rout *o)
{
	yajl_gen	 g = o->g;

	if (json_str(g, "usage"))
		return -1;
	if (!o->usage)
		return json_null(g);
	return json_map_open(g) || json_kint(g, "input_tokens", o->in) ||
	    json_str(g, "input_tokens_details") || json_map_open(g) ||
	    json_kint(g, "cached_tokens", o->cached) || json_map_close(g) ||
	    json_kint(g, "output_tokens", o->out) ||
	    json_str(g, "output_tokens_details") || json_map_open(g) ||
	    json_kint(g, "reasoning_tokens", o->reasoning) ||
	    json_map_close(g) ||
	    json_kint(g, "total_tokens", json_sum(o->in, o->out)) ||
	    json_map_close(g) ? -1 : 0;
}

/* The Response object in o->g; status "in_progress" shows no output. */
static int
gen_response(struct rout *o, const char *status, int code,
    const char *message)
{
	yajl_gen	 g = o->g;
	yajl_val	 model = json_get(o->req, "model");
	size_t		 i;
	int		 whole = strcmp(status, "in_progress") != 0;

	if (json_map_open(g) || json_kstr(g, "id", o->id) ||
	    json_kstr(g, "object", "response") ||
	    json_kint(g, "created_at", o->created) ||
	    json_kstr(g, "status", status) || json_kbool(g, "background", 0) ||
	    json_str(g, "error"))
		return -1;
	if (message ? json_map_open(g) || json_kstr(g, "code", code == 504 ?
	    "upstream_timeout" : "upstream_error") ||
	    json_kstr(g, "message", message) || json_map_close(g) :
	    json_null(g))
		return -1;
	if (json_str(g, "incomplete_details"))
		return -1;
	if (strcmp(status, "incomplete") == 0 ? json_map_open(g) ||
	    json_kstr(g, "reason", strcmp(o->finish, "length") == 0 ?
	    "max_output_tokens" : "content_filter") || json_map_close(g) :
	    json_null(g))
		return -1;
	if (echo(g, o->req, "instructions", "null") ||
	    echo(g, o->req, "max_output_tokens", "null") ||
	    json_kstr(g, "model", YAJL_IS_STRING(model) ? model->u.string :
	    "") || json_str(g, "output") || json_array_open(g))
		return -1;
	for (i = 0; whole && i < o->nitems; i++)
		if (gen_item(o, &o->items[i]))
			return -1;
	return json_array_close(g) ||
	    echo(g, o->req, "parallel_tool_calls", "true") ||
	    json_knull(g, "previous_response_id") ||
	    echo(g, o->req, "reasoning",
	    "{\"effort\":null,\"summary\":null}") ||
	    echo(g, o->req, "store", "false") ||
	    echo(g, o->req, "temperature", "1") ||
	    echo(g, o->req, "text", "{\"format\":{\"type\":\"text\"}}") ||
	    echo(g, o->req, "tool_choice", "\"auto\"") ||
	    echo(g, o->req, "tools", "[]") || echo(g, o->req, "top_p", "1") ||
	    json_kstr(g, "truncation", "disabled") ||
	    (whole ? gen_usage(o) : json_knull(g, "usage")) ||
	    echo(g, o->req, "user", "null") ||
	    echo(g, o->req, "metadata", "{}") || json_map_close(g) ? -1 : 0;
}

/* response.created and response.in_progress, once, before any item: in
 * a stream, the moment the upstream's first event arrives. */
int
rout_begin(struct rout *o)
{
	static const char *const names[] = {
		"response.created", "response.in_progress",
	};
	size_t	 k;

	if (o->began || !o->stream)
		return 0;
	o->began = 1;
	for (k = 0; k < 2; k++)
		if (ev_open(o, names[k]) || json_str(o->g, "response") ||
		    gen_response(o, "in_progress", 0, NULL) ||
		    ev_send(o, names[k]))
			return -1;
	return 0;
}

/* --- items --- */

/* A custom tool call's input: the "input" its function call carried,
 * else the arguments as they came. */
static int
custom_input(struct rout_item *it)
{
	yajl_val	 v, in;
	char		 err[64];
	struct buf	 b;

	v = json_parse(buf_cstr(&it->text), it->text.len, err, sizeof(err));
	in = json_get(v, "input");
	if (YAJL_IS_STRING(in)) {
		buf_init(&b, 0);
		if (buf_adds(&b, in->u.string) == -1) {
			yajl_tree_free(v);
			return -1;
		}
		buf_free(&it->text);
		it->text = b;
	}
	yajl_tree_free(v);
	return 0;
}

/* The .done events of an item, which is whole from now on. */
static int
item_close(struct rout *o, struct rout_item *it)
{
	yajl_gen	 g = o->g;

	if (!it->open)
		return 0;
	it->open = 0;
	if (it->kind == ROUT_CUSTOM && custom_input(it) == -1)
		return -1;
	if (it->kind == ROUT_FUNCTION && it->text.len == 0 &&
	    buf_adds(&it->text, "{}") == -1)
		return -1;	/* a call without arguments: an empty object */
	if (!o->stream)
		return 0;
	switch (it->kind) {
	case ROUT_MESSAGE:
		if (ev_open(o, "response.output_text.done") ||
		    ev_place(o, it) ||
		    json_kint(g, "content_index", 0) || json_str(g, "text") ||
		    json_strn(g, it->text.data, it->text.len) ||
		    json_str(g, "logprobs") || json_array_open(g) ||
		    json_array_close(g) ||
		    ev_send(o, "response.output_text.done") ||
		    ev_open(o, "response.content_part.done") ||
		    ev_place(o, it) || json_kint(g, "content_index", 0) ||
		    json_str(g, "part") ||
		    gen_part(g, "output_text", &it->text) ||
		    ev_send(o, "response.content_part.done"))
			return -1;
		break;
	case ROUT_REASONING:
		if (ev_open(o, "response.reasoning_summary_text.done") ||
		    ev_place(o, it) || json_kint(g, "summary_index", 0) ||
		    json_str(g, "text") ||
		    json_strn(g, it->text.data, it->text.len) ||
		    ev_send(o, "response.reasoning_summary_text.done") ||
		    ev_open(o, "response.reasoning_summary_part.done") ||
		    ev_place(o, it) || json_kint(g, "summary_index", 0) ||
		    json_str(g, "part") ||
		    gen_part(g, "summary_text", &it->text) ||
		    ev_send(o, "response.reasoning_summary_part.done"))
			return -1;
		break;
	case ROUT_FUNCTION:
		if (ev_open(o, "response.function_call_arguments.done") ||
		    ev_place(o, it) || json_kstr(g, "name", it->name) ||
		    json_str(g, "arguments") ||
		    json_strn(g, it->text.data, it->text.len) ||
		    ev_send(o, "response.function_call_arguments.done"))
			return -1;
		break;
	case ROUT_CUSTOM:
		/* the input is whole only now: one delta carries it all */
		if (ev_open(o, "response.custom_tool_call_input.delta") ||
		    ev_place(o, it) || json_str(g, "delta") ||
		    json_strn(g, it->text.data, it->text.len) ||
		    ev_send(o, "response.custom_tool_call_input.delta") ||
		    ev_open(o, "response.custom_tool_call_input.done") ||
		    ev_place(o, it) || json_str(g, "input") ||
		    json_strn(g, it->text.data, it->text.len) ||
		    ev_send(o, "response.custom_tool_call_input.done"))
			return -1;
		break;
	}
	return ev_open(o, "response.output_item.done") ||
	    json_kint(g, "output_index", (long long)(it - o->items)) ||
	    json_str(g, "item") || gen_item(o, it) ||
	    ev_send(o, "response.output_item.done") ? -1 : 0;
}

static int
close_all(struct rout *o)
{
	size_t	 i;

	for (i = 0; i < o->nitems; i++)
		if (item_close(o, &o->items[i]) == -1)
			return -1;
	return 0;
}

/* A new item, every other one closed first; its added events sent. */
static struct rout_item *
item_open(struct rout *o, enum rout_kind kind, int key, const char *call_id,
    const char *name, const char *ns)
{
	struct rout_item	*it, *n;
	yajl_gen		 g = o->g;
	size_t			 cap;

	if (rout_begin(o) == -1 || close_all(o) == -1)
		return NULL;
	if (o->nitems == o->cap) {
		cap = o->cap ? o->cap * 2 : 4;
		if ((n = realloc(o->items, cap * sizeof(*n))) == NULL)
			return NULL;
		o->items = n;
		o->cap = cap;
	}
	it = &o->items[o->nitems++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->key = key;
	it->open = 1;
	snprintf(it->id, sizeof(it->id), "%s_%s_%zu", id_prefix[kind],
	    o->id + 5, o->nitems - 1);
	snprintf(it->call_id, sizeof(it->call_id), "%s", call_id ? call_id :
	    "");
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "");
	snprintf(it->ns, sizeof(it->ns), "%s", ns ? ns : "");
	buf_init(&it->text, 0);
	buf_init(&it->enc, 0);
	if (!o->stream)
		return it;
	if (ev_open(o, "response.output_item.added") ||
	    json_kint(g, "output_index", (long long)(o->nitems - 1)) ||
	    json_str(g, "item") || gen_item(o, it) ||
	    ev_send(o, "response.output_item.added"))
		return NULL;
	if (kind == ROUT_MESSAGE &&
	    (ev_open(o, "response.content_part.added") ||
	    ev_place(o, it) || json_kint(g, "content_index", 0) ||
	    json_str(g, "part") || gen_part(g, "output_text", NULL) ||
	    ev_send(o, "response.content_part.added")))
		return NULL;
	if (kind == ROUT_REASONING &&
	    (ev_open(o, "response.reasoning_summary_part.added") ||
	    ev_place(o, it) || json_kint(g, "summary_index", 0) ||
	    json_str(g, "part") || gen_part(g, "summary_text", NULL) ||
	    ev_send(o, "response.reasoning_summary_part.added")))
		return NULL;
	return it;
}

/* The open item of a kind, if it is the last one. */
static struct rout_item *
last_open(struct rout *o, enum rout_kind kind)
{
	struct rout_item	*it;

	if (o->nitems == 0)
		return NULL;
	it = &o->items[o->nitems - 1];
	return it->open && it->kind == kind ? it : NULL;
}

/* A piece of an item's text, and its delta event. */
static int
piece(struct rout *o, struct rout_item *it, const char *type, const char *p,
    size_t n)
{
	yajl_gen	 g = o->g;

	if (buf_add(&it->text, p, n) == -1)
		return -1;
	if (!o->stream || it->kind == ROUT_CUSTOM)
		return 0;
	if (ev_open(o, type) || ev_place(o, it))
		return -1;
	if (it->kind == ROUT_MESSAGE && json_kint(g, "content_index", 0))
		return -1;
	if (it->kind == ROUT_REASONING && json_kint(g, "summary_index", 0))
		return -1;
	if (json_str(g, "delta") || json_strn(g, p, n))
		return -1;
	if (it->kind == ROUT_MESSAGE && (json_str(g, "logprobs") ||
	    json_array_open(g) || json_array_close(g)))
		return -1;
	return ev_send(o, type);
}

int
rout_reasoning(struct rout *o, const char *p, size_t n)
{
	struct rout_item	*it;

	if (n == 0)
		return 0;
	if ((it = last_open(o, ROUT_REASONING)) == NULL &&
	    (it = item_open(o, ROUT_REASONING, -1, NULL, NULL, NULL)) == NULL)
		return -1;
	return piece(o, it, "response.reasoning_summary_text.delta", p, n);
}

/* What the model needs to take its reasoning back, opaque to the client
 * (Claude's signature): appended to the open reasoning item, or to a new
 * one; prefix goes first. */
int
rout_encrypted(struct rout *o, const char *prefix, const char *p, size_t n)
{
	struct rout_item	*it;

	if ((it = last_open(o, ROUT_REASONING)) == NULL &&
	    (it = item_open(o, ROUT_REASONING, -1, NULL, NULL, NULL)) == NULL)
		return -1;
	if (it->enc.len == 0 && buf_adds(&it->enc, prefix) == -1)
		return -1;
	return buf_add(&it->enc, p, n);
}

/* Every open item closed: what comes next opens a new one. */
int
rout_break(struct rout *o)
{
	return close_all(o);
}

int
rout_text(struct rout *o, const char *p, size_t n)
{
	struct rout_item	*it;

	if (n == 0)
		return 0;
	if ((it = last_open(o, ROUT_MESSAGE)) == NULL &&
	    (it = item_open(o, ROUT_MESSAGE, -1, NULL, NULL, NULL)) == NULL)
		return -1;
	return piece(o, it, "response.output_text.delta", p, n);
}

/* The client's tool that a call's name on the route means: its kind,
 * name and namespace (a namespace's tools went as namespace__name). */
static enum rout_kind
tool_find(const struct rout *o, const char *flat, struct rout_item *it)
{
	yajl_val	 tools = json_get(o->req, "tools"), t, in, v, name;
	size_t		 i, k, n;

	for (i = 0; YAJL_IS_ARRAY(tools) && i < tools->u.array.len; i++) {
		t = tools->u.array.values[i];
		v = json_get(t, "type");
		name = json_get(t, "name");
		if (!YAJL_IS_STRING(v) || !YAJL_IS_STRING(name))
			continue;
		if (strcmp(v->u.string, "namespace") != 0) {
			if (strcmp(name->u.string, flat) == 0)
				return strcmp(v->u.string, "custom") == 0 ?
				    ROUT_CUSTOM : ROUT_FUNCTION;
			continue;
		}
		n = strlen(name->u.string);
		if (strncmp(flat, name->u.string, n) != 0 ||
		    strncmp(flat + n, RESP_NS_SEP, strlen(RESP_NS_SEP)) != 0)
			continue;
		in = json_get(t, "tools");
		for (k = 0; YAJL_IS_ARRAY(in) && k < in->u.array.len; k++) {
			v = json_get(in->u.array.values[k], "name");
			if (!YAJL_IS_STRING(v) || strcmp(v->u.string,
			    flat + n + strlen(RESP_NS_SEP)) != 0)
				continue;
			snprintf(it->ns, sizeof(it->ns), "%s",
			    name->u.string);
			snprintf(it->name, sizeof(it->name), "%s",
			    v->u.string);
			v = json_get(in->u.array.values[k], "type");
			return YAJL_IS_STRING(v) && strcmp(v->u.string,
			    "custom") == 0 ? ROUT_CUSTOM : ROUT_FUNCTION;
		}
	}
	return ROUT_FUNCTION;
}

int
rout_tool(struct rout *o, int key, const char *call_id, const char *name)
{
	struct rout_item	 found;
	enum rout_kind		 kind;
	char			 id[96];

	memset(&found, 0, sizeof(found));
	snprintf(found.name, sizeof(found.name), "%s", name);
	kind = tool_find(o, name, &found);
	if (call_id == NULL || call_id[0] == '\0') {
		/* a route that gives no id: one the client can answer */
		snprintf(id, sizeof(id), "call_%s_%zu", o->id + 5, o->nitems);
		call_id = id;
	}
	if (item_open(o, kind, key, call_id, found.name, found.ns) == NULL)
		return -1;
	return 0;
}

/* Whether a tool call under key is open (with that call_id, if given). */
int
rout_has_call(struct rout *o, int key, const char *call_id)
{
	size_t	 i;

	for (i = 0; i < o->nitems; i++)
		if ((o->items[i].kind == ROUT_FUNCTION ||
		    o->items[i].kind == ROUT_CUSTOM) &&
		    o->items[i].key == key && (call_id == NULL ||
		    strcmp(o->items[i].call_id, call_id) == 0))
			return 1;
	return 0;
}

/* A piece of the arguments of the tool call the reader calls key. One
 * that comes after its call was closed is kept for the whole answer. */
int
rout_args(struct rout *o, int key, const char *p, size_t n)
{
	struct rout_item	*it;
	size_t			 i;

	for (i = o->nitems; i > 0; i--) {
		it = &o->items[i - 1];
		if ((it->kind == ROUT_FUNCTION || it->kind == ROUT_CUSTOM) &&
		    it->key == key)
			break;
	}
	if (i == 0 || n == 0)
		return 0;
	if (!it->open) {
		log_debug("id=%s arguments for a closed tool call", o->c->id);
		return buf_add(&it->text, p, n);
	}
	return piece(o, it, "response.function_call_arguments.delta", p, n);
}

void
rout_stop(struct rout *o, const char *finish_reason)
{
	snprintf(o->finish, sizeof(o->finish), "%s", finish_reason ?
	    finish_reason : "");
}

void
rout_usage(struct rout *o, long long in, long long cached, long long out,
    long long reasoning)
{
	o->usage = 1;
	o->in = in;
	o->cached = cached;
	o->out = out;
	o->reasoning = reasoning;
	o->c->usage = (struct usage){ .input = in, .cached = cached,
	    .output = out, .reasoning = reasoning, .seen = 1 };
}

/* Every item closed and, in a stream, response.completed or
 * response.incomplete with the whole Response. */
int
rout_end(struct rout *o)
{
	const char	*type;

	if (rout_begin(o) == -1 || close_all(o) == -1)
		return -1;
	if (!o->stream)
		return 0;
	type = is_incomplete(o) ? "response.incomplete" : "response.completed";
	o->ended = 1;
	return ev_open(o, type) || json_str(o->g, "response") ||
	    gen_response(o, type + 9, 0, NULL) || ev_send(o, type) ? -1 : 0;
}

/* A stream that broke after it began: response.failed with the error,
 * which it also carries at the top, where the SDKs look for one. */
int
rout_failed(struct rout *o, int status, const char *message)
{
	yajl_gen	 g = o->g;
	const char	*code = status == 504 ? "upstream_timeout" :
			    "upstream_error";

	if (o->ended)
		return 0;
	o->ended = 1;
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	if (rout_begin(o) == -1)
		return -1;
	log_warn("id=%s stream broken after it began: %s", o->c->id, message);
	return ev_open(o, "response.failed") || json_str(g, "response") ||
	    gen_response(o, "failed", status, message) ||
	    json_str(g, "error") || json_map_open(g) ||
	    json_kstr(g, "type", "server_error") ||
	    json_kstr(g, "code", code) || json_kstr(g, "message", message) ||
	    json_knull(g, "param") || json_map_close(g) ||
	    ev_send(o, "response.failed") ? -1 : 0;
}

/* The whole Response, as JSON text in out. */
int
rout_object(struct rout *o, struct buf *out)
{
	int	 rc;

	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	if (close_all(o) == -1 || gen_response(o, is_incomplete(o) ?
	    "incomplete" : "completed", 0, NULL) == -1)
		return -1;
	rc = json_take(o->g, out);
	o->g = NULL;	/* json_take freed it */
	return rc;
}

/* --- the writer as the sink of answer.h --- */

static int
a_reasoning(void *o, const char *p, size_t n)
{
	return rout_reasoning(o, p, n);
}

static int
a_text(void *o, const char *p, size_t n)
{
	return rout_text(o, p, n);
}

static int
a_tool(void *o, int key, const char *call_id, const char *name)
{
	return rout_tool(o, key, call_id, name);
}

static int
a_has_call(void *o, int key, const char *call_id)
{
	return rout_has_call(o, key, call_id);
}

static int
a_args(void *o, int key, const char *p, size_t n)
{
	return rout_args(o, key, p, n);
}

static void
a_stop(void *o, const char *finish_reason)
{
	rout_stop(o, finish_reason);
}

static void
a_usage(void *o, long long in, long long cached, long long out,
    long long reasoning)
{
	rout_usage(o, in, cached, out, reasoning);
}

/* The writer behind the answer a reader feeds. */
void
rout_answer(struct rout *o, struct answer *a)
{
	a->arg = o;
	a->reasoning = a_reasoning;
	a->text = a_text;
	a->tool = a_tool;
	a->has_call = a_has_call;
	a->args = a_args;
	a->stop = a_stop;
	a->stop_sequence = NULL;	/* a Response does not say it */
	a->usage = a_usage;
}
