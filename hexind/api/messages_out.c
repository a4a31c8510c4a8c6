/* The Messages writer of messages_out.h. A block is closed, with its
 * content_block_stop, before the next opens: a client of the stream sees
 * one block at a time, as Anthropic sends them. A tool call's input goes
 * out as input_json_delta pieces, its arguments as the route sent them;
 * the whole message parses them into an object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/messages_out.h"
#include "http/reply.h"
#include "lib/ids.h"
#include "lib/json.h"
#include "lib/log.h"

/* A chat finish_reason as Anthropic's stop_reason. */
static const struct {
	const char	*chat;
	const char	*anthropic;
} stops[] = {
	{ "stop", "end_turn" }, { "length", "max_tokens" },
	{ "tool_calls", "tool_use" }, { "function_call", "tool_use" },
	{ "content_filter", "refusal" },
};

int
mout_init(struct mout *o, struct exchange *c, const char *model, int stream)
{
	char	 hex[33];

	memset(o, 0, sizeof(*o));
	o->c = c;
	o->model = model;
	o->stream = stream;
	id_hex(hex);
	snprintf(o->id, sizeof(o->id), "msg_%s", hex);
	return (o->g = json_gen()) == NULL ? -1 : 0;
}

void
mout_free(struct mout *o)
{
	size_t	 i;

	for (i = 0; i < o->nblocks; i++)
		buf_free(&o->blocks[i].text);
	free(o->blocks);
	free(o->stop_seq);
	if (o->g)
		yajl_gen_free(o->g);
	memset(o, 0, sizeof(*o));
}

