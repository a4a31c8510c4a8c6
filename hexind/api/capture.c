/* Request capture, the Python proxy's --log-dir: one JSON line per
 * finished request, appended to <dir>/<endpoint>/<YYYY-MM-DD>/rollout.jsonl
 * (UTC). The answer is taken from the bytes the client was sent, so a
 * stream is captured as the client saw it and assembled here into the
 * messages a non-stream answer would have held.
 *
 * Hundreds of processes append to one file, each its whole line
 * (lib/jsonl.c). Nothing here can fail a request: a capture that cannot
 * be written is logged and dropped. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/capture.h"
#include "api/capture_in.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/jsonl.h"
#include "lib/log.h"


static const struct endpoint endpoints[] = {
	{ "chat", "chat_completions", K_CHAT, "messages", NULL },
	{ "messages", "messages", K_MESSAGES, "messages", "system" },
	{ "responses", "responses", K_RESPONSES, "input", "instructions" },
	{ "embeddings", "embeddings", K_EMBEDDINGS, "input", NULL },
};

#define NENDPOINTS	(sizeof(endpoints) / sizeof(endpoints[0]))

/* --- the interface --- */

static const struct tap capture_tap = {
	capture_body, capture_stream, capture_close
};

struct capture *
capture_open(struct exchange *c, const char *route)
{
	struct capture	*r;
	struct timespec	 ts;
	size_t		 i;

	if (c->conf->log_dir == NULL || c->conf->log_dir[0] == '\0')
		return NULL;
	for (i = 0; i < NENDPOINTS; i++)
		if (strcmp(endpoints[i].route, route) == 0)
			break;
	if (i == NENDPOINTS)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("id=%s capture: out of memory", c->id);
		return NULL;
	}
	r->ep = &endpoints[i];
	r->cap = c->conf->max_answer_bytes;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		r->t_wall = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
		    (now_ms() - c->t0);
	sse_init(&r->sse, SSE_EVENT_MAX);
	buf_init(&r->error_text, 4096);
	c->tap = &capture_tap;
	c->tap_arg = r;
	return r;
}

/* A whole answer: kept for the output, or as the error. */
void
capture_body(struct exchange *c, int status, const char *p, size_t n)
{
	struct capture	*r = c->tap_arg;
	yajl_val	 root;
	char		 err[128];

	if (r == NULL || r->answer || r->error)
		return;
	if (status < 400 && r->ep->kind == K_EMBEDDINGS)
		return;			/* capture_embeddings() has it */
	if ((root = json_parse(p, n, err, sizeof(err))) == NULL ||
	    capture_keep(r, root) == -1) {
		yajl_tree_free(root);
		if (status >= 400)
			(void)buf_add(&r->error_text, p, n < 4096 ? n : 4096);
		return;
	}
	if (status >= 400) {
		capture_error_set(r, root);
		return;
	}
	r->answer = root;
	capture_usage_merge(r, json_get(root, "usage"));
}

/* Events about to be sent; returns 1 once the last has been seen. */
int
capture_stream(struct exchange *c, const char *p, size_t n)
{
	struct capture	*r = c->tap_arg;

	if (r == NULL)
		return 0;
	r->stream = 1;
	if (sse_feed(&r->sse, p, n, capture_event, r) != 0)
		r->truncated = 1;
	return r->done;
}

void
capture_embeddings(struct exchange *c, size_t count, size_t dimensions,
    long long prompt_tokens, long long total_tokens)
{
	struct capture	*r = c->tap_arg;
	char		 err[128], u[128];
	yajl_val	 root;

	if (r == NULL)
		return;
	r->embeddings = (long long)count;
	r->dimensions = (long long)dimensions;
	snprintf(u, sizeof(u), "{\"prompt_tokens\":%lld,\"total_tokens\":"
	    "%lld}", prompt_tokens, total_tokens);
	if ((root = json_parse(u, strlen(u), err, sizeof(err))) == NULL)
		return;
	if (capture_keep(r, root) == -1) {
		yajl_tree_free(root);
		return;
	}
	capture_usage_merge(r, root);
}

