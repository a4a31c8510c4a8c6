/* The attempt loop every endpoint shares; see attempt.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "upstream/attempt.h"

#define BACKOFF_MS	250

int
attempt_init(struct attempt *h, const struct conf *conf, const char *id,
    size_t n)
{
	memset(h, 0, sizeof(*h));
	h->conf = conf;
	h->id = id;
	h->n = n;
	h->watch.fd = -1;
	h->calls = calloc(n, sizeof(*h->calls));
	h->res = calloc(n, sizeof(*h->res));
	h->tok = malloc(sizeof(*h->tok));
	return h->calls && h->res && h->tok ? 0 : -1;
}

static void
results_free(struct attempt *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		hexin_result_free(&h->res[i]);
		up_call_free(&h->calls[i]);
	}
}

void
attempt_free(struct attempt *h)
{
	if (h->calls && h->res)
		results_free(h);
	free(h->calls);
	free(h->res);
	free(h->tok);
	h->calls = NULL;
	h->res = NULL;
	h->tok = NULL;
}

static const struct watch *
watch(const struct attempt *h)
{
	return h->watch.fd >= 0 ? &h->watch : NULL;
}

/* Credentials for the calls: ATTEMPT_OK, ATTEMPT_GONE, or ATTEMPT_FAILED
 * with why in h->fail. */
static enum attempt_end
credentials(struct attempt *h)
{
	struct attempt_failure	*f = &h->fail;
	const char		*key;
	int			 status;

	if (h->key_env) {
		if ((key = getenv(h->key_env)) == NULL || *key == '\0') {
			log_error("%s is not set: the gateway of this model "
			    "has no key", h->key_env);
			f->status = 502;
			f->code = "config_error";
			h->cause = "config";
			snprintf(f->message, sizeof(f->message), "the gateway "
			    "key of this model's route is not configured");
			return ATTEMPT_FAILED;
		}
		snprintf(h->h_bearer, sizeof(h->h_bearer),
		    "Authorization: Bearer %s", key);
		return ATTEMPT_OK;
	}
	if ((status = token_get(h->conf, h->id, h->tok, f->message,
	    sizeof(f->message), watch(h)))) {
		if (status == TOKEN_CLIENT_GONE) {
			log_info("id=%s %s", h->id, f->message);
			return ATTEMPT_GONE;
		}
		log_error("id=%s %s", h->id, f->message);
		f->status = status;
		f->code = status == 504 ? "upstream_timeout" :
		    "upstream_login_failed";
		h->cause = "login";
		return ATTEMPT_FAILED;
	}
	snprintf(h->h_user, sizeof(h->h_user), "userId: %s", h->tok->user_id);
	snprintf(h->h_token, sizeof(h->h_token), "token: %s", h->tok->value);
	return ATTEMPT_OK;
}

static void
attempt_setup(struct attempt *h)
{
	struct up_call	*u;
	size_t		 i;

	snprintf(h->h_trace, sizeof(h->h_trace), "X-Trace-Id: %s",
	    h->trace ? h->trace : h->id);
	for (i = 0; i < h->n; i++) {
		u = &h->calls[i];
		up_call_init(u, h->conf->max_answer_bytes);
		memset(&h->res[i], 0, sizeof(h->res[i]));
		h->setup(h, i, u);
		(void)up_call_header(u, h->h_trace);
		if (h->key_env) {
			(void)up_call_header(u, h->h_bearer);
		} else {
			(void)up_call_header(u, h->h_user);
			(void)up_call_header(u, h->h_token);
		}
	}
}

/* Waits ms unless the client leaves first; 1 when it left. */
static int
backoff(const struct attempt *h, int ms)
{
	const struct watch	*w = watch(h);
	long long		 end = now_ms() + ms, left;

	while ((left = end - now_ms()) > 0) {
		if (w && w->gone(w->arg))
			return 1;
		if (w)
			(void)w->wait(w->arg, left > 100 ? 100 : (int)left);
		else
			sleep_ms(left > 100 ? 100 : (int)left);
	}
	return w && w->gone(w->arg);
}

/* A collected answer (or its absence), classified. */
void
attempt_outcome(struct attempt *h, size_t i, struct hx_result *res)
{
	struct up_call	*u = &h->calls[i];

	memset(res, 0, sizeof(*res));
	if (u->status == 0 || (u->error[0] && (!u->received || u->timeout))) {
		res->kind = HX_ERROR;
		res->status = u->timeout ? 504 : 502;
		res->retryable = 1;
		snprintf(res->message, sizeof(res->message), "Hexin %s: %s",
		    u->timeout ? "timed out" : u->begun ? "failed before "
		    "answering" : "unreachable", u->error);
		return;
	}
	if (u->error[0]) {
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's answer "
		    "failed: %s", u->error);
		return;
	}
	hexin_classify(u->status, u->body.data, u->body.len, res);
	if (res->kind == HX_OK && !YAJL_IS_OBJECT(res->payload)) {
		hexin_result_free(res);
		res->kind = HX_ERROR;
		res->status = 502;
		snprintf(res->message, sizeof(res->message), "Hexin's answer "
		    "is not a JSON object");
	}
}

