/* dotenv syntax, as python-dotenv and systemd's EnvironmentFile= accept
 * it in common use: KEY=VALUE lines, an optional "export ", # comments,
 * values bare, 'single-quoted' (literal) or "double-quoted" (with \n, \t,
 * \r, \" and \\ escapes). One line a setting; no multi-line values. */
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/envfile.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
key_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

/* Parses the value at p..e into v; -1 with *msg on a syntax error. */
static int
value_parse(const char *p, const char *e, struct buf *v, const char **msg)
{
	char	 q, c;

	if (p < e && (*p == '"' || *p == '\'')) {
		q = *p++;
		for (; p < e && *p != q; p++) {
			c = *p;
			if (q == '"' && c == '\\' && p + 1 < e) {
				c = *++p;
				c = c == 'n' ? '\n' : c == 't' ? '\t' :
				    c == 'r' ? '\r' : c;
				if (c != '\n' && c != '\t' && c != '\r' &&
				    c != '"' && c != '\\' && buf_addc(v, '\\'))
					goto nomem;
			}
			if (buf_addc(v, c) == -1)
				goto nomem;
		}
		if (p == e) {
			*msg = "unterminated quoted value";
			return -1;
		}
		for (p++; p < e && is_blank(*p); p++)
			;
		if (p < e && *p != '#') {
			*msg = "text after the closing quote";
			return -1;
		}
		return 0;
	}
	/* Bare: up to a comment that follows a blank, trailing blanks cut. */
	const char *s = p;
	for (; p < e; p++)
		if (*p == '#' && p > s && is_blank(p[-1]))
			break;
	while (p > s && is_blank(p[-1]))
		p--;
	if (buf_add(v, s, (size_t)(p - s)) == -1)
		goto nomem;
	return 0;
nomem:
	*msg = "out of memory";
	return -1;
}

int
envfile_parse(const char *p, size_t n, envfile_cb cb, void *arg,
    size_t *errline, const char **errmsg)
{
	const char	*end = p ? p + n : p, *e, *k;
	struct buf	 key, val;
	size_t		 line = 0;
	int		 rc = 0;

	buf_init(&key, 256);
	buf_init(&val, 65536);
	for (; p < end && rc == 0; p = e < end ? e + 1 : end) {
		line++;
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
			*errmsg = "NUL byte";
			rc = -1;
			break;
		}
		const char *le = e;
		if (le > p && le[-1] == '\r')
			le--;
		while (p < le && is_blank(*p))
			p++;
		if (p == le || *p == '#')
			continue;
		if (le - p > 7 && strncmp(p, "export", 6) == 0 &&
		    is_blank(p[6]))
			for (p += 7; p < le && is_blank(*p); p++)
				;
		for (k = p; p < le && key_char(*p, p == k); p++)
			;
		if (p == k) {
			*errmsg = "expected a NAME=VALUE line";
			rc = -1;
			break;
		}
		key.len = 0;
		val.len = 0;
		if (buf_add(&key, k, (size_t)(p - k)) == -1) {
			*errmsg = "name too long";
			rc = -1;
			break;
		}
		while (p < le && is_blank(*p))
			p++;
		if (p == le || *p != '=') {
			*errmsg = "expected '=' after the name";
			rc = -1;
			break;
		}
		for (p++; p < le && is_blank(*p); p++)
			;
		if (value_parse(p, le, &val, errmsg) == -1) {
			rc = -1;
			break;
		}
		rc = cb(buf_cstr(&key), buf_cstr(&val), arg);
	}
	*errline = line;
	buf_free(&key);
	buf_free(&val);
	return rc;
}
