/* A named key's rules: the models it may use and its limits, applied
 * when an endpoint knows the model, and the tokens it spent counted when
 * the request ends. */
#ifndef HEXIND_ADMIT_H
#define HEXIND_ADMIT_H

#include "auth.h"
#include "http/exchange.h"

int	admit(struct exchange *);
void	admit_spent(struct exchange *);

#endif
