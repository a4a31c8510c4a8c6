/* See limits.h. The file, "limits/NAME" in the state directory, is text
 * of a fixed size, rewritten whole at offset 0 with one pwrite(2) under
 * an exclusive flock(2) on the file itself:
 *
 *	hexind-limits 2
 *	day DAYS TOKENS		(days since 1970-01-01 UTC, tokens spent)
 *	s SECOND COUNT		(requests admitted in that second, oldest
 *				 first, only the last minute's)
 *	(blanks to RECORD_SIZE)
 *
 * A record lies within the file's first page, and a write within one
 * page is whole or not at all whatever kills its writer, so the file is
 * never half of two states; no rename is needed, which would cost more
 * than the rest. The window is counted in whole seconds: a request
 * leaves it in the second 60 s after its own. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "lib/limits.h"
#include "lib/lock.h"
#include "lib/log.h"
#include "lib/statefile.h"

#define MAGIC		"hexind-limits 2\n"
#define RECORD_SIZE	2048
#define WINDOW_S	60
#define DAY_MS		86400000LL
#define LOCK_MS		10000

struct lstate {
	long long	 day;
	long long	 tokens;
	long long	 sec[WINDOW_S];		/* oldest first */
	long long	 count[WINDOW_S];
	size_t		 n;
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

/* Two counts "A B" at p, to its end; -1 if not. */
static int
two(const char *p, long long *a, long long *b)
{
	const char	*e;

	if (statefile_num(p, &e, a) == -1 || *e != ' ' ||
	    statefile_num(e + 1, &e, b) == -1 || *e != '\0')
		return -1;
	return 0;
}

/* The state from a record; anything not ours starts afresh. */
static void
parse(const char *path, char *p, size_t len, struct lstate *s)
{
	char		*e, *end = p + len;
	long long	 a, b;

	memset(s, 0, sizeof(*s));
	if (len == 0)
		return;
	if (len < sizeof(MAGIC) - 1 ||
	    memcmp(p, MAGIC, sizeof(MAGIC) - 1) != 0) {
		log_warn("%s: not a limits file; counting afresh", path);
		return;
	}
	for (p += sizeof(MAGIC) - 1; p < end && (*p == 'd' || *p == 's');
	    p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		*e = '\0';
		if (two(p + (*p == 'd' ? 4 : 2), &a, &b) == -1)
			continue;
		if (*p == 'd') {
			s->day = a;
			s->tokens = b;
		} else if (s->n < WINDOW_S) {
			s->sec[s->n] = a;
			s->count[s->n++] = b;
		}
	}
}

/* The record of s, blanks to its size; -1 when it would not fit. */
static int
format(const struct lstate *s, char *out)
{
	size_t	 i, o;
	int	 w;

	o = (size_t)snprintf(out, RECORD_SIZE, MAGIC "day %lld %lld\n",
	    s->day, s->tokens);
	for (i = 0; i < s->n && o < RECORD_SIZE; i++) {
		w = snprintf(out + o, RECORD_SIZE - o, "s %lld %lld\n",
		    s->sec[i], s->count[i]);
		o += (size_t)w;
	}
	if (o >= RECORD_SIZE - 1)
		return -1;
	memset(out + o, ' ', RECORD_SIZE - 1 - o);
	out[RECORD_SIZE - 1] = '\n';
	return 0;
}

/* Drops the seconds that have left the window. */
static void
window(struct lstate *s, long long now_s)
{
	size_t	 i = 0;

	while (i < s->n && s->sec[i] <= now_s - WINDOW_S)
		i++;
	memmove(s->sec, s->sec + i, (s->n - i) * sizeof(*s->sec));
	memmove(s->count, s->count + i, (s->n - i) * sizeof(*s->count));
	s->n -= i;
}

static long long
in_window(const struct lstate *s)
{
	long long	 sum = 0;
	size_t		 i;

	for (i = 0; i < s->n; i++)
		sum += s->count[i];
	return sum;
}

/* The key's file, open and locked, its record read into s; the state
 * directory and limits/ made when missing. */
static int
open_locked(const struct limits *l, struct lstate *s, lock_gone_fn gone,
    void *arg, char *path, size_t pathsz)
{
	char		 rec[RECORD_SIZE + 1], dir[PATH_MAX];
	struct stat	 st;
	ssize_t		 r;
	int		 fd, saved;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/limits", l->dir) >=
	    sizeof(dir) || (size_t)snprintf(path, pathsz, "%s/%s", dir,
	    l->name) >= pathsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    0640);
	if (fd == -1 && errno == ENOENT) {
		if (jsonl_mkdir(l->dir) == -1 || jsonl_mkdir(dir) == -1)
			return -1;
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY, 0640);
	}
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		log_warn("%s: not a file of this user that only it may "
		    "write: refused", path);
		errno = EPERM;
		goto fail;
	}
	if (lock_wait(fd, LOCK_MS, gone, arg) == -1 ||
	    (r = pread(fd, rec, RECORD_SIZE, 0)) == -1)
		goto fail;
	parse(path, rec, (size_t)r, s);
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

/* Writes s back, whole, and lets the file go. */
static int
commit_close(int fd, const struct lstate *s)
{
	char	 rec[RECORD_SIZE];
	int	 saved;

	if (format(s, rec) == -1) {
		errno = EOVERFLOW;
		goto fail;
	}
	if (pwrite(fd, rec, RECORD_SIZE, 0) != RECORD_SIZE) {
		if (errno == 0)
			errno = ENOSPC;
		goto fail;
	}
	return close(fd);
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
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
	struct lstate	 s;
	char		 path[PATH_MAX];
	long long	 now_s = now / 1000;
	int		 fd;

	*retry_s = 0;
	if (l->rpm <= 0 && l->tpd <= 0)
		return LIMIT_OK;
	if ((fd = open_locked(l, &s, gone, arg, path, sizeof(path))) == -1)
		return LIMIT_ERROR;
	window(&s, now_s);
	if (over_tpd(l, &s, now, retry_s)) {
		(void)close(fd);
		return LIMIT_TPD;
	}
	if (l->rpm <= 0) {
		(void)close(fd);
		return LIMIT_OK;
	}
	if (in_window(&s) >= l->rpm) {
		*retry_s = (long)(s.sec[0] + WINDOW_S - now_s);
		if (*retry_s < 1)
			*retry_s = 1;
		(void)close(fd);
		return LIMIT_RPM;
	}
	if (s.n > 0 && s.sec[s.n - 1] >= now_s)
		s.count[s.n - 1]++;	/* this second (or a clock gone back) */
	else {
		s.sec[s.n] = now_s;
		s.count[s.n++] = 1;
	}
	return commit_close(fd, &s) == -1 ? LIMIT_ERROR : LIMIT_OK;
}

/* Adds the tokens a finished request spent to the key's day. */
int
limits_spend(const struct limits *l, long long now, long long tokens)
{
	struct lstate	 s;
	char		 path[PATH_MAX];
	int		 fd;

	if (l->tpd <= 0 || tokens <= 0)
		return 0;
	if ((fd = open_locked(l, &s, NULL, NULL, path, sizeof(path))) == -1)
		return -1;
	window(&s, now / 1000);
	if (s.day != now / DAY_MS) {
		s.day = now / DAY_MS;
		s.tokens = 0;
	}
	s.tokens = s.tokens > LLONG_MAX - tokens ? LLONG_MAX :
	    s.tokens + tokens;
	return commit_close(fd, &s);
}