/* Why call i failed before anything reached the client, in a word for
 * the ledger and the metrics. */
static const char *
cause(const struct attempt *h, size_t i)
{
	const struct up_call	*u = &h->calls[i];
	const struct hx_result	*res = &h->res[i];

	if (u->timeout)
		return "timeout";
	if (u->status == 0)
		return "connect";
	if (res->kind == HX_AUTH)
		return "auth";
	if (u->error[0])
		return "transfer";
	if (res->status == 429)
		return "rate_limit";
	if (res->status >= 500)
		return "server_error";
	return "client_error";
}

/* What the client is told of call i, which failed for good: Hexin's
 * Retry-After is passed on with a 429 when it holds nothing odd. */
static void
failure(struct attempt *h, size_t i)
{
	const struct hx_result	*res = &h->res[i];
	const char		*ra = h->calls[i].retry_after;
	struct attempt_failure	*f = &h->fail;
	size_t			 k;

	f->status = res->status;
	f->code = res->status == 504 ? "upstream_timeout" :
	    res->status >= 500 ? "upstream_error" : NULL;
	snprintf(f->message, sizeof(f->message), "%s", res->message);
	f->retry_after[0] = '\0';
	if (res->status != 429 || *ra == '\0')
		return;
	for (k = 0; ra[k] && (isalnum((unsigned char)ra[k]) ||
	    strchr(" ,:", ra[k])); k++)
		;
	if (ra[k] == '\0')
		snprintf(f->retry_after, sizeof(f->retry_after), "%s", ra);
}

static int
started(struct attempt *h)
{
	return h->started ? h->started(h) : 0;
}

/* Runs attempts until every call succeeded, one failed for good, or the
 * client left. */
enum attempt_end
attempt_run(struct attempt *h, size_t *bad)
{
	enum attempt_end	 end;
	size_t			 attempt, i;
	int			 relogged = 0;

	*bad = h->n;
	if ((end = credentials(h)) != ATTEMPT_OK)
		return end;
	for (attempt = 0;; attempt++) {
		attempt_setup(h);
		if (transport_run(h->conf, h->calls, h->n, watch(h),
		    h->parallel) == TRANSPORT_CLIENT_GONE) {
			log_info("id=%s client gone: Hexin call stopped",
			    h->id);
			return ATTEMPT_GONE;
		}
		h->upstream_status = (int)h->calls[0].status;
		*bad = h->n;
		for (i = 0; i < h->n; i++) {
			if (h->outcome)
				h->outcome(h, i, &h->res[i]);
			else
				attempt_outcome(h, i, &h->res[i]);
			if (h->res[i].kind != HX_OK && *bad == h->n)
				*bad = i;
		}
		if (*bad == h->n)
			return ATTEMPT_OK;
		if (watch(h) && watch(h)->gone(watch(h)->arg)) {
			/* the call failed because the client left: a write
			 * to it failed and stopped the stream */
			log_info("id=%s client gone: Hexin call stopped",
			    h->id);
			return ATTEMPT_GONE;
		}
		if (started(h))
			break;
		if (h->res[*bad].kind == HX_AUTH && !relogged && !h->key_env) {
			/* Hexin refused the token: drop it, if it is still
			 * the cached one, log in again and retry once. */
			relogged = 1;
			h->relogins++;
			token_invalidate(h->conf, h->tok->value);
			results_free(h);
			if ((end = credentials(h)) != ATTEMPT_OK) {
				*bad = h->n;
				return end;
			}
			continue;
		}
		if (h->res[*bad].kind == HX_ERROR && h->res[*bad].retryable &&
		    attempt < h->conf->retries) {
			results_free(h);
			h->retries++;
			if (backoff(h, BACKOFF_MS << attempt))
				return ATTEMPT_GONE;
			continue;
		}
		break;
	}
	if (h->res[*bad].kind == HX_AUTH) {
		h->res[*bad].status = 502;
		snprintf(h->res[*bad].message, sizeof(h->res[*bad].message),
		    "Hexin refused a freshly obtained token");
	}
	log_warn("id=%s %s", h->id, h->res[*bad].message);
	failure(h, *bad);
	h->cause = started(h) ? "stream" : cause(h, *bad);
	return ATTEMPT_FAILED;
}
