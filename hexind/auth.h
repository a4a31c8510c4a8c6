/* Client keys. */
#ifndef HEXIND_AUTH_H
#define HEXIND_AUTH_H

#include "http/http.h"
#include "lib/conf.h"

int	auth_check(const struct conf *, const struct http_req *,
	    const char **why);
long	auth_count(const struct conf *);

#endif
