/* Client keys come from HEXIND_API_KEYS and HEXIND_API_KEYS_FILE, read
 * only when a request needs them. Comparison takes the same time whatever
 * the keys hold: it depends only on the length of what the client sent.
 *
 * The file has one key a line, then optional attributes separated by
 * blanks, and # comments:
 *
 *	sk-team-alice-7f3a   name=alice models=gpt-*,claude-* rpm=60 tpd=2000000
 *	sk-legacy-key
 *
 * An entry it cannot take refuses every request (500, the line named in
 * the log) rather than serve a key without the limits meant for it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/sha256.h"

#define KEYS_FILE_MAX	(1024 * 1024)
#define TPD_MAX		999999999999999LL

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

#define BLANK(ch)	((ch) == ' ' || (ch) == '\t' || (ch) == '\r')

/* What a scan of the configured keys found. */
struct scan {
	const struct presented	*pr;
	struct client_key	*who;	/* the matching entry's, or NULL */
	unsigned		 ok;
	size_t			 count;
	char			*err;	/* the first bad entry; never a key */
	size_t			 errsz;
	int			 bad;
};

static int
number(const char *s, size_t n, long long max, long long *v)
{
	*v = 0;
	if (n == 0 || n > 15)
		return -1;
	for (; n > 0; s++, n--) {
		if (*s < '0' || *s > '9')
			return -1;
		*v = *v * 10 + (*s - '0');
	}
	return *v >= 1 && *v <= max ? 0 : -1;
}

/* One attribute of a key file entry into k; -1 with the reason in err. */
static int
attribute(struct client_key *k, const char *a, size_t n, unsigned *seen,
    char *err, size_t errsz)
{
	static const char *const names[] = { "name", "models", "rpm", "tpd" };
	const char	*eq = memchr(a, '=', n), *v;
	size_t		 i, an, vn;
	long long	 num;

	an = eq ? (size_t)(eq - a) : 0;
	for (i = 0; eq && i < 4; i++)
		if (strlen(names[i]) == an && memcmp(a, names[i], an) == 0)
			break;
	if (eq == NULL || i == 4) {
		snprintf(err, errsz, "after the key, only name=, models=, "
		    "rpm= and tpd= may follow");
		return -1;
	}
	if (*seen & (1u << i)) {
		snprintf(err, errsz, "%s= is given twice", names[i]);
		return -1;
	}
	*seen |= 1u << i;
	v = eq + 1;
	vn = n - an - 1;
	switch (i) {
	case 0:
		if (vn > 0 && vn <= KEY_NAME_MAX) {
			memcpy(k->name, v, vn);
			k->name[vn] = '\0';
		}
		if (vn == 0 || vn > KEY_NAME_MAX || !limits_name_ok(k->name)) {
			snprintf(err, errsz, "name= takes 1 to %d of "
			    "A-Z a-z 0-9 . _ @ - (not first .)", KEY_NAME_MAX);
			return -1;
		}
		return 0;
	case 1:
		if (vn == 0 || vn >= sizeof(k->models)) {
			snprintf(err, errsz, "models= takes a comma-separated "
			    "list of 1 to %zu characters",
			    sizeof(k->models) - 1);
			return -1;
		}
		memcpy(k->models, v, vn);
		k->models[vn] = '\0';
		return 0;
	case 2:
		if (number(v, vn, LIMITS_RPM_MAX, &num) == -1) {
			snprintf(err, errsz, "rpm= takes a whole number from "
			    "1 to %d", LIMITS_RPM_MAX);
			return -1;
		}
		k->rpm = (long)num;
		return 0;
	default:
		if (number(v, vn, TPD_MAX, &num) == -1) {
			snprintf(err, errsz, "tpd= takes a whole number from "
			    "1 to %lld", TPD_MAX);
			return -1;
		}
		k->tpd = num;
		return 0;
	}
}

/* "key-" and the start of the key's SHA-256. */
static void
key_fingerprint(struct client_key *k, const char *key, size_t n)
{
	struct sha256	 s;
	char		 hex[33];

	sha256_init(&s);
	sha256_update(&s, key, n);
	sha256_name(&s, hex);
	snprintf(k->name, sizeof(k->name), "key-%.8s", hex);
}

/* One entry: a key, then (in the file) its attributes. Every entry is
 * parsed and compared, whichever matched. */
