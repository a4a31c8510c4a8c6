/* Any route may wrap its answer in {"data", "success", "status_code",
 * "status_msg"}, and errors come as that envelope (often with HTTP 200),
 * as an OpenAI error object, or as a bare HTTP error with any body. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "upstream/hexin.h"

/* What counts as "the token was refused"; the real codes are unknown
 * (hexin-backend.md), so the set lives here alone. */
static int
auth_failure(long code)
{
	return code == 401 || code == 403;
}

/* The status the client gets for an upstream failure status: the
 * client's own 4xx mistakes keep theirs, 429 stays 429 so SDKs back off,
 * anything else is the gateway's 502. */
int
hexin_client_status(long s)
{
	if (s == 429 || (s >= 400 && s <= 499 && !auth_failure(s)))
		return (int)s;
	return 502;
}

static const char *
str(yajl_val v)
{
	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int
hexin_is_ping(yajl_val v)
{
	const char	*t = str(json_get(v, "type"));

	return t != NULL && strcmp(t, "ping") == 0;
}

/* A short, printable excerpt of a non-JSON body for the message. */
static void
excerpt(const char *body, size_t n, char *out, size_t outsz)
{
	size_t	 i, o = 0;
	int	 space = 0;

	for (i = 0; i < n && o + 1 < outsz && o < 200; i++) {
		unsigned char c = (unsigned char)body[i];

		if (isspace(c) || c < 0x20 || c == 0x7f) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outsz)
			out[o++] = ' ';
		space = 0;
		out[o++] = c < 0x80 ? (char)c : '?';
	}
	out[o] = '\0';
}

void
hexin_classify_tree(long http_status, yajl_val root, struct hx_result *r)
{
	yajl_val	 success = json_get(root, "success");
	yajl_val	 code = json_get(root, "status_code");
	yajl_val	 err = json_get(root, "error");
	const char	*msg;
	long long	 ecode = 0;

	r->root = root;
	r->payload = root;
	if (success && code) {
		/* the envelope */
		if (YAJL_IS_INTEGER(code))
			ecode = YAJL_GET_INTEGER(code);
		if (YAJL_IS_TRUE(success) && http_status < 300 &&
		    json_get(root, "data") != NULL) {
			r->payload = json_get(root, "data");
			r->kind = HX_OK;
			return;
		}
		msg = str(json_get(root, "status_msg"));
		snprintf(r->message, sizeof(r->message), "Hexin: %s (status "
		    "code %lld)", msg ? msg : "error without a message", ecode);
		if (auth_failure(ecode) || auth_failure(http_status)) {
			r->kind = HX_AUTH;
			return;
		}
		r->kind = HX_ERROR;
		r->status = hexin_client_status(ecode >= 400 ? ecode :
		    http_status >= 400 ? http_status : 502);
		r->retryable = ecode == 502 || ecode == 503 || ecode == 504;
		return;
	}
	/* An answer may carry "error": null (a Response object does). */
	if ((err != NULL && !YAJL_IS_NULL(err)) || http_status >= 300) {
		msg = str(json_get(err, "message"));
		if (msg == NULL)
			msg = str(err);
		if (msg == NULL)
			msg = str(json_get(root, "message"));
		snprintf(r->message, sizeof(r->message), "Hexin: %s (HTTP "
		    "%ld)", msg ? msg : "error without a message", http_status);
		if (auth_failure(http_status)) {
			r->kind = HX_AUTH;
			return;
		}
		r->kind = HX_ERROR;
		r->status = hexin_client_status(http_status);
		r->retryable = http_status == 502 || http_status == 503 ||
		    http_status == 504;
		return;
	}
	r->kind = HX_OK;
}

/* Classifies an upstream answer (status and whole body). */
void
hexin_classify(long http_status, const char *body, size_t n,
    struct hx_result *r)
{
	char		 perr[128], ex[256];
	yajl_val	 root;

	memset(r, 0, sizeof(*r));
	if ((root = json_parse(body ? body : "", n, perr, sizeof(perr))) !=
	    NULL && (YAJL_IS_OBJECT(root) || http_status >= 300)) {
		hexin_classify_tree(http_status, root, r);
		return;
	}
	yajl_tree_free(root);
	excerpt(body ? body : "", n, ex, sizeof(ex));
	if (http_status >= 200 && http_status < 300 && body &&
	    !json_utf8_valid(body, n)) {
		snprintf(r->message, sizeof(r->message), "Hexin answered "
		    "bytes that are not valid UTF-8");
		r->kind = HX_ERROR;
		r->status = 502;
		return;
	}
	if (http_status >= 200 && http_status < 300) {
		snprintf(r->message, sizeof(r->message), "Hexin answered "
		    "something that is not a JSON object: %s", ex[0] ? ex :
		    "an empty body");
		r->kind = HX_ERROR;
		r->status = 502;
		return;
	}
	snprintf(r->message, sizeof(r->message), "Hexin answered HTTP %ld%s%s",
	    http_status, ex[0] ? ": " : "", ex);
	r->kind = auth_failure(http_status) ? HX_AUTH : HX_ERROR;
	r->status = hexin_client_status(http_status);
	r->retryable = http_status == 502 || http_status == 503 ||
	    http_status == 504;
}

/* Why an event's data did not parse, in words for the client. */
const char *
hexin_bad_event(const char *p, size_t n)
{
	return json_utf8_valid(p, n) ? "Hexin sent an event that is not JSON" :
	    "Hexin sent an event that is not valid UTF-8";
}

void
hexin_result_free(struct hx_result *r)
{
	yajl_tree_free(r->root);
	r->root = r->payload = NULL;
}
