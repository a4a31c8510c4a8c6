/* The rules of Hexin's Bedrock routes for Claude, in one place: the body's
 * version, the max_tokens cap, and the system prompt, which the routes
 * refuse at the top level unless the family says "native" (it is folded
 * into the first user turn instead, as the Python proxy did). Both the
 * chat translation and the Messages pass-through follow them. */
#ifndef HEXIND_BEDROCK_H
#define HEXIND_BEDROCK_H

#include "lib/buf.h"
#include "upstream/models.h"

#define BEDROCK_VERSION		"bedrock-2023-05-31"
#define BEDROCK_MAX_TOKENS	32000	/* unless the family caps lower */

long long bedrock_cap(const struct resolved *);
int	bedrock_folds_system(const struct family *);
int	bedrock_fold(struct buf *, const char *system, int more);

#endif
