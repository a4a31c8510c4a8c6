/* Request parsing per RFC 9112. The head is parsed in place: tokens are
 * cut out of the caller's buffer with NULs, so the request's strings live
 * as long as that buffer. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

#define CHUNK_DIGITS_MAX	16	/* 2^64 - 1 */
#define CHUNK_LINE_MAX		4096	/* chunk extensions, a trailer line */
#define TRAILER_MAX		16384

/* tchar, RFC 9110 5.6.2 */
static int
is_tchar(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* field-value bytes, RFC 9110 5.5: VCHAR, obs-text, SP and HTAB */
static int
is_vchar(unsigned char c)
{
	return (c >= 0x21 && c != 0x7f) || c == ' ' || c == '\t';
}

/* The offset just past the empty line ending the head, or -1 when the
 * head is not complete yet. Empty lines before the request line are part
 * of the head (RFC 9112 2.2 lets a server ignore them). */
long
http_head_end(const char *p, size_t n)
{
	size_t	 i = 0;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	for (; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return (long)(i + 2);
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return (long)(i + 3);
	}
	return -1;
}

/* Cuts the next line out of *p..end, ending at LF with an optional CR
 * before it (RFC 9112 2.2 allows a bare LF). */
static char *
next_line(char **p, char *end)
{
	char	*s = *p, *lf;

	if (s >= end || (lf = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*p = lf + 1;
	if (lf > s && lf[-1] == '\r')
		lf--;
	*lf = '\0';
	return s;
}

static int
fail(struct http_req *r, int status, const char *why)
{
	r->error = why;
	return status;
}

static int
parse_version(const char *v, struct http_req *r)
{
	if (strncmp(v, "HTTP/", 5) != 0 || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]) || v[8] != '\0')
		return fail(r, 400, "malformed HTTP version in the request "
		    "line");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(r, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
	r->minor = v[7] - '0';
	return 0;
}

static int
parse_target(struct http_req *r)
{
	char		*t = r->target, *q;
	const char	*s;

	for (s = t; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return fail(r, 400, "invalid byte in the request "
			    "target");
	/* absolute-form (RFC 9112 3.2.2): the path is what follows the
	 * authority. */
	if (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0) {
		t = strchr(t, ':') + 3;
		t += strcspn(t, "/?");
		if (*t != '/')
			return fail(r, 400, "absolute request target "
			    "without a path");
	} else if (strcmp(t, "*") == 0) {
		if (strcmp(r->method, "OPTIONS") != 0)
			return fail(r, 400, "'*' target outside OPTIONS");
	} else if (*t != '/') {
		return fail(r, 400, "request target must start with '/'");
	}
	r->path = t;
	if ((q = strchr(t, '?')) != NULL) {
		/* the path is cut from a copy: target stays whole */
		r->query = q + 1;
	}
	return 0;
}

static int
parse_request_line(char *line, struct http_req *r)
{
	char	*sp1, *sp2;
	int	 rc;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL)
		return fail(r, 400, "malformed request line: expected "
		    "METHOD TARGET HTTP/1.x");
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	if (*r->method == '\0' || strlen(r->method) > 32)
		return fail(r, 400, "malformed request method");
	for (const char *m = r->method; *m; m++)
		if (!is_tchar((unsigned char)*m))
			return fail(r, 400, "malformed request method");
	if (*r->target == '\0')
		return fail(r, 400, "empty request target");
	if ((rc = parse_version(sp2 + 1, r)) != 0)
		return rc;
	return parse_target(r);
}

static int
parse_field(char *line, struct http_req *r, struct http_field *f)
{
	char	*c, *v, *e;

	if (*line == ' ' || *line == '\t')
		return fail(r, 400, "obsolete line folding in a header");
	for (c = line; *c && *c != ':'; c++)
		if (!is_tchar((unsigned char)*c))
			return fail(r, 400, *c == ' ' || *c == '\t' ?
			    "whitespace before the colon of a header" :
			    "invalid byte in a header name");
	if (*c != ':' || c == line)
		return fail(r, 400, "malformed header line");
	*c = '\0';
	for (v = c + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (e = v; *e; e++)
		if (!is_vchar((unsigned char)*e))
			return fail(r, 400, "control byte in a header value");
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	f->name = line;
	f->value = v;
	return 0;
}

/* Parses the head p[0..n) (from http_head_end) in place. Returns 0, or the
 * HTTP status to refuse it with and r->error saying why. */
int
http_parse_head(char *p, size_t n, size_t maxfields, struct http_req *r)
{
	char	*end = p + n, *line;
	size_t	 hosts = 0;
	int	 rc;

	memset(r, 0, sizeof(*r));
	if (memchr(p, '\0', n) != NULL)
		return fail(r, 400, "NUL byte in the request head");
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if ((line = next_line(&p, end)) == NULL)
		return fail(r, 400, "empty request");
	if (strchr(line, '\r') != NULL)
		return fail(r, 400, "bare CR in the request line");
	if ((rc = parse_request_line(line, r)) != 0)
		return rc;
	if ((r->fields = calloc(maxfields, sizeof(*r->fields))) == NULL)
		return fail(r, 500, "out of memory");
	while ((line = next_line(&p, end)) != NULL && *line != '\0') {
		if (r->nfields == maxfields)
			return fail(r, 431, "too many header fields");
		if ((rc = parse_field(line, r, &r->fields[r->nfields])) != 0)
			return rc;
		if (strcasecmp(r->fields[r->nfields].name, "host") == 0)
			hosts++;
		r->nfields++;
	}
	/* RFC 9112 3.2: exactly one Host in HTTP/1.1, never two. */
	if (hosts > 1)
		return fail(r, 400, "more than one Host header");
	if (hosts == 0 && r->minor == 1)
		return fail(r, 400, "HTTP/1.1 request without a Host header");
	if (r->query) {
		/* NUL-cut the path now that the target is no longer needed
		 * whole by the parser; target keeps only the path too. */
		r->query[-1] = '\0';
	}
	return 0;
}

void
http_req_free(struct http_req *r)
{
	free(r->fields);
	r->fields = NULL;
	r->nfields = 0;
}

/* The value of the first field named name, or NULL. */
const char *
http_header(const struct http_req *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

/* Calls fn for each element of a comma-separated field value, blanks
 * trimmed; stops at the first non-zero return. */
static int
list_each(const char *v, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char	*s, *e;
	int		 rc;

	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		s = v;
		v += strcspn(v, ",");
		for (e = v; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if ((rc = fn(s, (size_t)(e - s), arg)) != 0)
			return rc;
		if (*v == '\0')
			return 0;
		v++;
	}
}

struct token_want {
	const char	*token;
};

static int
token_item(const char *s, size_t n, void *arg)
{
	const struct token_want	*w = arg;

	return n == strlen(w->token) && strncasecmp(s, w->token, n) == 0;
}

/* Whether the comma-separated field value v holds token (any case). */
int
http_token_in(const char *v, const char *token)
{
	struct token_want	 w = { token };

	return list_each(v, token_item, &w) == 1;
}

struct cl_state {
	unsigned long long	 value;
	int			 seen;
	int			 overflow;
};

static int
cl_item(const char *s, size_t n, void *arg)
{
	struct cl_state		*st = arg;
	unsigned long long	 v = 0;
	size_t			 i;
	int			 over = 0;

	if (n == 0)
		return 400;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 400;
		if (v > (~0ULL - 9) / 10)
			over = 1;
		else
			v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (st->seen && (over != st->overflow || v != st->value))
		return 400;
	st->value = v;
	st->overflow = over;
	st->seen = 1;
	return 0;
}

struct te_state {
	int	 chunked;	/* chunked seen, and last so far */
	int	 count;
	int	 unknown;
};

static int
te_item(const char *s, size_t n, void *arg)
{
	struct te_state	*st = arg;

	st->count++;
	if (n == 7 && strncasecmp(s, "chunked", 7) == 0) {
		if (st->chunked)
			return 400;	/* chunked twice */
		st->chunked = 1;
	} else {
		if (n == 0)
			return 400;
		st->unknown = 1;
		st->chunked = 0;
	}
	return 0;
}

/* Decides how the body is framed (RFC 9112 6). Returns 0 or a status. */
int
http_framing(struct http_req *r, unsigned long long maxbody)
{
	struct cl_state	 cl = { 0, 0, 0 };
	struct te_state	 te = { 0, 0, 0 };
	const char	*v;
	int		 has_cl = 0, has_te = 0;
	size_t		 i;

	for (i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (strcasecmp(f->name, "content-length") == 0) {
			has_cl = 1;
			if (list_each(f->value, cl_item, &cl) != 0)
				return fail(r, 400, "invalid or conflicting "
				    "Content-Length");
		} else if (strcasecmp(f->name, "transfer-encoding") == 0) {
			has_te = 1;
			if (list_each(f->value, te_item, &te) != 0)
				return fail(r, 400, "invalid "
				    "Transfer-Encoding");
		}
	}
	if (has_te) {
		if (has_cl)
			return fail(r, 400, "both Content-Length and "
			    "Transfer-Encoding");
		if (r->minor == 0)
			return fail(r, 400, "Transfer-Encoding in an "
			    "HTTP/1.0 request");
		if (te.unknown)
			return fail(r, 501, "only the chunked transfer coding "
			    "is supported");
		if (!te.chunked)
			return fail(r, 400, "chunked must be the final "
			    "transfer coding");
		r->body = BODY_CHUNKED;
	} else if (has_cl) {
		if (cl.overflow || cl.value > maxbody)
			return fail(r, 413, "request body too large");
		r->length = cl.value;
		r->body = cl.value ? BODY_LENGTH : BODY_NONE;
	}
	if ((v = http_header(r, "expect")) != NULL) {
		if (strcasecmp(v, "100-continue") != 0)
			return fail(r, 417, "only Expect: 100-continue is "
			    "supported");
		r->expect_continue = r->minor == 1;
	}
	return 0;
}

enum {
	CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_LF, CH_DONE
};

void
chunked_init(struct chunked *c, unsigned long long maxbody)
{
	memset(c, 0, sizeof(*c));
	c->max = maxbody;
}

int
http_hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a chunked body (RFC 9112 7.1) as it arrives, appending the data
 * to out. Returns 0 when all n bytes were used and more are needed, 1 when
 * the body ended (*used says where), or a status with *error set. Line
 * ends inside the framing must be CRLF: a bare LF here is how smuggling
 * attacks make two parsers disagree. */
int
chunked_feed(struct chunked *c, const char *p, size_t n, struct buf *out,
    size_t *used, const char **error)
{
	size_t		 i = 0, take;
	unsigned char	 ch;
	int		 h;

	*used = 0;	/* on an error too: the caller consumes it */
	while (i < n && c->state != CH_DONE) {
		ch = (unsigned char)p[i];
		switch (c->state) {
		case CH_SIZE:
			if ((h = http_hexdigit(ch)) >= 0) {
				if (++c->digits > CHUNK_DIGITS_MAX)
					goto toolong;
				c->left = c->left * 16 + (unsigned)h;
				if (c->left > c->max - c->total)
					goto toobig;
				i++;
				break;
			}
			if (c->digits == 0)
				goto bad;
			c->state = CH_EXT;
			c->linelen = 0;
			break;
		case CH_EXT:
			i++;
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (ch < 0x20 && ch != '\t')
				goto bad;
			else if (ch == 0x7f || ++c->linelen > CHUNK_LINE_MAX)
				goto bad;
			else if (c->linelen == 1 && ch != ';' && ch != ' ' &&
			    ch != '\t')
				goto bad;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->state = c->left ? CH_DATA : CH_TRAILER;
			c->linelen = 0;
			break;
		case CH_DATA:
			take = n - i;
			if (take > c->left)
				take = (size_t)c->left;
			if (buf_add(out, p + i, take) == -1)
				goto toobig;
			i += take;
			c->left -= take;
			c->total += take;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			break;
		case CH_DATA_CR:
			if (ch != '\r')
				goto bad;
			i++;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->state = CH_SIZE;
			c->digits = 0;
			break;
		case CH_TRAILER:
			/* trailer fields are read and dropped */
			i++;
			if (ch == '\r') {
				c->state = CH_TRAILER_LF;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				goto bad;
			} else {
				c->linelen++;
				if (++c->total > c->max ||
				    c->linelen > CHUNK_LINE_MAX)
					goto bad;
			}
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->state = c->linelen ? CH_TRAILER : CH_DONE;
			c->linelen = 0;
			break;
		}
	}
	*used = i;
	return c->state == CH_DONE;
toolong:
	*error = "chunk size too long";
	return 400;
toobig:
	*error = "request body too large";
	return 413;
bad:
	*error = "malformed chunked body";
	return 400;
}

struct reason {
	int		 code;
	const char	*text;
};

static const struct reason reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 417, "Expectation Failed" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].text;
	return code < 500 ? "Client Error" : "Server Error";
}
