/* The route table: path and method to handler. */
#ifndef HEXIND_ROUTE_H
#define HEXIND_ROUTE_H

#include <stddef.h>

#include "http/exchange.h"

typedef void (*handler_fn)(struct exchange *);

struct route {
	const char	*path;		/* without the optional "/v1" */
	int		 prefix;	/* path is a prefix: "/models/{id}" */
	const char	*method;
	int		 auth;		/* needs a client key */
	int		 body;		/* reads a request body */
	handler_fn	 fn;
	const char	*name;		/* for the access log */
};

enum api route_api(const char *path);
const struct route *route_find(const char *path, const char *method,
	    int *status, char *allow, size_t allowsz);

#endif
