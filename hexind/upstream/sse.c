/* Hexin's streams are loose (hexin-backend.md, "The stream format"):
 * "data:" with or without a space, "retry:" lines after most events,
 * "event:" lines on some routes, and blank lines between events that may
 * be missing. Payloads are single-line JSON, so every data line is one
 * complete event: dispatching per line, not per blank line, is what
 * makes a stream without blank lines work. Comments, "id:" and "retry:"
 * are dropped. */
#include <string.h>

#include "upstream/sse.h"


void
sse_init(struct sse *s, size_t maxline)
{
	buf_init(&s->line, maxline);
	s->event[0] = '\0';
}

void
sse_free(struct sse *s)
{
	buf_free(&s->line);
}

static int
field_is(const char *p, size_t n, const char *name, size_t *vstart)
{
	size_t	 l = strlen(name);

	if (n < l + 1 || memcmp(p, name, l) != 0 || p[l] != ':')
		return 0;
	*vstart = l + 1;
	if (*vstart < n && p[*vstart] == ' ')
		(*vstart)++;
	return 1;
}

static int
line_done(struct sse *s, const char *p, size_t n, sse_event_fn fn,
    void *arg)
{
	size_t	 v;
	int	 rc;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0) {
		s->event[0] = '\0';
		return 0;
	}
	if (field_is(p, n, "data", &v)) {
		rc = fn(arg, s->event, p + v, n - v);
		s->event[0] = '\0';
		return rc;
	}
	if (field_is(p, n, "event", &v)) {
		n -= v;
		if (n >= sizeof(s->event))
			n = sizeof(s->event) - 1;
		memcpy(s->event, p + v, n);
		s->event[n] = '\0';
	}
	return 0;
}

/* Feeds n bytes; returns 0, a callback's non-zero value, or
 * SSE_ERR_LINE when a line outgrows the cap. */
int
sse_feed(struct sse *s, const char *p, size_t n, sse_event_fn fn, void *arg)
{
	const char	*nl;
	size_t		 take;
	int		 rc;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (nl && s->line.len == 0) {
			/* the common case: a whole line in this read */
			rc = line_done(s, p, take, fn, arg);
		} else {
			if (buf_add(&s->line, p, take) == -1)
				return SSE_ERR_LINE;
			if (!nl)
				return 0;
			rc = line_done(s, s->line.data, s->line.len, fn, arg);
			s->line.len = 0;
		}
		if (rc != 0)
			return rc;
		p += take + 1;
		n -= take + 1;
	}
	return 0;
}

/* At the end of the stream: a last line without its newline still
 * counts. */
int
sse_finish(struct sse *s, sse_event_fn fn, void *arg)
{
	int	 rc = 0;

	if (s->line.len > 0)
		rc = line_done(s, s->line.data, s->line.len, fn, arg);
	s->line.len = 0;
	return rc;
}
