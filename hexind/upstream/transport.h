/* Calls to Hexin with libcurl: one easy handle a call, a multi handle to
 * run several at once while watching the client. Nothing here writes to
 * the client; curl is set up on the first call only, so requests that
 * never reach the upstream never pay for it. */
#ifndef HEXIND_TRANSPORT_H
#define HEXIND_TRANSPORT_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/conf.h"

#define UP_HEADERS_MAX	12

struct up_call;

/* The client the calls keep an eye on, handed down by the layer that
 * knows it: fd is polled for a hang-up (for input too when pollin), and
 * gone() says whether the client has left; wait() sleeps at most ms
 * unless the client stirs. fd -1: nobody to watch. */
struct watch {
	int	 fd;
	int	 pollin;
	int	(*gone)(void *);
	int	(*wait)(void *, int ms);
	void	*arg;
};

/* Receives the body of a 2xx event stream (on_stream), or of any other
 * 2xx answer (on_answer), as it arrives; -1 stops the call, with the
 * reason in u->error. An answer that goes to on_answer is bounded by
 * the cap of u->body all the same, and u->body stays empty. */
typedef int (*up_data_fn)(struct up_call *, const char *, size_t);

struct up_call {
	/* set by the caller */
	const char	*url;
	const char	*headers[UP_HEADERS_MAX];	/* NULL-terminated */
	const char	*post;		/* the request body; NULL: a GET */
	size_t		 postlen;
	int		 timeout_ms;	/* total; 0: HEXIND_UPSTREAM_TIMEOUT */
	up_data_fn	 on_stream;	/* NULL: collect every answer */
	up_data_fn	 on_answer;	/* NULL: collect a 2xx answer too */
	void		*arg;
	/* results */
	long		 status;	/* HTTP status, 0 when none arrived */
	int		 timeout;	/* timed out, total or idle */
	int		 streamed;	/* the body went to on_stream */
	int		 stopped;	/* on_stream said stop */
	int		 received;	/* at least one body byte arrived */
	char		 ctype[128];
	char		 retry_after[32];
	char		 error[256];	/* when no complete answer arrived */
	struct buf	 body;		/* collected when not streamed */
	size_t		 answered;	/* bytes given to on_answer */
	/* private */
	void		*h;
	void		*hdrs;
	char		 curl_error[256];	/* CURL_ERROR_SIZE */
	long long	 last_byte;
	int		 begun;		/* connected, request on its way */
	int		 done;
};

enum { TRANSPORT_DONE = 0, TRANSPORT_CLIENT_GONE = -1 };

void	transport_end(void);
void	up_call_init(struct up_call *, size_t maxbody);
void	up_call_free(struct up_call *);
int	up_call_header(struct up_call *, const char *);
int	transport_run(const struct conf *, struct up_call *, size_t n,
	    const struct watch *, size_t parallel);

#endif
