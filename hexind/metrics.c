/* See metrics.h. The totals since the ledger began live in the state
 * directory (metrics/totals, a statefile) with the point of the ledger
 * they reach. A scrape folds in the records written since, under the
 * file's lock, writes the totals back and answers them: a request pays
 * nothing for the metrics beyond its ledger line, and every process's
 * requests are counted, each once. The file is text:
 *
 *	hexind-metrics 1
 *	cursor DAY OFFSET
 *	c<TAB>FAMILY<TAB>LABELS<TAB>VALUE
 *	h<TAB>FAMILY<TAB>LABELS<TAB>COUNT<TAB>SUM_MS<TAB>BUCKET ...
 *
 * with the labels as they are printed, values free of control bytes.
 * A request refused before its model routed has the model "-". */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http/reply.h"
#include "ledger.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/statefile.h"
#include "metrics.h"

#define MAGIC		"hexind-metrics 1\n"
#define LOCK_MS		10000
#define LABELS_MAX	1024
#define NBUCKETS	15

static const long long bucket_ms[NBUCKETS] = { 5, 10, 25, 50, 100, 250,
    500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000 };
static const char *const bucket_le[NBUCKETS] = { "0.005", "0.01",
    "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
    "60", "120", "300" };

enum fam {
	F_REQUESTS, F_TOKENS, F_DURATION, F_FIRST, F_RETRIES, F_RELOGINS,
	F_ERRORS, NFAM
};

static const struct {
	const char	*name;
	int		 histogram;
	const char	*help;
} fams[NFAM] = {
	{ "hexind_requests_total", 0,
	    "Requests by endpoint, model and HTTP status." },
	{ "hexind_tokens_total", 0, "Tokens the upstream reported, by key "
	    "name, model and kind (input includes cached, output includes "
	    "reasoning)." },
	{ "hexind_request_duration_seconds", 1,
	    "Time from a request to the end of its answer, by endpoint." },
	{ "hexind_time_to_first_byte_seconds", 1,
	    "Time from a request to the first byte of its answer, by "
	    "endpoint." },
	{ "hexind_upstream_retries_total", 0,
	    "Upstream calls made again after a failure, by endpoint." },
	{ "hexind_upstream_relogins_total", 0,
	    "Logins made again after Hexin refused the token." },
	{ "hexind_upstream_errors_total", 0,
	    "Requests whose upstream call failed, by cause." },
};

struct series {
	int		 fam;
	char		*labels;
	long long	 value;			/* a counter's */
	long long	 count, sum_ms, b[NBUCKETS];	/* a histogram's */
};

struct totals {
	char		 day[LEDGER_DAY_LEN + 1];	/* the cursor */
	long long	 off;
	struct series	*s;
	size_t		 n, cap;
	size_t		*tab;		/* series index + 1; 0: empty */
	size_t		 tabsz;
	int		 oom;
};

static size_t
hash(int fam, const char *labels)
{
	size_t	 h = 2166136261u ^ (size_t)fam;

	for (; *labels; labels++)
		h = (h ^ (unsigned char)*labels) * 16777619u;
	return h;
}

static int
rehash(struct totals *t)
{
	size_t	 sz = t->tabsz ? t->tabsz * 2 : 256, i, h;
	size_t	*tab;

	if ((tab = calloc(sz, sizeof(*tab))) == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		h = hash(t->s[i].fam, t->s[i].labels) & (sz - 1);
		while (tab[h])
			h = (h + 1) & (sz - 1);
		tab[h] = i + 1;
	}
	free(t->tab);
	t->tab = tab;
	t->tabsz = sz;
	return 0;
}

