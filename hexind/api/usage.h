/* The tokens a request spent, read from the usage object of each wire
 * format that carries one, for the key's limits and the ledger. */
#ifndef HEXIND_USAGE_H
#define HEXIND_USAGE_H

#include <yajl/yajl_tree.h>

#include "http/exchange.h"

int	usage_chat(struct usage *, yajl_val);
int	usage_responses(struct usage *, yajl_val);
int	usage_claude(struct usage *, yajl_val);
void	usage_add(struct usage *, const struct usage *);

#endif
