/* Hexin's envelope and error forms: the input is an upstream body,
 * classified under each HTTP status that takes a different way through
 * hexin_classify (2xx, 3xx, the auth failures, 4xx kept, 429, 5xx
 * retryable or not, and nonsense).
 *
 * Oracles: HX_OK holds a tree and a payload; HX_ERROR a client status of
 * 4xx or 5xx, never 401 or 403; retryable only for Hexin's 502/503/504;
 * the message always a bounded string. */
#include "fuzz.h"
#include "lib/json.h"
#include "upstream/hexin.h"

static const long statuses[] = {
	200, 201, 204, 299, 301, 400, 401, 403, 404, 413, 429, 499, 500, 502,
	503, 504, 0, -1, 99, 600, 1000000,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hx_result	 r;

	(void)argc;
	(void)argv;
	fuzz_quiet();
	/* an empty body, as an upstream may send it (data NULL) */
	hexin_classify(502, NULL, 0, &r);
	hexin_result_free(&r);
	return 0;
}

static void
check(long status, const struct hx_result *r)
{
	FUZZ_CHECK(strlen(r->message) < sizeof(r->message));
	switch (r->kind) {
	case HX_OK:
		FUZZ_CHECK(r->root != NULL && r->payload != NULL);
		FUZZ_CHECK(r->status == 0);
		(void)hexin_is_ping(r->payload);
		break;
	case HX_AUTH:
		break;
	case HX_ERROR:
		FUZZ_CHECK(r->status >= 400 && r->status <= 599);
		FUZZ_CHECK(r->status != 401 && r->status != 403);
		FUZZ_CHECK(r->message[0] != '\0');
		FUZZ_CHECK(!r->retryable || r->status == 502);
		break;
	default:
		FUZZ_CHECK(r->kind == HX_OK);	/* a kind hexin.h lacks */
	}
	if (r->kind != HX_ERROR)
		FUZZ_CHECK(!r->retryable);
	(void)status;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hx_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		hexin_classify(statuses[i], (const char *)data, n, &r);
		check(statuses[i], &r);
		hexin_result_free(&r);
		FUZZ_CHECK(r.root == NULL && r.payload == NULL);
		(void)hexin_client_status(statuses[i]);
	}
	return 0;
}
