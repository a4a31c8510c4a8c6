/* One exchange with a client: its request as the front door read it,
 * the state of the answer (keep-alive, chunking) and what the access log
 * will say. Handlers get an exchange and answer through http/reply.h. */
#ifndef HEXIND_EXCHANGE_H
#define HEXIND_EXCHANGE_H

#include "http/conn.h"
#include "http/http.h"
#include "lib/buf.h"
#include "lib/conf.h"

enum api { API_OPENAI, API_ANTHROPIC };

struct exchange;

/* What watches the answer go out (the request capture): handed down by
 * whoever opens it, so that replies need not know what it is. body sees
 * a whole answer, stream each piece of a stream and returns 1 once it
 * has seen the end; close is called before the last byte goes out. */
struct tap {
	void	(*body)(struct exchange *, int status, const char *, size_t);
	int	(*stream)(struct exchange *, const char *, size_t);
	void	(*close)(struct exchange *);
};

#define REQUEST_ID_MAX	128

struct exchange {
	const struct conf	*conf;
	struct conn		*conn;
	struct http_req		*req;		/* NULL before the head parsed */
	struct buf		 body;
	const struct tap	*tap;		/* or NULL */
	void			*tap_arg;
	enum api		 api;
	int			 head_only;	/* HEAD: no body in replies */
	int			 keep;		/* the connection stays open */
	int			 chunked;	/* the body goes out chunked */
	int			 stream_head;	/* an event stream's head is out */
	int			 keep_max;	/* requests the connection has left */
	const char		*origin;	/* CORS origin to allow, or NULL */
	char			 headers[256];	/* more header lines for replies */
	char			 id[REQUEST_ID_MAX + 1];
	/* for the access log */
	char			 log_route[96];	/* route=: ours, or Hexin's */
	char			 model[256];
	int			 status;
	int			 upstream_status;
	long long		 t0;
	long long		 t_first;	/* first byte to the client */
	size_t			 bytes0;	/* conn->bytes_out at the start */
};

#endif
