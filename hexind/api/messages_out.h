/* The Anthropic Messages API written from an answer a reader hands over
 * (api/answer.h): in a stream, message_start at the first upstream
 * event, then each content block opened, filled and closed before the
 * next opens (thinking, text, tool_use), message_delta with the stop
 * reason and the usage, message_stop; either way the whole message is
 * kept for the plain answer. */
#ifndef HEXIND_MESSAGES_OUT_H
#define HEXIND_MESSAGES_OUT_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "api/answer.h"
#include "http/exchange.h"
#include "lib/buf.h"

enum mout_kind { MOUT_THINKING, MOUT_TEXT, MOUT_TOOL };

struct mout_block {
	enum mout_kind	 kind;
	int		 key;		/* the reader's tool key, or -1 */
	int		 open;
	char		 id[128];
	char		 name[128];
	struct buf	 text;		/* text, thinking or the input's JSON */
};

struct mout {
	struct exchange	*c;
	const char	*model;		/* as the client named it */
	int		 stream;
	yajl_gen	 g;
	char		 id[64];	/* msg_... */
	int		 began;		/* message_start is out */
	int		 ended;		/* message_stop or error is out */
	struct mout_block *blocks;
	size_t		 nblocks, cap;
	char		 finish[32];	/* the upstream's, in chat's words */
	char		 *stop_seq;	/* the stop sequence it met, or NULL */
	long long	 in, cached, out;
};

int	mout_init(struct mout *, struct exchange *, const char *model,
	    int stream);
void	mout_free(struct mout *);
int	mout_begin(struct mout *);
int	mout_end(struct mout *);
int	mout_failed(struct mout *, int status, const char *message);
int	mout_object(struct mout *, struct buf *);
void	mout_answer(struct mout *, struct answer *);

#endif
