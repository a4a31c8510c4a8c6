/* TLS sessions kept across processes in the cache directory, so that a
 * process that serves one request resumes the session an earlier one was
 * given instead of making a full handshake. */
#ifndef HEXIND_TLSCACHE_H
#define HEXIND_TLSCACHE_H

#include <curl/curl.h>

#include "lib/conf.h"

int	tlscache_use(CURL *, const struct conf *, const char *url);

#endif
