/* A body refused here never reaches a handler's checks, so every
 * endpoint reads a request the same way, and the way Hexin would. */
#include <stdarg.h>
#include <stdio.h>

#include "api/body.h"
#include "http/reply.h"
#include "lib/json.h"

/* The body's tree, or NULL once the client has been answered: 400 for
 * JSON that is invalid or has a key twice, 413 past the value limit. */
yajl_val
body_json(struct exchange *c)
{
	enum json_fault	 fault;
	char		 err[256];
	yajl_val	 v;

	v = json_parse_document(buf_cstr(&c->body), c->body.len,
	    c->conf->max_json_values, &fault, err, sizeof(err));
	if (v != NULL)
		return v;
	switch (fault) {
	case JSON_TOO_MANY:
		reply_error(c, 413, NULL, "the request body holds %s; the "
		    "limit is HEXIND_MAX_JSON_VALUES", err);
		break;
	case JSON_DUP_KEY:
		reply_error_param(c, NULL, "the request body is ambiguous: "
		    "%s", err);
		break;
	case JSON_NO_MEMORY:
		reply_error(c, 500, NULL, "out of memory");
		break;
	default:
		reply_error_param(c, NULL, "the request body is not valid "
		    "JSON: %s", err);
		break;
	}
	return NULL;
}

/* Notes what is wrong with the request; returns -1, so that a check can
 * end with return body_invalid(...). */
int
body_invalid(struct invalid *bad, const char *param, const char *fmt, ...)
{
	va_list	 ap;

	bad->param = param;
	va_start(ap, fmt);
	(void)vsnprintf(bad->message, sizeof(bad->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Answers 400 naming the field at fault. */
int
body_refuse(struct exchange *c, const struct invalid *bad)
{
	return reply_error_param(c, bad->param, "%s", bad->message);
}

/* The client key's rules for c->model (the models it may use, its
 * limits), applied once the model is known to route (to family, with
 * its fallbacks) and before any upstream call: 0, or -1 when refused
 * (and answered). A fallback was admitted as the model asked. */
int
body_admit(struct exchange *c, const char *family, yajl_val fallbacks)
{
	size_t	 i;

	snprintf(c->family, sizeof(c->family), "%s", family);
	if (c->served[0])
		return 0;
	for (i = 0; YAJL_IS_ARRAY(fallbacks) && i < fallbacks->u.array.len &&
	    i < EXCHANGE_FALLBACKS; i++)
		snprintf(c->fallback[i], sizeof(c->fallback[i]), "%s",
		    YAJL_GET_STRING(fallbacks->u.array.values[i]));
	c->nfallback = (int)i;
	return c->admit ? c->admit(c) : 0;
}

/* The model to route: the one asked, or the fallback being tried. */
const char *
body_route_model(const struct exchange *c, const char *asked)
{
	return c->served[0] ? c->served : asked;
}

/* What the OpenAI endpoints check first: the body is an object naming a
 * model. 0 with the model's name, or -1 with what is wrong. */
int
body_model(yajl_val req, const char **model, struct invalid *bad)
{
	yajl_val	 v;

	if (!YAJL_IS_OBJECT(req))
		return body_invalid(bad, NULL, "the request body must be "
		    "a JSON object");
	v = json_get(req, "model");
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0')
		return body_invalid(bad, "model", "you must provide a "
		    "model parameter (a non-empty string)");
	*model = v->u.string;
	return 0;
}
