/* Settings from the environment and the dotenv file. One table holds every
 * setting: its name, kind, default and help line. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/envfile.h"
#include "lib/log.h"

#define HEXIN_HOST	"https://arsenal-openai.10jqka.com.cn:8443"
#define ENV_FILE_MAX	(1024 * 1024)

enum kind { K_STR, K_SECRET, K_URL, K_COUNT, K_SECS, K_LEVEL, K_BOOL };

struct setting {
	const char	*name;
	enum kind	 kind;
	const char	*def;		/* NULL: unset */
	size_t		 off;
	long long	 min, max;	/* K_COUNT; K_SECS in ms */
	const char	*help;
};

#define O(f)	offsetof(struct conf, f)

static const struct setting settings[] = {
	{ "HITHINK_APP_ID", K_STR, NULL, O(app_id), 0, 0,
	    "Hexin application id" },
	{ "HITHINK_APP_SECRET", K_SECRET, NULL, O(app_secret), 0, 0,
	    "Hexin application secret" },
	{ "HITHINK_APP_URL", K_URL,
	    HEXIN_HOST "/vtuber/auth/api/oauth/v1/login", O(app_url), 0, 0,
	    "Hexin login URL" },
	{ "HITHINK_BASE_URL", K_URL, HEXIN_HOST "/vtuber/ai_access",
	    O(base_url), 0, 0, "Hexin API base URL" },
	{ "HITHINK_RESPONSE_URL", K_URL, NULL, O(response_url), 0, 0,
	    "Responses API URL (default: base URL + /chatgpt/v1/responses)" },
	{ "HEXIND_CA_FILE", K_STR, NULL, O(ca_file), 0, 0,
	    "CA certificates (PEM) to verify Hexin's TLS certificate with, "
	    "instead of the system's" },
	{ "HEXIND_CA_DIR", K_STR, "/etc/ssl/certs", O(ca_dir), 0, 0,
	    "CA certificates under their subject hash names (openssl rehash), "
	    "only those a chain names read; unused with HEXIND_CA_FILE" },
	{ "HEXIND_API_KEYS", K_SECRET, NULL, O(api_keys), 0, 0,
	    "client API keys, comma-separated" },
	{ "HEXIND_API_KEYS_FILE", K_STR, NULL, O(api_keys_file), 0, 0,
	    "file of client API keys, one a line" },
	{ "HEXIND_ADMIN_KEYS", K_SECRET, NULL, O(admin_keys), 0, 0,
	    "keys that may read GET /metrics, comma-separated" },
	{ "HEXIND_MODELS_FILE", K_STR, NULL, O(models_file), 0, 0,
	    "JSON model table extending or replacing the built-in one" },
	{ "HEXIND_CACHE_DIR", K_STR, NULL, O(cache_dir), 0, 0,
	    "token cache directory (default: $CACHE_DIRECTORY, else "
	    CACHE_DIR_DEFAULT ")" },
	{ "HEXIND_STATE_DIR", K_STR, NULL, O(state_dir), 0, 0,
	    "state shared by every process: key limits, usage ledger, "
	    "metrics (default: $STATE_DIRECTORY, else " STATE_DIR_DEFAULT
	    ")" },
	{ "HEXIND_LOG_DIR", K_STR, NULL, O(log_dir), 0, 0,
	    "request capture directory: one JSONL line per request (off "
	    "when unset)" },
	{ "HEXIND_CORS_ORIGINS", K_STR, NULL, O(cors_origins), 0, 0,
	    "origins allowed by CORS, comma-separated, or *" },
	{ "HEXIND_LOG_LEVEL", K_LEVEL, "info", O(log_level), 0, 0,
	    "error, warn, info or debug" },
	{ "HEXIND_MAX_HEADER_BYTES", K_COUNT, "16384", O(max_header_bytes),
	    256, 1048576, "limit of the request line and header block" },
	{ "HEXIND_MAX_HEADERS", K_COUNT, "100", O(max_headers), 1, 10000,
	    "limit of header fields" },
	{ "HEXIND_MAX_BODY_BYTES", K_COUNT, "33554432", O(max_body_bytes),
	    1024, 1073741824, "limit of a request body" },
	{ "HEXIND_MAX_JSON_VALUES", K_COUNT, "1000000", O(max_json_values),
	    1000, 100000000, "limit of the values in a request body, object "
	    "keys included (413 past it)" },
	{ "HEXIND_KEEPALIVE_REQUESTS", K_COUNT, "1", O(keepalive_requests),
	    1, 100000, "requests one client connection may carry (1: no "
	    "keep-alive)" },
	{ "HEXIND_KEEPALIVE_TIMEOUT", K_SECS, "5", O(keepalive_timeout_ms),
	    1, 3600000, "seconds a kept-alive connection waits for its next "
	    "request" },
	{ "HEXIND_HEADER_TIMEOUT", K_SECS, "10", O(header_timeout_ms),
	    1, 3600000, "seconds to receive the whole request head" },
	{ "HEXIND_BODY_TIMEOUT", K_SECS, "30", O(body_timeout_ms),
	    1, 3600000, "seconds without a body byte before 408" },
	{ "HEXIND_CONNECT_TIMEOUT", K_SECS, "10", O(connect_timeout_ms),
	    1, 600000, "seconds to connect to Hexin" },
	{ "HEXIND_LOGIN_TIMEOUT", K_SECS, "30", O(login_timeout_ms),
	    1, 600000, "seconds for a whole Hexin login" },
	{ "HEXIND_UPSTREAM_TIMEOUT", K_SECS, "1800", O(upstream_timeout_ms),
	    1, 86400000, "seconds for a whole Hexin call, stream included" },
	{ "HEXIND_IDLE_TIMEOUT", K_SECS, "300", O(idle_timeout_ms),
	    1, 86400000, "seconds without a byte from Hexin before giving up" },
	{ "HEXIND_RETRIES", K_COUNT, "2", O(retries), 0, 10,
	    "retries of a failed Hexin call before the first byte" },
	{ "HEXIND_MAX_ANSWER_BYTES", K_COUNT, "67108864", O(max_answer_bytes),
	    65536, 1073741824, "limit of a Hexin answer held whole" },
	{ "HEXIND_EMBED_PARALLEL", K_COUNT, "8", O(embed_parallel), 1, 64,
	    "embedding inputs of one request sent to Hexin at once" },
	{ "HEXIND_THINK_TAGS", K_BOOL, "no", O(think_tags), 0, 0,
	    "fold reasoning_content into content between <think> tags" },
	{ "HEXIND_TOKEN_MARGIN", K_SECS, "600", O(token_margin_ms),
	    0, 86400000, "seconds before the token's exp to log in again" },
};

