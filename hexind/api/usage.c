/* See usage.h. Each reader returns -1, changing nothing, when what it is
 * given is not a usage object. */
#include <string.h>

#include "api/usage.h"
#include "lib/json.h"

/* OpenAI's two shapes: the input and output counts, each with its
 * details object beside it. */
struct names {
	const char	*in, *in_details, *out, *out_details;
};

static int
openai(struct usage *u, yajl_val v, const struct names *n)
{
	if (!YAJL_IS_OBJECT(v))
		return -1;
	u->input = json_int_at(v, n->in);
	u->cached = json_int_at(json_get(v, n->in_details), "cached_tokens");
	u->written = 0;
	u->output = json_int_at(v, n->out);
	u->reasoning = json_int_at(json_get(v, n->out_details),
	    "reasoning_tokens");
	u->seen = 1;
	return 0;
}

/* Chat completions and embeddings: prompt and completion tokens. */
int
usage_chat(struct usage *u, yajl_val v)
{
	static const struct names n = { "prompt_tokens",
	    "prompt_tokens_details", "completion_tokens",
	    "completion_tokens_details" };

	return openai(u, v, &n);
}

/* Responses: input and output tokens. */
int
usage_responses(struct usage *u, yajl_val v)
{
	static const struct names n = { "input_tokens",
	    "input_tokens_details", "output_tokens",
	    "output_tokens_details" };

	return openai(u, v, &n);
}

/* Anthropic's: the input counted apart from what the cache read and
 * wrote, so the three are added. A stream's events each carry part of
 * it, running totals: a field an event leaves out keeps its value. */
int
usage_claude(struct usage *u, yajl_val v)
{
	static const char *const in[] = { "input_tokens",
	    "cache_read_input_tokens", "cache_creation_input_tokens" };
	long long	 part[3];
	size_t		 i;

	if (!YAJL_IS_OBJECT(v))
		return -1;
	if (!u->seen)
		memset(u, 0, sizeof(*u));
	/* what the earlier events gave, split again */
	part[0] = u->input - u->cached - u->written;
	part[1] = u->cached;
	part[2] = u->written;
	for (i = 0; i < 3; i++)
		if (json_get(v, in[i]))
			part[i] = json_int_at(v, in[i]);
	if (json_get(v, "output_tokens"))
		u->output = json_int_at(v, "output_tokens");
	u->input = json_sum(json_sum(part[0], part[1]), part[2]);
	u->cached = part[1];
	u->written = part[2];
	u->seen = 1;
	return 0;
}

void
usage_add(struct usage *u, const struct usage *v)
{
	if (!v->seen)
		return;
	u->input = json_sum(u->input, v->input);
	u->cached = json_sum(u->cached, v->cached);
	u->written = json_sum(u->written, v->written);
	u->output = json_sum(u->output, v->output);
	u->reasoning = json_sum(u->reasoning, v->reasoning);
	u->seen = 1;
}
