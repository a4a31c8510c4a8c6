/* The handlers the route table points at. */
#ifndef HEXIND_API_H
#define HEXIND_API_H

#include "http/exchange.h"

void	api_models_list(struct exchange *);
void	api_models_get(struct exchange *);
void	api_health(struct exchange *);
void	api_chat(struct exchange *);
void	api_responses(struct exchange *);
void	api_embeddings(struct exchange *);
void	api_messages(struct exchange *);
void	api_count_tokens(struct exchange *);

#endif
