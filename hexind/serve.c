/* One request on the connection: its head read and checked, its route
 * and key, its body, its handler, and the access line. See serve.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admit.h"
#include "api/capture.h"
#include "auth.h"
#include "http/conn.h"
#include "http/exchange.h"
#include "http/http.h"
#include "http/reply.h"
#include "ledger.h"
#include "lib/clock.h"
#include "lib/conf.h"
#include "lib/ids.h"
#include "lib/log.h"
#include "route.h"
#include "serve.h"

#define CORS_MAX_AGE	"600"

/* The client's X-Request-ID when sane, else a fresh random one. */
static void
request_id(struct exchange *c)
{
	const char	*v = c->req ? http_header(c->req, "x-request-id") : NULL;

	if (id_ok(v))
		snprintf(c->id, sizeof(c->id), "%s", v);
	else
		id_hex(c->id);
}

/* The API a head refused before it parsed (too slow, too large) was
 * for, from the path of its request line so far: its error then comes in
 * that API's shape. */
static enum api
api_of_partial(struct buf *b)
{
	const char	*p = buf_cstr(b), *sp;
	char		 path[64];
	size_t		 n;

	p += strspn(p, "\r\n");
	if ((sp = strchr(p, ' ')) == NULL)
		return API_OPENAI;
	p = sp + 1;
	n = strcspn(p, " ?\r\n");
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, p, n);
	path[n] = '\0';
	return route_api(path);
}

/* Reads the request head; returns its length, 0 when the client left
 * before sending anything, -1 with *status to refuse it with. */
static long
head_read(struct exchange *c, int *status, const char **why)
{
	struct conn	*cn = c->conn;
	long long	 deadline = c->t0 + c->conf->header_timeout_ms;
	size_t		 max = c->conf->max_header_bytes;
	long		 end;
	ssize_t		 r;

	while ((end = http_head_end(buf_cstr(&cn->rbuf), cn->rbuf.len)) < 0) {
		if (cn->rbuf.len > max)
			break;
		r = conn_read(cn, deadline);
		if (r == CONN_TIMEOUT) {
			*status = 408;
			*why = "request head not received in time";
			return -1;
		}
		if (r == CONN_EOF && cn->rbuf.len > 0) {
			*status = 400;
			*why = "connection closed inside the request head";
			return -1;
		}
		if (r <= 0)
			return 0;
	}
	if (end < 0 || (size_t)end > max) {
		*status = memchr(cn->rbuf.data, '\n', max) ? 431 : 414;
		*why = *status == 431 ? "request header block too large" :
		    "request line too long";
		return -1;
	}
	return end;
}

/* Reads the body as framed; 0, or a status with *why. */
static int
body_read(struct exchange *c, const struct http_req *r, const char **why)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct conn	*cn = c->conn;
	struct chunked	 ch;
	size_t		 used, cap;
	ssize_t		 n;
	int		 rc;

	if (r->body == BODY_NONE)
		return 0;
	if (r->expect_continue && cn->rbuf.len == 0 &&
	    conn_write(cn, cont, sizeof(cont) - 1) == -1)
		return -1;
	chunked_init(&ch, c->conf->max_body_bytes);
	for (;;) {
		if (r->body == BODY_LENGTH && cn->rbuf.len == r->length &&
		    c->body.data == NULL) {
			/* The body and nothing after it, the usual case: the
			 * read buffer becomes the body, not a second copy. */
			cap = c->body.cap;
			c->body = cn->rbuf;
			c->body.cap = cap;
			buf_init(&cn->rbuf, 0);
			return 0;
		}
		if (r->body == BODY_LENGTH && cn->rbuf.len >= r->length) {
			if (buf_add(&c->body, cn->rbuf.data,
			    (size_t)r->length) == -1)
				break;
			buf_consume(&cn->rbuf, (size_t)r->length);
			return 0;
		}
		if (r->body == BODY_CHUNKED) {
			rc = chunked_feed(&ch, buf_cstr(&cn->rbuf),
			    cn->rbuf.len, &c->body, &used, why);
			buf_consume(&cn->rbuf, used);
			if (rc == 1)
				return 0;
			if (rc != 0)
				return rc;
		}
		n = conn_read(cn, now_ms() + c->conf->body_timeout_ms);
		if (n == CONN_TIMEOUT) {
			*why = "request body stalled";
			return 408;
		}
		if (n <= 0) {
			*why = "connection closed inside the request body";
			return -1;
		}
	}
	*why = "out of memory";
	return 500;
}

