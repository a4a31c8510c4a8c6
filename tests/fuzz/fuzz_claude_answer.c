/* Anthropic message -> OpenAI chat.completion. The input is the body of a
 * Bedrock answer; it is classified as call_outcome does (the envelope
 * unwrapped), and claude_answer gets the payload whatever its shape: the
 * tree itself too, so answers that are no object are tried as well.
 *
 * Oracle: a translation is one valid JSON object. */
#include "fuzz.h"
#include "api/chat_claude.h"
#include "lib/json.h"
#include "upstream/hexin.h"

#define CREATED	1700000000LL

FUZZ_INITIALIZE_QUIET

static void
answer(yajl_val msg)
{
	struct buf	 out;

	buf_init(&out, 0);
	if (claude_answer(&out, msg, CREATED) == 0) {
		FUZZ_CHECK(fuzz_json_valid(out.data, out.len));
		FUZZ_CHECK(out.data[0] == '{');
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct hx_result	 res;
	char			 err[128];
	yajl_val		 v;

	hexin_classify(200, (const char *)data, n, &res);
	if (res.kind == HX_OK) {
		FUZZ_CHECK(res.root != NULL && res.payload != NULL);
		answer(res.payload);
		if (res.payload != res.root)
			answer(res.root);
	}
	hexin_result_free(&res);

	/* a bare value of any type, as a payload may be */
	if ((v = json_parse((const char *)data, n, err, sizeof(err))) != NULL &&
	    !YAJL_IS_OBJECT(v))
		answer(v);
	yajl_tree_free(v);
	(void)claude_finish_reason(NULL);
	return 0;
}
