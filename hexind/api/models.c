/* GET /v1/models, GET /v1/models/{id} and GET /health. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/reply.h"
#include "lib/conf.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/version.h"
#include "upstream/models.h"
#include "upstream/token.h"

static int
model_gen(yajl_gen g, const struct model *m)
{
	return json_map_open(g) || json_kstr(g, "id", m->id) ||
	    json_kstr(g, "object", "model") ||
	    json_kint(g, "created", m->created) ||
	    json_kstr(g, "owned_by", m->owned_by) ||
	    json_map_close(g) ? -1 : 0;
}

/* Whether the client's key may use the model (its models= globs): the
 * list shows a key only those. */
static int
visible(const struct exchange *c, const char *id)
{
	return c->key_models == NULL || conf_list_match(c->key_models, id);
}

/* Loads the table or answers 500; the operator finds why in the log. */
static int
table_load(struct exchange *c, struct models *m)
{
	char	 err[MODELS_ERRSZ];

	if (models_load(c->conf, m, err, sizeof(err)) == 0)
		return 0;
	log_error("%s", err);
	reply_error(c, 500, "config_error", "the model table is invalid; "
	    "run hexind --check");
	return -1;
}

static void
gen_reply(struct exchange *c, yajl_gen g, int rc)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (rc != 0 || json_take(g, &b) == -1) {
		if (rc != 0)
			yajl_gen_free(g);
		reply_error(c, 500, NULL, "out of memory");
	} else {
		reply_json(c, 200, &b);
	}
	buf_free(&b);
}

void
api_models_list(struct exchange *c)
{
	struct models	 m;
	yajl_gen	 g;
	size_t		 i;
	int		 rc;

	if (table_load(c, &m) == -1)
		return;
	if ((g = json_gen()) == NULL) {
		models_free(&m);
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	rc = json_map_open(g) || json_kstr(g, "object", "list") ||
	    json_str(g, "data") || json_array_open(g);
	for (i = 0; rc == 0 && i < m.nmodels; i++)
		if (visible(c, m.models[i].id))
			rc = model_gen(g, &m.models[i]);
	rc = rc || json_array_close(g) || json_map_close(g);
	gen_reply(c, g, rc);
	models_free(&m);
}

/* The id is the rest of the path, percent-decoded. */
static int
path_id(const char *p, char *id, size_t idsz)
{
	size_t	 o = 0;
	int	 hi, lo;

	for (; *p; p++) {
		if (o + 1 >= idsz)
			return -1;
		if (*p == '%') {
			if ((hi = http_hexdigit(p[1])) < 0 || (lo = http_hexdigit(p[2])) < 0)
				return -1;
			id[o] = (char)(hi << 4 | lo);
			if (id[o] == '\0')
				return -1;
			o++;
			p += 2;
		} else {
			id[o++] = *p;
		}
	}
	id[o] = '\0';
	return 0;
}

void
api_models_get(struct exchange *c)
{
	const struct model	*mo;
	struct models		 m;
	char			 id[256];
	yajl_gen		 g;

	/* the route matched "/models/" with something after it */
	if (path_id(strstr(c->req->path, "/models/") + 8, id,
	    sizeof(id)) == -1) {
		reply_error(c, 400, NULL, "malformed model id in the path");
		return;
	}
	snprintf(c->model, sizeof(c->model), "%s", id);
	if (table_load(c, &m) == -1)
		return;
	if ((mo = models_find(&m, id)) == NULL || !visible(c, id)) {
		reply_error(c, 404, "model_not_found", "The model '%.200s' "
		    "does not exist", id);
	} else if ((g = json_gen()) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
	} else {
		gen_reply(c, g, model_gen(g, mo));
	}
	models_free(&m);
}

/* Never calls the upstream and never shows a secret: an operator's and a
 * load balancer's probe. */
void
api_health(struct exchange *c)
{
	yajl_gen	 g;

	if ((g = json_gen()) == NULL) {
		reply_error(c, 500, NULL, "out of memory");
		return;
	}
	gen_reply(c, g, json_map_open(g) ||
	    json_kstr(g, "status", "healthy") ||
	    json_kstr(g, "version", HEXIND_VERSION) ||
	    json_kbool(g, "credentials", c->conf->app_id != NULL) ||
	    json_kstr(g, "token", token_state_name(token_state(c->conf))) ||
	    json_map_close(g));
}
