/* sseload: the stream half of scripts/bench's load generator.
 *
 * C threads each run one request at a time, for S seconds or until N
 * requests are done: connect, send the request (Connection: close), read
 * the answer to its end. With SSELOAD_KEEPALIVE=1 in the environment each
 * thread keeps its connection for the next request (Connection:
 * keep-alive), as long as the server does. Per request it times, from
 * the first byte written (as wrk does), the first complete SSE event of
 * the body and the whole answer (its terminating `[DONE]` event, else the
 * end of the body), and checks the status and the number of `data:`
 * events. At the end it prints one line of key=value figures.
 *
 * sseload HOST PORT PATH BODYFILE CONNS SECONDS MAXREQ EVENTS [HEADER...]
 *
 * EVENTS is the number of data: events a good answer has ([DONE]
 * included); 0 skips the check. Chunked and close-delimited bodies and
 * Content-Length are all read. Every read has a 10 s timeout, so no
 * thread can hang; the run is bounded by SECONDS plus that.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *host, *path;
static int port, events_want, keepalive;
static char *req;
static size_t reqlen;
static double stop_at;
static long maxreq;

static atomic_long started, done, errors, bad_status, bad_events, timeouts;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double *ttfe, *total;
static long nres, capres;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The body as it is decoded, with the event scan's state. */
struct body {
	char	*buf;		/* the last bytes of the body, for the scan */
	size_t	 len, cap;
	int	 events;	/* data: events complete so far */
	int	 in_data;	/* the current event has a data: line */
	int	 done;		/* [DONE] seen */
	int	 bol;		/* at the beginning of a line */
	int	 blank;		/* the previous line was empty */
	char	 line[16];	/* the start of the current line */
	size_t	 linelen;
	double	 first;		/* when the first event completed */
	double	 last;		/* when [DONE] completed */
};

/* Feeds decoded body bytes to the event scanner: an event ends at an
 * empty line; it counts if it had a data: line. */
static void
scan(struct body *b, const char *p, size_t n, double t)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c == '\r')
			continue;
		if (c == '\n') {
			if (b->linelen == 0) {
				if (b->in_data) {
					b->events++;
					if (b->events == 1)
						b->first = t;
					if (b->done && b->last == 0)
						b->last = t;
				}
				b->in_data = 0;
			} else {
				if (b->linelen >= 5 &&
				    strncmp(b->line, "data:", 5) == 0) {
					char *v = b->line + 5;
					size_t vl = b->linelen - 5;

					b->in_data = 1;
					if (vl && *v == ' ')
						v++, vl--;
					if (vl >= 6 && strncmp(v, "[DONE]", 6) == 0)
						b->done = 1;
				}
			}
			b->linelen = 0;
			continue;
		}
		if (b->linelen < sizeof(b->line))
			b->line[b->linelen] = c;
		/* linelen counts past the kept prefix: only 0 or not matters */
		if (b->linelen < sizeof(b->line))
			b->linelen++;
		else
			b->linelen = sizeof(b->line);
	}
}

struct conn {
	int	 fd;		/* -1: not connected */
	char	 in[65536];
	size_t	 have, off;
	int	 eof;
};

/* More bytes into c->in; -1 on error or timeout, 0 at EOF. */
static int
fill(struct conn *c)
{
	ssize_t	 r;

	if (c->off > 0) {
		memmove(c->in, c->in + c->off, c->have - c->off);
		c->have -= c->off;
		c->off = 0;
	}
	if (c->have == sizeof(c->in))
		return -1;
	r = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			atomic_fetch_add(&timeouts, 1);
		return -1;
	}
	if (r == 0) {
		c->eof = 1;
		return 0;
	}
	c->have += (size_t)r;
	return 1;
}

