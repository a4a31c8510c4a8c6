/* The handlers the route table points at. */
#ifndef HEXIND_API_H
#define HEXIND_API_H

#include "http/call.h"

void	api_models_list(struct call *);
void	api_models_get(struct call *);
void	api_health(struct call *);
void	api_chat(struct call *);
void	api_responses(struct call *);
void	api_embeddings(struct call *);
void	api_messages(struct call *);
void	api_count_tokens(struct call *);

#endif