/* The series of a family with those labels, made when new. */
static struct series *
find(struct totals *t, int fam, const char *labels)
{
	struct series	*s;
	size_t		 h;
	void		*p;

	if (t->oom || ((t->n + 1) * 2 > t->tabsz && rehash(t) == -1))
		goto oom;
	h = hash(fam, labels) & (t->tabsz - 1);
	for (; t->tab[h]; h = (h + 1) & (t->tabsz - 1)) {
		s = &t->s[t->tab[h] - 1];
		if (s->fam == fam && strcmp(s->labels, labels) == 0)
			return s;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		if ((p = realloc(t->s, t->cap * sizeof(*t->s))) == NULL)
			goto oom;
		t->s = p;
	}
	s = &t->s[t->n];
	memset(s, 0, sizeof(*s));
	s->fam = fam;
	if ((s->labels = strdup(labels)) == NULL)
		goto oom;
	t->tab[h] = ++t->n;
	return s;
oom:
	t->oom = 1;
	return NULL;
}

static void
count(struct totals *t, int fam, const char *labels, long long n)
{
	struct series	*s;

	if (n > 0 && (s = find(t, fam, labels)) != NULL)
		s->value = json_sum(s->value, n);
}

static void
observe(struct totals *t, int fam, const char *labels, long long ms)
{
	struct series	*s;
	size_t		 i;

	if (ms < 0 || (s = find(t, fam, labels)) == NULL)
		return;
	for (i = 0; i < NBUCKETS && ms > bucket_ms[i]; i++)
		;
	if (i < NBUCKETS)
		s->b[i]++;
	s->count++;
	s->sum_ms = json_sum(s->sum_ms, ms);
}

/* name="value" pairs, each value escaped and free of control bytes. */
static void
labels(char *out, size_t outsz, const char *const *kv, size_t n)
{
	size_t	 i, o = 0;
	const char *v;

	out[0] = '\0';
	for (i = 0; i < n && o + 80 < outsz; i++) {
		o += (size_t)snprintf(out + o, outsz - o, "%s%s=\"",
		    i ? "," : "", kv[2 * i]);
		for (v = kv[2 * i + 1]; *v && o + 4 < outsz; v++) {
			if (*v == '\\' || *v == '"')
				out[o++] = '\\';
			out[o++] = (unsigned char)*v < 0x20 ? '_' : *v;
		}
		if (o + 2 >= outsz)
			break;
		out[o++] = '"';
		out[o] = '\0';
	}
}

static void
fold(const struct ledger_rec *r, void *arg)
{
	static const char *const kinds[] = { "input", "cached", "output",
	    "reasoning" };
	struct totals	*t = arg;
	const char	*model = r->family[0] && strcmp(r->family, "-") ?
			    r->model : "-";
	const long long	 tokens[] = { r->input, r->cached, r->output,
			    r->reasoning };
	char		 l[LABELS_MAX], status[16];
	size_t		 i;

	snprintf(status, sizeof(status), "%d", r->status);
	labels(l, sizeof(l), (const char *const[]){ "endpoint", r->endpoint,
	    "model", model, "status", status }, 3);
	count(t, F_REQUESTS, l, 1);
	for (i = 0; i < 4; i++) {
		labels(l, sizeof(l), (const char *const[]){ "key", r->key,
		    "model", model, "kind", kinds[i] }, 3);
		count(t, F_TOKENS, l, tokens[i]);
	}
	labels(l, sizeof(l), (const char *const[]){ "endpoint",
	    r->endpoint }, 1);
	observe(t, F_DURATION, l, r->ms);
	observe(t, F_FIRST, l, r->first_ms);
	count(t, F_RETRIES, l, r->retries);
	count(t, F_RELOGINS, "", r->relogins);
	if (r->error[0]) {
		labels(l, sizeof(l), (const char *const[]){ "cause",
		    r->error }, 1);
		count(t, F_ERRORS, l, 1);
	}
}

static int
fam_of(const char *name)
{
	int	 i;

	for (i = 0; i < NFAM; i++)
		if (strcmp(fams[i].name, name) == 0)
			return i;
	return -1;
}

/* A count that is all of p; -1 if not. */
static int
num(const char *p, long long *v)
{
	const char	*e;

	return p == NULL || statefile_num(p, &e, v) == -1 || *e != '\0' ?
	    -1 : 0;
}

