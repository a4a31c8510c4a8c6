/* See bedrock.h. */
#include <string.h>

#include "upstream/bedrock.h"

/* The most max_tokens a request for r may ask for. */
long long
bedrock_cap(const struct resolved *r)
{
	return r->max_tokens_cap ? r->max_tokens_cap : BEDROCK_MAX_TOKENS;
}

/* Whether the system prompt goes into the first user turn. */
int
bedrock_folds_system(const struct family *f)
{
	return f->system == NULL || strcmp(f->system, "native") != 0;
}

/* Appends the folded system prompt that opens the first user turn, and
 * the blank line that parts it from more text when there is more. */
int
bedrock_fold(struct buf *b, const char *system, int more)
{
	return buf_adds(b, "[System Instruction: ") == -1 ||
	    buf_adds(b, system) == -1 ||
	    buf_adds(b, more ? "]\n\n" : "]") == -1 ? -1 : 0;
}