static const char *
stop_reason(const struct mout *o)
{
	size_t	 i;

	if (o->stop_seq)
		return "stop_sequence";
	for (i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (strcmp(o->finish, stops[i].chat) == 0)
			return stops[i].anthropic;
	return "end_turn";
}

/* --- events --- */

static int
ev_open(struct mout *o, const char *type)
{
	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	return json_map_open(o->g) || json_kstr(o->g, "type", type) ? -1 : 0;
}

static int
ev_send(struct mout *o, const char *type)
{
	if (json_map_close(o->g) == 0)
		return reply_gen_event(o->c, type, o->g);
	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	return -1;
}

static int
gen_usage(struct mout *o)
{
	yajl_gen	 g = o->g;

	/* Anthropic counts the cache's reads apart from input_tokens */
	return json_str(g, "usage") || json_map_open(g) ||
	    json_kint(g, "input_tokens", o->in - o->cached) ||
	    json_kint(g, "cache_creation_input_tokens", 0) ||
	    json_kint(g, "cache_read_input_tokens", o->cached) ||
	    json_kint(g, "output_tokens", o->out) || json_map_close(g) ?
	    -1 : 0;
}

/* A tool call's input: its arguments parsed, or {} when they are none
 * or no JSON object. */
static int
gen_input(yajl_gen g, const struct buf *args)
{
	yajl_val	 v;
	char		 err[64];
	int		 rc;

	v = json_parse(args->data ? args->data : "", args->len, err,
	    sizeof(err));
	if (YAJL_IS_OBJECT(v))
		rc = json_gen_value(g, v);
	else
		rc = json_map_open(g) || json_map_close(g) ? -1 : 0;
	yajl_tree_free(v);
	return rc;
}

/* A block, whole when closed (the plain message) or empty (its start). */
static int
gen_block(struct mout *o, const struct mout_block *b, int whole)
{
	yajl_gen	 g = o->g;
	const char	*t = whole && b->text.data ? b->text.data : "";
	size_t		 n = whole ? b->text.len : 0;

	if (json_map_open(g))
		return -1;
	switch (b->kind) {
	case MOUT_THINKING:
		if (json_kstr(g, "type", "thinking") ||
		    json_str(g, "thinking") || json_strn(g, t, n) ||
		    json_kstr(g, "signature", ""))
			return -1;
		break;
	case MOUT_TEXT:
		if (json_kstr(g, "type", "text") || json_str(g, "text") ||
		    json_strn(g, t, n))
			return -1;
		break;
	case MOUT_TOOL:
		if (json_kstr(g, "type", "tool_use") ||
		    json_kstr(g, "id", b->id) || json_kstr(g, "name", b->name) ||
		    json_str(g, "input") || (whole ? gen_input(g, &b->text) :
		    json_map_open(g) || json_map_close(g)))
			return -1;
		break;
	}
	return json_map_close(g);
}

/* The message object in o->g: empty and unfinished for message_start,
 * else whole. */
static int
gen_message(struct mout *o, int whole)
{
	yajl_gen	 g = o->g;
	size_t		 i;

	if (json_map_open(g) || json_kstr(g, "id", o->id) ||
	    json_kstr(g, "type", "message") ||
	    json_kstr(g, "role", "assistant") ||
	    json_kstr(g, "model", o->model) || json_str(g, "content") ||
	    json_array_open(g))
		return -1;
	for (i = 0; whole && i < o->nblocks; i++)
		if (gen_block(o, &o->blocks[i], 1))
			return -1;
	if (json_array_close(g) || (whole ? json_kstr(g, "stop_reason",
	    stop_reason(o)) : json_knull(g, "stop_reason")) ||
	    (whole && o->stop_seq ? json_kstr(g, "stop_sequence",
	    o->stop_seq) : json_knull(g, "stop_sequence")))
		return -1;
	return gen_usage(o) || json_map_close(g) ? -1 : 0;
}

/* message_start, once, at the upstream's first event. */
int
mout_begin(struct mout *o)
{
	if (o->began || !o->stream)
		return 0;
	o->began = 1;
	return ev_open(o, "message_start") || json_str(o->g, "message") ||
	    gen_message(o, 0) || ev_send(o, "message_start") ? -1 : 0;
}

/* --- blocks --- */

static int
block_close(struct mout *o, struct mout_block *b)
{
	if (!b->open)
		return 0;
	b->open = 0;
	if (!o->stream)
		return 0;
	return ev_open(o, "content_block_stop") || json_kint(o->g, "index",
	    (long long)(b - o->blocks)) || ev_send(o, "content_block_stop") ?
	    -1 : 0;
}

static int
close_all(struct mout *o)
{
	size_t	 i;

	for (i = 0; i < o->nblocks; i++)
		if (block_close(o, &o->blocks[i]) == -1)
			return -1;
	return 0;
}

static struct mout_block *
block_open(struct mout *o, enum mout_kind kind, int key, const char *id,
    const char *name)
{
	struct mout_block	*b, *n;
	size_t			 cap;

	if (mout_begin(o) == -1 || close_all(o) == -1)
		return NULL;
	if (o->nblocks == o->cap) {
		cap = o->cap ? o->cap * 2 : 4;
		if ((n = realloc(o->blocks, cap * sizeof(*n))) == NULL)
			return NULL;
		o->blocks = n;
		o->cap = cap;
	}
	b = &o->blocks[o->nblocks++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->key = key;
	b->open = 1;
	buf_init(&b->text, 0);
	if (id && *id)
		snprintf(b->id, sizeof(b->id), "%s", id);
	else
		snprintf(b->id, sizeof(b->id), "toolu_%s_%zu", o->id + 4,
		    o->nblocks - 1);
	snprintf(b->name, sizeof(b->name), "%s", name ? name : "");
	if (!o->stream)
		return b;
	if (ev_open(o, "content_block_start") ||
	    json_kint(o->g, "index", (long long)(o->nblocks - 1)) ||
	    json_str(o->g, "content_block") || gen_block(o, b, 0) ||
	    ev_send(o, "content_block_start"))
		return NULL;
	return b;
}

static struct mout_block *
last_open(struct mout *o, enum mout_kind kind)
{
	struct mout_block	*b;

	if (o->nblocks == 0)
		return NULL;
	b = &o->blocks[o->nblocks - 1];
	return b->open && b->kind == kind ? b : NULL;
}

/* A piece of a block, and its delta. */
static int
piece(struct mout *o, struct mout_block *b, const char *p, size_t n)
{
	static const char *const delta[] = {
		"thinking_delta", "text_delta", "input_json_delta",
	};
	static const char *const field[] = {
		"thinking", "text", "partial_json",
	};
	yajl_gen	 g = o->g;

	if (buf_add(&b->text, p, n) == -1)
		return -1;
	if (!o->stream)
		return 0;
	return ev_open(o, "content_block_delta") ||
	    json_kint(g, "index", (long long)(b - o->blocks)) ||
	    json_str(g, "delta") || json_map_open(g) ||
	    json_kstr(g, "type", delta[b->kind]) ||
	    json_str(g, field[b->kind]) || json_strn(g, p, n) ||
	    json_map_close(g) || ev_send(o, "content_block_delta") ? -1 : 0;
}

static int
add(struct mout *o, enum mout_kind kind, const char *p, size_t n)
{
	struct mout_block	*b;

	if (n == 0)
		return 0;
	if ((b = last_open(o, kind)) == NULL &&
	    (b = block_open(o, kind, -1, NULL, NULL)) == NULL)
		return -1;
	return piece(o, b, p, n);
}

/* --- the end --- */

/* Every block closed; in a stream, message_delta with the stop reason
 * and the usage, and message_stop. */
int
mout_end(struct mout *o)
{
	yajl_gen	 g = o->g;

	if (mout_begin(o) == -1 || close_all(o) == -1)
		return -1;
	if (!o->stream)
		return 0;
	o->ended = 1;
	return ev_open(o, "message_delta") || json_str(g, "delta") ||
	    json_map_open(g) || json_kstr(g, "stop_reason", stop_reason(o)) ||
	    (o->stop_seq ? json_kstr(g, "stop_sequence", o->stop_seq) :
	    json_knull(g, "stop_sequence")) || json_map_close(g) ||
	    gen_usage(o) || ev_send(o, "message_delta") ||
	    ev_open(o, "message_stop") || ev_send(o, "message_stop") ? -1 : 0;
}

/* A stream that broke after it began: the error event the SDKs raise. */
int
mout_failed(struct mout *o, int status, const char *message)
{
	struct buf	 e;
	int		 rc = -1;

	if (o->ended)
		return 0;
	o->ended = 1;
	if (mout_begin(o) == -1)
		return -1;
	log_warn("id=%s stream broken after it began: %s", o->c->id, message);
	buf_init(&e, 0);
	if (error_body(&e, API_ANTHROPIC, status, NULL, message) == 0)
		rc = reply_event(o->c, "error", e.data, e.len);
	buf_free(&e);
	return rc;
}

/* The whole message, as JSON text in out. */
int
mout_object(struct mout *o, struct buf *out)
{
	int	 rc;

	yajl_gen_clear(o->g);
	yajl_gen_reset(o->g, NULL);
	if (close_all(o) == -1 || gen_message(o, 1) == -1)
		return -1;
	rc = json_take(o->g, out);
	o->g = NULL;	/* json_take freed it */
	return rc;
}

/* --- the writer as the sink of answer.h --- */

static int
a_reasoning(void *o, const char *p, size_t n)
{
	return add(o, MOUT_THINKING, p, n);
}

static int
a_text(void *o, const char *p, size_t n)
{
	return add(o, MOUT_TEXT, p, n);
}

static int
a_tool(void *o, int key, const char *call_id, const char *name)
{
	return block_open(o, MOUT_TOOL, key, call_id, name) == NULL ? -1 : 0;
}

static int
a_has_call(void *arg, int key, const char *call_id)
{
	struct mout	*o = arg;
	size_t		 i;

	for (i = 0; i < o->nblocks; i++)
		if (o->blocks[i].kind == MOUT_TOOL && o->blocks[i].key == key &&
		    (call_id == NULL || strcmp(o->blocks[i].id, call_id) == 0))
			return 1;
	return 0;
}

/* Arguments for a call whose block was closed are kept for the whole
 * message only. */
static int
a_args(void *arg, int key, const char *p, size_t n)
{
	struct mout	*o = arg;
	size_t		 i;

	for (i = o->nblocks; i > 0; i--)
		if (o->blocks[i - 1].kind == MOUT_TOOL &&
		    o->blocks[i - 1].key == key)
			break;
	if (i == 0 || n == 0)
		return 0;
	if (!o->blocks[i - 1].open)
		return buf_add(&o->blocks[i - 1].text, p, n);
	return piece(o, &o->blocks[i - 1], p, n);
}

static void
a_stop(void *arg, const char *finish_reason)
{
	struct mout	*o = arg;

	snprintf(o->finish, sizeof(o->finish), "%s", finish_reason ?
	    finish_reason : "");
}

static void
a_stop_sequence(void *arg, const char *seq)
{
	struct mout	*o = arg;

	free(o->stop_seq);
	o->stop_seq = strdup(seq);	/* NULL when out of memory: end_turn */
}

static void
a_usage(void *arg, long long in, long long cached, long long out,
    long long reasoning)
{
	struct mout	*o = arg;

	o->in = in;
	o->cached = cached <= in ? cached : in;
	o->out = out;
	/* reasoning is inside output_tokens already */
	o->c->usage = (struct usage){ .input = in, .cached = o->cached,
	    .output = out, .reasoning = reasoning, .seen = 1 };
}

void
mout_answer(struct mout *o, struct answer *a)
{
	a->arg = o;
	a->reasoning = a_reasoning;
	a->text = a_text;
	a->tool = a_tool;
	a->has_call = a_has_call;
	a->args = a_args;
	a->stop = a_stop;
	a->stop_sequence = a_stop_sequence;
	a->usage = a_usage;
}
