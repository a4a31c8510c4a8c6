/* libcurl, one easy handle a call, all calls of a request on one multi
 * handle. Only http and https, no redirects, TLS verified (curl's
 * default), proxies from the environment as curl reads them. While the
 * calls run, the client's connection is watched too: a client that hangs
 * up stops every call within a poll interval, also while Hexin is
 * silent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#ifdef HAVE_OPENSSL
#include <openssl/conf.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#endif

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/version.h"
#include "upstream/tlscache.h"
#include "upstream/transport.h"

#define POLL_MS		250

_Static_assert(sizeof(((struct up_call *)0)->curl_error) >= CURL_ERROR_SIZE,
    "curl's error buffer");

static int	 curl_ready;
static CURLSH	*share;		/* keep-alive: connections outlive calls */
/* One multi handle for the process: its connections outlive a request's
 * calls until transport_end, so a connection to Hexin is shut (a TLS
 * close_notify and a FIN) after the client has its answer, not before,
 * and a second call to the same host (a login, then the call it was
 * for) takes the first one's connection. */
static CURLM	*multi;

#ifdef HAVE_OPENSSL
static int	 tls_conf_read;

static int
is_https(const char *url)
{
	return strncasecmp(url, "https:", 6) == 0;
}

/* curl has OpenSSL read openssl.cnf at its start, about half a
 * millisecond a process: hexind starts OpenSSL without it, and reads it
 * before the first https call, so the system's TLS policy applies to
 * every TLS connection and a plain-http upstream never pays for it.
 * Nor for OpenSSL's error strings, half of what curl's start costs a
 * process that calls http (which makes no TLS error to read); one whose
 * first call is https loads them. OpenSSL's own clean-up at exit only
 * frees memory the exit frees. */
static void
tls_start(const char *url)
{
	uint64_t	 opts = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT;

	if (!is_https(url))
		opts |= OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
		    OPENSSL_INIT_NO_LOAD_SSL_STRINGS;
	/* Nor the legacy table of cipher names: TLS in OpenSSL 3 fetches
	 * its ciphers from the providers. (Certificate verification still
	 * looks digests up by name.) */
	(void)OPENSSL_init_crypto(opts | OPENSSL_INIT_NO_ADD_ALL_CIPHERS, NULL);
	(void)OPENSSL_init_ssl(opts, NULL);
}

static void
tls_conf(const char *url)
{
	if (tls_conf_read || !is_https(url))
		return;
	tls_conf_read = 1;
	if (CONF_modules_load_file(NULL, NULL, CONF_MFLAGS_DEFAULT_SECTION |
	    CONF_MFLAGS_IGNORE_MISSING_FILE) <= 0)
		log_warn("the OpenSSL configuration cannot be "
		    "read; TLS goes on with OpenSSL's defaults");
}

/* What a fresh process's first handshake spends most of its CPU on is
 * OpenSSL's own start: its random generator, and the tables of every
 * algorithm of a kind, built whole the first time one of that kind is
 * fetched (millions of instructions). curl comes to them only once the
 * TCP connection is made. Started while the name resolves and the
 * connection opens, they cost the same CPU and no waiting: over a
 * network, up to a round trip sooner to the first byte. */
static void
tls_warm(const char *url)
{
	static int	 warmed;
	EVP_CIPHER	*ci;
	EVP_MD		*md;
	EVP_KEYMGMT	*km;
	EVP_KEYEXCH	*kx;
	EVP_SIGNATURE	*sig;
	EVP_KDF		*kdf;
	EVP_MAC		*mac;
	OSSL_DECODER	*dec;

	if (warmed || !is_https(url))
		return;
	warmed = 1;
	(void)RAND_status();
	ci = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	km = EVP_KEYMGMT_fetch(NULL, "EC", NULL);
	kx = EVP_KEYEXCH_fetch(NULL, "X25519", NULL);
	sig = EVP_SIGNATURE_fetch(NULL, "ECDSA", NULL);
	kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	dec = OSSL_DECODER_fetch(NULL, "EC", "input=der");
	EVP_CIPHER_free(ci);
	EVP_MD_free(md);
	EVP_KEYMGMT_free(km);
	EVP_KEYEXCH_free(kx);
	EVP_SIGNATURE_free(sig);
	EVP_KDF_free(kdf);
	EVP_MAC_free(mac);
	OSSL_DECODER_free(dec);
}
#else
static void tls_start(const char *url) { (void)url; }
static void tls_conf(const char *url) { (void)url; }
static void tls_warm(const char *url) { (void)url; }
#endif

static int
curl_start(const struct conf *c, const char *url)
{
	if (curl_ready)
		return 0;
	tls_start(url);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	curl_ready = 1;
	/* A process that serves one request has no later call to reuse
	 * a connection for; under keep-alive the next request's calls find
	 * the connection, TLS session and address of the last. */
	if (c->keepalive_requests > 1 && (share = curl_share_init()) != NULL &&
	    (curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) !=
	    CURLSHE_OK || curl_share_setopt(share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) !=
	    CURLSHE_OK)) {
		(void)curl_share_cleanup(share);
		share = NULL;
	}
	return 0;
}

