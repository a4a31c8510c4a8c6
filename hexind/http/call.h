/* One request in flight: what the front door learned about it and what
 * the access log will say. Handlers get a call and answer through
 * reply.h (and, later, the upstream interface). */
#ifndef HEXIND_CALL_H
#define HEXIND_CALL_H

#include "lib/buf.h"
#include "lib/conf.h"
#include "http/conn.h"
#include "http/http.h"

enum api { API_OPENAI, API_ANTHROPIC };

struct capture;

#define REQUEST_ID_MAX	128

struct call {
	const struct conf	*conf;
	struct conn		*conn;
	struct http_req		*req;		/* NULL before the head parsed */
	struct buf		 body;
	struct capture		*capture;	/* capture, or NULL */
	enum api		 api;
	int			 head_only;	/* HEAD: no body in replies */
	int			 keep;		/* the connection stays open */
	int			 chunked;	/* the body goes out chunked */
	int			 keep_max;	/* requests the connection has left */
	const char		*origin;	/* CORS origin to allow, or NULL */
	char			 headers[256];	/* more header lines for replies */
	char			 id[REQUEST_ID_MAX + 1];
	/* for the access log */
	char			 route[96];	/* route, or Hexin route */
	char			 model[256];
	int			 status;
	int			 upstream_status;
	long long		 t0;
	long long		 t_first;	/* first byte to the client */
	size_t			 bytes0;	/* conn->bytes_out at the start */
};

#endif