#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))

static int
parse_count(const char *s, long long *v)
{
	long long	 n = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*v = n;
	return 0;
}

/* Seconds with up to three decimals ("10", "0.5") to milliseconds. */
static int
parse_secs(const char *s, long long *ms)
{
	long long	 whole = 0, frac = 0;
	int		 digits = 0, places = 0;

	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > 100000000)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++, places++) {
			if (places >= 3)
				return -1;
			frac = frac * 10 + (*s - '0');
			digits++;
		}
	if (*s != '\0' || digits == 0)
		return -1;
	for (; places < 3; places++)
		frac *= 10;
	*ms = whole * 1000 + frac;
	return 0;
}

static int
url_ok(const char *s)
{
	const char	*p;

	if (strncmp(s, "http://", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		p = s + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
setting_load(struct conf *c, const struct setting *s, const char *v,
    char *err, size_t errsz)
{
	char		*field = (char *)c + s->off;
	long long	 n;
	enum log_level	 l;

	if (err == NULL)
		errsz = 0;
	switch (s->kind) {
	case K_STR:
	case K_SECRET:
		*(const char **)(void *)field = v;
		return 0;
	case K_URL:
		if (v != NULL && !url_ok(v)) {
			snprintf(err, errsz, "%s: not an http:// or https:// "
			    "URL with a host", s->name);
			return -1;
		}
		*(const char **)(void *)field = v;
		return 0;
	case K_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "true") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 ||
		    strcmp(v, "false") == 0)
			*(int *)(void *)field = 0;
		else {
			snprintf(err, errsz, "%s: \"%.40s\" is not yes or no",
			    s->name, v);
			return -1;
		}
		return 0;
	case K_LEVEL:
		if (log_level_parse(v, &l) == -1) {
			snprintf(err, errsz, "%s: \"%.40s\" is not one of "
			    "error, warn, info, debug", s->name, v);
			return -1;
		}
		*(enum log_level *)(void *)field = l;
		return 0;
	case K_COUNT:
		if (parse_count(v, &n) == -1 || n < s->min || n > s->max) {
			snprintf(err, errsz, "%s: \"%.40s\" is not a whole "
			    "number from %lld to %lld", s->name, v, s->min,
			    s->max);
			return -1;
		}
		*(size_t *)(void *)field = (size_t)n;
		return 0;
	case K_SECS:
		if (parse_secs(v, &n) == -1 || n < s->min || n > s->max) {
			snprintf(err, errsz, "%s: \"%.40s\" is not a number "
			    "of seconds from %s to %lld", s->name, v,
			    s->min ? "0.001" : "0", s->max / 1000);
			return -1;
		}
		*(int *)(void *)field = (int)n;
		return 0;
	}
	return -1;
}

struct envload {
	int		 secrets;	/* the file sets a secret */
	struct buf	 mine;		/* "\nKEY\n" of each key it set */
};

/* The environment wins over the file; within the file, the last line for
 * a key wins, as in a shell. */
static int
env_set(const char *key, const char *value, void *arg)
{
	struct envload	*el = arg;
	char		 tag[260];

	if (strcmp(key, "HITHINK_APP_SECRET") == 0 ||
	    strcmp(key, "HEXIND_API_KEYS") == 0 ||
	    strcmp(key, "HEXIND_ADMIN_KEYS") == 0)
		el->secrets = 1;
	if (snprintf(tag, sizeof(tag), "\n%s\n", key) >= (int)sizeof(tag))
		return -1;
	if (strstr(buf_cstr(&el->mine), tag) == NULL) {
		if (getenv(key) != NULL)
			return 0;
		if (buf_adds(&el->mine, tag + 1) == -1)
			return -1;
	}
	return setenv(key, value, 1) == -1 ? -1 : 0;
}

/* Loads a dotenv file into the environment; -1 with a message naming the
 * file and line. */
int
conf_env_file(const char *path, char *err, size_t errsz)
{
	struct envload	 el;
	struct stat	 st;
	struct buf	 b;
	const char	*msg = "cannot set the variable";
	size_t		 line;
	int		 rc = -1;

	el.secrets = 0;
	buf_init(&el.mine, 0);
	buf_init(&b, ENV_FILE_MAX);
	if (buf_addc(&el.mine, '\n') == -1) {
		snprintf(err, errsz, "--env-file %s: out of memory", path);
		goto out;
	}
	if (buf_read_file(&b, path) == -1) {
		snprintf(err, errsz, "--env-file %s: %s", path,
		    errno == EFBIG ? "larger than 1 MiB" : errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		goto out;
	}
	if (stat(path, &st) == -1)
		st.st_mode = 0;
	if (envfile_parse(b.data, b.len, env_set, &el, &line, &msg) != 0) {
		snprintf(err, errsz, "--env-file %s:%zu: %s", path, line, msg);
		goto out;
	}
	if (el.secrets && (st.st_mode & S_IROTH))
		log_warn("%s holds secrets and is readable by every user: "
		    "chmod o-r it", path);
	rc = 0;
out:
	buf_free(&b);
	buf_free(&el.mine);
	return rc;
}

/* Fills c from the environment; -1 with a message naming the first bad
 * setting in err (unless err is NULL: a message is already there). On
 * error the bad settings keep their defaults, so c is always usable. */
int
conf_load(struct conf *c, char *err, size_t errsz)
{
	const char	*v;
	size_t		 i;
	int		 rc = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NSETTINGS; i++) {
		if (setting_load(c, &settings[i], settings[i].def, NULL, 0))
			abort();	/* a default that does not parse */
		v = getenv(settings[i].name);
		if (v == NULL || *v == '\0')
			continue;
		if (setting_load(c, &settings[i], v, rc || err == NULL ?
		    NULL : err, errsz) == -1) {
			rc = -1;
			(void)setting_load(c, &settings[i], settings[i].def,
			    NULL, 0);
		}
	}
	if (rc == 0 && (c->app_id == NULL) != (c->app_secret == NULL)) {
		if (err)
			snprintf(err, errsz, "HITHINK_APP_ID and "
			    "HITHINK_APP_SECRET must be set together");
		rc = -1;
	}
	log_set_level(c->log_level);
	return rc;
}

static void
setting_print(const struct conf *c, const struct setting *s, FILE *fp)
{
	const char	*field = (const char *)c + s->off;
	const char	*v;

	switch (s->kind) {
	case K_STR:
	case K_URL:
		v = *(const char *const *)(const void *)field;
		fprintf(fp, "%s=%s\n", s->name, v ? v : "");
		break;
	case K_SECRET:
		v = *(const char *const *)(const void *)field;
		fprintf(fp, "%s=%s\n", s->name, v ? "(set, hidden)" : "");
		break;
	case K_BOOL:
		fprintf(fp, "%s=%s\n", s->name,
		    *(const int *)(const void *)field ? "yes" : "no");
		break;
	case K_LEVEL:
		fprintf(fp, "%s=%s\n", s->name, log_level_name(
		    *(const enum log_level *)(const void *)field));
		break;
	case K_COUNT:
		fprintf(fp, "%s=%zu\n", s->name,
		    *(const size_t *)(const void *)field);
		break;
	case K_SECS:
		fprintf(fp, "%s=%d.%03d\n", s->name,
		    *(const int *)(const void *)field / 1000,
		    *(const int *)(const void *)field % 1000);
		break;
	}
}

/* The effective settings, secrets masked: what --check prints. */
void
conf_print(const struct conf *c, FILE *fp)
{
	size_t	 i;

	for (i = 0; i < NSETTINGS; i++)
		setting_print(c, &settings[i], fp);
}

/* The settings part of --help. */
void
conf_usage_settings(FILE *fp)
{
	size_t	 i;

	for (i = 0; i < NSETTINGS; i++)
		fprintf(fp, "  %-24s %s%s%s%s\n", settings[i].name,
		    settings[i].help, settings[i].def ? " (default " : "",
		    settings[i].def ? settings[i].def : "",
		    settings[i].def ? ")" : "");
}

/* The cache directory: HEXIND_CACHE_DIR, else systemd's
 * CacheDirectory= (the first, when it names several), else the default;
 * tmp holds it when it comes from the environment. */
const char *
conf_cache_dir(const struct conf *c, char *tmp, size_t tmpsz)
{
	const char	*d;

	if (c->cache_dir)
		return c->cache_dir;
	if ((d = getenv("CACHE_DIRECTORY")) != NULL && *d) {
		snprintf(tmp, tmpsz, "%.*s", (int)strcspn(d, ":"), d);
		return tmp;
	}
	return CACHE_DIR_DEFAULT;
}

/* The state directory: HEXIND_STATE_DIR, else the first of systemd's
 * $STATE_DIRECTORY, else the default. */
const char *
conf_state_dir(const struct conf *c, char *tmp, size_t tmpsz)
{
	const char	*d;

	if (c->state_dir)
		return c->state_dir;
	if ((d = getenv("STATE_DIRECTORY")) != NULL && *d) {
		snprintf(tmp, tmpsz, "%.*s", (int)strcspn(d, ":"), d);
		return tmp;
	}
	return STATE_DIR_DEFAULT;
}

/* Whether s matches one of the comma-separated shell globs (fnmatch(3)),
 * each of fewer than 256 bytes. */
int
conf_list_match(const char *globs, const char *s)
{
	char		 g[256];
	const char	*p = globs, *e;
	size_t		 n;

	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0 && n < sizeof(g)) {
			memcpy(g, p, n);
			g[n] = '\0';
			if (fnmatch(g, s, 0) == 0)
				return 1;
		}
		p += n + (e != NULL);
	}
	return 0;
}

/* Whether the comma-separated list holds item (blanks around items
 * ignored). */
int
conf_list_has(const char *list, const char *item, size_t itemlen)
{
	const char	*p = list, *e, *end;

	while (p && *p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (e = end; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if ((size_t)(e - p) == itemlen && memcmp(p, item, itemlen) == 0)
			return 1;
		p = *end ? end + 1 : end;
	}
	return 0;
}
