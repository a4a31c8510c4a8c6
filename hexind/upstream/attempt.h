/* One request's calls to Hexin: credentials (the shared login token, or a
 * gateway's key), the calls run side by side while the client is watched,
 * retries with growing waits while nothing has reached the client, and
 * one re-login when Hexin refuses the token. Endpoints say how to set up
 * and judge each call; hexcall does the rest the same way for all. */
#ifndef HEXIND_HEXCALL_H
#define HEXIND_HEXCALL_H

#include <stddef.h>

#include "http/call.h"
#include "upstream/hexin.h"
#include "upstream/token.h"
#include "upstream/transport.h"

struct hexcall;

struct hexcall {
	/* set by the endpoint */
	struct call	*c;
	size_t		 n;		/* calls */
	size_t		 parallel;	/* at most this many at once; 0: all */
	const char	*key_env;	/* a gateway's key variable, or NULL */
	const char	*trace;		/* X-Trace-Id; NULL: the request id */
	void		*arg;
	/* url, headers, body and streaming of call i, for each attempt */
	void		(*setup)(struct hexcall *, size_t, struct up_call *);
	/* what became of call i; NULL: hexcall_outcome */
	void		(*outcome)(struct hexcall *, size_t,
			    struct hx_result *);
	/* whether bytes have reached the client: no retry after that */
	int		(*started)(struct hexcall *);
	/* results of the last attempt */
	struct up_call	*calls;
	struct hx_result *res;
	/* private */
	struct token	*tok;
	char		 h_user[300];
	char		 h_token[TOKEN_MAX + 16];
	char		 h_bearer[1024];
	char		 h_trace[200];
};

enum hexcall_end {
	HC_OK,		/* every call's result is HX_OK */
	HC_FAILED,	/* *bad is the call that failed for good */
	HC_GONE,	/* the client hung up */
	HC_REPLIED,	/* answered already (no credentials, no memory) */
};

int	hexcall_init(struct hexcall *, struct call *, size_t n);
enum hexcall_end hexcall_run(struct hexcall *, size_t *bad);
void	hexcall_outcome(struct hexcall *, size_t, struct hx_result *);
void	hexcall_reply_error(struct hexcall *, size_t bad);
void	hexcall_free(struct hexcall *);

#endif
