/* Responses go out in as few writes as possible: the head and a small
 * body are one write(2). A response closes the connection unless
 * keep-alive is on and the request allows it; a body of unknown length
 * then goes out chunked (HTTP/1.1) or ends the connection (HTTP/1.0). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/reply.h"
#include "lib/clock.h"
#include "lib/json.h"

struct err_kind {
	int		 status;
	const char	*openai_type;
	const char	*openai_code;
	const char	*anthropic_type;
};

/* OpenAI answers most client errors as invalid_request_error with a code;
 * Anthropic has a type per status. */
static const struct err_kind err_kinds[] = {
	{ 400, "invalid_request_error", NULL, "invalid_request_error" },
	{ 401, "invalid_request_error", "invalid_api_key",
	    "authentication_error" },
	{ 403, "invalid_request_error", "forbidden", "permission_error" },
	{ 404, "invalid_request_error", "not_found", "not_found_error" },
	{ 405, "invalid_request_error", "method_not_allowed",
	    "invalid_request_error" },
	{ 408, "invalid_request_error", "request_timeout",
	    "invalid_request_error" },
	{ 413, "invalid_request_error", "request_too_large",
	    "request_too_large" },
	{ 429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error" },
	{ 500, "server_error", "internal_error", "api_error" },
	{ 501, "server_error", "not_implemented", "api_error" },
	{ 502, "server_error", "bad_gateway", "api_error" },
	{ 503, "server_error", "service_unavailable", "overloaded_error" },
	{ 504, "server_error", "upstream_timeout", "api_error" },
};

static const struct err_kind *
err_kind(int status)
{
	static const struct err_kind other4 = { 0, "invalid_request_error",
	    NULL, "invalid_request_error" };
	static const struct err_kind other5 = { 0, "server_error", NULL,
	    "api_error" };
	size_t	 i;

	for (i = 0; i < sizeof(err_kinds) / sizeof(err_kinds[0]); i++)
		if (err_kinds[i].status == status)
			return &err_kinds[i];
	return status < 500 ? &other4 : &other5;
}

/* The error object of the API: OpenAI {"error":{message,type,param,code}},
 * Anthropic {"type":"error","error":{type,message}}. */
static int
error_body_param(struct buf *out, enum api api, int status,
    const char *code, const char *param, const char *message)
{
	const struct err_kind	*k = err_kind(status);
	yajl_gen		 g;
	int			 rc;

	if ((g = json_gen()) == NULL)
		return -1;
	if (api == API_ANTHROPIC)
		rc = json_map_open(g) || json_kstr(g, "type", "error") ||
		    json_str(g, "error") || json_map_open(g) ||
		    json_kstr(g, "type", k->anthropic_type) ||
		    json_kstr(g, "message", message) ||
		    json_map_close(g) || json_map_close(g);
	else
		rc = json_map_open(g) || json_str(g, "error") ||
		    json_map_open(g) || json_kstr(g, "message", message) ||
		    json_kstr(g, "type", k->openai_type) ||
		    json_kstr(g, "param", param) ||
		    json_kstr(g, "code", code ? code : k->openai_code) ||
		    json_map_close(g) || json_map_close(g);
	if (rc) {
		yajl_gen_free(g);
		return -1;
	}
	return json_take(g, out);
}

/* The error object without a param. */
int
error_body(struct buf *out, enum api api, int status, const char *code,
    const char *message)
{
	return error_body_param(out, api, status, code, NULL, message);
}

/* Printable ASCII only: what a client sent may go into a header. */
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
head_build(struct buf *b, struct exchange *c, int status, const char *ctype,
    long long length, const char *extra)
{
	const char	*model;
	char		 date[64];
	struct tm	 tm;
	time_t		 t = time(NULL);

	clock_utc(t, &tm);
	if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm) == 0)
		date[0] = '\0';
	if (buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
	    http_reason(status), date) == -1)
		return -1;
	if (ctype && buf_printf(b, "Content-Type: %s\r\n", ctype) == -1)
		return -1;
	if (length >= 0 &&
	    buf_printf(b, "Content-Length: %lld\r\n", length) == -1)
		return -1;
	if (c->id[0] && buf_printf(b, "x-request-id: %s\r\n", c->id) == -1)
		return -1;
	model = c->served[0] ? c->served : c->model;
	if (c->family[0] && header_safe(model) &&
	    buf_printf(b, "x-hexind-model: %s\r\n", model) == -1)
		return -1;
	if (c->origin && buf_printf(b, "Access-Control-Allow-Origin: %s\r\n"
	    "Vary: Origin\r\nAccess-Control-Expose-Headers: x-request-id, "
	    "x-session-id, x-hexind-model, retry-after\r\n", c->origin) == -1)
		return -1;
	if ((c->headers[0] && buf_adds(b, c->headers) == -1) ||
	    (extra && buf_adds(b, extra) == -1))
		return -1;
	if (length < 0 && c->keep) {
		if (c->req && c->req->minor == 1) {
			c->chunked = 1;
			if (buf_adds(b, "Transfer-Encoding: chunked\r\n") == -1)
				return -1;
		} else
			c->keep = 0;
	}
	if (!c->keep)
		return buf_adds(b, "Connection: close\r\n\r\n");
	return buf_printf(b, "Connection: keep-alive\r\nKeep-Alive: "
	    "timeout=%d, max=%d\r\n\r\n", (c->conf->keepalive_timeout_ms +
	    999) / 1000, c->keep_max);
}