static void
entry(struct scan *sc, const char *p, const char *end, int attrs,
    size_t line)
{
	struct client_key k;
	const char	*key, *t;
	size_t		 keylen;
	unsigned	 hit = 0, seen = 0;
	char		 why[160];
	int		 i;

	while (p < end && BLANK(*p))
		p++;
	if (p == end || (attrs && *p == '#'))
		return;
	memset(&k, 0, sizeof(k));
	key = p;
	while (p < end && !(attrs && BLANK(*p)))
		p++;
	keylen = (size_t)(p - key);
	while (keylen > 0 && BLANK(key[keylen - 1]))
		keylen--;
	while (p < end) {
		while (p < end && BLANK(*p))
			p++;
		if (p == end || *p == '#')
			break;
		for (t = p; p < end && !BLANK(*p); p++)
			;
		if (attribute(&k, t, (size_t)(p - t), &seen, why,
		    sizeof(why)) == -1) {
			if (!sc->bad)
				snprintf(sc->err, sc->errsz, "line %zu: %s",
				    line, why);
			sc->bad = 1;
			return;
		}
	}
	sc->count++;
	for (i = 0; i < 2; i++)
		if (sc->pr->key[i])
			hit |= ct_equal(sc->pr->key[i], sc->pr->len[i], key,
			    keylen);
	if (hit && sc->who) {
		if (k.name[0] == '\0')
			key_fingerprint(&k, key, keylen);
		*sc->who = k;
	}
	sc->ok |= hit;
}

/* Every element of a list separated by sep, no early exit. */
static void
list_scan(struct scan *sc, const char *s, size_t n, char sep)
{
	const char	*e, *end = s + n;
	size_t		 line = 1;

	for (; s < end; s = e + 1, line++) {
		if ((e = memchr(s, sep, (size_t)(end - s))) == NULL)
			e = end;
		entry(sc, s, e, sep == '\n', line);
	}
}

/* Tries every configured key against sc->pr. */
static int
keys_scan(const struct conf *c, struct scan *sc)
{
	struct buf	 b;

	if (c->api_keys)
		list_scan(sc, c->api_keys, strlen(c->api_keys), ',');
	if (c->api_keys_file) {
		buf_init(&b, KEYS_FILE_MAX);
		if (buf_read_file(&b, c->api_keys_file) == -1) {
			snprintf(sc->err, sc->errsz, "%s", strerror(errno));
			buf_free(&b);
			return -1;
		}
		list_scan(sc, buf_cstr(&b), b.len, '\n');
		buf_free(&b);
	}
	return sc->bad ? -1 : 0;
}

/* The number of configured keys, or -1 when the keys file cannot be
 * read or has an entry it cannot take (err says which line and why). */
long
auth_count(const struct conf *c, char *err, size_t errsz)
{
	struct presented	 pr = { { NULL, NULL }, { 0, 0 } };
	struct scan		 sc = { &pr, NULL, 0, 0, err, errsz, 0 };

	if (keys_scan(c, &sc) == -1)
		return -1;
	return (long)sc.count;
}

/* The key the request presents, as Bearer or x-api-key. */
static void
presented(const struct http_req *r, struct presented *pr)
{
	const char	*v;

	if ((v = http_header(r, "authorization")) != NULL &&
	    strncasecmp(v, "Bearer ", 7) == 0) {
		for (v += 7; *v == ' '; v++)
			;
		pr->key[0] = v;
		pr->len[0] = strlen(v);
	}
	if ((v = http_header(r, "x-api-key")) != NULL) {
		pr->key[1] = v;
		pr->len[1] = strlen(v);
	}
}

/* 0 when the request carries one of HEXIND_ADMIN_KEYS; else 401 with
 * *why. */
int
auth_admin(const struct conf *c, const struct http_req *r, const char **why)
{
	struct presented	 pr = { { NULL, NULL }, { 0, 0 } };
	char			 err[64];
	struct scan		 sc = { &pr, NULL, 0, 0, err, sizeof(err), 0 };

	presented(r, &pr);
	if (c->admin_keys == NULL) {
		*why = "no admin keys are configured: set HEXIND_ADMIN_KEYS";
		return 401;
	}
	list_scan(&sc, c->admin_keys, strlen(c->admin_keys), ',');
	if (!sc.ok) {
		*why = "this needs one of HEXIND_ADMIN_KEYS";
		return 401;
	}
	return 0;
}

/* 0 when the request carries a configured key, what the keys file says
 * of it in *who; else the status (401, or 500 when the keys cannot be
 * read) and *why in words for the client. */
int
auth_check(const struct conf *c, const struct http_req *r,
    struct client_key *who, const char **why)
{
	struct presented	 pr = { { NULL, NULL }, { 0, 0 } };
	char			 err[256];
	struct scan		 sc = { &pr, who, 0, 0, err, sizeof(err), 0 };

	presented(r, &pr);
	if (keys_scan(c, &sc) == -1) {
		log_error("HEXIND_API_KEYS_FILE %s: %s", c->api_keys_file,
		    err);
		*why = "the server cannot read its client keys; its log says "
		    "why";
		return 500;
	}
	if (sc.count == 0) {
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
	if (!sc.ok) {
		*why = "invalid API key";
		return 401;
	}
	return 0;
}