/* Shuts the connections still open and releases what curl_global_init
 * took, for a clean valgrind report. */
void
transport_end(void)
{
	if (multi)
		(void)curl_multi_cleanup(multi);
	multi = NULL;
	if (share)
		(void)curl_share_cleanup(share);
	share = NULL;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = 0;
}

void
up_call_init(struct up_call *u, size_t maxbody)
{
	memset(u, 0, sizeof(*u));
	buf_init(&u->body, maxbody);
}

void
up_call_free(struct up_call *u)
{
	buf_free(&u->body);
	curl_slist_free_all(u->hdrs);
	if (u->h)
		curl_easy_cleanup(u->h);
	u->h = u->hdrs = NULL;
}

/* Adds a header line; -1 when the table is full. */
int
up_call_header(struct up_call *u, const char *line)
{
	size_t	 i;

	for (i = 0; i + 1 < UP_HEADERS_MAX; i++)
		if (u->headers[i] == NULL) {
			u->headers[i] = line;
			return 0;
		}
	return -1;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct up_call	*u = arg;
	size_t		 len = n, v;

	(void)size;
	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		for (v = 12; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		while (len > v && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
		    p[len - 1] == ' '))
			len--;
		if (len - v < sizeof(u->retry_after)) {
			memcpy(u->retry_after, p + v, len - v);
			u->retry_after[len - v] = '\0';
		}
	}
	return n;
}

/* At the first body byte the status and type are known: a 2xx event
 * stream goes to on_stream as it comes, everything else is collected. */
static void
first_byte(struct up_call *u)
{
	const char	*ct = NULL;

	u->received = 1;
	(void)curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE, &u->status);
	if (curl_easy_getinfo(u->h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct)
		snprintf(u->ctype, sizeof(u->ctype), "%s", ct);
	u->streamed = u->on_stream && u->status >= 200 && u->status < 300 &&
	    strncasecmp(u->ctype, "text/event-stream", 17) == 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct up_call	*u = arg;

	(void)size;
	u->last_byte = now_ms();
	if (!u->received)
		first_byte(u);
	if (u->streamed) {
		if (u->on_stream(u, p, n) == -1) {
			u->stopped = 1;
			return 0;
		}
		return n;
	}
	/* Past the cap the call fails: a bounded answer or none. */
	if (u->on_answer && u->status >= 200 && u->status < 300) {
		if (u->body.cap && n > u->body.cap - u->answered) {
			snprintf(u->error, sizeof(u->error), "answer larger "
			    "than %zu bytes", u->body.cap);
			return 0;
		}
		u->answered += n;
		if (u->on_answer(u, p, n) == -1) {
			u->stopped = 1;
			return 0;
		}
		return n;
	}
	if (buf_add(&u->body, p, n) == -1) {
		snprintf(u->error, sizeof(u->error), "answer larger than %zu "
		    "bytes", u->body.cap);
		return 0;
	}
	return n;
}

/* A transfer begins when curl has its connection: until then it may wait
 * for one in the queue, and that wait is no silence of Hexin's. */
static int
on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip,
    int conn_primary_port, int conn_local_port)
{
	struct up_call	*u = arg;

	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	u->begun = 1;
	u->last_byte = now_ms();
	return CURL_PREREQFUNC_OK;
}

