/* Every API path also answers without its "/v1" prefix, as the Python
 * proxy did: the table holds the short form. */
#include <string.h>

#include "api/api.h"
#include "metrics.h"
#include "route.h"

static const struct route routes[] = {
	{ "/chat/completions", 0, "POST", 1, 1, api_chat, "chat" },
	{ "/responses", 0, "POST", 1, 1, api_responses, "responses" },
	{ "/embeddings", 0, "POST", 1, 1, api_embeddings, "embeddings" },
	{ "/messages", 0, "POST", 1, 1, api_messages, "messages" },
	{ "/messages/count_tokens", 0, "POST", 1, 1, api_count_tokens,
	    "count_tokens" },
	{ "/models", 0, "GET", 1, 0, api_models_list, "models" },
	{ "/models/", 1, "GET", 1, 0, api_models_get, "model" },
	{ "/health", 0, "GET", 0, 0, api_health, "health" },
	{ "/metrics", 0, "GET", 0, 0, metrics_serve, "metrics" },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The path without a leading "/v1". */
static const char *
route_strip(const char *path)
{
	if (strncmp(path, "/v1/", 4) == 0)
		return path + 3;
	return path;
}

/* Errors under /v1/messages speak Anthropic. */
enum api
route_api(const char *path)
{
	const char	*p = route_strip(path);

	if (strncmp(p, "/messages", 9) == 0 && (p[9] == '\0' || p[9] == '/'))
		return API_ANTHROPIC;
	return API_OPENAI;
}

static int
path_match(const struct route *r, const char *p)
{
	size_t	 n = strlen(r->path);

	return r->prefix ? strncmp(p, r->path, n) == 0 && p[n] != '\0' :
	    strcmp(p, r->path) == 0;
}

/* The route for path and method, or NULL with *status 404, or 405 and the
 * methods the path allows in allow. HEAD is allowed wherever GET is. */
const struct route *
route_find(const char *path, const char *method, int *status, char *allow,
    size_t allowsz)
{
	const char	*p = route_strip(path);
	size_t		 i;

	*status = 404;
	allow[0] = '\0';
	for (i = 0; i < NROUTES; i++) {
		if (!path_match(&routes[i], p))
			continue;
		if (strcmp(method, routes[i].method) == 0 ||
		    (strcmp(method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
		*status = 405;
		strncpy(allow, strcmp(routes[i].method, "GET") == 0 ?
		    "GET, HEAD" : routes[i].method, allowsz - 1);
		allow[allowsz - 1] = '\0';
	}
	return NULL;
}