/* --- the line --- */

static int
gen_val(yajl_gen g, yajl_val v)
{
	return v ? json_gen_value(g, v) : json_null(g);
}

static int
gen_opt_str(yajl_gen g, const char *key, int has, struct buf *b)
{
	if (!has)
		return 0;
	return json_str(g, key) || json_strn(g, b->data ? b->data : "",
	    b->len);
}

static int
gen_chat_stream(yajl_gen g, struct capture *r)
{
	struct choice	*c;
	struct tool	*t;
	size_t		 i, k;
	int		 rc = json_array_open(g);

	for (i = 0; rc == 0 && i < r->nchoices; i++) {
		c = &r->choices[i];
		rc = json_map_open(g) ||
		    json_kint(g, "index", c->index) ||
		    json_kstr(g, "role", c->role.len ? buf_cstr(&c->role) :
		    "assistant") || json_str(g, "content") ||
		    (c->has_content ? json_strn(g, buf_cstr(&c->content),
		    c->content.len) : json_null(g)) ||
		    gen_opt_str(g, "reasoning_content", c->has_reasoning,
		    &c->reasoning) ||
		    gen_opt_str(g, "refusal", c->has_refusal, &c->refusal);
		if (rc == 0 && c->ntools) {
			rc = json_str(g, "tool_calls") ||
			    json_array_open(g);
			for (k = 0; rc == 0 && k < c->ntools; k++) {
				t = &c->tools[k];
				rc = json_map_open(g) ||
				    json_kstr(g, "id", buf_cstr(&t->id)) ||
				    json_kstr(g, "type", t->type.len ?
				    buf_cstr(&t->type) : "function") ||
				    json_str(g, "function") ||
				    json_map_open(g) ||
				    json_kstr(g, "name", buf_cstr(&t->name)) ||
				    json_kstr(g, "arguments",
				    buf_cstr(&t->args)) ||
				    json_map_close(g) ||
				    json_map_close(g);
			}
			rc = rc || json_array_close(g);
		}
		rc = rc || json_str(g, "finish_reason") || (c->finish.len ?
		    json_str(g, buf_cstr(&c->finish)) : json_null(g)) ||
		    json_map_close(g);
	}
	return rc || json_array_close(g);
}

/* Each choice's message, with its index and finish_reason. */
static int
gen_chat_answer(yajl_gen g, yajl_val answer)
{
	yajl_val	 choices = json_get(answer, "choices"), ch, m;
	size_t		 i, k;
	int		 rc = json_array_open(g);

	for (i = 0; rc == 0 && YAJL_IS_ARRAY(choices) &&
	    i < choices->u.array.len; i++) {
		ch = choices->u.array.values[i];
		m = json_get(ch, "message");
		rc = json_map_open(g) ||
		    json_kint(g, "index", capture_index(ch));
		for (k = 0; rc == 0 && YAJL_IS_OBJECT(m) &&
		    k < m->u.object.len; k++)
			rc = json_str(g, m->u.object.keys[k]) ||
			    gen_val(g, m->u.object.values[k]);
		rc = rc || json_str(g, "finish_reason") ||
		    gen_val(g, json_get(ch, "finish_reason")) ||
		    json_map_close(g);
	}
	return rc || json_array_close(g);
}

