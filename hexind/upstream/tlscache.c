/* One file a site (scheme, host and port, and the CA setting that
 * verified it) in the cache directory, "tls-" and a hash: the session
 * the TLS library was given, in its own DER form. It is read as the
 * token cache is (never a symbolic link, a file of another user or one
 * that others may read or write) and written as it is (0600, by rename),
 * since a session stands for a verified server: whoever could plant one
 * could impersonate Hexin. An expired or unusable session is dropped, and
 * so is one made before the CA file or directory last changed: the file
 * starts with the CA's identity and change time (a directory changes when
 * a certificate's link is added or removed, as openssl rehash and
 * update-ca-certificates do), so that a CA the operator no longer trusts
 * vouches for no session.
 *
 * curl (7.88) has no way in before its handshake but the SSL_CTX it
 * shows CURLOPT_SSL_CTX_FUNCTION: the session goes in from the context's
 * info callback at the handshake's start, unless curl set one of its own
 * (keep-alive), and is taken from its new-session callback, which then
 * hands it on to curl's. The same calls serve OpenSSL (the dynamic build)
 * and wolfSSL (the static build), through wolfSSL's OpenSSL names.
 *
 * Over wolfSSL, curl takes no CA directory either: the context is given
 * wolfSSL's own lookup by hash, which reads a CA from HEXIND_CA_DIR only
 * when a chain names it, as OpenSSL's does. */
#include "upstream/tlscache.h"

#if defined(HAVE_OPENSSL) || defined(HAVE_WOLFSSL)
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_WOLFSSL
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/openssl/ssl.h>
#else
#include <openssl/ssl.h>
#endif

#include "lib/log.h"
#include "lib/sha256.h"

#define SESSION_MAX	16384	/* a session with its peer's certificate */
#define STAMP_LEN	5	/* the CA's device, inode, size, change */
#define SITES		8	/* sites one process keeps sessions for */

/* The path last: a process touches its first bytes and the fields,
 * which then share a page. */
struct site {
	const char	*ca_dir;	/* wolfSSL's to read; NULL for a file */
	long long	 stamp[STAMP_LEN];	/* the CA as it is now */
	int		(*curl_cb)(SSL *, SSL_SESSION *);
	long		 loaded_at;	/* the loaded session's issue time */
	long		 loaded_life;
	int		 saved;		/* a session of this process on disk */
	char		 path[PATH_MAX];	/* "" for no file */
};

static struct site	 sites[SITES];
static struct site	 nofile;	/* a site past SITES or too long */
static size_t		 nsites;
static int		 ex_index = -1;
#ifdef HAVE_WOLFSSL
static int		 ssl_index = -1;	/* an SSL whose start was seen */
#endif

/* The CA file's or directory's identity and last change into stamp; all
 * zero when it cannot be read (the handshake then fails on it anyway). */
static void
ca_stamp(const char *path, long long stamp[STAMP_LEN])
{
	struct stat	 st;

	memset(stamp, 0, STAMP_LEN * sizeof(stamp[0]));
	if (path == NULL || stat(path, &st) == -1)
		return;
	stamp[0] = (long long)st.st_dev;
	stamp[1] = (long long)st.st_ino;
	stamp[2] = (long long)st.st_size;
	stamp[3] = (long long)st.st_mtim.tv_sec;
	stamp[4] = (long long)st.st_mtim.tv_nsec;
}

/* The site's file: the hash of what verified the session, so that a
 * session is never resumed under another CA setting. */
