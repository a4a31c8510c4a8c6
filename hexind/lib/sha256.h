/* SHA-256 (FIPS 180-4), for fingerprints that must not reveal what they
 * were made from. */
#ifndef HEXIND_SHA256_H
#define HEXIND_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 len;
	unsigned char	 block[64];
	size_t		 fill;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, unsigned char out[32]);
void	sha256_name(struct sha256 *, char out[33]);

#endif
