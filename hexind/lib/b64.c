/* Embeddings as base64 (what the OpenAI SDKs ask for by default). */
#include "lib/b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
b64_encode(struct buf *out, const unsigned char *p, size_t n)
{
	char		 q[4];
	unsigned	 v;
	size_t		 i;

	if (buf_reserve(out, (n + 2) / 3 * 4) == -1)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		q[0] = alphabet[v >> 18];
		q[1] = alphabet[v >> 12 & 63];
		q[2] = alphabet[v >> 6 & 63];
		q[3] = alphabet[v & 63];
		(void)buf_add(out, q, 4);
	}
	if (i < n) {
		v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 :
		    0);
		q[0] = alphabet[v >> 18];
		q[1] = alphabet[v >> 12 & 63];
		q[2] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		q[3] = '=';
		(void)buf_add(out, q, 4);
	}
	return 0;
}
