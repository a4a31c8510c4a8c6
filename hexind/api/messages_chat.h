/* Anthropic Messages -> OpenAI Chat Completions, for the families that
 * are not Claude: the request, for the family's chat route with its
 * rules. The answer comes back through chat_read.c into the Messages
 * writer (messages_out.c). */
#ifndef HEXIND_MESSAGES_CHAT_H
#define HEXIND_MESSAGES_CHAT_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "api/body.h"
#include "upstream/models.h"

int	messages_to_chat(yajl_gen, yajl_val req, const struct resolved *,
	    int stream, struct invalid *);

#endif
