/* See stream.h. */
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "upstream/stream.h"

const char *const stream_end_bedrock[] = { "message_stop", NULL };
const char *const stream_end_responses[] = {
	"response.completed", "response.failed", "response.incomplete", NULL,
};

int
stream_is_end(const char *const *names, const char *name)
{
	size_t	 i;

	for (i = 0; names[i]; i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

/* Ready for a call's stream (again, on a retry). */
void
stream_read_init(struct stream_read *r)
{
	stream_read_free(r);
	sse_init(&r->sse, SSE_EVENT_MAX);
	r->ready = 1;
	r->done_marker = 0;
	r->error[0] = '\0';
}

void
stream_read_free(struct stream_read *r)
{
	if (r->ready)
		sse_free(&r->sse);
	r->ready = 0;
}

/* Keeps the first failure only: it is the cause, what follows its
 * effect. */
void
stream_read_fail(struct stream_read *r, enum hx_kind kind, int status,
    const char *msg)
{
	if (r->error[0])
		return;
	r->kind = kind;
	r->status = status;
	snprintf(r->error, sizeof(r->error), "%s", msg);
}

/* An error event: {"type":"error","message"} (OpenAI's Responses) or
 * {"type":"error","error":{"message"}} (Anthropic's). */
static void
error_event(struct hx_result *res)
{
	yajl_val	 type = json_get(res->payload, "type"), msg;

	if (res->kind != HX_OK || !YAJL_IS_STRING(type) ||
	    strcmp(type->u.string, "error") != 0)
		return;
	msg = json_get(res->payload, "message");
	if (!YAJL_IS_STRING(msg))
		msg = json_get(json_get(res->payload, "error"), "message");
	snprintf(res->message, sizeof(res->message), "Hexin: %s",
	    YAJL_IS_STRING(msg) ? msg->u.string : "an error event");
	res->kind = HX_ERROR;
	res->status = 502;
}

static int
on_event(void *arg, const char *event, const char *data, size_t n)
{
	struct stream_read	*r = arg;
	struct hx_result	 res;
	char			 err[128];
	yajl_val		 v;
	int			 rc;

	if (n == 6 && memcmp(data, "[DONE]", 6) == 0) {
		r->done_marker = 1;
		return 0;
	}
	if ((v = json_parse(data, n, err, sizeof(err))) == NULL) {
		stream_read_fail(r, HX_ERROR, 502, hexin_bad_event(data, n));
		return 1;
	}
	if (!r->keep_pings && hexin_is_ping(v)) {
		yajl_tree_free(v);
		return 0;
	}
	memset(&res, 0, sizeof(res));
	hexin_classify_tree(200, v, &res);
	if (r->error_events)
		error_event(&res);
	if (res.kind != HX_OK || !YAJL_IS_OBJECT(res.payload)) {
		stream_read_fail(r, res.kind == HX_OK ? HX_ERROR : res.kind,
		    res.status ? res.status : 502, res.kind == HX_OK ?
		    "Hexin sent an event that is not an object" : res.message);
		hexin_result_free(&res);
		return 1;
	}
	rc = r->fn(r->arg, event, data, n, &res);
	hexin_result_free(&res);
	return rc != 0 ? 1 : 0;
}

/* The bytes of a 2xx event stream as they arrive: 0, or -1 to stop the
 * call (a failure noted, or the event's receiver said stop). */
int
stream_read_feed(struct stream_read *r, const char *p, size_t n)
{
	int	 rc;

	rc = sse_feed(&r->sse, p, n, on_event, r);
	if (rc == SSE_ERR_LINE)
		stream_read_fail(r, HX_ERROR, 502, "Hexin sent an event "
		    "larger than hexind accepts");
	return rc != 0 ? -1 : 0;
}

/* At the call's end: a last event without its newline still counts. */
void
stream_read_finish(struct stream_read *r)
{
	if (!r->error[0])
		(void)sse_finish(&r->sse, on_event, r);
}

/* What became of a streamed call, once finished: its first failure, a
 * stream that broke off before the end (complete: the caller saw it),
 * which is worth a retry while the client has nothing, or success. */
void
stream_read_outcome(const struct stream_read *r, const struct up_call *u,
    int complete, struct hx_result *res)
{
	memset(res, 0, sizeof(*res));
	if (r->error[0]) {
		res->kind = r->kind;
		res->status = r->status;
		snprintf(res->message, sizeof(res->message), "%s", r->error);
	} else if (!complete) {
		res->kind = HX_ERROR;
		res->status = u->timeout ? 504 : 502;
		res->retryable = 1;
		snprintf(res->message, sizeof(res->message), "Hexin's stream "
		    "broke off before its end%s%s", u->error[0] ? ": " : "",
		    u->error);
	} else {
		res->kind = HX_OK;
	}
}