/* The totals from the file's text; anything not ours starts afresh: a
 * number out of range too, from the ledger's first day. */
static void
parse(struct totals *t, struct buf *b, const char *path)
{
	char		*p = buf_cstr(b), *line, *save = NULL, *f[5], *d;
	struct series	*s;
	size_t		 k;
	int		 fam, i, want, bad = 0;

	if (b->len == 0)
		return;
	if (strncmp(p, MAGIC, sizeof(MAGIC) - 1) != 0) {
		log_warn("%s: not a metrics file; counting afresh", path);
		return;
	}
	for (line = strtok_r(p + sizeof(MAGIC) - 1, "\n", &save);
	    line && !bad; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "cursor ", 7) == 0) {
			line += 7;
			d = strsep(&line, " ");
			bad = strlen(d) > LEDGER_DAY_LEN || num(line, &t->off);
			if (!bad)
				snprintf(t->day, sizeof(t->day), "%s",
				    strcmp(d, "-") == 0 ? "" : d);
			continue;
		}
		want = *line == 'h' ? 5 : 4;
		for (i = 0; i < want && line; i++)
			f[i] = strsep(&line, "\t");
		if (i < want || (fam = fam_of(f[1])) == -1 ||
		    (want == 5) != fams[fam].histogram ||
		    (s = find(t, fam, f[2])) == NULL)
			continue;
		if (want == 4) {
			bad = num(f[3], &s->value);
			continue;
		}
		bad = num(f[3], &s->count) || num(f[4], &s->sum_ms);
		for (i = 0; !bad && line && i < NBUCKETS; i++)
			bad = num(strsep(&line, " "), &s->b[i]);
	}
	if (!bad)
		return;
	log_warn("%s: a number out of range; counting afresh", path);
	for (k = 0; k < t->n; k++) {
		s = &t->s[k];
		s->value = s->count = s->sum_ms = 0;
		memset(s->b, 0, sizeof(s->b));
	}
	t->day[0] = '\0';
	t->off = 0;
}

static int
format(const struct totals *t, struct buf *b)
{
	const struct series	*s;
	size_t			 i, k;

	if (buf_adds(b, MAGIC) == -1 || buf_printf(b, "cursor %s %lld\n",
	    t->day[0] ? t->day : "-", t->off) == -1)
		return -1;
	for (i = 0; i < t->n; i++) {
		s = &t->s[i];
		if (!fams[s->fam].histogram) {
			if (buf_printf(b, "c\t%s\t%s\t%lld\n",
			    fams[s->fam].name, s->labels, s->value) == -1)
				return -1;
			continue;
		}
		if (buf_printf(b, "h\t%s\t%s\t%lld\t%lld\t", fams[s->fam].name,
		    s->labels, s->count, s->sum_ms) == -1)
			return -1;
		for (k = 0; k < NBUCKETS; k++)
			if (buf_printf(b, "%lld%c", s->b[k],
			    k + 1 < NBUCKETS ? ' ' : '\n') == -1)
				return -1;
	}
	return 0;
}

static const struct totals *sort_t;

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = &sort_t->s[*(const size_t *)a];
	const struct series *y = &sort_t->s[*(const size_t *)b];

	return x->fam != y->fam ? x->fam - y->fam :
	    strcmp(x->labels, y->labels);
}

static int
print_series(struct buf *b, const struct series *s)
{
	const char	*name = fams[s->fam].name, *sep = *s->labels ? "," : "";
	long long	 cum = 0;
	size_t		 k;

	if (!fams[s->fam].histogram)
		return buf_printf(b, *s->labels ? "%s{%s} %lld\n" :
		    "%s%s %lld\n", name, s->labels, s->value);
	for (k = 0; k < NBUCKETS; k++) {
		cum += s->b[k];
		if (buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %lld\n", name,
		    s->labels, sep, bucket_le[k], cum) == -1)
			return -1;
	}
	return buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %lld\n"
	    "%s_sum{%s} %lld.%03lld\n%s_count{%s} %lld\n", name, s->labels,
	    sep, s->count, name, s->labels, s->sum_ms / 1000,
	    s->sum_ms % 1000, name, s->labels, s->count);
}

