/* The Hexin login token, shared by every hexind process through one file
 * in the cache directory. */
#ifndef HEXIND_TOKEN_H
#define HEXIND_TOKEN_H

#include <stddef.h>

#include "lib/conf.h"
#include "upstream/transport.h"

#define TOKEN_MAX	8192

struct token {
	char		 value[TOKEN_MAX];
	char		 user_id[256];
	long long	 exp;		/* Unix seconds */
	int		 cached;	/* came from (or went to) the cache */
};

enum token_state { TOKEN_ABSENT, TOKEN_STALE, TOKEN_FRESH };

#define TOKEN_CLIENT_GONE	499	/* token_get: the client hung up */

int	token_get(const struct conf *, const char *trace, struct token *,
	    char *err, size_t errsz, const struct watch *);
void	token_invalidate(const struct conf *, const char *failed);
enum token_state token_state(const struct conf *);
const char *token_state_name(enum token_state);
int	token_path(const struct conf *, char *path, size_t pathsz);

#endif
