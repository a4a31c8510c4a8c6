/* The api layer's side of the attempt loop: the loop knows no socket, so
 * the client's connection is handed down as a watch, and what the loop
 * says is turned into the access log's fields and the client's answer. */
#include <stdio.h>
#include <string.h>

#include "api/calls.h"
#include "http/conn.h"
#include "http/reply.h"
#include "lib/log.h"

static int
client_gone(void *conn)
{
	return conn_gone(conn);
}

static int
client_wait(void *conn, int ms)
{
	return conn_wait(conn, ms);
}

/* attempt_init for the exchange's n calls, watching its client. */
int
calls_init(struct attempt *h, struct exchange *c, size_t n)
{
	if (attempt_init(h, c->conf, c->id, n) == -1)
		return -1;
	h->watch.fd = conn_watch_fd(c->conn);
	h->watch.pollin = c->conn->sock;
	h->watch.gone = client_gone;
	h->watch.wait = client_wait;
	h->watch.arg = c->conn;
	return 0;
}

enum attempt_end
calls_run(struct exchange *c, struct attempt *h, size_t *bad)
{
	enum attempt_end	 end;

	end = attempt_run(h, bad);
	c->upstream_status = h->upstream_status;
	c->retries += h->retries;
	c->relogins += h->relogins;
	if (end == ATTEMPT_FAILED)
		c->cause = h->cause;
	if (end == ATTEMPT_GONE)
		c->status = 499;
	return end;
}

/* Whether a failure before the first byte lets the next model of the
 * table's fallbacks be tried: the route was unreachable, slow, busy or
 * broken, not the request wrong. */
static int
falls_over(const struct exchange *c, const struct attempt *h)
{
	static const char *const causes[] = { "connect", "timeout",
	    "transfer", "rate_limit", "server_error" };
	size_t	 i;

	if (c->fallback_next >= c->nfallback || h->cause == NULL)
		return 0;
	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (strcmp(h->cause, causes[i]) == 0)
			return 1;
	return 0;
}

/* The HTTP error for calls that failed before anything reached the
 * client, with Hexin's Retry-After on a 429; or, where the model has a
 * fallback left, nothing: the exchange says it fell over, and whoever
 * runs the endpoint tries the next. */
int
calls_refuse(struct exchange *c, const struct attempt *h)
{
	char	 extra[96];

	if (falls_over(c, h)) {
		log_warn("id=%s model %s failed (%s): falling back to %s",
		    c->id, c->served[0] ? c->served : c->model, h->cause,
		    c->fallback[c->fallback_next]);
		c->fell = 1;
		return 0;
	}

	extra[0] = '\0';
	if (h->fail.retry_after[0])
		snprintf(extra, sizeof(extra), "Retry-After: %s\r\n",
		    h->fail.retry_after);
	return reply_error_extra(c, h->fail.status, h->fail.code,
	    extra[0] ? extra : NULL, "%s", h->fail.message);
}

/* Feeds one read of a stream through rd; the writes its events make go
 * out to the client in one write. */
int
calls_feed(struct exchange *c, struct stream_read *rd, const char *p,
    size_t n)
{
	int	 rc;

	reply_hold(c);
	rc = stream_read_feed(rd, p, n);
	return reply_release(c) == -1 ? -1 : rc;
}
