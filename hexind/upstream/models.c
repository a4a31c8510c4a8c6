/* Loading, validating and querying the model table. Strings point into the
 * yajl trees, which live as long as the table. Every validation error
 * names the source, the entry and the key. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "upstream/models.h"

#define MODELS_FILE_MAX		(1024 * 1024)
#define DEFAULT_CREATED		1677610602LL
#define MAX_TOKENS		16
#define MODEL_INT_MAX		100000000LL	/* max_tokens_*: sums stay small */

/* build/models_default.c: models_default.json as yajl_tree_parse gives
 * it, compiled in (scripts/models-gen); read-only, never freed. */
extern const yajl_val models_default_tree;

enum ktype { T_STR, T_STRARR, T_ARR, T_OBJ, T_BOOL, T_INT, T_TOKENS };

struct key {
	const char	*name;
	enum ktype	 type;
};

static const struct key family_keys[] = {
	{ "name", T_STR }, { "match", T_STRARR }, { "route", T_STR },
	{ "path", T_STR }, { "model", T_STR }, { "passthrough", T_STRARR },
	{ "map", T_ARR }, { "rename", T_OBJ }, { "drop", T_STRARR },
	{ "fan_out_n", T_BOOL }, { "system", T_STR },
	{ "max_tokens_default", T_TOKENS }, { "max_tokens_cap", T_TOKENS },
	{ "base_url", T_STR }, { "key_env", T_STR }, { "responses", T_STR },
	{ "reasoning_effort", T_BOOL }, { "fallbacks", T_STRARR },
};

static const struct key map_keys[] = {
	{ "when", T_STRARR }, { "model", T_STR }, { "fan_out_n", T_BOOL },
	{ "max_tokens_cap", T_TOKENS },
};

static const struct key model_keys[] = {
	{ "id", T_STR }, { "owned_by", T_STR }, { "created", T_INT },
	{ "fallbacks", T_STRARR },
};

static const struct key top_keys[] = {
	{ "replace", T_BOOL }, { "models", T_ARR }, { "families", T_ARR },
	{ "bedrock", T_OBJ },
};

static const struct key bedrock_keys[] = {
	{ "betas", T_STRARR }, { "fields", T_STRARR },
};

static const char *const route_names[] = { "openai", "bedrock", "gateway" };

#define NKEYS(a)	(sizeof(a) / sizeof((a)[0]))

const char *
family_kind_name(enum family_kind k)
{
	return route_names[k];
}