/* One line of the head or of chunk framing, without its CRLF. */
static int
getline_c(struct conn *c, char *out, size_t outsz)
{
	for (;;) {
		char *nl = memchr(c->in + c->off, '\n', c->have - c->off);

		if (nl) {
			size_t l = (size_t)(nl - (c->in + c->off));
			size_t k = l;

			if (k && c->in[c->off + k - 1] == '\r')
				k--;
			if (k >= outsz)
				k = outsz - 1;
			memcpy(out, c->in + c->off, k);
			out[k] = '\0';
			c->off += l + 1;
			return 0;
		}
		if (fill(c) <= 0)
			return -1;
	}
}

/* Connects c when it is not; -1 on failure. */
static int
dial(struct conn *c)
{
	struct sockaddr_in	 sa;
	struct timeval		 tv = { 10, 0 };
	int			 one_ = 1;

	if (c->fd != -1)
		return 0;
	c->have = c->off = 0;
	c->eof = 0;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof(one_));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	return connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* One request on c (connected first when it is not); 0 when it is good.
 * c stays connected only when the answer was read to its end and the
 * server keeps the connection. */
static int
one(struct conn *c, double *t_first, double *t_total)
{
	struct body		 b;
	char			 line[8192];
	double			 t0;
	long			 clen = -1;
	int			 chunked = 0, status = 0, rc = -1, reuse = 0;
	size_t			 w = 0;

	memset(&b, 0, sizeof(b));
	if (dial(c) == -1)
		goto out;
	t0 = now();
	while (w < reqlen) {
		ssize_t r = write(c->fd, req + w, reqlen - w);

		if (r <= 0)
			goto out;
		w += (size_t)r;
	}
	if (getline_c(c, line, sizeof(line)) == -1)
		goto out;
	if (sscanf(line, "HTTP/%*d.%*d %d", &status) != 1)
		goto out;
	for (;;) {
		if (getline_c(c, line, sizeof(line)) == -1)
			goto out;
		if (line[0] == '\0')
			break;
		if (strncasecmp(line, "content-length:", 15) == 0)
			clen = atol(line + 15);
		else if (strncasecmp(line, "connection:", 11) == 0 &&
		    strcasestr(line + 11, "close"))
			reuse = -1;
		else if (strncasecmp(line, "transfer-encoding:", 18) == 0 &&
		    strcasestr(line + 18, "chunked"))
			chunked = 1;
	}
	b.bol = 1;
	if (chunked) {
		for (;;) {
			long size;

			if (getline_c(c, line, sizeof(line)) == -1)
				goto out;
			size = strtol(line, NULL, 16);
			if (size <= 0) {
				/* the trailer, to its empty line */
				do {
					if (getline_c(c, line,
					    sizeof(line)) == -1)
						goto out;
				} while (line[0] != '\0');
				reuse = reuse == 0;
				break;
			}
			while (size > 0) {
				size_t k;

				if (c->have == c->off && fill(c) <= 0)
					goto out;
				k = c->have - c->off;
				if ((long)k > size)
					k = (size_t)size;
				scan(&b, c->in + c->off, k, now());
				c->off += k;
				size -= (long)k;
			}
			if (getline_c(c, line, sizeof(line)) == -1)
				goto out;
			if (b.last && !keepalive)
				break;
		}
	} else {
		long got = 0;

		for (;;) {
			size_t k = c->have - c->off;

			if (clen >= 0 && got + (long)k > clen)
				k = (size_t)(clen - got);
			if (k) {
				scan(&b, c->in + c->off, k, now());
				c->off += k;
				got += (long)k;
			}
			if (clen >= 0 && got >= clen) {
				reuse = reuse == 0;
				break;
			}
			if (b.last && !keepalive)
				break;
			if (fill(c) <= 0) {
				if (c->eof && clen < 0)
					break;
				goto out;
			}
		}
	}
	if (status != 200) {
		atomic_fetch_add(&bad_status, 1);
		goto out;
	}
	if (events_want && (b.events != events_want || !b.done)) {
		atomic_fetch_add(&bad_events, 1);
		goto out;
	}
	*t_first = (b.first ? b.first : now()) - t0;
	*t_total = (b.last ? b.last : now()) - t0;
	rc = 0;
out:
	if (c->fd != -1 && !(keepalive && rc == 0 && reuse == 1)) {
		close(c->fd);
		c->fd = -1;
	}
	return rc;
}

