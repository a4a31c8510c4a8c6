/* The chat completions handler's own interface, shared by its files:
 * chat.c (the handler, the request, the calls and the stream events),
 * chat_merge.c (n answers merged, and a whole answer sent as the chunks
 * of a stream) and chat_think.c (reasoning folded into <think> tags). */
#ifndef HEXIND_CHAT_H
#define HEXIND_CHAT_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "api/chat_claude.h"
#include "http/exchange.h"
#include "upstream/attempt.h"
#include "upstream/models.h"
#include "upstream/stream.h"

#define N_MAX		128

struct chat;

/* One upstream call and what its stream has shown so far. */
struct stream {
	struct chat	*ch;
	int		 base;		/* its choices' index in the answer */
	struct stream_read rd;		/* its events as they arrive */
	int		 done;		/* Bedrock: message_stop arrived */
	int		 finished;	/* a finish_reason arrived */
	int		 think;		/* folding: inside <think> */
	yajl_val	 usage;		/* a held usage chunk (fan-out) */
	yajl_val	 plain_usage;	/* a plain answer's usage (borrowed) */
	struct usage	 spent;		/* its tokens, for limits and ledger */
	struct claude_stream cs;	/* Bedrock routes: the translation */
};

struct chat {
	struct exchange		*c;
	yajl_val		 req;
	struct resolved		 r;
	int			 stream;
	int			 bedrock;	/* the route speaks Anthropic */
	int			 include_usage;
	int			 fold;
	int			 n;		/* upstream calls */
	yajl_gen		 g;		/* reused for every event */
	struct stream		*st;
	struct attempt		 h;
	const char		*url;
	const struct buf	*body;
	struct stream		*last;		/* Bedrock: sent the last chunk */
	char			 id[128];	/* of the last chunk seen */
	char			 model[256];
	char			 created[32];
};

int	chat_emit_gen(struct chat *);
void	chat_remember(struct chat *, yajl_val chunk);
int	chat_gen_choice(struct chat *, struct stream *, yajl_val choice);
int	chat_think_fold(yajl_gen, struct stream *, yajl_val reasoning,
	    yajl_val content, int closing);
int	chat_think_message(struct chat *, struct stream *, yajl_val m,
	    int closing);
int	chat_answer_chunks(struct chat *, struct stream *, yajl_val answer);
int	chat_answer_merge(struct chat *, yajl_val *answers, size_t n);
int	chat_usage_sum(struct chat *);

#endif