/* Case-insensitive glob with '*' only. */
int
glob_match(const char *pat, const char *s)
{
	const char	*star = NULL, *mark = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			mark = s;
		} else if (tolower((unsigned char)*pat) ==
		    tolower((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int
any_match(yajl_val pats, const char *s)
{
	size_t	 i;

	for (i = 0; pats && i < pats->u.array.len; i++)
		if (glob_match(pats->u.array.values[i]->u.string, s))
			return 1;
	return 0;
}

static int
type_ok(yajl_val v, enum ktype t)
{
	size_t	 i;

	switch (t) {
	case T_STR:
		return YAJL_IS_STRING(v) && v->u.string[0] != '\0';
	case T_STRARR:
		if (!YAJL_IS_ARRAY(v))
			return 0;
		for (i = 0; i < v->u.array.len; i++)
			if (!type_ok(v->u.array.values[i], T_STR))
				return 0;
		return 1;
	case T_ARR:
		return YAJL_IS_ARRAY(v);
	case T_OBJ:
		return YAJL_IS_OBJECT(v);
	case T_BOOL:
		return YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);
	case T_INT:
		return YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0;
	case T_TOKENS:
		return type_ok(v, T_INT) && YAJL_GET_INTEGER(v) <= MODEL_INT_MAX;
	}
	return 0;
}

static const char *const type_words[] = {
	"a non-empty string", "an array of non-empty strings", "an array",
	"an object", "true or false", "a positive integer",
	"a positive integer up to 100000000",
};

/* Checks that obj is an object whose keys are all known and well typed. */
static int
keys_check(yajl_val obj, const struct key *keys, size_t nkeys,
    const char *where, char *err, size_t errsz)
{
	size_t	 i, k;

	if (!YAJL_IS_OBJECT(obj)) {
		snprintf(err, errsz, "%s: must be an object", where);
		return -1;
	}
	for (i = 0; i < obj->u.object.len; i++) {
		const char *name = obj->u.object.keys[i];

		for (k = 0; k < nkeys; k++)
			if (strcmp(name, keys[k].name) == 0)
				break;
		if (k == nkeys) {
			snprintf(err, errsz, "%s: unknown key \"%.64s\"", where,
			    name);
			return -1;
		}
		if (!type_ok(obj->u.object.values[i], keys[k].type)) {
			snprintf(err, errsz, "%s: \"%s\" must be %s", where,
			    name, type_words[keys[k].type]);
			return -1;
		}
	}
	return 0;
}

static const char *
get_str(yajl_val obj, const char *key)
{
	yajl_val v = json_get(obj, key);

	return v ? v->u.string : NULL;
}

static long long
get_int(yajl_val obj, const char *key, long long def)
{
	yajl_val v = json_get(obj, key);

	return v ? YAJL_GET_INTEGER(v) : def;
}

/* A fallbacks list: at most FALLBACKS_MAX names, each of printable
 * characters (it goes into a response header). */
static int
fallbacks_ok(yajl_val v, const char *where, char *err, size_t errsz)
{
	const char	*s;
	size_t		 i;

	if (v == NULL)
		return 0;
	if (v->u.array.len > FALLBACKS_MAX) {
		snprintf(err, errsz, "%s: \"fallbacks\" names more than %d "
		    "models", where, FALLBACKS_MAX);
		return -1;
	}
	for (i = 0; i < v->u.array.len; i++) {
		s = v->u.array.values[i]->u.string;
		if (*s == '\0' || strlen(s) > 128 || strspn(s,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._:/@+-") != strlen(s)) {
			snprintf(err, errsz, "%s: \"fallbacks\" names a model "
			    "of other than 1 to 128 of A-Z a-z 0-9 . _ : / @ "
			    "+ -", where);
			return -1;
		}
	}
	return 0;
}

/* Upstream model ids that go into a URL: no byte that could change the
 * URL's meaning. */
static int
url_safe_id(const char *s)
{
	if (*s == '\0' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".:_-", *s))
			return 0;
	return 1;
}

static int
path_ok(const char *s)
{
	if (*s == '/' || strstr(s, "..") != NULL)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-/", *s))
			return 0;
	return 1;
}

static int
env_name_ok(const char *s)
{
	if (isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int
family_check(struct family *f, yajl_val v, const char *where, char *err,
    size_t errsz)
{
	const char	*route, *str;
	yajl_val	 map;
	size_t		 i, k;
	char		 mwhere[160];

	if (keys_check(v, family_keys, NKEYS(family_keys), where, err,
	    errsz) == -1)
		return -1;
	f->name = get_str(v, "name");
	f->match = json_get(v, "match");
	route = get_str(v, "route");
	if (f->name == NULL || f->match == NULL || route == NULL) {
		snprintf(err, errsz, "%s: \"name\", \"match\" and \"route\" "
		    "are required", where);
		return -1;
	}
	for (k = 0; k < NKEYS(route_names); k++)
		if (strcmp(route, route_names[k]) == 0)
			break;
	if (k == NKEYS(route_names)) {
		snprintf(err, errsz, "%s: \"route\" must be one of openai, "
		    "bedrock, gateway", where);
		return -1;
	}
	f->kind = (enum family_kind)k;
	f->path = get_str(v, "path");
	f->model = get_str(v, "model");
	f->passthrough = json_get(v, "passthrough");
	f->map = json_get(v, "map");
	f->rename = json_get(v, "rename");
	f->drop = json_get(v, "drop");
	f->fan_out_n = YAJL_IS_TRUE(json_get(v, "fan_out_n"));
	f->system = get_str(v, "system");
	f->max_tokens_default = get_int(v, "max_tokens_default", 4096);
	f->max_tokens_cap = get_int(v, "max_tokens_cap", 0);
	f->base_url = get_str(v, "base_url");
	f->key_env = get_str(v, "key_env");
	f->reasoning_effort = YAJL_IS_TRUE(json_get(v, "reasoning_effort"));
	f->responses_native = (str = get_str(v, "responses")) != NULL &&
	    strcmp(str, "native") == 0;
	f->fallbacks = json_get(v, "fallbacks");
	if (fallbacks_ok(f->fallbacks, where, err, errsz) == -1)
		return -1;

	if (f->kind == FAMILY_OPENAI && f->path == NULL) {
		snprintf(err, errsz, "%s: route %s needs \"path\"", where,
		    route);
		return -1;
	}
	if (f->path && !path_ok(f->path)) {
		snprintf(err, errsz, "%s: \"path\" may hold only letters, "
		    "digits and . _ - / (no leading / or ..)", where);
		return -1;
	}
	if (f->system && strcmp(f->system, "fold") != 0 &&
	    strcmp(f->system, "native") != 0) {
		snprintf(err, errsz, "%s: \"system\" must be fold or native",
		    where);
		return -1;
	}
	if (str && strcmp(str, "native") != 0 &&
	    strcmp(str, "translate") != 0) {
		snprintf(err, errsz, "%s: \"responses\" must be native or "
		    "translate", where);
		return -1;
	}
	if (f->responses_native && f->kind != FAMILY_OPENAI) {
		snprintf(err, errsz, "%s: \"responses\": \"native\" needs "
		    "route openai (Hexin's Responses URL serves its OpenAI "
		    "models)", where);
		return -1;
	}
	if (f->kind == FAMILY_GATEWAY && (f->base_url == NULL ||
	    f->key_env == NULL)) {
		snprintf(err, errsz, "%s: route gateway needs \"base_url\" "
		    "and \"key_env\"", where);
		return -1;
	}
	if (f->base_url && strncmp(f->base_url, "http://", 7) != 0 &&
	    strncmp(f->base_url, "https://", 8) != 0) {
		snprintf(err, errsz, "%s: \"base_url\" must be an http:// or "
		    "https:// URL", where);
		return -1;
	}
	if (f->key_env && !env_name_ok(f->key_env)) {
		snprintf(err, errsz, "%s: \"key_env\" must be a variable "
		    "name", where);
		return -1;
	}
	if (f->kind == FAMILY_BEDROCK && f->model && !url_safe_id(f->model)) {
		snprintf(err, errsz, "%s: \"model\" goes into a URL and may "
		    "hold only letters, digits and . : _ -", where);
		return -1;
	}
	if (f->rename)
		for (i = 0; i < f->rename->u.object.len; i++)
			if (!type_ok(f->rename->u.object.values[i], T_STR)) {
				snprintf(err, errsz, "%s: \"rename\" values "
				    "must be non-empty strings", where);
				return -1;
			}
	for (i = 0; f->map && i < f->map->u.array.len; i++) {
		map = f->map->u.array.values[i];
		snprintf(mwhere, sizeof(mwhere), "%s: map[%zu]", where, i);
		if (keys_check(map, map_keys, NKEYS(map_keys), mwhere, err,
		    errsz) == -1)
			return -1;
		if (json_get(map, "when") == NULL || json_get(map, "model") == NULL) {
			snprintf(err, errsz, "%s: \"when\" and \"model\" are "
			    "required", mwhere);
			return -1;
		}
		if (f->kind == FAMILY_BEDROCK &&
		    !url_safe_id(get_str(map, "model"))) {
			snprintf(err, errsz, "%s: \"model\" goes into a URL "
			    "and may hold only letters, digits and . : _ -",
			    mwhere);
			return -1;
		}
	}
	return 0;
}

static int
model_check(struct model *m, yajl_val v, const char *where, char *err,
    size_t errsz)
{
	const char	*s;

	if (keys_check(v, model_keys, NKEYS(model_keys), where, err,
	    errsz) == -1)
		return -1;
	if ((m->id = get_str(v, "id")) == NULL) {
		snprintf(err, errsz, "%s: \"id\" is required", where);
		return -1;
	}
	for (s = m->id; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(err, errsz, "%s: \"id\" holds a control "
			    "character", where);
			return -1;
		}
	if (strlen(m->id) > 128) {
		snprintf(err, errsz, "%s: \"id\" is longer than 128 bytes",
		    where);
		return -1;
	}
	m->owned_by = get_str(v, "owned_by");
	if (m->owned_by == NULL)
		m->owned_by = "hexin";
	m->created = get_int(v, "created", DEFAULT_CREATED);
	m->fallbacks = json_get(v, "fallbacks");
	return fallbacks_ok(m->fallbacks, where, err, errsz);
}

static void *
grow(void *p, size_t n, size_t size)
{
	if (n > ((size_t)-1) / 2 / size)
		return NULL;
	return realloc(p, (n ? n : 1) * size);
}

/* Adds the tree's families (after those in m) and models (replacing those
 * of the same id) to m. */
static int
table_add(struct models *m, yajl_val root, const char *source, char *err,
    size_t errsz)
{
	yajl_val	 fams = json_get(root, "families"), mods = json_get(root, "models");
	size_t		 i, j, nf = fams ? fams->u.array.len : 0;
	char		 where[128];
	struct family	*f;
	struct model	 mo;

	if ((f = grow(m->families, m->nfamilies + nf, sizeof(*f))) == NULL)
		goto nomem;
	m->families = f;
	for (i = 0; i < nf; i++) {
		yajl_val v = fams->u.array.values[i];
		yajl_val n = YAJL_IS_OBJECT(v) ? json_get(v, "name") : NULL;

		snprintf(where, sizeof(where), "%s: families[%zu]%s%.40s%s",
		    source, i, YAJL_IS_STRING(n) ? " (" : "",
		    YAJL_IS_STRING(n) ? n->u.string : "",
		    YAJL_IS_STRING(n) ? ")" : "");
		if (family_check(&m->families[m->nfamilies], v, where, err,
		    errsz) == -1)
			return -1;
		m->nfamilies++;
	}
	for (i = 0; mods && i < mods->u.array.len; i++) {
		snprintf(where, sizeof(where), "%s: models[%zu]", source, i);
		if (model_check(&mo, mods->u.array.values[i], where, err,
		    errsz) == -1)
			return -1;
		for (j = 0; j < m->nmodels; j++)
			if (strcmp(m->models[j].id, mo.id) == 0)
				break;
		if (j == m->nmodels) {
			struct model *p = grow(m->models, m->nmodels + 1,
			    sizeof(*p));
			if (p == NULL)
				goto nomem;
			m->models = p;
			m->nmodels++;
		}
		m->models[j] = mo;
	}
	return 0;
nomem:
	snprintf(err, errsz, "%s: out of memory", source);
	return -1;
}

/* The top level's keys and the bedrock object's: 0, or -1 with err. */
static int
top_check(yajl_val root, const char *source, char *err, size_t errsz)
{
	if (keys_check(root, top_keys, NKEYS(top_keys), source, err,
	    errsz) == -1 || (json_get(root, "bedrock") &&
	    keys_check(json_get(root, "bedrock"), bedrock_keys,
	    NKEYS(bedrock_keys), "bedrock", err, errsz) == -1))
		return -1;
	return 0;
}

static yajl_val
tree_parse(const char *json, size_t n, const char *source, char *err,
    size_t errsz)
{
	char		 perr[256];
	yajl_val	 root;

	if ((root = json_parse(json, n, perr, sizeof(perr))) == NULL) {
		snprintf(err, errsz, "%s: not valid JSON: %s", source, perr);
		return NULL;
	}
	if (top_check(root, source, err, errsz) == -1) {
		yajl_tree_free(root);
		return NULL;
	}
	return root;
}

/* The Bedrock allow-lists: each the file's, else the built-in one. */
static void
allow_lists(struct models *m, yajl_val file, yajl_val builtin)
{
	yajl_val	 f = json_get(file, "bedrock");
	yajl_val	 b = json_get(builtin, "bedrock");

	m->bedrock_betas = json_get(f, "betas") ? json_get(f, "betas") :
	    json_get(b, "betas");
	m->bedrock_fields = json_get(f, "fields") ? json_get(f, "fields") :
	    json_get(b, "fields");
}

/* Whether s is in the allow-list list; everything is when there is
 * none. */
int
models_allowed(yajl_val list, const char *s, size_t n)
{
	yajl_val	 v;
	size_t		 i;

	if (!YAJL_IS_ARRAY(list))
		return 1;
	for (i = 0; i < list->u.array.len; i++) {
		v = list->u.array.values[i];
		if (strlen(v->u.string) == n && strncmp(v->u.string, s, n) == 0)
			return 1;
	}
	return 0;
}

/* Loads the built-in table, then HEXIND_MODELS_FILE over it: the file's
 * families are tried first, its models replace those of the same id, and
 * "replace": true drops the built-in table. */
int
models_load(const struct conf *c, struct models *m, char *err, size_t errsz)
{
	struct buf	 b;
	char		 source[300];
	yajl_val	 file = NULL, builtin = NULL;

	memset(m, 0, sizeof(*m));
	if (c->models_file) {
		buf_init(&b, MODELS_FILE_MAX);
		if (buf_read_file(&b, c->models_file) == -1) {
			snprintf(err, errsz, "HEXIND_MODELS_FILE %s: %s",
			    c->models_file, errno == EFBIG ? "larger than "
			    "1 MiB" : errno == EINVAL ? "not a regular file" :
			    strerror(errno));
			buf_free(&b);
			return -1;
		}
		snprintf(source, sizeof(source), "HEXIND_MODELS_FILE %s",
		    c->models_file);
		file = tree_parse(buf_cstr(&b), b.len, source, err, errsz);
		buf_free(&b);
		if (file == NULL)
			return -1;
		m->file = file;
		if (table_add(m, file, source, err, errsz) == -1)
			goto fail;
	}
	if (file == NULL || !YAJL_IS_TRUE(json_get(file, "replace"))) {
		builtin = models_default_tree;
		if (top_check(builtin, "built-in table", err, errsz) == -1)
			goto fail;
		/* file models win: add the built-in ones first */
		struct model	*fm = m->models;
		size_t		 nfm = m->nmodels, i, j;

		m->models = NULL;
		m->nmodels = 0;
		if (table_add(m, builtin, "built-in table", err, errsz) == -1) {
			free(fm);
			goto fail;
		}
		for (i = 0; i < nfm; i++) {
			for (j = 0; j < m->nmodels; j++)
				if (strcmp(m->models[j].id, fm[i].id) == 0)
					break;
			if (j == m->nmodels) {
				struct model *p = grow(m->models,
				    m->nmodels + 1, sizeof(*p));
				if (p == NULL) {
					free(fm);
					snprintf(err, errsz, "out of memory");
					goto fail;
				}
				m->models = p;
				m->nmodels++;
			}
			m->models[j] = fm[i];
		}
		free(fm);
	}
	allow_lists(m, file, builtin);
	return 0;
fail:
	models_free(m);
	return -1;
}

void
models_free(struct models *m)
{
	free(m->models);
	free(m->families);
	yajl_tree_free(m->file);
	memset(m, 0, sizeof(*m));
}

const struct model *
models_find(const struct models *m, const char *id)
{
	size_t	 i;

	for (i = 0; i < m->nmodels; i++)
		if (strcmp(m->models[i].id, id) == 0)
			return &m->models[i];
	return NULL;
}

struct tokens {
	char	 word[MAX_TOKENS][32];
	size_t	 n;
};

/* Splits a model name into words and versions, lower case. Runs of short
 * numbers are one version ("3-5" and "3.5" both give "3.5"); long numbers
 * are dates and never versions: hexin-backend.md warns that
 * claude-3-5-sonnet-20241022 must not match "4". */
static void
tokenize(const char *s, struct tokens *t)
{
	char	 part[32];
	size_t	 len;
	int	 numeric, prev_short_num = 0;

	t->n = 0;
	while (*s && t->n < MAX_TOKENS) {
		while (*s && !isalnum((unsigned char)*s))
			s++;
		for (len = 0, numeric = 1; isalnum((unsigned char)*s); s++) {
			if (len + 1 < sizeof(part))
				part[len++] = (char)tolower((unsigned char)*s);
			numeric &= isdigit((unsigned char)*s) != 0;
		}
		if (len == 0)
			break;
		part[len] = '\0';
		if (numeric && len <= 2 && prev_short_num &&
		    strlen(t->word[t->n - 1]) + len + 2 < sizeof(part)) {
			strcat(t->word[t->n - 1], ".");
			strcat(t->word[t->n - 1], part);
			continue;
		}
		prev_short_num = numeric && len <= 2;
		memcpy(t->word[t->n++], part, len + 1);
	}
}

static int
has_token(const struct tokens *t, const char *w)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcasecmp(t->word[i], w) == 0)
			return 1;
	return 0;
}

/* The first map entry whose every "when" term is a word or version of
 * the name, or NULL. */
static yajl_val
map_find(yajl_val map, const char *name)
{
	struct tokens	 t;
	yajl_val	 e, when;
	size_t		 i, k;

	if (map == NULL)
		return NULL;
	tokenize(name, &t);
	for (i = 0; i < map->u.array.len; i++) {
		e = map->u.array.values[i];
		when = json_get(e, "when");
		for (k = 0; k < when->u.array.len; k++)
			if (!has_token(&t, when->u.array.values[k]->u.string))
				break;
		if (k == when->u.array.len)
			return e;
	}
	return NULL;
}

/* Routes a client's model name: the first family whose pattern matches,
 * then the upstream model by passthrough, map, the family's model, or the
 * name as sent. -1 with a message when nothing can carry the name. */
int
models_resolve(const struct models *m, const char *name, struct resolved *r,
    char *err, size_t errsz)
{
	const struct family	*f = NULL;
	const char		*up = name;
	yajl_val		 e = NULL;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < m->nfamilies && f == NULL; i++)
		if (any_match(m->families[i].match, name))
			f = &m->families[i];
	if (f == NULL) {
		snprintf(err, errsz, "no model family matches this model");
		return -1;
	}
	r->family = f;
	r->fallbacks = f->fallbacks;
	for (i = 0; i < m->nmodels; i++)
		if (strcmp(m->models[i].id, name) == 0 &&
		    m->models[i].fallbacks)
			r->fallbacks = m->models[i].fallbacks;
	r->fan_out_n = f->fan_out_n;
	r->max_tokens_cap = f->max_tokens_cap;
	if (!any_match(f->passthrough, name)) {
		if ((e = map_find(f->map, name)) != NULL) {
			up = get_str(e, "model");
			if (json_get(e, "fan_out_n"))
				r->fan_out_n = YAJL_IS_TRUE(json_get(e, "fan_out_n"));
			r->max_tokens_cap = get_int(e, "max_tokens_cap",
			    r->max_tokens_cap);
		} else if (f->model) {
			up = f->model;
		}
	}
	if (strlen(up) + 3 > sizeof(r->model)) {
		snprintf(err, errsz, "model name too long");
		return -1;
	}
	strcpy(r->model, up);
	/* Bedrock ids carry a version suffix; Hexin wants ":0" when the
	 * client left it out. */
	if (f->kind == FAMILY_BEDROCK && up == name && strchr(up, ':') == NULL)
		strcat(r->model, ":0");
	if (f->kind == FAMILY_BEDROCK && !url_safe_id(r->model)) {
		snprintf(err, errsz, "model names for this family may hold "
		    "only letters, digits and . : _ -");
		return -1;
	}
	return 0;
}

/* The URL of r's route, the one place it is built: a chat route under
 * HITHINK_BASE_URL, a Bedrock route (its streaming route for a stream),
 * or a gateway's chat completions. -1 when it does not fit. */
int
models_url(const struct conf *c, const struct resolved *r, int stream,
    char *url, size_t n)
{
	const struct family	*f = r->family;
	int			 len;

	switch (f->kind) {
	case FAMILY_GATEWAY:
		len = snprintf(url, n, "%s/chat/completions", f->base_url);
		break;
	case FAMILY_BEDROCK:
		len = snprintf(url, n, "%s/%s/%s/%s", c->base_url,
		    f->path ? f->path : "claude/model", r->model, stream ?
		    "invoke-with-response-stream" : "invoke");
		break;
	default:
		len = snprintf(url, n, "%s/%s/chat/completions", c->base_url,
		    f->path);
		break;
	}
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* What the access log's route= says of r: a gateway's family name,
 * "bedrock", or the chat route's path. */
const char *
models_route_name(const struct resolved *r)
{
	const struct family	*f = r->family;

	if (f->kind == FAMILY_GATEWAY)
		return f->name;
	if (f->kind == FAMILY_BEDROCK)
		return "bedrock";
	return f->path ? f->path : "-";
}

/* The name a client field goes under on f's route: its rename, or NULL
 * when the family drops it. */
const char *
models_field(const struct family *f, const char *key)
{
	yajl_val	 to;
	size_t		 i;

	if (f == NULL)
		return key;
	for (i = 0; YAJL_IS_ARRAY(f->drop) && i < f->drop->u.array.len; i++)
		if (YAJL_IS_STRING(f->drop->u.array.values[i]) &&
		    strcmp(f->drop->u.array.values[i]->u.string, key) == 0)
			return NULL;
	if ((to = json_get(f->rename, key)) && YAJL_IS_STRING(to))
		return to->u.string;
	return key;
}
