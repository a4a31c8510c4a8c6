/* An estimate of how many tokens a text is, without a tokenizer: the
 * runs of letters, digits, spaces and punctuation and the CJK characters
 * of its UTF-8, each weighed as a BPE vocabulary of o200k's kind cuts
 * them. scripts/token-accuracy measures it against a real tokenizer. */
#ifndef HEXIND_TOKENS_H
#define HEXIND_TOKENS_H

#include <stddef.h>

long long	tokens_estimate(const char *, size_t);

#endif
