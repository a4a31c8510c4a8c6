/* Login and the shared token cache (design.md, "Token cache").
 *
 * One file per set of credentials, named by a SHA-256 of the login URL,
 * app id and secret, so changed credentials never meet an old token. It
 * is read without a lock; a process that finds it missing or stale takes
 * an exclusive flock(2) on a lock file beside it, reads it again (another
 * process may have logged in meanwhile), and only then logs in and writes
 * it: mode 0600, by rename(2) from a temporary file, so readers see the
 * old file or the new one, never half of one. Its mtime is set to the
 * token's exp so /health can tell fresh from stale with one stat(2). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/json.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/sha256.h"
#include "upstream/token.h"
#include "upstream/transport.h"

#define CACHE_FILE_MAX	16384
#define LOGIN_ANSWER_MAX (1024 * 1024)
#define DEFAULT_TTL	3600	/* for a token without exp */
#define LOCK_SLACK_MS	5000
#define PATH_LEN	512	/* the cache file; +16 for the others */

static const char *const state_names[] = { "absent", "stale", "fresh" };

const char *
token_state_name(enum token_state s)
{
	return state_names[s];
}

static int
fresh(const struct conf *c, long long exp)
{
	return exp * 1000 - wall_ms() > c->token_margin_ms;
}

/* The cache file's path; -1 without credentials or when it is too long. */
int
token_path(const struct conf *c, char *path, size_t pathsz)
{
	struct sha256	 s;
	char		 dirbuf[512], name[33];
	const char	*dir;
	int		 n;

	if (c->app_id == NULL || c->app_secret == NULL)
		return -1;
	sha256_init(&s);
	sha256_update(&s, c->app_url, strlen(c->app_url) + 1);
	sha256_update(&s, c->app_id, strlen(c->app_id) + 1);
	sha256_update(&s, c->app_secret, strlen(c->app_secret));
	sha256_name(&s, name);
	dir = conf_cache_dir(c, dirbuf, sizeof(dirbuf));
	n = snprintf(path, pathsz, "%s/token-%s", dir, name);
	return n < 0 || (size_t)n + 16 >= pathsz ? -1 : 0;
}

/* The token may go into a header: printable ASCII only. */
static int
token_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n >= TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int
b64url_val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-' || ch == '+')
		return 62;
	if (ch == '_' || ch == '/')
		return 63;
	return -1;
}