static struct site *
site_for(const struct conf *c, const char *url)
{
	struct sha256	 s;
	char		 dirbuf[512], name[33], path[PATH_MAX];
	const char	*dir, *host;
	size_t		 i, n;
	int		 len;

	host = url + 8;				/* after "https://" */
	n = strcspn(host, "/?#");
	sha256_init(&s);
	sha256_update(&s, host, n);
	sha256_update(&s, "", 1);
	if (c->ca_file)
		sha256_update(&s, c->ca_file, strlen(c->ca_file));
	sha256_update(&s, "", 1);
	if (!c->ca_file && c->ca_dir)
		sha256_update(&s, c->ca_dir, strlen(c->ca_dir));
	sha256_name(&s, name);
	dir = conf_cache_dir(c, dirbuf, sizeof(dirbuf));
	nofile.ca_dir = c->ca_file ? NULL : c->ca_dir;
	len = snprintf(path, sizeof(path), "%s/tls-%s", dir, name);
	if (len < 0 || (size_t)len + 16 >= sizeof(path))
		return &nofile;
	n = (size_t)len;
	for (i = 0; i < nsites; i++)
		if (strcmp(sites[i].path, path) == 0)
			return &sites[i];
	if (nsites == SITES)
		return &nofile;
	memcpy(sites[nsites].path, path, n + 1);
	sites[nsites].ca_dir = nofile.ca_dir;
	ca_stamp(c->ca_file ? c->ca_file : c->ca_dir, sites[nsites].stamp);
	return &sites[nsites++];
}

/* The session in s's file, or NULL (an unusable one is removed). */
static SSL_SESSION *
load(const struct site *s)
{
	unsigned char		 buf[sizeof(s->stamp) + SESSION_MAX];
	const unsigned char	*p = buf + sizeof(s->stamp);
	const char		*path = s->path;
	struct stat		 st;
	SSL_SESSION		*sess = NULL;
	ssize_t			 r;
	int			 fd;

	if (*path == '\0')
		return NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			log_warn("TLS session cache %s is a symbolic link: "
			    "refused", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_warn("TLS session cache %s: not a private file of this "
		    "user: refused", path);
		close(fd);
		return NULL;
	}
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r > (ssize_t)sizeof(s->stamp) && r < (ssize_t)sizeof(buf) &&
	    memcmp(buf, s->stamp, sizeof(s->stamp)) == 0)
		sess = d2i_SSL_SESSION(NULL, &p,
		    (long)(r - (ssize_t)sizeof(s->stamp)));
	if (sess != NULL && (p != buf + r || !SSL_SESSION_is_resumable(sess) ||
	    SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess) <=
	    (long)time(NULL))) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
	if (sess == NULL)
		(void)unlink(path);
	return sess;
}

