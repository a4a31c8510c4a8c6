/* See ledger.h. A record:
 *
 *	{"time":"2026-12-02T10:00:00.123Z","id":"...","key":"alice",
 *	 "endpoint":"chat","model":"gpt-4o","served":"gpt-4o",
 *	 "family":"gpt","route":"chatgpt/v3","status":200,"stream":true,
 *	 "input_tokens":12,"cached_tokens":0,"output_tokens":30,
 *	 "reasoning_tokens":0,"ms":840,"first_ms":210,"retries":0,
 *	 "relogins":0,"error":null}
 *
 * jsonl_append writes each whole or not at all; a reader takes only the
 * lines that end, so a line being written is left for the next read. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/jsonl.h"
#include "lib/log.h"
#include "lib/statefile.h"
#include "serve.h"

#define LINE_MAX_BYTES	65536

/* The ledger's directory, made when missing. */
int
ledger_dir(const struct conf *cf, char *out, size_t outsz)
{
	char	 tmp[PATH_MAX];

	return statefile_dir(conf_state_dir(cf, tmp, sizeof(tmp)), "usage",
	    out, outsz);
}

static int
gen_record(yajl_gen g, const struct exchange *c, const char *stamp)
{
	const struct usage	*u = &c->usage;

	return json_map_open(g) || json_kstr(g, "time", stamp) ||
	    json_kstr(g, "id", c->id) ||
	    json_kstr(g, "key", c->key_name ? c->key_name : "-") ||
	    json_kstr(g, "endpoint", c->endpoint) ||
	    json_kstr(g, "model", c->model[0] ? c->model : "-") ||
	    json_kstr(g, "served", c->served[0] ? c->served :
	    c->model[0] ? c->model : "-") ||
	    json_kstr(g, "family", c->family[0] ? c->family : "-") ||
	    json_kstr(g, "route", c->log_route) ||
	    json_kint(g, "status", c->status) ||
	    json_kbool(g, "stream", c->stream_head) ||
	    json_kint(g, "input_tokens", u->input) ||
	    json_kint(g, "cached_tokens", u->cached) ||
	    json_kint(g, "output_tokens", u->output) ||
	    json_kint(g, "reasoning_tokens", u->reasoning) ||
	    json_kint(g, "ms", now_ms() - c->t0) ||
	    (c->t_first ? json_kint(g, "first_ms", c->t_first - c->t0) :
	    json_knull(g, "first_ms")) ||
	    json_kint(g, "retries", (long long)c->retries) ||
	    json_kint(g, "relogins", c->relogins) ||
	    (c->cause ? json_kstr(g, "error", c->cause) :
	    json_knull(g, "error")) || json_map_close(g);
}

/* Appends the request's record; a ledger that cannot be written is
 * logged, and the request goes on. */
void
ledger_write(struct exchange *c)
{
	struct timespec	 ts;
	struct tm	 tm;
	struct buf	 line;
	yajl_gen	 g;
	char		 dir[PATH_MAX], path[PATH_MAX + 32], day[16], stamp[48];

	if (c->endpoint == NULL || strcmp(c->endpoint, "health") == 0 ||
	    strcmp(c->endpoint, "metrics") == 0 ||
	    (c->req && strcmp(c->req->method, "OPTIONS") == 0))
		return;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	clock_utc(ts.tv_sec, &tm);
	if (strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0 ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp),
	    ".%03ldZ", ts.tv_nsec / 1000000);
	/* the directories are made only when missing: every request
	 * appends, few find them gone */
	snprintf(path, sizeof(path), "%s/usage/%s.jsonl",
	    conf_state_dir(c->conf, dir, sizeof(dir)), day);
	buf_init(&line, LINE_MAX_BYTES);
	if ((g = json_gen()) == NULL)
		return;
	if (gen_record(g, c, stamp) != 0) {
		yajl_gen_free(g);
		log_warn("usage ledger: the record could not be made");
		return;
	}
	if (json_take(g, &line) == 0 && buf_addc(&line, '\n') == 0 &&
	    jsonl_append(path, &line) == -1 && (errno != ENOENT ||
	    ledger_dir(c->conf, dir, sizeof(dir)) == -1 ||
	    jsonl_append(path, &line) == -1))
		log_warn("usage ledger %s: %s", path, strerror(errno));
	buf_free(&line);
}

static int
day_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	size_t	 i;

	for (i = 0; i < LEDGER_DAY_LEN; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != '-')
			return 0;
	return 1;
}

static int
day_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The days the ledger has a file for, oldest first. */
int
ledger_days(const char *dir, char (**days)[LEDGER_DAY_LEN + 1], size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	void		*p;
	size_t		 cap = 0;

	*days = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != LEDGER_DAY_LEN + 6 ||
		    !day_ok(e->d_name) ||
		    strcmp(e->d_name + LEDGER_DAY_LEN, ".jsonl") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(*days, cap * sizeof(**days))) == NULL) {
				(void)closedir(d);
				return -1;
			}
			*days = p;
		}
		memcpy((*days)[*n], e->d_name, LEDGER_DAY_LEN);
		(*days)[(*n)++][LEDGER_DAY_LEN] = '\0';
	}
	(void)closedir(d);
	if (*n)
		qsort(*days, *n, sizeof(**days), day_cmp);
	return 0;
}