static int
call_setup(const struct conf *c, struct up_call *u)
{
	struct curl_slist	*t;
	CURL			*h;
	size_t			 i;

	tls_conf(u->url);
	if ((u->h = h = curl_easy_init()) == NULL)
		return -1;
	for (i = 0; u->headers[i]; i++) {
		if ((t = curl_slist_append(u->hdrs, u->headers[i])) == NULL)
			return -1;
		u->hdrs = t;
	}
	/* curl would add "Expect: 100-continue" to large bodies: a round
	 * trip for nothing. */
	if ((t = curl_slist_append(u->hdrs, "Expect:")) == NULL)
		return -1;
	u->hdrs = t;
	if (curl_easy_setopt(h, CURLOPT_URL, u->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK)
		return -1;
	/* A bundle file is parsed whole by every process that opens a TLS
	 * connection; a hashed directory is read only for the issuers the
	 * chain names. So no bundle unless HEXIND_CA_FILE asks for one.
	 * (curl over wolfSSL takes no directory: tlscache gives it.) */
	if (curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) != CURLE_OK ||
#ifndef HAVE_WOLFSSL
	    curl_easy_setopt(h, CURLOPT_CAPATH, c->ca_file ? NULL :
	    c->ca_dir) != CURLE_OK ||
#endif
	    tlscache_use(h, c, u->url) == -1)
		return -1;
#ifdef HAVE_WOLFSSL
	/* wolfSSL's key share is P-256 unless told: X25519 first, as
	 * OpenSSL's, curl's over it and browsers', less CPU (README, Over
	 * https). A server without it asks for another group, a round trip
	 * more, once: a resumed handshake offers the group its session was
	 * made with. */
	if (curl_easy_setopt(h, CURLOPT_SSL_EC_CURVES,
	    "X25519:P-256:P-384:P-521") != CURLE_OK)
		return -1;
#endif
	(void)curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)c->connect_timeout_ms);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(u->timeout_ms ?
	    u->timeout_ms : c->upstream_timeout_ms));
	(void)curl_easy_setopt(h, CURLOPT_USERAGENT, "hexind/" HEXIND_VERSION);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, u->hdrs);
	if (u->post) {
		(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, u->post);
		(void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)u->postlen);
	} else {
		(void)curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	(void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(h, CURLOPT_WRITEDATA, u);
	(void)curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(h, CURLOPT_HEADERDATA, u);
	(void)curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	(void)curl_easy_setopt(h, CURLOPT_PREREQDATA, u);
	(void)curl_easy_setopt(h, CURLOPT_PRIVATE, u);
	/* curl's own words name the cause ("Connection reset by peer"),
	 * where curl_easy_strerror() has only the code's */
	u->curl_error[0] = '\0';
	(void)curl_easy_setopt(h, CURLOPT_ERRORBUFFER, u->curl_error);
	if (share)
		(void)curl_easy_setopt(h, CURLOPT_SHARE, share);
	return 0;
}

static void
call_finish(struct up_call *u, CURLcode rc)
{
	const char	*e;

	u->done = 1;
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE,
		    &u->status);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT)
		u->timeout = 1;
	if (u->error[0] != '\0')
		return;
	e = u->curl_error[0] ? u->curl_error : curl_easy_strerror(rc);
	e += strspn(e, " ");
	/* Each TLS library words a server it cannot verify its own way
	 * (wolfSSL's "CA signer not available for verification"): the
	 * operator is told it is the certificate. */
	snprintf(u->error, sizeof(u->error), "%s%s",
	    (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE) && !strcasestr(e, "certificate") ?
	    "TLS certificate not verified: " : "", e);
}

/* Runs the calls to their ends, at most parallel at once (0: all).
 * TRANSPORT_DONE, or TRANSPORT_CLIENT_GONE when the client hung up (every call
 * stopped). Each call's result is in it. */
int
transport_run(const struct conf *c, struct up_call *calls, size_t n,
    const struct watch *client, size_t parallel)
{
	struct curl_waitfd	 wfd;
	struct up_call		*u;
	CURLMsg			*msg;
	CURLM			*m;
	long long		 now;
	size_t			 i;
	int			 running = 0, left, rc = TRANSPORT_DONE;

	if (curl_start(c, n ? calls[0].url : "") == -1 ||
	    (multi == NULL && (multi = curl_multi_init()) == NULL)) {
		for (i = 0; i < n; i++)
			snprintf(calls[i].error, sizeof(calls[i].error),
			    "cannot start libcurl");
		return TRANSPORT_DONE;
	}
	m = multi;
	/* Queued transfers wait for a free connection: the bound (0:
	 * none). */
	(void)curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)parallel);
	for (i = 0; i < n; i++) {
		u = &calls[i];
		u->last_byte = now_ms();
		if (call_setup(c, u) == -1 || curl_multi_add_handle(m, u->h) !=
		    CURLM_OK) {
			snprintf(u->error, sizeof(u->error), "cannot set up "
			    "the call");
			u->done = 1;
		}
	}
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (n > 0)
			tls_warm(calls[0].url);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			(void)curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, (char **)&u);
			call_finish(u, msg->data.result);
			(void)curl_multi_remove_handle(m, u->h);
		}
		/* Hexin silent for the idle time: give up on that call. */
		now = now_ms();
		for (i = 0; i < n; i++) {
			u = &calls[i];
			if (u->done || !u->begun ||
			    now - u->last_byte < c->idle_timeout_ms)
				continue;
			u->timeout = 1;
			u->done = 1;
			snprintf(u->error, sizeof(u->error), "no data from "
			    "Hexin for %d.%03d s", c->idle_timeout_ms / 1000,
			    c->idle_timeout_ms % 1000);
			(void)curl_multi_remove_handle(m, u->h);
			running--;
		}
		if (running <= 0)
			break;
		if (client && client->gone(client->arg)) {
			rc = TRANSPORT_CLIENT_GONE;
			break;
		}
		memset(&wfd, 0, sizeof(wfd));
		wfd.fd = client ? client->fd : -1;
		wfd.events = client && client->pollin ? CURL_WAIT_POLLIN : 0;
		if (curl_multi_poll(m, &wfd, wfd.fd >= 0 ? 1 : 0, POLL_MS,
		    NULL) != CURLM_OK)
			break;
	}
	for (i = 0; i < n; i++) {
		u = &calls[i];
		if (!u->done) {
			u->done = 1;
			if (u->error[0] == '\0')
				snprintf(u->error, sizeof(u->error), "%s",
				    rc == TRANSPORT_CLIENT_GONE ? "client gone" :
				    "stopped");
			if (u->h)
				(void)curl_multi_remove_handle(m, u->h);
		}
	}
	return rc;
}
