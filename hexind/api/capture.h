/* Request capture (HEXIND_LOG_DIR): what a client asked and what it got,
 * streams assembled, one JSON line per finished request. capture_open
 * sets it as the exchange's tap, so http/reply.c hands it every answer
 * byte the client is sent and closes it before the last of them goes
 * out: a client holding its whole answer always finds the line written.
 * Handlers call it only for what never passes through a reply (the
 * counts of an embeddings answer, which is captured condensed). */
#ifndef HEXIND_CAPTURE_H
#define HEXIND_CAPTURE_H

#include <stddef.h>

#include "http/exchange.h"

struct capture;

struct capture *capture_open(struct exchange *, const char *route);
void	capture_body(struct exchange *, int status, const char *, size_t);
int	capture_stream(struct exchange *, const char *, size_t);
void	capture_embeddings(struct exchange *, size_t count, size_t dimensions,
	    long long prompt_tokens, long long total_tokens);
void	capture_close(struct exchange *);

#endif
