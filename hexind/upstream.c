/* libcurl, one easy handle a call. Only http and https, no redirects,
 * TLS verified (curl's default), proxies from the environment as curl
 * reads them. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "upstream.h"
#include "version.h"

static int	 curl_ready;

static int
curl_start(void)
{
	if (curl_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	curl_ready = 1;
	return 0;
}

/* Releases what curl_global_init took, for a clean valgrind report. */
void
upstream_end(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = 0;
}

void
up_reply_init(struct up_reply *r, size_t maxbody)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, maxbody);
}

void
up_reply_free(struct up_reply *r)
{
	buf_free(&r->body);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct up_reply	*r = arg;

	/* Past the cap the transfer fails: a bounded answer or none. */
	if (buf_add(&r->body, p, n) == -1)
		return 0;
	(void)size;
	return n;
}

static void
call_set(CURL *h, const struct conf *c, const char *url,
    struct curl_slist *hdrs, const char *body, size_t n, int timeout_ms,
    struct up_reply *r)
{
	(void)curl_easy_setopt(h, CURLOPT_URL, url);
	(void)curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	(void)curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)c->connect_timeout_ms);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	(void)curl_easy_setopt(h, CURLOPT_USERAGENT, "hexind/" HEXIND_VERSION);
	(void)curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	(void)curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	(void)curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
}

/* POSTs body to url and collects the whole answer in r. Returns 0 when an
 * HTTP answer arrived (any status), -1 with r->error otherwise. */
int
upstream_post(const struct conf *c, const char *url,
    const char *const *headers, const char *body, size_t n, int timeout_ms,
    struct up_reply *r)
{
	struct curl_slist	*hdrs = NULL, *t;
	const char		*ct = NULL;
	CURL			*h;
	CURLcode		 rc;
	size_t			 i;

	if (curl_start() == -1 || (h = curl_easy_init()) == NULL) {
		snprintf(r->error, sizeof(r->error), "cannot start libcurl");
		return -1;
	}
	/* curl would otherwise add "Expect: 100-continue" to large bodies,
	 * costing a round trip. */
	for (i = 0; headers && headers[i]; i++) {
		if ((t = curl_slist_append(hdrs, headers[i])) == NULL)
			goto nomem;
		hdrs = t;
	}
	if ((t = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto nomem;
	hdrs = t;
	call_set(h, c, url, hdrs, body, n, timeout_ms, r);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) ==
		    CURLE_OK && ct)
			snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	} else {
		r->timeout = rc == CURLE_OPERATION_TIMEDOUT;
		snprintf(r->error, sizeof(r->error), "%s",
		    rc == CURLE_WRITE_ERROR ? "answer too large" :
		    curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
nomem:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	snprintf(r->error, sizeof(r->error), "out of memory");
	return -1;
}
