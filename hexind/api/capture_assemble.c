/* What the client got, assembled for the capture: usage merged from
 * every usage object, the first error, and each API's stream events put
 * back together into the messages, blocks and items a whole answer would
 * have held, within the capture's byte limit. See capture_in.h. */
#include <stdlib.h>
#include <string.h>

#include "api/capture_in.h"
#include "lib/json.h"
#include "upstream/stream.h"

void *
capture_grow(void *p, size_t *n, size_t size)
{
	void	*q;

	if (*n >= 100000 || (q = realloc(p, (*n + 1) * size)) == NULL)
		return NULL;
	memset((char *)q + *n * size, 0, size);
	(*n)++;
	return q;
}

int
capture_keep(struct capture *r, yajl_val v)
{
	size_t	 n = r->nkept;
	yajl_val *k;

	if ((k = capture_grow(r->kept, &n, sizeof(*k))) == NULL)
		return -1;
	r->kept = k;
	r->nkept = n;
	k[n - 1] = v;
	return 0;
}

/* Appends s to b within the capture's limit: past it the capture is
 * marked truncated and the rest dropped. */
void
capture_take(struct capture *r, struct buf *b, yajl_val s)
{
	size_t	 n;

	if (!YAJL_IS_STRING(s))
		return;
	n = strlen(s->u.string);
	if (r->used + n > r->cap) {
		r->truncated = 1;
		return;
	}
	if (buf_add(b, s->u.string, n) == 0)
		r->used += n;
	else
		r->truncated = 1;
}

void
capture_usage_merge(struct capture *r, yajl_val u)
{
	struct pair	*p;
	size_t		 i, j, n;

	if (!YAJL_IS_OBJECT(u))
		return;
	for (i = 0; i < u->u.object.len; i++) {
		for (j = 0; j < r->nusage; j++)
			if (strcmp(r->usage[j].key, u->u.object.keys[i]) == 0)
				break;
		if (j == r->nusage) {
			n = r->nusage;
			if ((p = capture_grow(r->usage, &n,
			    sizeof(*p))) == NULL)
				return;
			r->usage = p;
			r->nusage = n;
			p[j].key = u->u.object.keys[i];
		}
		r->usage[j].v = u->u.object.values[i];
	}
}

void
capture_error_set(struct capture *r, yajl_val root)
{
	yajl_val	 e = json_get(root, "error");

	if (r->error == NULL)
		r->error = e ? e : root;
}

/* --- chat streams --- */

/* Finds the element of arr (*n of them, size bytes each, each starting
 * with its "long index") whose index is index, adding it when missing
 * and add allows; returns the array, perhaps moved, with the element's
 * position in *pos, or NULL. */
static void *
at_index(void *arr, size_t *n, size_t size, long index, int add,
    size_t *pos)
{
	char	*p = arr;
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (*(long *)(void *)(p + i * size) == index) {
			*pos = i;
			return arr;
		}
	if (!add || (p = capture_grow(p, n, size)) == NULL)
		return NULL;
	*pos = *n - 1;
	*(long *)(void *)(p + *pos * size) = index;
	return p;
}

/* The "index" member of v, 0 when it has none. */
long
capture_index(yajl_val v)
{
	yajl_val	 i = json_get(v, "index");

	return YAJL_IS_INTEGER(i) ? (long)YAJL_GET_INTEGER(i) : 0;
}

static void
chat_tools(struct capture *r, struct choice *c, yajl_val calls)
{
	struct tool	*t;
	yajl_val	 call, f;
	size_t		 i, k;

	for (i = 0; YAJL_IS_ARRAY(calls) && i < calls->u.array.len; i++) {
		call = calls->u.array.values[i];
		if ((t = at_index(c->tools, &c->ntools, sizeof(*t),
		    capture_index(call), 1, &k)) == NULL)
			return;
		c->tools = t;
		t += k;
		f = json_get(call, "function");
		capture_take(r, &t->id, json_get(call, "id"));
		capture_take(r, &t->type, json_get(call, "type"));
		capture_take(r, &t->name, json_get(f, "name"));
		capture_take(r, &t->args, json_get(f, "arguments"));
	}
}

/* Returns 1 when root is to be kept: its usage or error is pointed
 * into. */
