/* The attempt loop every endpoint shares; see attempt.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/attempt.h"
#include "lib/log.h"
#include "http/reply.h"

#define BACKOFF_MS	250

int
attempt_init(struct attempt *h, struct exchange *c, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->c = c;
	h->n = n;
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

/* Credentials for the calls; 0, or -1 after answering the client. */
static int
credentials(struct attempt *h)
{
	struct exchange	*c = h->c;
	const char	*key;
	char		 err[512];
	int		 status;

	if (h->key_env) {
		if ((key = getenv(h->key_env)) == NULL || *key == '\0') {
			log_error("%s is not set: the gateway of this model "
			    "has no key", h->key_env);
			reply_error(c, 502, "config_error", "the gateway key "
			    "of this model's route is not configured");
			return -1;
		}
		snprintf(h->h_bearer, sizeof(h->h_bearer),
		    "Authorization: Bearer %s", key);
		return 0;
	}
	if ((status = token_get(c->conf, c->id, h->tok, err, sizeof(err),
	    c->conn))) {
		if (status == TOKEN_CLIENT_GONE) {
			log_info("id=%s %s", c->id, err);
			c->status = TOKEN_CLIENT_GONE;
			return -1;
		}
		log_error("id=%s %s", c->id, err);
		reply_error(c, status, status == 504 ? "upstream_timeout" :
		    "upstream_login_failed", "%s", err);
		return -1;
	}
	snprintf(h->h_user, sizeof(h->h_user), "userId: %s", h->tok->user_id);
	snprintf(h->h_token, sizeof(h->h_token), "token: %s", h->tok->value);
	return 0;
}

static void
attempt_setup(struct attempt *h)
{
	struct up_call	*u;
	size_t		 i;

	snprintf(h->h_trace, sizeof(h->h_trace), "X-Trace-Id: %s",
	    h->trace ? h->trace : h->c->id);
	for (i = 0; i < h->n; i++) {
		u = &h->calls[i];
		up_call_init(u, h->c->conf->max_answer_bytes);
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
backoff(struct exchange *c, int ms)
{
	long long	 end = now_ms() + ms, left;

	while ((left = end - now_ms()) > 0) {
		if (conn_gone(c->conn))
			return 1;
		(void)conn_wait(c->conn, left > 100 ? 100 : (int)left);
	}
	return conn_gone(c->conn);
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
	struct exchange	*c = h->c;
	size_t		 attempt, i;
	int		 relogged = 0;

	if (credentials(h) == -1)
		return ATTEMPT_REPLIED;
	for (attempt = 0;; attempt++) {
		attempt_setup(h);
		if (upstream_run(c->conf, h->calls, h->n, c->conn,
		    h->parallel) == UP_CLIENT_GONE) {
			log_info("id=%s client gone: Hexin call stopped",
			    c->id);
			c->status = 499;
			return ATTEMPT_GONE;
		}
		c->upstream_status = (int)h->calls[0].status;
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
		if (started(h))
			break;
		if (h->res[*bad].kind == HX_AUTH && !relogged && !h->key_env) {
			/* Hexin refused the token: drop it, if it is still
			 * the cached one, log in again and retry once. */
			relogged = 1;
			token_invalidate(c->conf, h->tok->value);
			results_free(h);
			if (credentials(h) == -1)
				return ATTEMPT_REPLIED;
			continue;
		}
		if (h->res[*bad].kind == HX_ERROR && h->res[*bad].retryable &&
		    attempt < c->conf->retries) {
			results_free(h);
			if (backoff(c, BACKOFF_MS << attempt)) {
				c->status = 499;
				return ATTEMPT_GONE;
			}
			continue;
		}
		break;
	}
	if (h->res[*bad].kind == HX_AUTH) {
		h->res[*bad].status = 502;
		snprintf(h->res[*bad].message, sizeof(h->res[*bad].message),
		    "Hexin refused a freshly obtained token");
	}
	log_warn("id=%s %s", c->id, h->res[*bad].message);
	return ATTEMPT_FAILED;
}

/* The HTTP error for a call that failed before anything reached the
 * client, with Hexin's Retry-After on a 429. */
void
attempt_reply_error(struct attempt *h, size_t bad)
{
	const struct hx_result	*res = &h->res[bad];
	const char		*ra = h->calls[bad].retry_after;
	char			 extra[64];
	size_t			 i;

	extra[0] = '\0';
	if (res->status == 429 && *ra) {
		for (i = 0; ra[i] && (isalnum((unsigned char)ra[i]) ||
		    strchr(" ,:", ra[i])); i++)
			;
		if (ra[i] == '\0')
			snprintf(extra, sizeof(extra), "Retry-After: %s\r\n",
			    ra);
	}
	reply_error_extra(h->c, res->status, res->status == 504 ?
	    "upstream_timeout" : res->status >= 500 ? "upstream_error" : NULL,
	    extra[0] ? extra : NULL, "%s", res->message);
}
