/* The client's JSON body, parsed once under the limits every endpoint
 * shares (HEXIND_MAX_JSON_VALUES, no key twice in an object), a refusal
 * answered in the client API's own shape. */
#ifndef HEXIND_BODY_H
#define HEXIND_BODY_H

#include <yajl/yajl_tree.h>

#include "http/exchange.h"

yajl_val body_json(struct exchange *);

#endif
