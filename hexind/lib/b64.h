/* Base64 (RFC 4648, standard alphabet, padded). */
#ifndef HEXIND_B64_H
#define HEXIND_B64_H

#include <stddef.h>

#include "lib/buf.h"

int	b64_encode(struct buf *, const unsigned char *, size_t);

#endif
