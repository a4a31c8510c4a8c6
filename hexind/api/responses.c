/* POST /v1/responses: the OpenAI Responses API (o3, o4-mini and other
 * reasoning models). The client's body goes to HITHINK_RESPONSE_URL byte
 * for byte; the session (the client's X-Session-ID, else a fresh UUID
 * given back in x-session-id) pins the conversation to one upstream node
 * through arsenal-openai-hash and is the call's trace id. Streams are
 * reframed as strict SSE, "event: <type>" and "data: <json>", the moment
 * each event is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/body.h"
#include "api/calls.h"
#include "api/passthrough.h"
#include "http/reply.h"
#include "lib/ids.h"
#include "lib/json.h"
#include "lib/log.h"

struct resp {
	struct exchange	*c;
	struct attempt	 h;
	struct passthrough pass;
	char		 url[1024];
	char		 hash[200];	/* the arsenal-openai-hash header */
};


/* The error event the SDK raises: the Responses API's own fields, and an
 * "error" object, which is what the SDK looks for. */
static void
emit_error(struct passthrough *pass, int status, const char *msg)
{
	const char	*code = status == 504 ? "upstream_timeout" :
			    "upstream_error";
	struct buf	 e;
	yajl_gen	 g;

	buf_init(&e, 0);
	if ((g = json_gen()) == NULL)
		return;
	if (json_map_open(g) || json_kstr(g, "type", "error") ||
	    json_kstr(g, "code", code) || json_kstr(g, "message", msg) ||
	    json_knull(g, "param") ||
	    json_kint(g, "sequence_number", pass->seq + 1) ||
	    json_str(g, "error") || json_map_open(g) ||
	    json_kstr(g, "type", "server_error") ||
	    json_kstr(g, "code", code) || json_kstr(g, "message", msg) ||
	    json_map_close(g) || json_map_close(g)) {
		yajl_gen_free(g);
		return;
	}
	if (json_take(g, &e) == 0)
		(void)passthrough_emit(pass, "error", e.data, e.len);
	buf_free(&e);
	log_warn("id=%s stream broken after it began: %s", pass->c->id, msg);
}

/* A whole response where a stream was asked for: the events that carry
 * it, created and completed. */
static void
emit_as_events(struct passthrough *pass, yajl_val response)
{
	const char	*names[] = { "response.created", "response.completed" };
	struct buf	 b;
	yajl_gen	 g;
	int		 k;

	for (k = 0; k < 2; k++) {
		buf_init(&b, 0);
		if ((g = json_gen()) == NULL)
			return;
		if (json_map_open(g) || json_kstr(g, "type", names[k]) ||
		    json_kint(g, "sequence_number", k) ||
		    json_str(g, "response") || json_gen_value(g, response) ||
		    json_map_close(g)) {
			yajl_gen_free(g);
			return;
		}
		if (json_take(g, &b) == -1 ||
		    passthrough_emit(pass, names[k], b.data, b.len) == -1) {
			buf_free(&b);
			return;
		}
		buf_free(&b);
	}
}

void
api_responses(struct exchange *c)
{
	struct resp	*r;
	const char	*sid = http_header(c->req, "x-session-id");
	char		 session[ID_MAX + 1];
	yajl_val	 req, v;

	if ((req = body_json(c)) == NULL)
		return;
	v = json_get(req, "model");
	if (!YAJL_IS_OBJECT(req) || !YAJL_IS_STRING(v) ||
	    v->u.string[0] == '\0') {
		reply_error_param(c, "model", "the request body must be a JSON "
		    "object with a model (a non-empty string)");
		yajl_tree_free(req);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		yajl_tree_free(req);
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s", v->u.string);
	r->pass.stream = YAJL_IS_TRUE(json_get(req, "stream"));
	yajl_tree_free(req);

	if (id_ok(sid))
		snprintf(session, sizeof(session), "%s", sid);
	else
		id_uuid(session);
	snprintf(c->headers, sizeof(c->headers), "x-session-id: %s\r\n",
	    session);
	snprintf(r->hash, sizeof(r->hash), "arsenal-openai-hash: %s", session);
	if (c->conf->response_url)
		snprintf(r->url, sizeof(r->url), "%s", c->conf->response_url);
	else
		snprintf(r->url, sizeof(r->url), "%s/chatgpt/v1/responses",
		    c->conf->base_url);
	snprintf(c->log_route, sizeof(c->log_route), "responses");
	log_info("id=%s session=%s", c->id, session);

	r->c = c;
	r->pass.c = c;
	r->pass.url = r->url;
	r->pass.header = r->hash;
	r->pass.post = buf_cstr(&c->body);
	r->pass.postlen = c->body.len;
	r->pass.terminal = stream_end_responses;
	r->pass.drop_pings = 1;
	r->pass.as_events = emit_as_events;
	if (calls_init(&r->h, c, 1) == -1) {
		reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	r->pass.error_event = emit_error;
	r->h.trace = session;
	passthrough_run(&r->pass, &r->h);
out:
	attempt_free(&r->h);
	passthrough_free(&r->pass);
	free(r);
}
