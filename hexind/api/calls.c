/* The api layer's side of the attempt loop: the loop knows no socket, so
 * the client's connection is handed down as a watch, and what the loop
 * says is turned into the access log's fields and the client's answer. */
#include <stdio.h>

#include "api/calls.h"
#include "http/conn.h"
#include "http/reply.h"

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

/* The HTTP error for calls that failed before anything reached the
 * client, with Hexin's Retry-After on a 429. */
int
calls_refuse(struct exchange *c, const struct attempt *h)
{
	char	 extra[96];

	extra[0] = '\0';
	if (h->fail.retry_after[0])
		snprintf(extra, sizeof(extra), "Retry-After: %s\r\n",
		    h->fail.retry_after);
	return reply_error_extra(c, h->fail.status, h->fail.code,
	    extra[0] ? extra : NULL, "%s", h->fail.message);
}
