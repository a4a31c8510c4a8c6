/* Anthropic Messages, as Hexin's Bedrock routes answer, read into the
 * Responses writer: a whole message, or its stream event by event. The
 * request goes the other way through the chat form (responses_chat.c,
 * then chat_claude.c), where the Bedrock rules live. */
#ifndef HEXIND_RESPONSES_CLAUDE_H
#define HEXIND_RESPONSES_CLAUDE_H

#include <yajl/yajl_tree.h>

#include "api/responses_out.h"

/* A reasoning item's encrypted_content from Claude: its thinking block's
 * signature, or a redacted block's data, after the prefix that says so
 * (another model's encrypted reasoning is never sent to Claude). */
#define RESP_CLAUDE_SIGNED	"claude:"
#define RESP_CLAUDE_REDACTED	"claude-redacted:"

/* Where a stream stands. */
struct resp_claude {
	long long	 in, cache_read, cache_write, out;
	int		 stopped;	/* message_stop arrived */
};

int	responses_claude_answer(struct rout *, yajl_val msg);
int	responses_claude_event(struct resp_claude *, struct rout *,
	    yajl_val ev);

#endif
