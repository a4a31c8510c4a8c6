/* The parsers of what the team features keep in files, by the input's
 * first byte: 0, a keys file (HEXIND_API_KEYS_FILE: keys, name=,
 * models=, rpm=, tpd=, comments), read through auth_count and
 * auth_check; 1, a key's limits record, admitted and spent against; 2, a
 * day of the usage ledger, read back whole lines at a time; 3, the
 * metrics' totals (metrics/totals), read back by a scrape and written
 * again. Whatever the bytes: no crash, a limits record rewritten at its
 * fixed size, a ledger read that ends after a newline, and a scrape that
 * answers, then answers the same again from the totals it wrote. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include "auth.h"
#include "fuzz.h"
#include "http/exchange.h"
#include "http/http.h"
#include "ledger.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "metrics.h"

static char	 dir[64];
static int	 memfd = -1;
static int	 devnull = -1;
static char	 memfd_path[64];

/* The files the runs made, and their directory, gone at exit. */
static void
cleanup(void)
{
	static const char *const files[] = { "limits/fz",
	    "usage/2026-01-01.jsonl", "metrics/totals",
	    "metrics/totals.lock", "metrics/totals.new", "limits", "usage",
	    "metrics", "" };
	char	 path[128];
	size_t	 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) == -1)
			(void)rmdir(path);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 sub[128];

	(void)argc;
	(void)argv;
	fuzz_quiet();
	snprintf(dir, sizeof(dir), "/tmp/fuzz-state-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sub, sizeof(sub), "%s/limits", dir);
	(void)mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/usage", dir);
	(void)mkdir(sub, 0700);
	if ((memfd = memfd_create("keys", 0)) == -1 ||
	    (devnull = open("/dev/null", O_WRONLY)) == -1)
		abort();
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	(void)atexit(cleanup);
	return 0;
}

static void
put(const char *path, const uint8_t *p, size_t n)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (n && write(fd, p, n) != (ssize_t)n)
		abort();
	(void)close(fd);
}

static void
keys(const uint8_t *p, size_t n)
{
	static const char head[] = "GET /v1/models HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer sk-fuzz\r\n\r\n";
	struct conf		 c;
	struct http_req		 r;
	struct client_key	 k;
	const char		*why;
	char			 err[256], *h;

	memset(&c, 0, sizeof(c));
	c.api_keys_file = memfd_path;
	if (ftruncate(memfd, 0) == -1 || pwrite(memfd, p, n, 0) != (ssize_t)n)
		abort();
	(void)auth_count(&c, err, sizeof(err));
	if ((h = strdup(head)) == NULL)
		abort();
	memset(&r, 0, sizeof(r));
	if (http_parse_head(h, sizeof(head) - 1, 100, &r) == 0) {
		memset(&k, 0, sizeof(k));
		if (auth_check(&c, &r, &k, &why) == 0) {
			FUZZ_CHECK(limits_name_ok(k.name));
			FUZZ_CHECK(k.rpm >= 0 && k.tpd >= 0);
		}
	}
	http_req_free(&r);
	free(h);
}

static void
limits(const uint8_t *p, size_t n)
{
	struct limits	 l = { dir, "fz", 3, 100 };
	struct stat	 st;
	char		 path[128];
	long		 retry;

	snprintf(path, sizeof(path), "%s/limits/fz", dir);
	put(path, p, n);
	(void)limits_admit(&l, 1796220000000LL, &retry, NULL, NULL);
	(void)limits_spend(&l, 1796220000000LL, 7);
	FUZZ_CHECK(stat(path, &st) == 0);
	FUZZ_CHECK(st.st_size == 2048 || (size_t)st.st_size == n);
}

static size_t	 records;

static void
count(const struct ledger_rec *r, void *arg)
{
	(void)arg;
	FUZZ_CHECK(strlen(r->key) < sizeof(r->key));
	records++;
}

static void
ledger(const uint8_t *p, size_t n)
{
	char	 path[128];
	off_t	 end;

	snprintf(path, sizeof(path), "%s/usage/2026-01-01.jsonl", dir);
	put(path, p, n);
	snprintf(path, sizeof(path), "%s/usage", dir);
	records = 0;
	if (ledger_read(path, "2026-01-01", 0, &end, count, NULL) == 0) {
		FUZZ_CHECK((size_t)end <= n);
		FUZZ_CHECK(end == 0 || p[end - 1] == '\n');
	}
}

static void
tap_body(struct exchange *c, int status, const char *p, size_t n)
{
	(void)status;
	if (buf_add(c->tap_arg, p, n) == -1)
		abort();
}

static int
tap_stream(struct exchange *c, const char *p, size_t n)
{
	(void)c;
	(void)p;
	(void)n;
	abort();
}

static void
tap_close(struct exchange *c)
{
	(void)c;
}

static const struct tap tap = { tap_body, tap_stream, tap_close };

/* One GET /metrics with an admin key: its status, its body in out. */
static int
scrape(const struct conf *cf, struct buf *out)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer sk-admin\r\n\r\n";
	struct exchange	 c;
	struct conn	 conn;
	struct http_req	 r;
	char		*h;

	if ((h = strdup(head)) == NULL)
		abort();
	memset(&r, 0, sizeof(r));
	FUZZ_CHECK(http_parse_head(h, sizeof(head) - 1, 100, &r) == 0);
	memset(&c, 0, sizeof(c));
	conn_init(&conn, -1, devnull, 1000);
	c.conn = &conn;
	c.conf = cf;
	c.req = &r;
	c.tap = &tap;
	c.tap_arg = out;
	snprintf(c.id, sizeof(c.id), "fuzz");
	metrics_serve(&c);
	conn_free(&conn);
	http_req_free(&r);
	free(h);
	return c.status;
}

static void
totals(const uint8_t *p, size_t n)
{
	struct conf	 c;
	struct buf	 first, again;
	char		 path[128];

	snprintf(path, sizeof(path), "%s/usage/2026-01-01.jsonl", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/metrics", dir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/metrics/totals", dir);
	put(path, p, n);
	memset(&c, 0, sizeof(c));
	c.state_dir = dir;
	c.admin_keys = "sk-admin";
	buf_init(&first, 0);
	buf_init(&again, 0);
	FUZZ_CHECK(scrape(&c, &first) == 200);
	FUZZ_CHECK(scrape(&c, &again) == 200);
	FUZZ_CHECK(again.len == first.len &&
	    memcmp(again.data, first.data, first.len) == 0);
	buf_free(&first);
	buf_free(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 65536)
		return 0;
	switch (data[0] % 4) {
	case 0:
		keys(data + 1, size - 1);
		break;
	case 1:
		limits(data + 1, size - 1);
		break;
	case 2:
		ledger(data + 1, size - 1);
		break;
	default:
		totals(data + 1, size - 1);
		break;
	}
	return 0;
}
