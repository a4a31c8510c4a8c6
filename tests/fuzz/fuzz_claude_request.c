/* OpenAI chat request -> Bedrock (Anthropic Messages) body. The input is
 * a client's request body; what api_chat checks before translating (an
 * object, a non-empty model, a non-empty array of messages that are
 * objects with a string role) is checked here too, and the model is
 * routed through the built-in table as api_chat routes it. A model that
 * is not a Claude one gets a Bedrock family anyway, so every body is
 * translated; an optional "__family" object in the input
 * ({"system", "max_tokens_default", "max_tokens_cap"}, valid as the model
 * table would have it) stands for an operator's family instead. Each
 * body is translated twice, the system prompt folded and native.
 *
 * Oracles: 0 gives one valid JSON object, 400 names a parameter and says
 * why; nothing leaks either way. */
#include "fuzz.h"
#include "api/chat_claude.h"
#include "lib/json.h"
#include "upstream/bedrock.h"
#include "upstream/models.h"

static struct models	 table;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct conf	 c;
	char		 err[MODELS_ERRSZ];

	(void)argc;
	(void)argv;
	fuzz_quiet();
	memset(&c, 0, sizeof(c));
	if (models_load(&c, &table, err, sizeof(err)) == -1) {
		fprintf(stderr, "built-in model table: %s\n", err);
		abort();
	}
	return 0;
}

/* api_chat's validate(), as far as claude_request relies on it. */
static int
valid(yajl_val req)
{
	yajl_val	 v, m;
	size_t		 i;

	if (!YAJL_IS_OBJECT(req))
		return 0;
	v = json_get(req, "model");
	if (!YAJL_IS_STRING(v) || v->u.string[0] == '\0')
		return 0;
	v = json_get(req, "messages");
	if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0)
		return 0;
	for (i = 0; i < v->u.array.len; i++) {
		m = v->u.array.values[i];
		if (!YAJL_IS_OBJECT(m) || !YAJL_IS_STRING(json_get(m, "role")))
			return 0;
	}
	return 1;
}

static long long
positive(yajl_val v, long long def)
{
	return YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 ?
	    YAJL_GET_INTEGER(v) : def;
}

static void
translate(yajl_val req, const struct resolved *r)
{
	struct claude_err	 e;
	struct buf		 out;
	yajl_gen		 g;
	int			 rc;

	if ((g = json_gen()) == NULL)
		abort();
	rc = claude_request(g, req, r, &e);
	if (rc == 0) {
		buf_init(&out, 0);
		FUZZ_CHECK(json_take(g, &out) == 0);
		FUZZ_CHECK(fuzz_json_valid(out.data, out.len));
		FUZZ_CHECK(out.data[0] == '{');
		buf_free(&out);
		return;
	}
	FUZZ_CHECK(rc == 400 || rc == -1);
	if (rc == 400)
		FUZZ_CHECK(e.param != NULL && e.message[0] != '\0');
	yajl_gen_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct family	 fam, other;
	struct resolved	 r, r2;
	char		 err[256];
	yajl_val	 req, v, fv;

	if ((req = json_parse((const char *)data, n, err, sizeof(err))) ==
	    NULL)
		return 0;
	if (!valid(req)) {
		yajl_tree_free(req);
		return 0;
	}
	memset(&fam, 0, sizeof(fam));
	fam.name = "fuzz";
	fam.kind = FAMILY_BEDROCK;
	fam.max_tokens_default = 4096;
	v = json_get(req, "model");
	fv = json_get(req, "__family");
	if (YAJL_IS_OBJECT(fv) || models_resolve(&table, v->u.string, &r, err,
	    sizeof(err)) == -1 || r.family->kind != FAMILY_BEDROCK) {
		memset(&r, 0, sizeof(r));
		fam.max_tokens_default = positive(json_get(fv,
		    "max_tokens_default"), 4096);
		fam.max_tokens_cap = positive(json_get(fv, "max_tokens_cap"),
		    0);
		v = json_get(fv, "system");
		if (YAJL_IS_STRING(v) && (strcmp(v->u.string, "native") == 0 ||
		    strcmp(v->u.string, "fold") == 0))
			fam.system = v->u.string;
		r.family = &fam;
		r.max_tokens_cap = fam.max_tokens_cap;
		snprintf(r.model, sizeof(r.model), "fuzz-model:0");
	}
	translate(req, &r);
	/* and with the family's system prompt the other way */
	other = *r.family;
	other.system = bedrock_folds_system(r.family) ? "native" : "fold";
	r2 = r;
	r2.family = &other;
	translate(req, &r2);
	yajl_tree_free(req);
	return 0;
}
