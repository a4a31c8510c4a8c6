/* Calls to Hexin with libcurl. Nothing here knows the client's socket;
 * curl is set up on the first call only, so requests that never reach
 * the upstream never pay for it. */
#ifndef HEXIND_UPSTREAM_H
#define HEXIND_UPSTREAM_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct up_reply {
	long		 status;	/* HTTP status, 0 when none arrived */
	int		 timeout;	/* the transfer timed out */
	struct buf	 body;
	char		 ctype[128];
	char		 error[256];	/* curl's words when status is 0 */
};

void	upstream_end(void);
void	up_reply_init(struct up_reply *, size_t maxbody);
void	up_reply_free(struct up_reply *);
int	upstream_post(const struct conf *, const char *url,
	    const char *const *headers, const char *body, size_t n,
	    int timeout_ms, struct up_reply *);

#endif