/* CORS (Fetch standard): the origin to allow, when HEXIND_CORS_ORIGINS
 * names it or is "*". */
static const char *
cors_origin(const struct conf *cf, const struct http_req *r)
{
	const char	*o = http_header(r, "origin");

	if (cf->cors_origins == NULL || o == NULL)
		return NULL;
	if (conf_list_has(cf->cors_origins, "*", 1))
		return "*";
	return conf_list_has(cf->cors_origins, o, strlen(o)) ? o : NULL;
}

static int
header_list_ok(const char *s)
{
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-, ") == strlen(s);
}

/* A preflight request: answered without a key, as browsers send none. */
static void
preflight(struct exchange *c, const char *allow)
{
	const char	*h = http_header(c->req, "access-control-request-headers");
	char		 extra[1024];

	if (c->origin == NULL) {
		reply_error(c, 403, "cors_forbidden", "origin not allowed: "
		    "see HEXIND_CORS_ORIGINS");
		return;
	}
	if (h == NULL || !header_list_ok(h) || strlen(h) > 512)
		h = "authorization, content-type, x-api-key, x-request-id, "
		    "x-session-id, anthropic-version, anthropic-beta";
	snprintf(extra, sizeof(extra), "Access-Control-Allow-Methods: %s, "
	    "OPTIONS\r\nAccess-Control-Allow-Headers: %s\r\n"
	    "Access-Control-Max-Age: " CORS_MAX_AGE "\r\n", allow, h);
	reply(c, 204, NULL, "", 0, extra);
}

static void
access_log(struct exchange *c)
{
	char	 method[48], path[256], model[200], served[200];
	char	 up[16] = "-", first[24] = "-";

	log_clean(method, sizeof(method), c->req ? c->req->method : "-",
	    c->req ? strlen(c->req->method) : 1);
	log_clean(path, sizeof(path), c->req ? c->req->path : "-",
	    c->req ? strlen(c->req->path) : 1);
	log_clean(model, sizeof(model), c->model[0] ? c->model : "-",
	    c->model[0] ? strlen(c->model) : 1);
	if (c->upstream_status)
		snprintf(up, sizeof(up), "%d", c->upstream_status);
	if (c->t_first)
		snprintf(first, sizeof(first), "%lld", c->t_first - c->t0);
	log_clean(served, sizeof(served), c->served[0] ? c->served : model,
	    strlen(c->served[0] ? c->served : model));
	log_info("access peer=%s method=%s path=%s status=%d model=%s "
	    "route=%s upstream=%s bytes=%zu ms=%lld first_ms=%s served=%s "
	    "key=%s id=%s", conn_peer(c->conn), method, path, c->status, model,
	    c->log_route, up, c->conn->bytes_out - c->bytes0, now_ms() - c->t0,
	    first, served, c->key_name ? c->key_name : "-", c->id);
}

/* The request's outcome is known: the tokens it spent are counted and
 * its record goes to the ledger. */
static void
finished(struct exchange *c)
{
	admit_spent(c);
	ledger_write(c);
}

/* Whether the request lets the connection carry another (RFC 9112
 * section 9.3): HTTP/1.1 unless it says close, HTTP/1.0 only when it
 * asks for keep-alive. */
static int
wants_keepalive(const struct http_req *r)
{
	const char	*v = http_header(r, "connection");

	if (r->minor == 0)
		return v != NULL && http_token_in(v, "keep-alive");
	return v == NULL || !http_token_in(v, "close");
}
/* Serves one request; returns the exit code, and in *again whether the
 * connection carries another. left: requests it may still carry. */
