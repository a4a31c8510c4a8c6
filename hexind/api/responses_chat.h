/* OpenAI Responses -> OpenAI Chat Completions, for the families Hexin
 * serves no Responses API: the request (for a chat route, or as the chat
 * request that chat_claude.c takes on to Bedrock). The answer comes back
 * through chat_read.c into the Responses writer. */
#ifndef HEXIND_RESPONSES_CHAT_H
#define HEXIND_RESPONSES_CHAT_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "api/body.h"
#include "api/responses_out.h"
#include "upstream/models.h"

/* What the request asks of the translation. */
struct resp_req {
	const struct family *rules;	/* a chat route's rewrites, or NULL */
	const char	*model;		/* the upstream model */
	int		 stream;
	int		 claude;	/* for Bedrock: Claude's reasoning
					   items become thinking_blocks */
	const char	*id;		/* the request's, for the log */
};

int	responses_check(yajl_val req, struct invalid *);
int	responses_to_chat(yajl_gen, yajl_val req, const struct resp_req *,
	    struct invalid *);

#endif