static void
copy_str(char *dst, size_t sz, yajl_val v)
{
	snprintf(dst, sz, "%s", YAJL_IS_STRING(v) ? v->u.string : "");
}

static int
parse_line(const char *day, const char *p, size_t n, struct ledger_rec *r)
{
	yajl_val	 v, first;
	char		 err[64];

	if ((v = json_parse(p, n, err, sizeof(err))) == NULL)
		return -1;
	if (!YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	memcpy(r->day, day, LEDGER_DAY_LEN);
	copy_str(r->key, sizeof(r->key), json_get(v, "key"));
	copy_str(r->endpoint, sizeof(r->endpoint), json_get(v, "endpoint"));
	copy_str(r->model, sizeof(r->model), json_get(v, "model"));
	copy_str(r->served, sizeof(r->served), json_get(v, "served"));
	copy_str(r->family, sizeof(r->family), json_get(v, "family"));
	copy_str(r->error, sizeof(r->error), json_get(v, "error"));
	r->status = (int)json_int_at(v, "status");
	r->input = json_int_at(v, "input_tokens");
	r->cached = json_int_at(v, "cached_tokens");
	r->output = json_int_at(v, "output_tokens");
	r->reasoning = json_int_at(v, "reasoning_tokens");
	r->ms = json_int_at(v, "ms");
	first = json_get(v, "first_ms");
	r->first_ms = YAJL_IS_INTEGER(first) ? YAJL_GET_INTEGER(first) : -1;
	r->retries = json_int_at(v, "retries");
	r->relogins = json_int_at(v, "relogins");
	yajl_tree_free(v);
	return 0;
}

/* Each whole record of a day's file from byte from on; *end is where the
 * next read starts. */
int
ledger_read(const char *dir, const char *day, off_t from, off_t *end,
    ledger_fn fn, void *arg)
{
	struct ledger_rec	 r;
	struct buf		 b;
	char			 path[PATH_MAX + 32], chunk[65536];
	const char		*p, *nl;
	ssize_t			 got;
	size_t			 used;
	int			 fd, saved;

	*end = from;
	snprintf(path, sizeof(path), "%s/%s.jsonl", dir, day);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (lseek(fd, from, SEEK_SET) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	buf_init(&b, 0);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0 ||
	    (got == -1 && errno == EINTR)) {
		if (got <= 0)
			continue;
		if (buf_add(&b, chunk, (size_t)got) == -1)
			break;
		for (p = b.data, used = 0; (nl = memchr(p, '\n',
		    b.len - used)) != NULL; p = nl + 1) {
			if (parse_line(day, p, (size_t)(nl - p), &r) == 0)
				fn(&r, arg);
			used = (size_t)(nl + 1 - b.data);
		}
		*end += (off_t)used;
		buf_consume(&b, used);
	}
	saved = errno;
	buf_free(&b);
	(void)close(fd);
	errno = saved;
	return got == -1 ? -1 : 0;
}

/* A request that failed: an error status, or a stream that broke. */
int
ledger_errors(const struct ledger_rec *r)
{
	return r->status >= 400 || r->error[0] != '\0';
}

/* --- hexind --usage --- */

enum by { BY_KEY, BY_MODEL, BY_DAY };

struct row {
	char		 name[256];
	long long	 requests, errors, input, output;
};

struct report {
	enum by		 by;
	const char	*since, *until;
	struct row	*rows;
	size_t		 n, cap;
	int		 oom;
};

static void
add(const struct ledger_rec *r, void *arg)
{
	struct report	*rep = arg;
	const char	*name = rep->by == BY_KEY ? r->key :
			    rep->by == BY_MODEL ? r->model : r->day;
	struct row	*row;
	void		*p;
	size_t		 i;

	for (i = 0; i < rep->n; i++)
		if (strcmp(rep->rows[i].name, name) == 0)
			break;
	if (i == rep->n) {
		if (rep->n == rep->cap) {
			rep->cap = rep->cap ? rep->cap * 2 : 16;
			if ((p = realloc(rep->rows, rep->cap *
			    sizeof(*rep->rows))) == NULL) {
				rep->oom = 1;
				return;
			}
			rep->rows = p;
		}
		memset(&rep->rows[i], 0, sizeof(rep->rows[i]));
		snprintf(rep->rows[i].name, sizeof(rep->rows[i].name), "%s",
		    name);
		rep->n++;
	}
	row = &rep->rows[i];
	row->requests++;
	row->errors += ledger_errors(r);
	row->input = json_sum(row->input, r->input);
	row->output = json_sum(row->output, r->output);
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
	    ((const struct row *)b)->name);
}