/* A content block: as it started, with what its deltas carried. */
static int
gen_block(yajl_gen g, struct block *b)
{
	yajl_val	 s = b->start, t = json_get(s, "type"), input;
	const char	*tkey = YAJL_IS_STRING(t) &&
			    strcmp(t->u.string, "thinking") == 0 ?
			    "thinking" : "text";
	const char	*k;
	char		 err[128];
	size_t		 i;
	int		 rc = json_map_open(g);

	for (i = 0; rc == 0 && YAJL_IS_OBJECT(s) && i < s->u.object.len;
	    i++) {
		k = s->u.object.keys[i];
		if ((b->has_text && strcmp(k, tkey) == 0) ||
		    (b->has_sig && strcmp(k, "signature") == 0) ||
		    (b->has_json && strcmp(k, "input") == 0))
			continue;
		rc = json_str(g, k) || gen_val(g, s->u.object.values[i]);
	}
	rc = rc || gen_opt_str(g, tkey, b->has_text, &b->text) ||
	    gen_opt_str(g, "signature", b->has_sig, &b->sig);
	if (rc == 0 && b->has_json) {
		/* the tool input as the client would parse it */
		if ((input = json_parse(buf_cstr(&b->json), b->json.len, err,
		    sizeof(err))) != NULL) {
			rc = json_str(g, "input") || gen_val(g, input);
			yajl_tree_free(input);
		} else
			rc = json_str(g, "input") || json_strn(g,
			    buf_cstr(&b->json), b->json.len);
	}
	return rc || json_map_close(g);
}

static int
gen_messages(yajl_gen g, struct capture *r)
{
	yajl_val	 a = r->answer, role;
	size_t		 i;
	int		 rc;

	role = json_get(a ? a : r->message, "role");
	rc = json_array_open(g) || json_map_open(g) ||
	    json_kstr(g, "role", YAJL_IS_STRING(role) ? role->u.string :
	    "assistant") || json_str(g, "content");
	if (a)
		rc = rc || gen_val(g, json_get(a, "content")) ||
		    json_str(g, "stop_reason") ||
		    gen_val(g, json_get(a, "stop_reason")) ||
		    json_str(g, "stop_sequence") ||
		    gen_val(g, json_get(a, "stop_sequence"));
	else {
		rc = rc || json_array_open(g);
		for (i = 0; rc == 0 && i < r->nblocks; i++)
			rc = gen_block(g, &r->blocks[i]);
		rc = rc || json_array_close(g) ||
		    json_str(g, "stop_reason") || gen_val(g, r->stop_reason) ||
		    json_str(g, "stop_sequence") ||
		    gen_val(g, r->stop_sequence);
	}
	return rc || json_map_close(g) || json_array_close(g);
}

static int
gen_output(yajl_gen g, struct capture *r)
{
	size_t	 i;
	int	 rc;

	if (json_str(g, "output"))
		return -1;
	switch (r->ep->kind) {
	case K_CHAT:
		if (r->answer)
			return gen_chat_answer(g, r->answer);
		if (r->nchoices)
			return gen_chat_stream(g, r);
		break;
	case K_MESSAGES:
		if (r->answer || r->message)
			return gen_messages(g, r);
		break;
	case K_RESPONSES:
		if (r->answer)
			return gen_val(g, json_get(r->answer, "output"));
		if (r->nitems) {
			rc = json_array_open(g);
			for (i = 0; rc == 0 && i < r->nitems; i++)
				rc = gen_val(g, r->items[i]);
			return rc || json_array_close(g);
		}
		break;
	case K_EMBEDDINGS:
		if (r->embeddings)
			return json_map_open(g) ||
			    json_kint(g, "embeddings", r->embeddings) ||
			    json_kint(g, "dimensions", r->dimensions) ||
			    json_map_close(g);
		break;
	}
	return json_null(g);
}

static int
secret_header(const char *name)
{
	static const char *const words[] = { "auth", "key", "token",
	    "secret", "cookie", "passw" };
	size_t	 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]) != NULL)
			return 1;
	return 0;
}

/* What the capture keeps of a credential: the scheme when it is one of
 * the known words (no byte of the client's own), never the rest. */
static const char *
masked(const char *val)
{
	static const char *const schemes[] = { "Bearer ***", "Basic ***",
	    "Digest ***", "Negotiate ***", "NTLM ***" };
	size_t	 i, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i]) - 3;	/* "Bearer " */
		if (strncasecmp(val, schemes[i], n) == 0)
			return schemes[i];
	}
	return "***";
}

/* The request's header fields, one member per name (repeats joined by
 * ", "), credentials masked whole: "Bearer ***", "***". */
