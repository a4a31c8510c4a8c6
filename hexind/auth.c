/* Client keys come from HEXIND_API_KEYS and HEXIND_API_KEYS_FILE, read
 * only when a request needs them. Comparison takes the same time whatever
 * the keys hold: it depends only on the length of what the client sent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "lib/buf.h"
#include "lib/log.h"

#define KEYS_FILE_MAX	(1024 * 1024)

struct presented {
	const char	*key[2];
	size_t		 len[2];
};

/* 1 when a equals b, in time depending on alen only. */
static unsigned
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char	 d = 0;
	size_t		 i;

	for (i = 0; i < alen; i++)
		d |= (unsigned char)(a[i] ^ b[i % blen]);
	return (d == 0) & (alen == blen);
}

/* Checks one configured key (p, n) against what the client presented. */
static unsigned
key_try(const struct presented *pr, const char *p, size_t n)
{
	unsigned	 ok = 0;
	int		 i;

	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	    p[n - 1] == '\r'))
		n--;
	if (n == 0)
		return 0;
	for (i = 0; i < 2; i++)
		if (pr->key[i])
			ok |= ct_equal(pr->key[i], pr->len[i], p, n);
	return ok;
}

/* Every element of a list separated by sep, no early exit. */
static unsigned
list_try(const struct presented *pr, const char *s, size_t n, char sep,
    size_t *count)
{
	const char	*e, *end = s + n;
	unsigned	 ok = 0;

	while (s < end) {
		if ((e = memchr(s, sep, (size_t)(end - s))) == NULL)
			e = end;
		const char *k = s;

		while (k < e && (*k == ' ' || *k == '\t'))
			k++;
		/* blank lines and, in the file, # comments */
		if (k < e && *k != '\r' && !(sep == '\n' && *k == '#')) {
			ok |= key_try(pr, k, (size_t)(e - k));
			(*count)++;
		}
		s = e + 1;
	}
	return ok;
}

/* Tries every configured key against pr; counts them in *count. */
static int
keys_scan(const struct conf *c, const struct presented *pr, unsigned *ok,
    size_t *count)
{
	struct buf	 b;

	*ok = 0;
	*count = 0;
	if (c->api_keys)
		*ok |= list_try(pr, c->api_keys, strlen(c->api_keys), ',',
		    count);
	if (c->api_keys_file) {
		buf_init(&b, KEYS_FILE_MAX);
		if (buf_read_file(&b, c->api_keys_file) == -1) {
			buf_free(&b);
			return -1;
		}
		*ok |= list_try(pr, buf_cstr(&b), b.len, '\n', count);
		buf_free(&b);
	}
	return 0;
}

/* The number of configured keys, or -1 when the keys file cannot be
 * read (errno says why). */
long
auth_count(const struct conf *c)
{
	struct presented	 pr = { { NULL, NULL }, { 0, 0 } };
	unsigned		 ok;
	size_t			 count;

	if (keys_scan(c, &pr, &ok, &count) == -1)
		return -1;
	return (long)count;
}

/* 0 when the request carries a configured key; else the status (401, or
 * 500 when the keys cannot be read) and *why in words for the client. */
int
auth_check(const struct conf *c, const struct http_req *r, const char **why)
{
	struct presented	 pr = { { NULL, NULL }, { 0, 0 } };
	const char		*v;
	size_t			 count;
	unsigned		 ok;

	if ((v = http_header(r, "authorization")) != NULL &&
	    strncasecmp(v, "Bearer ", 7) == 0) {
		for (v += 7; *v == ' '; v++)
			;
		pr.key[0] = v;
		pr.len[0] = strlen(v);
	}
	if ((v = http_header(r, "x-api-key")) != NULL) {
		pr.key[1] = v;
		pr.len[1] = strlen(v);
	}
	if (keys_scan(c, &pr, &ok, &count) == -1) {
		log_error("HEXIND_API_KEYS_FILE %s: %s", c->api_keys_file,
		    strerror(errno));
		*why = "the server cannot read its client keys; its log says "
		    "why";
		return 500;
	}
	if (count == 0) {
		*why = "hexind has no client keys configured, so it refuses "
		    "every request: set HEXIND_API_KEYS or "
		    "HEXIND_API_KEYS_FILE";
		return 401;
	}
	if (pr.key[0] == NULL && pr.key[1] == NULL) {
		*why = "missing API key: send \"Authorization: Bearer KEY\" "
		    "or \"x-api-key: KEY\"";
		return 401;
	}
	if (!ok) {
		*why = "invalid API key";
		return 401;
	}
	return 0;
}