/* Sends the head only; length -1 leaves Content-Length out (the body then
 * ends when the connection closes). */
int
reply_head(struct exchange *c, int status, const char *ctype, long long length,
    const char *extra)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	c->status = status;
	rc = head_build(&b, c, status, ctype, length, extra);
	if (rc == 0) {
		if (c->t_first == 0)
			c->t_first = now_ms();
		rc = conn_write(c->conn, b.data, b.len);
	}
	buf_free(&b);
	return rc;
}

/* What is done once the outcome is known (the tokens counted, the
 * ledger written), once, before the last byte of the answer goes out:
 * a client that sends its next request on seeing the end finds them
 * done. */
void
reply_finish(struct exchange *c)
{
	if (c->finish == NULL || c->finished)
		return;
	c->finished = 1;
	c->finish(c);
}

/* Sends a complete response: head and body in one write. */
int
reply(struct exchange *c, int status, const char *ctype, const char *body,
    size_t n, const char *extra)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	c->status = status;
	rc = head_build(&b, c, status, ctype, (long long)n, extra);
	if (rc == 0 && !c->head_only)
		rc = buf_add(&b, body, n);
	if (rc == 0) {
		if (c->t_first == 0)
			c->t_first = now_ms();
		if (c->tap) {
			c->tap->body(c, status, body, n);
			c->tap->close(c);
		}
		reply_finish(c);
		rc = conn_write(c->conn, b.data, b.len);
	}
	buf_free(&b);
	return rc;
}

/* More of a body whose head is out: a stream's events, each a chunk
 * when the body is chunked. */
int
reply_write(struct exchange *c, const char *p, size_t n)
{
	if (c->tap && c->tap->stream(c, p, n))
		c->tap->close(c);
	return reply_body(c, p, n);
}

/* The head of an event stream, once: no cache, and no buffering by a
 * proxy in front (nginx reads X-Accel-Buffering). */
