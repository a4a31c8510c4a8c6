/* The request capture's own interface, shared by its files: capture.c
 * (opening, the tap, the line written) and capture_assemble.c (what the
 * client got, assembled: usage and errors, and each API's stream events
 * into the messages a whole answer would have held). */
#ifndef HEXIND_CAPTURE_IN_H
#define HEXIND_CAPTURE_IN_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "lib/buf.h"
#include "upstream/sse.h"

enum kind { K_CHAT, K_MESSAGES, K_RESPONSES, K_EMBEDDINGS };

/* Where each captured route goes, and which request members are its
 * input and its system prompt; the rest are "parameters". */
struct endpoint {
	const char	*route;
	const char	*dir;
	enum kind	 kind;
	const char	*input;
	const char	*system;
};

struct tool {			/* a chat tool call, assembled */
	long		 index;
	struct buf	 id, type, name, args;
};

struct choice {			/* a chat choice, assembled */
	long		 index;
	struct buf	 role, content, reasoning, refusal, finish;
	int		 has_content, has_reasoning, has_refusal;
	struct tool	*tools;
	size_t		 ntools;
};

struct block {			/* a messages content block, assembled */
	long		 index;
	yajl_val	 start;		/* content_block_start's block */
	struct buf	 text, sig, json;
	int		 has_text, has_sig, has_json;
};

struct pair {
	const char	*key;
	yajl_val	 v;
};

struct capture {
	const struct endpoint *ep;
	long long	 t_wall;	/* ms since the epoch at the start */
	size_t		 cap, used;	/* bytes assembled, and their limit */
	int		 truncated;
	int		 stream;
	int		 done;		/* the stream's last event was seen */
	struct sse	 sse;
	yajl_val	*kept;		/* parsed events still pointed into */
	size_t		 nkept;
	yajl_val	 answer;	/* a whole answer, or the final response */
	yajl_val	 error;
	struct buf	 error_text;	/* an error body that is not JSON */
	struct pair	*usage;		/* merged from every usage object */
	size_t		 nusage;
	struct choice	*choices;	/* chat streams */
	size_t		 nchoices;
	struct block	*blocks;	/* messages streams */
	size_t		 nblocks;
	yajl_val	 message;	/* message_start's message */
	yajl_val	 stop_reason, stop_sequence;
	yajl_val	*items;		/* responses streams: finished items */
	size_t		 nitems;
	long long	 embeddings, dimensions;
};

void	*capture_grow(void *, size_t *n, size_t size);
int	capture_keep(struct capture *, yajl_val);
void	capture_take(struct capture *, struct buf *, yajl_val s);
long	capture_index(yajl_val);
void	capture_usage_merge(struct capture *, yajl_val usage);
void	capture_error_set(struct capture *, yajl_val root);
int	capture_event(void *arg, const char *event, const char *data,
	    size_t n);

#endif
