/* The HTTP/1.x request parser: pure functions over bytes in memory, no
 * I/O, strict in the ways RFC 9112 asks of a server that may sit behind
 * other proxies (request smuggling is a framing disagreement). */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "lib/buf.h"

struct http_field {
	char	*name;
	char	*value;
};

enum http_body { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };

struct http_req {
	char			*method;
	char			*target;	/* as sent */
	char			*path;		/* without the query */
	char			*query;		/* NULL: none */
	int			 minor;		/* HTTP/1.minor */
	struct http_field	*fields;
	size_t			 nfields;
	/* set by http_framing() */
	enum http_body		 body;
	unsigned long long	 length;
	int			 expect_continue;
	/* why the request was refused, in words for the client */
	const char		*error;
};

struct chunked {
	int			 state;
	unsigned long long	 left;		/* of the current chunk */
	unsigned long long	 total;
	unsigned long long	 max;
	size_t			 digits;
	size_t			 linelen;
};

long	http_head_end(const char *, size_t);
int	http_parse_head(char *, size_t, size_t maxfields, struct http_req *);
void	http_req_free(struct http_req *);
const char *http_header(const struct http_req *, const char *);
int	http_framing(struct http_req *, unsigned long long maxbody);
void	chunked_init(struct chunked *, unsigned long long maxbody);
int	chunked_feed(struct chunked *, const char *, size_t, struct buf *,
	    size_t *used, const char **error);
const char *http_reason(int);
int	http_hexdigit(int);
int	http_token_in(const char *, const char *);

#endif
