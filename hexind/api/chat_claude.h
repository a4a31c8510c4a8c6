/* OpenAI Chat Completions <-> Anthropic Messages as Hexin's Bedrock
 * routes speak them: the request one way, the answer and the stream
 * events the other. Pure translations over yajl trees and generators. */
#ifndef HEXIND_CLAUDE_H
#define HEXIND_CLAUDE_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "lib/buf.h"
#include "upstream/models.h"

#define CLAUDE_BLOCKS	256

/* Why a request cannot be translated: a 400 naming the field. */
struct claude_err {
	const char	*param;
	char		 message[512];
};

enum claude_chunk { CLAUDE_CHUNK, CLAUDE_USAGE };

/* Sends the chunk the stream's generator holds, and clears it; 0, or -1
 * to stop. A CLAUDE_USAGE chunk carries the usage and no choice. */
typedef int (*claude_emit_fn)(void *arg, enum claude_chunk);

/* Where a stream's translation stands, and where its chunks go: each is
 * generated once, straight into g, the sender's generator. */
struct claude_stream {
	yajl_gen	 g;
	claude_emit_fn	 emit;
	void		*arg;
	int		 base;			/* the choice's index */
	int		 fold;			/* reasoning as <think> content */
	int		 think;			/* folding: inside <think> */
	char		 id[128];
	char		 model[256];
	long long	 created;
	long long	 input, cache_read, cache_write, output;
	int		 tools;			/* tool calls so far */
	int		 tool_of[CLAUDE_BLOCKS];	/* block -> tool call + 1 */
	int		 stopped;		/* message_stop arrived */
	int		 finished;		/* a stop_reason arrived */
};

int	claude_request(yajl_gen, yajl_val req, const struct resolved *,
	    struct claude_err *);
int	claude_answer(struct buf *out, yajl_val msg, long long created);
void	claude_stream_init(struct claude_stream *, long long created,
	    yajl_gen, claude_emit_fn, void *arg);
int	claude_event(struct claude_stream *, yajl_val ev);
const char *claude_finish_reason(const char *stop_reason);

#endif