int
serve(struct conn *cn, const struct conf *cf, const char *conf_err,
    size_t left, int *again)
{
	struct exchange		 c;
	struct http_req		 req;
	struct client_key	 key;
	const struct route	*rt = NULL;
	const char		*why = NULL;
	char			*head = NULL, allow[32], extra[160];
	long			 end;
	int			 status = 0, drain = 1, rc = EXIT_SERVED;

	memset(&c, 0, sizeof(c));
	memset(&req, 0, sizeof(req));
	*again = 0;
	c.conf = cf;
	c.conn = cn;
	c.t0 = now_ms();
	c.bytes0 = cn->bytes_out;
	c.finish = finished;
	cn->junk = 0;
	strcpy(c.log_route, "-");
	buf_init(&c.body, cf->max_body_bytes);

	if ((end = head_read(&c, &status, &why)) == 0)
		goto out_quiet;
	if (end > 0) {
		if ((head = malloc((size_t)end)) == NULL) {
			status = 500;
			why = "out of memory";
		} else {
			memcpy(head, cn->rbuf.data, (size_t)end);
			buf_consume(&cn->rbuf, (size_t)end);
			status = http_parse_head(head, (size_t)end,
			    cf->max_headers, &req);
			why = req.error;
			if (req.path)
				c.req = &req;
		}
	}
	if (status == 0)
		c.req = &req;
	request_id(&c);
	if (c.req) {
		c.api = route_api(req.path);
		c.head_only = strcmp(req.method, "HEAD") == 0;
		c.origin = cors_origin(cf, &req);
	} else if (end == -1)
		c.api = api_of_partial(&cn->rbuf);
	/* Framing first: a request whose length is in doubt gets no
	 * other answer. */
	if (status == 0 &&
	    (status = http_framing(&req, cf->max_body_bytes)) != 0)
		why = req.error;
	if (status) {
		reply_error(&c, status, NULL, "%s", why);
		goto out;
	}
	if (conf_err) {
		log_error("%s", conf_err);
		reply_error(&c, 500, "config_error", "the server's "
		    "configuration is invalid; its log says why");
		rc = EXIT_CONFIG;
		goto out;
	}
	rt = route_find(req.path, req.method, &status, allow, sizeof(allow));
	if (rt) {
		snprintf(c.log_route, sizeof(c.log_route), "%s", rt->name);
		c.endpoint = rt->name;
	}
	/* Kept alive only when the body is read to its end: refusals
	 * before it close the connection. */
	c.keep = left > 1 && wants_keepalive(&req) &&
	    (req.body == BODY_NONE || (rt && rt->body));
	c.keep_max = (int)(left - 1);
	if (strcmp(req.method, "OPTIONS") == 0 && cf->cors_origins &&
	    (rt || status == 405)) {
		preflight(&c, allow[0] ? allow : rt->method);
		goto out;
	}
	if (rt == NULL && status == 405) {
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		reply_error_extra(&c, 405, NULL, extra, "%s is not allowed on "
		    "%s; use %s", req.method, req.path, allow);
		goto out;
	}
	if (rt == NULL) {
		reply_error(&c, 404, "unknown_url", "Invalid URL (%s %s)",
		    req.method, req.path);
		goto out;
	}
	if (rt->auth && (status = auth_check(cf, &req, &key, &why)) != 0) {
		c.keep = c.keep && req.body == BODY_NONE;
		reply_error_extra(&c, status, NULL, status == 401 ?
		    "WWW-Authenticate: Bearer realm=\"hexind\"\r\n" : NULL,
		    "%s", why);
		goto out;
	}
	if (rt->auth) {
		c.key = &key;
		c.key_name = key.name;
		c.key_models = key.models[0] ? key.models : NULL;
		c.admit = admit;
	}
	if (rt->body) {
		if ((status = body_read(&c, &req, &why)) == -1)
			goto out_quiet;
		if (status) {
			c.keep = 0;
			reply_error(&c, status, NULL, "%s", why);
			goto out;
		}
	}
	drain = req.body != BODY_NONE && !rt->body;
	(void)capture_open(&c, rt->name);
	rt->fn(&c);
	while (c.fell) {
		/* the model's call failed before its first byte: the next
		 * of its fallbacks, afresh */
		c.fell = 0;
		snprintf(c.served, sizeof(c.served), "%s",
		    c.fallback[c.fallback_next++]);
		c.status = c.upstream_status = 0;
		c.cause = NULL;
		c.family[0] = c.headers[0] = '\0';
		rt->fn(&c);
	}
	capture_close(&c);	/* when the answer had no end of its own */
	reply_finish(&c);	/* likewise */
	(void)reply_end(&c);
out:
	access_log(&c);
	*again = c.keep && !cn->failed && c.status != 0;
out_quiet:
	if (!*again)
		conn_close(cn, drain);
	http_req_free(&req);
	free(head);
	buf_free(&c.body);
	return rc;
}