int
reply_stream_head(struct exchange *c)
{
	if (c->stream_head)
		return 0;
	c->stream_head = 1;
	return reply_head(c, 200, "text/event-stream", -1,
	    "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
}

/* One server-sent event, written at once after the stream's head: an
 * "event:" line when event is not NULL, the data as "data:" lines (one
 * for each of its lines), and the blank line that ends it. */
int
reply_event(struct exchange *c, const char *event, const char *data,
    size_t n)
{
	struct buf	 b;
	const char	*nl;
	int		 rc = -1;

	if (reply_stream_head(c) == -1)
		return -1;
	buf_init(&b, 0);
	if (event && buf_printf(&b, "event: %s\n", event) == -1)
		goto out;
	while ((nl = memchr(data, '\n', n)) != NULL) {
		if (buf_add(&b, "data: ", 6) == -1 ||
		    buf_add(&b, data, (size_t)(nl - data) + 1) == -1)
			goto out;
		n -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	if (buf_add(&b, "data: ", 6) == 0 && buf_add(&b, data, n) == 0 &&
	    buf_add(&b, "\n\n", 2) == 0)
		rc = reply_write(c, b.data, b.len);
out:
	buf_free(&b);
	return rc;
}

/* What the generator g holds, sent as one event (reply_event), and g
 * cleared for the next, sent or not. */
int
reply_gen_event(struct exchange *c, const char *event, yajl_gen g)
{
	const unsigned char	*p;
	size_t			 n;
	int			 rc = -1;

	if (json_buf(g, &p, &n) == 0)
		rc = reply_event(c, event, (const char *)p, n);
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	return rc;
}

/* The same, for a body the tap does not read: the caller closes the
 * tap before the last piece. */
int
reply_body(struct exchange *c, const char *p, size_t n)
{
	struct buf	 b;
	int		 rc = -1;

	if (!c->chunked || n == 0)
		return n ? conn_write(c->conn, p, n) : 0;
	buf_init(&b, 0);
	if (buf_printf(&b, "%zx\r\n", n) == 0 && buf_add(&b, p, n) == 0 &&
	    buf_add(&b, "\r\n", 2) == 0)
		rc = conn_write(c->conn, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* Ends a chunked body; nothing for the others, which end with the
 * connection or their length. */
int
reply_end(struct exchange *c)
{
	if (!c->chunked)
		return 0;
	c->chunked = 0;
	return conn_write(c->conn, "0\r\n\r\n", 5);
}

/* What is written between the two goes out in one write(2) at
 * reply_release: the events one read from Hexin brought. -1 when the
 * client is gone. */
void
reply_hold(struct exchange *c)
{
	conn_hold(c->conn);
}

int
reply_release(struct exchange *c)
{
	return conn_release(c->conn);
}

int
reply_json(struct exchange *c, int status, const struct buf *json)
{
	return reply(c, status, "application/json", json->data ? json->data :
	    "", json->len, NULL);
}

static int reply_verror(struct exchange *, int, const char *, const char *,
    const char *, const char *, va_list)
    __attribute__((format(printf, 6, 0)));

static int
reply_verror(struct exchange *c, int status, const char *code,
    const char *param, const char *extra, const char *fmt, va_list ap)
{
	char		 msg[1024];
	struct buf	 b;
	int		 rc;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	buf_init(&b, 0);
	if (error_body_param(&b, c->api, status, code, param, msg) == -1) {
		buf_free(&b);
		return reply(c, 500, "text/plain", "out of memory\n", 14,
		    extra);
	}
	rc = reply(c, status, "application/json", b.data, b.len, extra);
	buf_free(&b);
	return rc;
}

/* An error in the client API's shape; code NULL takes the status's. */
int
reply_error(struct exchange *c, int status, const char *code, const char *fmt,
    ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = reply_verror(c, status, code, NULL, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int
reply_error_extra(struct exchange *c, int status, const char *code,
    const char *extra, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = reply_verror(c, status, code, NULL, extra, fmt, ap);
	va_end(ap);
	return rc;
}

/* A 400 naming the request field at fault. */
int
reply_error_param(struct exchange *c, const char *param, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = reply_verror(c, 400, NULL, param, NULL, fmt, ap);
	va_end(ap);
	return rc;
}