/* The exposition: every family with its help and type, its series
 * sorted. */
static int
render(const struct totals *t, struct buf *b)
{
	size_t	*order, i, k = 0;
	int	 fam, rc = 0, any;

	if ((order = calloc(t->n + 1, sizeof(*order))) == NULL)
		return -1;
	for (i = 0; i < t->n; i++)
		order[i] = i;
	sort_t = t;
	qsort(order, t->n, sizeof(*order), series_cmp);
	for (fam = 0; fam < NFAM && rc == 0; fam++) {
		rc = buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n",
		    fams[fam].name, fams[fam].help, fams[fam].name,
		    fams[fam].histogram ? "histogram" : "counter");
		for (any = 0; rc == 0 && k < t->n && t->s[order[k]].fam == fam;
		    k++, any = 1)
			rc = print_series(b, &t->s[order[k]]);
		if (rc == 0 && !any && fam == F_RELOGINS)
			rc = buf_printf(b, "%s 0\n", fams[fam].name);
	}
	free(order);
	return rc;
}

static void
totals_free(struct totals *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		free(t->s[i].labels);
	free(t->s);
	free(t->tab);
}

/* Folds the ledger's records since the cursor into the totals. */
static int
catch_up(const struct conf *cf, struct totals *t)
{
	char		 dir[PATH_MAX];
	char		 (*days)[LEDGER_DAY_LEN + 1];
	size_t		 n, i;
	off_t		 end;
	int		 rc = 0;

	if (ledger_dir(cf, dir, sizeof(dir)) == -1 ||
	    ledger_days(dir, &days, &n) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (t->day[0] && strcmp(days[i], t->day) < 0)
			continue;
		rc = ledger_read(dir, days[i], strcmp(days[i], t->day) == 0 ?
		    (off_t)t->off : 0, &end, fold, t);
		memcpy(t->day, days[i], sizeof(t->day));
		t->off = (long long)end;
	}
	free(days);
	return rc;
}

void
metrics_serve(struct exchange *c)
{
	struct statefile	 sf;
	struct totals		 t;
	struct buf		 out;
	char			 dir[PATH_MAX], tmp[PATH_MAX];
	const char		*why;
	int			 rc;

	if ((rc = auth_admin(c->conf, c->req, &why)) != 0) {
		reply_error_extra(c, rc, NULL, "WWW-Authenticate: Bearer "
		    "realm=\"hexind\"\r\n", "%s", why);
		return;
	}
	memset(&t, 0, sizeof(t));
	buf_init(&out, 0);
	if (statefile_dir(conf_state_dir(c->conf, tmp, sizeof(tmp)),
	    "metrics", dir, sizeof(dir)) == -1 ||
	    statefile_lock(&sf, dir, "totals", LOCK_MS, NULL, NULL) == -1) {
		log_error("metrics: state directory %s: %s", tmp,
		    strerror(errno));
		reply_error(c, 503, NULL, "the metrics cannot be read; the "
		    "server's log says why");
		return;
	}
	parse(&t, &sf.data, sf.path);
	rc = catch_up(c->conf, &t);
	buf_free(&sf.data);
	if (rc == 0 && !t.oom && (rc = format(&t, &sf.data)) == 0)
		rc = statefile_commit(&sf, &sf.data);
	statefile_unlock(&sf);
	if (rc == 0 && !t.oom && render(&t, &out) == 0)
		(void)reply(c, 200, "text/plain; version=0.0.4; charset=utf-8",
		    buf_cstr(&out), out.len, NULL);
	else {
		log_error("metrics: %s", t.oom ? "out of memory" :
		    strerror(errno));
		reply_error(c, 500, NULL, "the metrics could not be made; the "
		    "server's log says why");
	}
	totals_free(&t);
	buf_free(&out);
}