static int
gen_headers(yajl_gen g, const struct http_req *q)
{
	struct buf	 v;
	const char	*name, *val;
	size_t		 i, j;
	int		 rc = json_map_open(g);

	buf_init(&v, 0);
	for (i = 0; rc == 0 && i < q->nfields; i++) {
		name = q->fields[i].name;
		for (j = 0; j < i; j++)
			if (strcasecmp(q->fields[j].name, name) == 0)
				break;
		if (j < i)
			continue;
		v.len = 0;
		for (j = i; rc == 0 && j < q->nfields; j++) {
			if (strcasecmp(q->fields[j].name, name) != 0)
				continue;
			val = q->fields[j].value;
			if (v.len)
				rc = buf_adds(&v, ", ");
			if (rc == 0 && secret_header(name))
				rc = buf_adds(&v, masked(val));
			else if (rc == 0)
				rc = buf_adds(&v, val);
		}
		rc = rc || json_str(g, name) ||
		    json_strn(g, buf_cstr(&v), v.len);
	}
	buf_free(&v);
	return rc || json_map_close(g);
}

static int
is_request_member(const struct endpoint *ep, const char *k)
{
	return strcmp(k, "model") == 0 || strcmp(k, "stream") == 0 ||
	    strcmp(k, "tools") == 0 || strcmp(k, ep->input) == 0 ||
	    (ep->system && strcmp(k, ep->system) == 0);
}

static int
gen_request(yajl_gen g, const struct endpoint *ep, yajl_val q)
{
	size_t	 i;
	int	 rc;

	rc = json_str(g, "input") || gen_val(g, json_get(q, ep->input));
	if (rc == 0 && ep->system && json_get(q, ep->system))
		rc = json_str(g, "system") ||
		    gen_val(g, json_get(q, ep->system));
	rc = rc || json_str(g, "tools") || gen_val(g, json_get(q, "tools")) ||
	    json_str(g, "parameters") || json_map_open(g);
	for (i = 0; rc == 0 && YAJL_IS_OBJECT(q) && i < q->u.object.len; i++)
		if (!is_request_member(ep, q->u.object.keys[i]))
			rc = json_str(g, q->u.object.keys[i]) ||
			    gen_val(g, q->u.object.values[i]);
	return rc || json_map_close(g);
}

static int
gen_usage(yajl_gen g, struct capture *r)
{
	size_t	 i;
	int	 rc;

	if (json_str(g, "usage"))
		return -1;
	if (r->nusage == 0)
		return json_null(g);
	rc = json_map_open(g);
	for (i = 0; rc == 0 && i < r->nusage; i++)
		rc = json_str(g, r->usage[i].key) || gen_val(g, r->usage[i].v);
	return rc || json_map_close(g);
}

/* The whole record; the line is its text and a newline. */
static int
gen_record(struct exchange *c, struct capture *r, const char *stamp,
    struct buf *line)
{
	yajl_val	 q, model;
	yajl_gen	 g;
	char		 err[128];
	int		 rc;

	q = json_parse(c->body.data ? c->body.data : "", c->body.len, err,
	    sizeof(err));
	model = json_get(q, "model");
	if ((g = json_gen()) == NULL) {
		yajl_tree_free(q);
		return -1;
	}
	rc = json_map_open(g) || json_kstr(g, "timestamp", stamp) ||
	    json_kstr(g, "request_id", c->id) ||
	    json_kstr(g, "endpoint", r->ep->dir) ||
	    json_str(g, "model") || (c->model[0] ? json_str(g, c->model) :
	    gen_val(g, YAJL_IS_STRING(model) ? model : NULL)) ||
	    (c->served[0] && json_kstr(g, "served", c->served)) ||
	    json_kbool(g, "stream", r->stream) ||
	    json_kint(g, "status", c->status) ||
	    json_kint(g, "latency_ms", now_ms() - c->t0) ||
	    json_str(g, "first_byte_ms") || (c->t_first ?
	    json_int(g, c->t_first - c->t0) : json_null(g)) ||
	    json_str(g, "headers") || gen_headers(g, c->req) ||
	    gen_request(g, r->ep, q) || gen_output(g, r) || gen_usage(g, r);
	if (rc == 0 && r->error)
		rc = json_str(g, "error") || gen_val(g, r->error);
	else if (rc == 0 && r->error_text.len)
		rc = json_str(g, "error") || json_strn(g,
		    buf_cstr(&r->error_text), r->error_text.len);
	if (rc == 0 && r->truncated)
		rc = json_kbool(g, "truncated", 1);
	rc = rc || json_map_close(g);
	yajl_tree_free(q);
	if (rc) {
		yajl_gen_free(g);
		return -1;
	}
	return json_take(g, line) || buf_addc(line, '\n') ? -1 : 0;
}

