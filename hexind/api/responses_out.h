/* The Responses API written from an answer that another API's reader
 * hands over piece by piece: reasoning, text, tool calls and their
 * arguments, how it stopped, its usage. In a stream each piece goes out
 * at once as the typed events it means, each with its "event:" line and
 * a rising sequence_number; either way the whole Response object is kept,
 * for response.completed or for the plain answer. */
#ifndef HEXIND_RESPONSES_OUT_H
#define HEXIND_RESPONSES_OUT_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "api/answer.h"
#include "http/exchange.h"
#include "lib/buf.h"

/* A namespaced tool's name on a route: namespace, this, name. */
#define RESP_NS_SEP	"__"

enum rout_kind { ROUT_MESSAGE, ROUT_REASONING, ROUT_FUNCTION, ROUT_CUSTOM };

struct rout_item {
	enum rout_kind	 kind;
	int		 key;		/* the reader's tool index, or -1 */
	int		 open;		/* its .done events are still to go */
	char		 id[64];
	char		 call_id[128];
	char		 name[128];
	char		 ns[128];	/* the tool's namespace, or "" */
	struct buf	 text;		/* text, summary, arguments or input */
	struct buf	 enc;		/* reasoning: its encrypted_content */
};

struct rout {
	struct exchange	*c;
	yajl_val	 req;		/* the client's request, echoed */
	int		 stream;
	yajl_gen	 g;
	char		 id[64];	/* resp_... */
	long long	 created;
	long long	 seq;
	int		 began;		/* created and in_progress are out */
	int		 ended;		/* a terminal event is out */
	struct rout_item *items;
	size_t		 nitems, cap;
	char		 finish[32];	/* the upstream's reason, in chat's
					   words */
	int		 usage;		/* the upstream gave its counts */
	long long	 in, cached, out, reasoning;
};

int	rout_init(struct rout *, struct exchange *, yajl_val req, int stream);
void	rout_free(struct rout *);
int	rout_begin(struct rout *);
int	rout_reasoning(struct rout *, const char *, size_t);
int	rout_encrypted(struct rout *, const char *prefix, const char *,
	    size_t);
int	rout_break(struct rout *);
int	rout_text(struct rout *, const char *, size_t);
int	rout_tool(struct rout *, int key, const char *call_id,
	    const char *name);
int	rout_has_call(struct rout *, int key, const char *call_id);
int	rout_args(struct rout *, int key, const char *, size_t);
void	rout_stop(struct rout *, const char *finish_reason);
void	rout_usage(struct rout *, long long in, long long cached,
	    long long out, long long reasoning);
int	rout_end(struct rout *);
int	rout_failed(struct rout *, int status, const char *message);
int	rout_object(struct rout *, struct buf *);
void	rout_answer(struct rout *, struct answer *);

#endif