static void
save(const struct site *s, SSL_SESSION *sess)
{
	unsigned char	 buf[sizeof(s->stamp) + SESSION_MAX];
	unsigned char	*p = buf + sizeof(s->stamp);
	const char	*path = s->path;
	char		 tmp[PATH_MAX + 32];
	int		 n, fd;

	if (*path == '\0')
		return;
	memcpy(buf, s->stamp, sizeof(s->stamp));
	n = i2d_SSL_SESSION(sess, NULL);
	if (n <= 0 || n > SESSION_MAX ||
	    i2d_SSL_SESSION(sess, &p) != n ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return;
	/* No fsync: a session lost to a crash costs one full handshake. */
	n += (int)sizeof(s->stamp);
	if (write(fd, buf, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		log_debug("TLS session cache %s: cannot write: %s", path,
		    strerror(errno));
		(void)unlink(tmp);
	}
}

static struct site *
site_of(const SSL *ssl)
{
	return SSL_CTX_get_ex_data(SSL_get_SSL_CTX((SSL *)(uintptr_t)ssl),
	    ex_index);
}

/* Whether the handshake is about to start, with no session of curl's:
 * OpenSSL says so once, before its ClientHello. wolfSSL says only that
 * SSL_connect was called, which curl does until the handshake is done:
 * the first call is the start. */
static int
starts_afresh(const SSL *ssl, int where)
{
#ifdef HAVE_WOLFSSL
	SSL	*w = (SSL *)(uintptr_t)ssl;

	if (where != SSL_ST_CONNECT || SSL_get_ex_data(w, ssl_index) != NULL ||
	    SSL_set_ex_data(w, ssl_index, (void *)w) != 1)
		return 0;
	return !SSL_session_reused(w);
#else
	return (where & SSL_CB_HANDSHAKE_START) && SSL_get_session(ssl) == NULL;
#endif
}

static void
on_info(const SSL *ssl, int where, int ret)
{
	struct site	*s;
	SSL_SESSION	*sess;

	(void)ret;
	if (!starts_afresh(ssl, where) || (s = site_of(ssl)) == NULL ||
	    (sess = load(s)) == NULL)
		return;
	s->loaded_at = SSL_SESSION_get_time(sess);
	s->loaded_life = SSL_SESSION_get_timeout(sess);
	/* The library hands the callback a const SSL; the session is the
	 * one thing set on it, before the ClientHello is written. */
	if (SSL_set_session((SSL *)(uintptr_t)ssl, sess) != 1)
		s->loaded_at = 0;
	SSL_SESSION_free(sess);
}

/* A session the server gave: to disk when this process made a full
 * handshake, or resumed one past half its life; then on to curl. */
static int
on_new(SSL *ssl, SSL_SESSION *sess)
{
	struct site	*s = site_of(ssl);

	if (s == NULL)
		return 0;
	if (!s->saved && (!SSL_session_reused(ssl) || s->loaded_at == 0 ||
	    (long)time(NULL) - s->loaded_at > s->loaded_life / 2)) {
		save(s, sess);
		s->saved = 1;
	}
	return s->curl_cb ? s->curl_cb(ssl, sess) : 0;
}

static CURLcode
on_ctx(CURL *h, void *sslctx, void *arg)
{
	SSL_CTX		*ctx = sslctx;
	struct site	*s = arg;
#ifdef HAVE_WOLFSSL
	X509_LOOKUP	*l;
#endif

	(void)h;
#ifdef HAVE_WOLFSSL
	if (s->ca_dir != NULL && ((l = X509_STORE_add_lookup(
	    SSL_CTX_get_cert_store(ctx), X509_LOOKUP_hash_dir())) == NULL ||
	    X509_LOOKUP_add_dir(l, s->ca_dir, X509_FILETYPE_PEM) != 1))
		return CURLE_SSL_CACERT_BADFILE;
	if (SSL_CTX_set_ex_data(ctx, ex_index, arg) != 1)
		return CURLE_OK;
	s->curl_cb = NULL;	/* curl over wolfSSL keeps no new sessions */
#else
	if (SSL_CTX_set_ex_data(ctx, ex_index, arg) != 1)
		return CURLE_OK;
	s->curl_cb = SSL_CTX_sess_get_new_cb(ctx);
#endif
	/* the new-session callback is called only with client caching on */
	(void)SSL_CTX_set_session_cache_mode(ctx,
	    SSL_CTX_get_session_cache_mode(ctx) | SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, on_new);
	SSL_CTX_set_info_callback(ctx, on_info);
	return CURLE_OK;
}

/* Sets h up to resume and keep the TLS sessions of url's site; nothing
 * for plain http. -1 only when curl refuses the settings. */
int
tlscache_use(CURL *h, const struct conf *c, const char *url)
{
	struct site	*s;

	if (strncasecmp(url, "https://", 8) != 0)
		return 0;
	s = site_for(c, url);
	if (ex_index == -1)
		ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
#ifdef HAVE_WOLFSSL
	if (ssl_index == -1)
		ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ssl_index == -1)
		s = &nofile;
#endif
	if (ex_index == -1)
		s = &nofile;
	if (curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ctx) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, s) != CURLE_OK)
		return -1;
	return 0;
}
#else
/* A libcurl over another TLS library: every process makes a full
 * handshake. */
int
tlscache_use(CURL *h, const struct conf *c, const char *url)
{
	(void)h;
	(void)c;
	(void)url;
	return 0;
}
#endif
