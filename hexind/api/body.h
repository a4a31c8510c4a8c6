/* The client's JSON body, parsed once under the limits every endpoint
 * shares (HEXIND_MAX_JSON_VALUES, no key twice in an object), a refusal
 * answered in the client API's own shape; and what an endpoint's own
 * checks found wrong with it, answered the same way. */
#ifndef HEXIND_BODY_H
#define HEXIND_BODY_H

#include <yajl/yajl_tree.h>

#include "http/exchange.h"

/* A request the client must fix: the field at fault and what is wrong. */
struct invalid {
	const char	*param;		/* NULL: the body as a whole */
	char		 message[512];
};

yajl_val body_json(struct exchange *);
int	body_invalid(struct invalid *, const char *param, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
int	body_refuse(struct exchange *, const struct invalid *);
int	body_admit(struct exchange *, const char *family, yajl_val fallbacks);
const char *body_route_model(const struct exchange *, const char *asked);
int	body_model(yajl_val req, const char **model, struct invalid *);

#endif
