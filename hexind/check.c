/* --check tells an operator whether this host can serve: the settings as
 * hexind reads them (secrets masked), the client keys, the model table.
 * --route shows where a model name would go; --discover asks a gateway
 * route for its models and prints them as a model-table fragment. Each
 * prints to stdout and exits 0 when all is well, 1 otherwise. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "lib/version.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/statefile.h"
#include "upstream/attempt.h"
#include "upstream/models.h"
#include "upstream/token.h"

/* Obtains or reuses the token through the shared cache, as a request
 * would. */
static int
check_token(const struct conf *c)
{
	struct token	*t;
	char		 err[512], when[64], path[512];
	struct tm	 tm;
	time_t		 exp;
	int		 ok;

	if ((t = malloc(sizeof(*t))) == NULL) {
		printf("token: FAIL: out of memory\n");
		return 0;
	}
	if (token_get(c, "hexind-check", t, err, sizeof(err), NULL) != 0) {
		printf("token: FAIL: %s\n", err);
		ok = 0;
	} else {
		exp = (time_t)t->exp;
		clock_utc(exp, &tm);
		if (strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "%lld", t->exp);
		if (token_path(c, path, sizeof(path)) == -1)
			path[0] = '\0';
		printf("token: ok: user %s, expires %s, %s %s\n", t->user_id,
		    when, t->cached ? "cached in" : "NOT cached in", path);
		ok = 1;
	}
	free(t);
	return ok;
}

/* The state directory: made when missing and writable, or the limits
 * of named keys cannot be kept (503) and the ledger is not written. */
static int
check_state(const struct conf *c)
{
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	const char	*state = conf_state_dir(c, tmp, sizeof(tmp));

	if (statefile_dir(state, "usage", dir, sizeof(dir)) == -1 ||
	    access(dir, W_OK) == -1) {
		printf("state: FAIL: %s: %s (named keys with limits get 503, "
		    "the ledger is not written)\n", state, strerror(errno));
		return 0;
	}
	printf("state: ok: %s\n", state);
	return 1;
}

int
check_run(const struct conf *c)
{
	struct models	 m;
	char		 err[MODELS_ERRSZ];
	long		 nkeys;
	int		 ok = 1;

	printf("hexind %s\n", HEXIND_VERSION);
	conf_print(c, stdout);
	if ((nkeys = auth_count(c, err, sizeof(err))) == -1) {
		printf("keys: FAIL: HEXIND_API_KEYS_FILE %s: %s\n",
		    c->api_keys_file, err);
		ok = 0;
	} else if (nkeys == 0) {
		printf("keys: FAIL: none configured, every request is "
		    "refused: set HEXIND_API_KEYS or HEXIND_API_KEYS_FILE\n");
		ok = 0;
	} else {
		printf("keys: ok: %ld\n", nkeys);
	}
	ok &= check_state(c);
	if (models_load(c, &m, err, sizeof(err)) == -1) {
		printf("models: FAIL: %s\n", err);
		ok = 0;
	} else {
		printf("models: ok: %zu models, %zu families\n", m.nmodels,
		    m.nfamilies);
		models_free(&m);
	}
	if (c->app_id == NULL) {
		printf("credentials: FAIL: HITHINK_APP_ID and "
		    "HITHINK_APP_SECRET are not set\n");
		ok = 0;
	} else {
		printf("credentials: ok: app id %s\n", c->app_id);
		ok &= check_token(c);
	}
	printf("%s\n", ok ? "ready" : "not ready");
	return ok ? 0 : 1;
}

int
check_route(const struct conf *c, const char *name)
{
	struct models	 m;
	struct resolved	 r;
	char		 err[MODELS_ERRSZ], url[2048];
	const struct family *f;
	size_t		 i;

	if (models_load(c, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "hexind: %s\n", err);
		return 1;
	}
	if (models_resolve(&m, name, &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "hexind: %s: %s\n", name, err);
		models_free(&m);
		return 1;
	}
	f = r.family;
	printf("family=%s route=%s model=%s", f->name,
	    family_kind_name(f->kind), r.model);
	if (models_url(c, &r, 0, url, sizeof(url)) == 0)
		printf(" url=%s", url);
	/* each client API: native (passed on in its own format), translate
	 * (to the route's) or none */
	printf(" chat=%s responses=%s messages=%s",
	    f->kind == FAMILY_BEDROCK ? "translate" : "native",
	    f->responses_native ? "native" : "translate",
	    f->kind == FAMILY_BEDROCK ? "native" : "translate");
	printf(" fan_out_n=%s", r.fan_out_n ? "yes" : "no");
	for (i = 0; r.fallbacks && i < r.fallbacks->u.array.len; i++)
		printf("%s%s", i ? "," : " fallbacks=",
		    YAJL_GET_STRING(r.fallbacks->u.array.values[i]));
	if (r.max_tokens_cap)
		printf(" max_tokens_cap=%lld", r.max_tokens_cap);
	printf("\n");
	models_free(&m);
	return 0;
}

