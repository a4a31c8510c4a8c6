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
#define EXCHANGE_FALLBACKS 8

/* Tokens the upstream reported for the request, as its usage objects
 * give them (input includes the cached and the written, output the
 * reasoning). */
struct usage {
	long long	 input;
	long long	 cached;		/* read from a prompt cache */
	long long	 written;		/* written to it (Anthropic) */
	long long	 output;
	long long	 reasoning;
	int		 seen;		/* a usage object arrived */
};

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
	/* the client's key: handed down by whoever checked it, so that an
	 * endpoint can have its rules applied once the model is known (0,
	 * or -1 when refused and answered); NULL: no rules */
	int			(*admit)(struct exchange *);
	void			*key;
	const char		*key_name;	/* or NULL */
	const char		*key_models;	/* its models= globs; NULL: all */
	/* what is done once the request's outcome is known, before the
	 * last byte of its answer goes out (reply_finish) */
	void			(*finish)(struct exchange *);
	int			 finished;
	/* for the access log */
	char			 log_route[96];	/* route=: ours, or Hexin's */
	char			 model[256];
	char			 served[256];	/* a fallback being tried */
	/* the model table's fallbacks for the model asked, tried in turn
	 * when its call fails before the first byte (api/calls.c) */
	char			 fallback[EXCHANGE_FALLBACKS][129];
	int			 nfallback;
	int			 fallback_next;	/* the next to try */
	int			 fell;		/* it failed over: try it */
	struct usage		 usage;
	int			 status;
	int			 upstream_status;
	size_t			 retries;	/* Hexin calls made again */
	int			 relogins;
	const char		*cause;		/* why Hexin failed, or NULL */
	const char		*endpoint;	/* the route's name, or NULL */
	char			 family[64];	/* the model's, once resolved */
	long long		 t0;
	long long		 t_first;	/* first byte to the client */
	size_t			 bytes0;	/* conn->bytes_out at the start */
};

#endif
