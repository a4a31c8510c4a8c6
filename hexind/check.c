/* --check tells an operator whether this host can serve: the settings as
 * hexind reads them (secrets masked), the client keys, the model table.
 * --route shows where a model name would go. Both print to stdout and
 * exit 0 when all is well, 1 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "check.h"
#include "lib/version.h"
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
		if (gmtime_r(&exp, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
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