/* --- --discover --- */

struct discover {
	char		 url[1100];
};

static void
discover_setup(struct attempt *h, size_t i, struct up_call *u)
{
	struct discover	*d = h->arg;

	(void)i;
	u->url = d->url;
	u->post = NULL;
	(void)up_call_header(u, "Accept: application/json");
}

/* The family a name means: a family of that name, else the one the
 * model name routes to. */
static const struct family *
family_named(const struct models *m, const char *name)
{
	struct resolved	 r;
	char		 err[MODELS_ERRSZ];
	size_t		 i;

	for (i = 0; i < m->nfamilies; i++)
		if (strcmp(m->families[i].name, name) == 0)
			return &m->families[i];
	return models_resolve(m, name, &r, err, sizeof(err)) == 0 ?
	    r.family : NULL;
}

/* Each model id of a gateway's list, as a string in g. */
static int
gen_ids(yajl_gen g, yajl_val data, int whole)
{
	yajl_val	 e, id, owner;
	size_t		 i;

	for (i = 0; i < data->u.array.len; i++) {
		e = data->u.array.values[i];
		id = json_get(e, "id");
		owner = json_get(e, "owned_by");
		if (!YAJL_IS_STRING(id))
			continue;
		if (!whole) {
			if (json_str(g, id->u.string))
				return -1;
			continue;
		}
		if (json_map_open(g) || json_kstr(g, "id", id->u.string) ||
		    json_kstr(g, "owned_by", YAJL_IS_STRING(owner) ?
		    owner->u.string : "gateway") || json_map_close(g))
			return -1;
	}
	return 0;
}

/* Prints what a gateway's GET /models lists as a model-table fragment:
 * the models to advertise and a family that routes exactly them. */
static int
print_fragment(const struct family *f, yajl_val list)
{
	yajl_val	 data = json_get(list, "data");
	yajl_gen	 g;
	struct buf	 b;
	int		 rc;

	if (!YAJL_IS_ARRAY(data)) {
		fprintf(stderr, "hexind: the gateway's model list has no "
		    "\"data\" array\n");
		return 1;
	}
	if ((g = json_gen()) == NULL)
		return 1;
	(void)yajl_gen_config(g, yajl_gen_beautify, 1);
	(void)yajl_gen_config(g, yajl_gen_indent_string, "  ");
	rc = json_map_open(g) || json_str(g, "models") ||
	    json_array_open(g) || gen_ids(g, data, 1) ||
	    json_array_close(g) || json_str(g, "families") ||
	    json_array_open(g) || json_map_open(g) ||
	    json_kstr(g, "name", f->name) || json_kstr(g, "route", "gateway") ||
	    json_str(g, "match") || json_array_open(g) ||
	    gen_ids(g, data, 0) || json_array_close(g) ||
	    json_kstr(g, "base_url", f->base_url) ||
	    json_kstr(g, "key_env", f->key_env) || json_map_close(g) ||
	    json_array_close(g) || json_map_close(g);
	buf_init(&b, 0);
	if (rc != 0)
		yajl_gen_free(g);
	else if ((rc = json_take(g, &b)) == 0)
		printf("%s\n", buf_cstr(&b));
	buf_free(&b);
	return rc ? 1 : 0;
}

int
check_discover(const struct conf *c, const char *name)
{
	struct models		 m;
	struct attempt		 h;
	struct discover		 d;
	const struct family	*f;
	char			 err[MODELS_ERRSZ];
	size_t			 bad;
	int			 rc = 1;

	if (models_load(c, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "hexind: %s\n", err);
		return 1;
	}
	if ((f = family_named(&m, name)) == NULL) {
		fprintf(stderr, "hexind: %s: no family of that name, and no "
		    "family routes that model\n", name);
		goto out;
	}
	if (f->kind != FAMILY_GATEWAY) {
		fprintf(stderr, "hexind: %s: family %s is not a gateway "
		    "route; only gateways list their models\n", name, f->name);
		goto out;
	}
	snprintf(d.url, sizeof(d.url), "%s/models", f->base_url);
	if (attempt_init(&h, c, "discover", 1) == -1) {
		fprintf(stderr, "hexind: out of memory\n");
		goto out;
	}
	h.arg = &d;
	h.setup = discover_setup;
	h.key_env = f->key_env;
	if (attempt_run(&h, &bad) == ATTEMPT_OK)
		rc = print_fragment(f, h.res[0].payload);
	else
		fprintf(stderr, "hexind: %s: %s\n", d.url, h.fail.message);
	attempt_free(&h);
out:
	models_free(&m);
	return rc;
}