static void
print_table(const struct report *rep, const char *by)
{
	struct row	 total;
	size_t		 i, w = strlen("total");

	memset(&total, 0, sizeof(total));
	for (i = 0; i < rep->n; i++) {
		if (strlen(rep->rows[i].name) > w)
			w = strlen(rep->rows[i].name);
		total.requests += rep->rows[i].requests;
		total.errors += rep->rows[i].errors;
		total.input = json_sum(total.input, rep->rows[i].input);
		total.output = json_sum(total.output, rep->rows[i].output);
	}
	printf("%-*s %10s %8s %14s %14s\n", (int)w, by, "requests", "errors",
	    "input_tokens", "output_tokens");
	for (i = 0; i < rep->n; i++)
		printf("%-*s %10lld %8lld %14lld %14lld\n", (int)w,
		    rep->rows[i].name, rep->rows[i].requests,
		    rep->rows[i].errors, rep->rows[i].input,
		    rep->rows[i].output);
	printf("%-*s %10lld %8lld %14lld %14lld\n", (int)w, "total",
	    total.requests, total.errors, total.input, total.output);
}

static int
print_json(const struct report *rep, const char *by)
{
	struct buf	 b;
	yajl_gen	 g;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; rc == 0 && i < rep->n; i++) {
		const struct row *r = &rep->rows[i];

		buf_init(&b, 0);
		if ((g = json_gen()) == NULL)
			return -1;
		if (json_map_open(g) || json_kstr(g, by, r->name) ||
		    json_kint(g, "requests", r->requests) ||
		    json_kint(g, "errors", r->errors) ||
		    json_kint(g, "input_tokens", r->input) ||
		    json_kint(g, "output_tokens", r->output) ||
		    json_map_close(g)) {
			yajl_gen_free(g);
			rc = -1;
		} else if ((rc = json_take(g, &b)) == 0) {
			printf("%s\n", buf_cstr(&b));
		}
		buf_free(&b);
	}
	return rc;
}

static int
report_usage(void)
{
	fprintf(stderr, "usage: hexind --usage [--since YYYY-MM-DD] "
	    "[--until YYYY-MM-DD] [--by key|model|day] [--json]\n");
	return EXIT_USAGE;
}

/* hexind --usage: requests, errors and tokens from the ledger, by key,
 * model or day, over the days asked for (UTC, both ends included). */
int
ledger_report(const struct conf *cf, int argc, char **argv)
{
	static const char *const bys[] = { "key", "model", "day" };
	struct report	 rep;
	char		 dir[PATH_MAX], tmp[PATH_MAX];
	char		 (*days)[LEDGER_DAY_LEN + 1];
	size_t		 ndays, i;
	off_t		 end;
	int		 json = 0, k, rc = 0;

	memset(&rep, 0, sizeof(rep));
	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (strcmp(argv[k], "--since") == 0 && k + 1 < argc &&
		    strlen(argv[k + 1]) == LEDGER_DAY_LEN &&
		    day_ok(argv[k + 1]))
			rep.since = argv[++k];
		else if (strcmp(argv[k], "--until") == 0 && k + 1 < argc &&
		    strlen(argv[k + 1]) == LEDGER_DAY_LEN &&
		    day_ok(argv[k + 1]))
			rep.until = argv[++k];
		else if (strcmp(argv[k], "--by") == 0 && k + 1 < argc) {
			for (i = 0; i < 3; i++)
				if (strcmp(argv[k + 1], bys[i]) == 0)
					break;
			if (i == 3)
				return report_usage();
			rep.by = (enum by)i;
			k++;
		} else
			return report_usage();
	}
	snprintf(dir, sizeof(dir), "%s/usage",
	    conf_state_dir(cf, tmp, sizeof(tmp)));
	if (ledger_days(dir, &days, &ndays) == -1) {
		fprintf(stderr, "hexind: usage ledger %s: %s\n", dir,
		    strerror(errno));
		return EXIT_CONFIG;
	}
	for (i = 0; i < ndays && rc == 0; i++) {
		if ((rep.since && strcmp(days[i], rep.since) < 0) ||
		    (rep.until && strcmp(days[i], rep.until) > 0))
			continue;
		if (ledger_read(dir, days[i], 0, &end, add, &rep) == -1) {
			fprintf(stderr, "hexind: usage ledger %s/%s.jsonl: "
			    "%s\n", dir, days[i], strerror(errno));
			rc = EXIT_CONFIG;
		}
	}
	if (rep.oom) {
		fprintf(stderr, "hexind: out of memory\n");
		rc = EXIT_CONFIG;
	}
	if (rc == 0) {
		if (rep.n)
			qsort(rep.rows, rep.n, sizeof(*rep.rows), row_cmp);
		if (json)
			rc = print_json(&rep, bys[rep.by]) == -1 ? EXIT_CONFIG :
			    0;
		else
			print_table(&rep, bys[rep.by]);
	}
	free(days);
	free(rep.rows);
	return rc;
}
