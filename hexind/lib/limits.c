/* See limits.h. The file, "limits/NAME" in the state directory, is text:
 *
 *	hexind-limits 1
 *	day DAYS TOKENS		(days since 1970-01-01 UTC, tokens spent)
 *	t MS			(one line a request admitted, oldest first)
 *
 * A check that changes nothing (tokens only) reads it without the lock:
 * renames make every read whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/statefile.h"

#define MAGIC		"hexind-limits 1\n"
#define WINDOW_MS	60000LL
#define DAY_MS		86400000LL
#define LOCK_MS		10000

struct lstate {
	long long	 day;
	long long	 tokens;
	long long	*t;
	size_t		 nt;
};

/* A key's name as it may appear in a file name, a log and a metric. */
int
limits_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '.' && strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._@-") == n;
}

/* The state from the file's text; anything not ours starts afresh. */
static int
parse(const char *path, struct buf *b, struct lstate *s)
{
	char		*p, *e, *end;
	long long	 v;
	size_t		 lines = 0;

	memset(s, 0, sizeof(*s));
	p = buf_cstr(b);
	end = p + b->len;
	for (e = p; e < end; e++)
		lines += *e == '\n';
	/* room for one more, the request about to be admitted */
	if ((s->t = calloc(lines + 1, sizeof(*s->t))) == NULL)
		return -1;
	if (b->len == 0)
		return 0;
	if (strncmp(p, MAGIC, sizeof(MAGIC) - 1) != 0) {
		log_warn("%s: not a limits file; counting afresh", path);
		return 0;
	}
	for (p += sizeof(MAGIC) - 1; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		*e = '\0';
		if (sscanf(p, "day %lld %lld", &s->day, &s->tokens) == 2)
			continue;
		if (sscanf(p, "t %lld", &v) == 1)
			s->t[s->nt++] = v;
	}
	return 0;
}

static int
format(const struct lstate *s, struct buf *b)
{
	size_t	 i;

	if (buf_adds(b, MAGIC) == -1 ||
	    buf_printf(b, "day %lld %lld\n", s->day, s->tokens) == -1)
		return -1;
	for (i = 0; i < s->nt; i++)
		if (buf_printf(b, "t %lld\n", s->t[i]) == -1)
			return -1;
	return 0;
}

/* Drops what has left the window; keeps at most keep of the rest. */
static void
window(struct lstate *s, long long now, size_t keep)
{
	size_t	 i = 0;

	while (i < s->nt && s->t[i] <= now - WINDOW_MS)
		i++;
	if (s->nt - i > keep)
		i = s->nt - keep;
	memmove(s->t, s->t + i, (s->nt - i) * sizeof(*s->t));
	s->nt -= i;
}

static int
commit(struct statefile *sf, const struct lstate *s)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, STATEFILE_MAX);
	rc = format(s, &b) == -1 ? -1 : statefile_commit(sf, &b);
	if (rc == -1 && errno == 0)
		errno = ENOMEM;
	buf_free(&b);
	return rc;
}

static int
dir_of(const struct limits *l, char *out, size_t outsz)
{
	return statefile_dir(l->dir, "limits", out, outsz);
}

static int
over_tpd(const struct limits *l, const struct lstate *s, long long now,
    long *retry_s)
{
	if (l->tpd <= 0 || s->day != now / DAY_MS || s->tokens < l->tpd)
		return 0;
	*retry_s = (long)((DAY_MS - now % DAY_MS + 999) / 1000);
	return 1;
}

/* Whether the key may make one more request now: admitted requests are
 * counted here, refused ones are not. */
enum limit_verdict
limits_admit(const struct limits *l, long long now, long *retry_s,
    lock_gone_fn gone, void *arg)
{
	struct statefile	 sf;
	struct lstate		 s;
	struct buf		 b;
	char			 dir[PATH_MAX];
	enum limit_verdict	 v = LIMIT_OK;

	*retry_s = 0;
	if (l->rpm <= 0 && l->tpd <= 0)
		return LIMIT_OK;
	if (dir_of(l, dir, sizeof(dir)) == -1)
		return LIMIT_ERROR;
	if (l->rpm <= 0) {
		buf_init(&b, STATEFILE_MAX);
		if (statefile_read(dir, l->name, &b) == -1 ||
		    parse(l->name, &b, &s) == -1)
			v = LIMIT_ERROR;
		else if (over_tpd(l, &s, now, retry_s))
			v = LIMIT_TPD;
		buf_free(&b);
		free(s.t);
		return v;
	}
	if (statefile_lock(&sf, dir, l->name, LOCK_MS, gone, arg) == -1)
		return LIMIT_ERROR;
	if (parse(sf.path, &sf.data, &s) == -1) {
		v = LIMIT_ERROR;
		goto out;
	}
	window(&s, now, (size_t)l->rpm);
	if (over_tpd(l, &s, now, retry_s))
		v = LIMIT_TPD;
	else if (s.nt >= (size_t)l->rpm) {
		v = LIMIT_RPM;
		*retry_s = (long)((s.t[0] + WINDOW_MS - now + 999) / 1000);
		if (*retry_s < 1)
			*retry_s = 1;
	} else {
		s.t[s.nt++] = now;
		if (commit(&sf, &s) == -1)
			v = LIMIT_ERROR;
	}
out:
	free(s.t);
	statefile_unlock(&sf);
	return v;
}

/* Adds the tokens a finished request spent to the key's day. */
int
limits_spend(const struct limits *l, long long now, long long tokens)
{
	struct statefile	 sf;
	struct lstate		 s;
	char			 dir[PATH_MAX];
	int			 rc = -1;

	if (l->tpd <= 0 || tokens <= 0)
		return 0;
	if (dir_of(l, dir, sizeof(dir)) == -1 ||
	    statefile_lock(&sf, dir, l->name, LOCK_MS, NULL, NULL) == -1)
		return -1;
	if (parse(sf.path, &sf.data, &s) == 0) {
		window(&s, now, l->rpm > 0 ? (size_t)l->rpm : 0);
		if (s.day != now / DAY_MS) {
			s.day = now / DAY_MS;
			s.tokens = 0;
		}
		s.tokens += tokens;
		rc = commit(&sf, &s);
	}
	free(s.t);
	statefile_unlock(&sf);
	return rc;
}