static int
chat_chunk(struct capture *r, yajl_val root)
{
	struct choice	*c;
	yajl_val	 choices = json_get(root, "choices"), ch, d, s;
	yajl_val	 usage = json_get(root, "usage");
	size_t		 i, k;

	if (json_get(root, "error")) {
		capture_error_set(r, root);
		return 1;
	}
	capture_usage_merge(r, usage);
	for (i = 0; YAJL_IS_ARRAY(choices) && i < choices->u.array.len; i++) {
		ch = choices->u.array.values[i];
		if ((c = at_index(r->choices, &r->nchoices, sizeof(*c),
		    capture_index(ch), 1, &k)) == NULL)
			break;
		r->choices = c;
		c += k;
		d = json_get(ch, "delta");
		if (c->role.len == 0)
			capture_take(r, &c->role, json_get(d, "role"));
		if (YAJL_IS_STRING(s = json_get(d, "content"))) {
			c->has_content = 1;
			capture_take(r, &c->content, s);
		}
		if (YAJL_IS_STRING(s = json_get(d, "reasoning_content"))) {
			c->has_reasoning = 1;
			capture_take(r, &c->reasoning, s);
		}
		if (YAJL_IS_STRING(s = json_get(d, "refusal"))) {
			c->has_refusal = 1;
			capture_take(r, &c->refusal, s);
		}
		chat_tools(r, c, json_get(d, "tool_calls"));
		if (YAJL_IS_STRING(s = json_get(ch, "finish_reason"))) {
			c->finish.len = 0;
			capture_take(r, &c->finish, s);
		}
	}
	return YAJL_IS_OBJECT(usage);
}

/* --- messages streams --- */

/* Returns 1 when root is to be kept: something now points into it. */
static int
messages_event(struct capture *r, const char *type, yajl_val root)
{
	struct block	*b;
	yajl_val	 d, s;
	size_t		 k;

	if (strcmp(type, "message_start") == 0) {
		r->message = json_get(root, "message");
		capture_usage_merge(r, json_get(r->message, "usage"));
		return 1;
	}
	if (strcmp(type, "content_block_start") == 0) {
		if ((b = at_index(r->blocks, &r->nblocks, sizeof(*b),
		    capture_index(root), 1, &k)) != NULL) {
			r->blocks = b;
			b[k].start = json_get(root, "content_block");
		}
		return 1;
	}
	if (strcmp(type, "content_block_delta") == 0) {
		if ((b = at_index(r->blocks, &r->nblocks, sizeof(*b),
		    capture_index(root), 0, &k)) == NULL)
			return 0;
		b += k;
		d = json_get(root, "delta");
		if ((s = json_get(d, "text")) || (s = json_get(d, "thinking"))) {
			b->has_text = 1;
			capture_take(r, &b->text, s);
		} else if ((s = json_get(d, "signature")) != NULL) {
			b->has_sig = 1;
			capture_take(r, &b->sig, s);
		} else if ((s = json_get(d, "partial_json")) != NULL) {
			b->has_json = 1;
			capture_take(r, &b->json, s);
		}
		return 0;
	}
	if (strcmp(type, "message_delta") == 0) {
		d = json_get(root, "delta");
		if ((s = json_get(d, "stop_reason")) != NULL)
			r->stop_reason = s;
		if ((s = json_get(d, "stop_sequence")) != NULL)
			r->stop_sequence = s;
		capture_usage_merge(r, json_get(root, "usage"));
		return 1;
	}
	return 0;
}

/* --- responses streams --- */

static int
responses_event(struct capture *r, const char *type, yajl_val root)
{
	yajl_val	*items, resp;
	size_t		 n = r->nitems;

	if (stream_is_end(stream_end_responses, type)) {
		resp = json_get(root, "response");
		r->answer = resp;
		capture_usage_merge(r, json_get(resp, "usage"));
		if (YAJL_IS_OBJECT(json_get(resp, "error")))
			capture_error_set(r, resp);
		return 1;
	}
	if (strcmp(type, "response.output_item.done") == 0) {
		if ((items = capture_grow(r->items, &n,
		    sizeof(*items))) == NULL)
			return 0;
		r->items = items;
		r->nitems = n;
		items[n - 1] = json_get(root, "item");
		return 1;
	}
	return 0;
}

/* One event the client was sent. A slot to keep its tree in is taken
 * first: once something points into the tree, it must not be lost. */
int
capture_event(void *arg, const char *event, const char *data, size_t n)
{
	struct capture	*r = arg;
	yajl_val	 root, t;
	const char	*type;
	char		 err[128];
	int		 kept = 0;

	if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
		r->done = 1;
	if (n == 0 || data[0] != '{')
		return 0;
	if (r->used + n > r->cap || capture_keep(r, NULL) == -1) {
		r->truncated = 1;
		return 0;
	}
	if ((root = json_parse(data, n, err, sizeof(err))) == NULL) {
		r->nkept--;
		return 0;
	}
	t = json_get(root, "type");
	type = event[0] ? event : YAJL_IS_STRING(t) ? t->u.string : "";
	if (stream_is_end(stream_end_bedrock, type) ||
	    stream_is_end(stream_end_responses, type))
		r->done = 1;
	if (strcmp(type, "error") == 0) {
		capture_error_set(r, root);
		kept = 1;
	} else switch (r->ep->kind) {
	case K_CHAT:
		kept = chat_chunk(r, root);
		break;
	case K_MESSAGES:
		kept = messages_event(r, type, root);
		break;
	case K_RESPONSES:
		kept = responses_event(r, type, root);
		break;
	case K_EMBEDDINGS:
		break;
	}
	if (kept) {
		r->kept[r->nkept - 1] = root;
		r->used += n;
	} else {
		r->nkept--;
		yajl_tree_free(root);
	}
	return 0;
}