static void
capture_write(struct exchange *c, struct capture *r)
{
	struct buf	 line;
	struct tm	 tm;
	time_t		 t = (time_t)(r->t_wall / 1000);
	char		 stamp[40], day[16], path[4096];
	size_t		 n;
	int		 rc = -1;

	buf_init(&line, 0);
	clock_utc(t, &tm);
	if (strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0 ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		log_warn("id=%s capture: no clock", c->id);
		return;
	}
	n = strlen(stamp);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03lldZ", r->t_wall % 1000);
	if (gen_record(c, r, stamp, &line) == -1) {
		log_warn("id=%s capture: out of memory", c->id);
		buf_free(&line);
		return;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s/rollout.jsonl",
	    c->conf->log_dir, r->ep->dir, day) >= sizeof(path)) {
		log_warn("id=%s capture: HEXIND_LOG_DIR is too long", c->id);
		buf_free(&line);
		return;
	}
	/* the directories: HEXIND_LOG_DIR itself, the endpoint's, the
	 * day's, each made when missing */
	n = strlen(c->conf->log_dir);
	path[n] = '\0';
	if (jsonl_mkdir(path) == 0) {
		path[n] = '/';
		n += 1 + strlen(r->ep->dir);
		path[n] = '\0';
		if (jsonl_mkdir(path) == 0) {
			path[n] = '/';
			n += 1 + strlen(day);
			path[n] = '\0';
			if (jsonl_mkdir(path) == 0) {
				path[n] = '/';
				rc = jsonl_append(path, &line);
			}
		}
	}
	if (rc == -1)
		log_warn("id=%s capture %s: cannot write: %s; the request "
		    "was not captured", c->id, path, strerror(errno));
	buf_free(&line);
}

/* Writes the request's line, and frees the capture. */
void
capture_close(struct exchange *c)
{
	struct capture	*r = c->tap_arg;
	size_t		 i, k;

	if (r == NULL)
		return;
	if (sse_finish(&r->sse, capture_event, r) != 0)
		r->truncated = 1;
	capture_write(c, r);
	for (i = 0; i < r->nchoices; i++) {
		buf_free(&r->choices[i].role);
		buf_free(&r->choices[i].content);
		buf_free(&r->choices[i].reasoning);
		buf_free(&r->choices[i].refusal);
		buf_free(&r->choices[i].finish);
		for (k = 0; k < r->choices[i].ntools; k++) {
			buf_free(&r->choices[i].tools[k].id);
			buf_free(&r->choices[i].tools[k].type);
			buf_free(&r->choices[i].tools[k].name);
			buf_free(&r->choices[i].tools[k].args);
		}
		free(r->choices[i].tools);
	}
	for (i = 0; i < r->nblocks; i++) {
		buf_free(&r->blocks[i].text);
		buf_free(&r->blocks[i].sig);
		buf_free(&r->blocks[i].json);
	}
	for (i = 0; i < r->nkept; i++)
		yajl_tree_free(r->kept[i]);
	free(r->kept);
	free(r->choices);
	free(r->blocks);
	free(r->items);
	free(r->usage);
	buf_free(&r->error_text);
	sse_free(&r->sse);
	free(r);
	c->tap = NULL;
	c->tap_arg = NULL;
}