/* The JWT's exp, or 0 when the token is not a JWT with one. */
static long long
jwt_exp(const char *tok)
{
	const char	*p, *e;
	char		 out[4096], err[64];
	size_t		 o = 0;
	unsigned	 acc = 0;
	int		 bits = 0, v;
	yajl_val	 root, exp;
	long long	 r = 0;
	const char	*path[] = { "exp", NULL };

	if ((p = strchr(tok, '.')) == NULL || (e = strchr(++p, '.')) == NULL)
		return 0;
	for (; p < e && *p != '='; p++) {
		if ((v = b64url_val((unsigned char)*p)) < 0 || o >= sizeof(out))
			return 0;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if ((root = json_parse(out, o, err, sizeof(err))) == NULL)
		return 0;
	exp = yajl_tree_get(root, path, yajl_t_number);
	if (exp && YAJL_IS_INTEGER(exp) && YAJL_GET_INTEGER(exp) > 0)
		r = YAJL_GET_INTEGER(exp);
	yajl_tree_free(root);
	return r;
}

static const char *
str_at(yajl_val root, const char *a, const char *b)
{
	const char	*path[] = { a, b, NULL };
	yajl_val	 v = yajl_tree_get(root, path, yajl_t_any);

	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

/* Reads the cache file into t; -1 when missing or not to be trusted. */
static int
cache_read(const struct conf *c, const char *path, struct token *t)
{
	const char	*app, *tok, *uid;
	const char	*exp_path[] = { "exp", NULL };
	struct stat	 st;
	struct buf	 b;
	char		 err[128];
	yajl_val	 root = NULL, exp;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			log_warn("token cache %s is a symbolic link: refused",
			    path);
		else if (errno != ENOENT)
			log_warn("token cache %s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b, CACHE_FILE_MAX);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || buf_reserve(&b, CACHE_FILE_MAX) == -1) {
		log_warn("token cache %s: not a regular file of this user: "
		    "refused", path);
		goto out;
	}
	while ((r = read(fd, b.data + b.len, CACHE_FILE_MAX - b.len)) > 0)
		b.len += (size_t)r;
	if (r == -1 || b.len == 0 ||
	    (root = json_parse(b.data, b.len, err, sizeof(err))) == NULL)
		goto corrupt;
	app = str_at(root, "app_id", NULL);
	tok = str_at(root, "token", NULL);
	uid = str_at(root, "user_id", NULL);
	exp = yajl_tree_get(root, exp_path, yajl_t_number);
	if (app == NULL || tok == NULL || uid == NULL || exp == NULL ||
	    !YAJL_IS_INTEGER(exp) || !token_ok(tok, strlen(tok)) ||
	    strlen(uid) >= sizeof(t->user_id) ||
	    (*uid && !token_ok(uid, strlen(uid))))
		goto corrupt;
	if (strcmp(app, c->app_id) != 0)
		goto out;
	memcpy(t->value, tok, strlen(tok) + 1);
	memcpy(t->user_id, uid, strlen(uid) + 1);
	t->exp = YAJL_GET_INTEGER(exp);
	t->cached = 1;
	rc = 0;
	goto out;
corrupt:
	log_warn("token cache %s is corrupt: logging in again", path);
out:
	yajl_tree_free(root);
	buf_free(&b);
	close(fd);
	return rc;
}

static int
cache_write(const struct conf *c, const char *path, const struct token *t)
{
	struct timespec	 times[2];
	char		 tmp[600];
	struct buf	 b;
	yajl_gen	 g;
	int		 fd = -1, rc = -1;

	buf_init(&b, 0);
	if ((g = json_gen()) == NULL)
		return -1;
	if (json_map_open(g) || json_kstr(g, "app_id", c->app_id) ||
	    json_kstr(g, "user_id", t->user_id) ||
	    json_kstr(g, "token", t->value) || json_kint(g, "exp", t->exp) ||
	    json_map_close(g) || json_take(g, &b) == -1 ||
	    buf_addc(&b, '\n') == -1) {
		buf_free(&b);
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		buf_free(&b);
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		goto fail;
	if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) == -1)
		goto fail;
	times[0].tv_sec = time(NULL);
	times[0].tv_nsec = 0;
	times[1].tv_sec = (time_t)t->exp;
	times[1].tv_nsec = 0;
	if (futimens(fd, times) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	log_warn("token cache %s: cannot write: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
out:
	buf_free(&b);
	return rc;
}

/* An exclusive lock on path.lock, waiting at most ms, or until the client
 * (when not NULL) is gone; the fd, or -1. */
static int
lock_take(const char *path, int ms, const struct watch *client)
{
	char		 lock[600];
	int		 fd, saved;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 && errno == ENOENT) {
		/* the directory itself may not exist yet */
		char dir[600], *slash;

		if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
			return -1;
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0700) == -1 && errno != EEXIST)
				return -1;
		}
		fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	}
	if (fd == -1)
		return -1;
	if (lock_wait(fd, ms, client ? client->gone : NULL,
	    client ? client->arg : NULL) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Logs in; 0, or the status to answer with and why in err. */
static int
login(const struct conf *c, const char *trace, struct token *t, char *err,
    size_t errsz, const struct watch *client)
{
	char		 hdr_trace[200], perr[128];
	const char	*tok, *uid, *msg;
	const char	*uid_path[] = { "data", "user_id", NULL };
	const char	*ok_path[] = { "success", NULL };
	struct up_call	 u;
	struct buf	 body;
	yajl_val	 root = NULL, v;
	yajl_gen	 g;
	int		 status = 502;

	snprintf(hdr_trace, sizeof(hdr_trace), "X-Trace-Id: %s", trace);
	buf_init(&body, 0);
	up_call_init(&u, LOGIN_ANSWER_MAX);
	if ((g = json_gen()) == NULL || json_map_open(g) ||
	    json_kstr(g, "app_id", c->app_id) ||
	    json_kstr(g, "app_secret", c->app_secret) ||
	    json_map_close(g) || json_take(g, &body) == -1) {
		snprintf(err, errsz, "out of memory");
		status = 500;
		goto out;
	}
	u.url = c->app_url;
	u.headers[0] = "Content-Type: application/json";
	u.headers[1] = hdr_trace;
	u.post = buf_cstr(&body);
	u.postlen = body.len;
	u.timeout_ms = c->login_timeout_ms;
	if (transport_run(c, &u, 1, client, 0) == TRANSPORT_CLIENT_GONE) {
		snprintf(err, errsz, "the client hung up during the login");
		status = TOKEN_CLIENT_GONE;
		goto out;
	}
	if (u.status == 0 || u.error[0]) {
		snprintf(err, errsz, "Hexin login %s: %s (HITHINK_APP_URL)",
		    u.timeout ? "timed out" : "unreachable", u.error);
		status = u.timeout ? 504 : 502;
		goto out;
	}
	if (u.status == 401 || u.status == 403) {
		snprintf(err, errsz, "Hexin rejected the credentials "
		    "(HTTP %ld from the login URL)", u.status);
		goto out;
	}
	if (u.status < 200 || u.status > 299) {
		snprintf(err, errsz, "Hexin login failed: the login URL "
		    "answered HTTP %ld", u.status);
		goto out;
	}
	if ((root = json_parse(buf_cstr(&u.body), u.body.len, perr,
	    sizeof(perr))) == NULL) {
		snprintf(err, errsz, "Hexin login answer is malformed: not "
		    "JSON");
		goto out;
	}
	tok = str_at(root, "data", "token");
	if (tok == NULL) {
		msg = str_at(root, "status_msg", NULL);
		if (YAJL_IS_FALSE(yajl_tree_get(root, ok_path, yajl_t_any)))
			snprintf(err, errsz, "Hexin rejected the credentials: "
			    "%.200s", msg ? msg : "no reason given");
		else
			snprintf(err, errsz, "Hexin login answer is "
			    "malformed: no data.token");
		goto out;
	}
	v = yajl_tree_get(root, uid_path, yajl_t_any);
	uid = YAJL_IS_STRING(v) ? v->u.string : YAJL_IS_NUMBER(v) ?
	    YAJL_GET_NUMBER(v) : "";
	if (!token_ok(tok, strlen(tok)) || strlen(uid) >= sizeof(t->user_id) ||
	    (*uid && !token_ok(uid, strlen(uid)))) {
		snprintf(err, errsz, "Hexin login answer is malformed: the "
		    "token or user id cannot be used");
		goto out;
	}
	memcpy(t->value, tok, strlen(tok) + 1);
	memcpy(t->user_id, uid, strlen(uid) + 1);
	if ((t->exp = jwt_exp(tok)) == 0)
		t->exp = wall_ms() / 1000 + DEFAULT_TTL;
	status = 0;
	log_info("logged in to Hexin as %s; token expires at %lld", t->user_id,
	    t->exp);
out:
	yajl_tree_free(root);
	up_call_free(&u);
	buf_free(&body);
	return status;
}

/* A usable token: the cached one while fresh, else one login among all
 * processes that need it. 0, or the status to answer with:
 * TOKEN_CLIENT_GONE when the client (NULL: none to watch) hung up while
 * this waited. */
int
token_get(const struct conf *c, const char *trace, struct token *t,
    char *err, size_t errsz, const struct watch *client)
{
	char	 path[PATH_LEN];
	int	 fd, status;

	memset(t, 0, sizeof(*t));
	if (c->app_id == NULL) {
		snprintf(err, errsz, "hexind has no Hexin credentials: set "
		    "HITHINK_APP_ID and HITHINK_APP_SECRET");
		return 502;
	}
	if (token_path(c, path, sizeof(path)) == -1) {
		snprintf(err, errsz, "the token cache path is too long");
		return 500;
	}
	if (cache_read(c, path, t) == 0 && fresh(c, t->exp))
		return 0;
	if ((fd = lock_take(path, c->login_timeout_ms + LOCK_SLACK_MS,
	    client)) == -1) {
		if (errno == ECANCELED) {
			snprintf(err, errsz, "the client hung up while the "
			    "token was being fetched");
			return TOKEN_CLIENT_GONE;
		}
		log_warn("token cache %s: %s: logging in for this process "
		    "alone", path, strerror(errno));
		return login(c, trace, t, err, errsz, client);
	}
	memset(t, 0, sizeof(*t));
	if (cache_read(c, path, t) == 0 && fresh(c, t->exp)) {
		close(fd);
		return 0;
	}
	memset(t, 0, sizeof(*t));
	if ((status = login(c, trace, t, err, errsz, client)) == 0)
		t->cached = cache_write(c, path, t) == 0;
	close(fd);
	return status;
}

/* The endpoints' "this token failed": drops the cached token only if it
 * is still the one that failed, so a token another process just fetched
 * is never thrown away. */
void
token_invalidate(const struct conf *c, const char *failed)
{
	struct token	*t;
	char		 path[PATH_LEN];
	int		 fd;

	if (token_path(c, path, sizeof(path)) == -1 ||
	    (t = malloc(sizeof(*t))) == NULL)
		return;
	if ((fd = lock_take(path, c->login_timeout_ms + LOCK_SLACK_MS,
	    NULL)) != -1) {
		if (cache_read(c, path, t) == 0 &&
		    strcmp(t->value, failed) == 0) {
			if (unlink(path) == 0)
				log_info("token cache %s: token refused by "
				    "Hexin, dropped", path);
		}
		close(fd);
	}
	free(t);
}

/* For /health: one lstat(2), no read. */
enum token_state
token_state(const struct conf *c)
{
	struct stat	 st;
	char		 path[PATH_LEN];

	if (token_path(c, path, sizeof(path)) == -1 ||
	    lstat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return TOKEN_ABSENT;
	return fresh(c, (long long)st.st_mtime) ? TOKEN_FRESH : TOKEN_STALE;
}
