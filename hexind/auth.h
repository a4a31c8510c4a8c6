/* Client keys. */
#ifndef HEXIND_AUTH_H
#define HEXIND_AUTH_H

#include "http/http.h"
#include "lib/conf.h"

#define KEY_NAME_MAX	64
#define KEY_MODELS_MAX	1024

/* What the keys file says of the key a request carried. A key without
 * name= is known by "key-" and the start of its SHA-256, which reveals
 * nothing of it. */
struct client_key {
	char		 name[KEY_NAME_MAX + 1];
	char		 models[KEY_MODELS_MAX];	/* globs; "": all */
	long		 rpm;		/* requests a minute; 0: no limit */
	long long	 tpd;		/* tokens a day; 0: no limit */
};

int	auth_check(const struct conf *, const struct http_req *,
	    struct client_key *, const char **why);
long	auth_count(const struct conf *, char *err, size_t errsz);
int	auth_admin(const struct conf *, const struct http_req *,
	    const char **why);

#endif
