/* The attempt loop: one request's calls to Hexin with their credentials
 * (the shared login token, or a gateway's key), run side by side while
 * the client is watched, attempted again with growing waits while
 * nothing has reached the client, and once more after a re-login when
 * Hexin refuses the token. Endpoints say how to set up and judge each
 * call; the loop does the rest the same way for all. */
#ifndef HEXIND_ATTEMPT_H
#define HEXIND_ATTEMPT_H

#include <stddef.h>

#include "lib/conf.h"
#include "upstream/hexin.h"
#include "upstream/token.h"
#include "upstream/transport.h"

/* Why the calls failed, for the layer that answers the client. */
struct attempt_failure {
	int		 status;	/* the HTTP status to answer */
	const char	*code;		/* the error code; NULL: the status's */
	char		 message[512];
	char		 retry_after[64];	/* Hexin's, safe to pass on */
};

struct attempt {
	/* set by attempt_init */
	const struct conf *conf;
	const char	*id;		/* the request's, for logs and traces */
	size_t		 n;		/* calls */
	/* set by the endpoint */
	struct watch	 watch;		/* the client; fd -1: nobody */
	size_t		 parallel;	/* at most this many at once; 0: all */
	const char	*key_env;	/* a gateway's key variable, or NULL */
	const char	*trace;		/* X-Trace-Id; NULL: the request id */
	void		*arg;
	/* url, headers, body and streaming of call i, for each attempt */
	void		(*setup)(struct attempt *, size_t, struct up_call *);
	/* what became of call i; NULL: attempt_outcome */
	void		(*outcome)(struct attempt *, size_t,
			    struct hx_result *);
	/* whether bytes have reached the client: no retry after that */
	int		(*started)(struct attempt *);
	/* results of the last attempt */
	struct up_call	*calls;
	struct hx_result *res;
	int		 upstream_status;	/* the first call's */
	size_t		 retries;	/* attempts again after a failure */
	int		 relogins;	/* logins again after a refused token */
	const char	*cause;		/* why it failed, a word; or NULL */
	struct attempt_failure fail;	/* when attempt_run failed */
	/* private */
	struct token	*tok;
	char		 h_user[300];
	char		 h_token[TOKEN_MAX + 16];
	char		 h_bearer[1024];
	char		 h_trace[200];
};

enum attempt_end {
	ATTEMPT_OK,		/* every call's result is HX_OK */
	ATTEMPT_FAILED,		/* why in fail; *bad is the call that failed
				   for good, n when none could start */
	ATTEMPT_GONE,		/* the client hung up */
};

int	attempt_init(struct attempt *, const struct conf *, const char *id,
	    size_t n);
enum attempt_end attempt_run(struct attempt *, size_t *bad);
void	attempt_outcome(struct attempt *, size_t, struct hx_result *);
void	attempt_free(struct attempt *);

#endif