static void *
worker(void *arg)
{
	struct conn	*c;

	(void)arg;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = -1;
	while (now() < stop_at) {
		double f, t;

		if (atomic_fetch_add(&started, 1) >= maxreq)
			break;
		if (one(c, &f, &t) == -1) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		atomic_fetch_add(&done, 1);
		pthread_mutex_lock(&mu);
		if (nres < capres) {
			ttfe[nres] = f;
			total[nres] = t;
			nres++;
		}
		pthread_mutex_unlock(&mu);
	}
	if (c->fd != -1)
		close(c->fd);
	free(c);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, long n, double p)
{
	long	 i;

	if (n == 0)
		return -1;
	i = (long)(p / 100.0 * (double)n + 0.5) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

int
main(int argc, char **argv)
{
	pthread_t	*th;
	FILE		*f;
	char		*bodyb, *p;
	long		 blen, conns, i;
	double		 secs, t0, dur;
	size_t		 cap;
	int		 k;

	if (argc < 9) {
		fprintf(stderr, "usage: sseload HOST PORT PATH BODYFILE CONNS "
		    "SECONDS MAXREQ EVENTS [HEADER...]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	path = argv[3];
	conns = atol(argv[5]);
	secs = atof(argv[6]);
	maxreq = atol(argv[7]);
	events_want = atoi(argv[8]);
	keepalive = getenv("SSELOAD_KEEPALIVE") != NULL &&
	    strcmp(getenv("SSELOAD_KEEPALIVE"), "1") == 0;
	if (conns < 1 || conns > 1024 || secs <= 0 || maxreq < 1)
		return 2;
	if ((f = fopen(argv[4], "rb")) == NULL)
		return 2;
	fseek(f, 0, SEEK_END);
	blen = ftell(f);
	rewind(f);
	bodyb = malloc((size_t)blen + 1);
	if (bodyb == NULL || fread(bodyb, 1, (size_t)blen, f) != (size_t)blen)
		return 2;
	fclose(f);

	cap = 4096 + (size_t)blen;
	for (k = 9; k < argc; k++)
		cap += strlen(argv[k]) + 2;
	req = malloc(cap);
	if (req == NULL)
		return 2;
	p = req;
	p += sprintf(p, "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Connection: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %ld\r\n", path, host, port,
	    keepalive ? "keep-alive" : "close", blen);
	for (k = 9; k < argc; k++)
		p += sprintf(p, "%s\r\n", argv[k]);
	p += sprintf(p, "\r\n");
	memcpy(p, bodyb, (size_t)blen);
	reqlen = (size_t)(p - req) + (size_t)blen;

	capres = maxreq < 1000000 ? maxreq : 1000000;
	ttfe = calloc((size_t)capres, sizeof(double));
	total = calloc((size_t)capres, sizeof(double));
	th = calloc((size_t)conns, sizeof(*th));
	if (ttfe == NULL || total == NULL || th == NULL)
		return 2;
	t0 = now();
	stop_at = t0 + secs;
	for (i = 0; i < conns; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 2;
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	dur = now() - t0;
	qsort(ttfe, (size_t)nres, sizeof(double), cmp);
	qsort(total, (size_t)nres, sizeof(double), cmp);
	printf("BENCH requests=%ld errors=%ld bad_status=%ld bad_events=%ld "
	    "timeouts=%ld duration_s=%.6f ttfe_p50_ms=%.3f ttfe_p99_ms=%.3f "
	    "total_p50_ms=%.3f total_p99_ms=%.3f\n",
	    (long)done, (long)errors, (long)bad_status, (long)bad_events,
	    (long)timeouts, dur, pct(ttfe, nres, 50) * 1e3,
	    pct(ttfe, nres, 99) * 1e3, pct(total, nres, 50) * 1e3,
	    pct(total, nres, 99) * 1e3);
	return 0;
}
