/* The estimate of tokens.h, in thousandths of a token while it adds up.
 * Weights, from scripts/token-accuracy's corpus (English prose, Chinese,
 * code): a word of up to 9 letters is one token, a longer one a token
 * more for each 6 letters; digits go three to a token; one space goes
 * with what follows it, a longer run of spaces or tabs is one token, and
 * so are line breaks with the indentation after them; a run of
 * punctuation is one for each two; a CJK character, or a CJK punctuation
 * mark, 0.75; any other character 0.5. */
#include "lib/tokens.h"

#define LETTER(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && \
			    (c) <= 'Z'))
#define DIGIT(c)	((c) >= '0' && (c) <= '9')

/* The code point of the UTF-8 sequence at p, its length in *len (1 for
 * a byte that starts none). */
static unsigned
code_point(const unsigned char *p, size_t n, size_t *len)
{
	size_t		 need, i;
	unsigned	 cp;

	if (p[0] < 0xc0 || p[0] >= 0xf8) {
		*len = 1;
		return p[0];
	}
	need = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (need > n) {
		*len = 1;
		return p[0];
	}
	cp = p[0] & (0x7f >> need);
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*len = 1;
			return p[0];
		}
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*len = need;
	return cp;
}

static int
cjk(unsigned cp)
{
	return (cp >= 0x3000 && cp <= 0x9fff) ||	/* punctuation, kana,
							   ideographs */
	    (cp >= 0xac00 && cp <= 0xd7af) ||		/* hangul */
	    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xff00 && cp <= 0xffef) ||
	    (cp >= 0x20000 && cp <= 0x3ffff);
}

long long
tokens_estimate(const char *text, size_t n)
{
	const unsigned char	*p = (const unsigned char *)text;
	long long		 milli = 0;
	size_t			 i = 0, j, len;
	unsigned		 cp;

	while (i < n) {
		j = i;
		if (LETTER(p[i])) {
			while (j < n && LETTER(p[j]))
				j++;
			milli += 1000 + (j - i > 9 ? (j - i - 4) / 6 * 1000 :
			    0);
		} else if (DIGIT(p[i])) {
			while (j < n && DIGIT(p[j]))
				j++;
			milli += (long long)(j - i + 2) / 3 * 1000;
		} else if (p[i] == ' ' || p[i] == '\t') {
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			/* one space goes with what follows it */
			if (j - i > 1)
				milli += 1000;
		} else if (p[i] == '\n' || p[i] == '\r') {
			/* line breaks and the indentation after them */
			while (j < n && (p[j] == '\n' || p[j] == '\r'))
				j++;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			milli += 1000;
		} else if (p[i] < 0x80) {
			while (j < n && p[j] < 0x80 && !LETTER(p[j]) &&
			    !DIGIT(p[j]) && p[j] != ' ' && p[j] != '\t' &&
			    p[j] != '\n' && p[j] != '\r')
				j++;
			milli += (long long)(j - i + 1) / 2 * 1000;
		} else {
			cp = code_point(p + i, n - i, &len);
			j = i + len;
			milli += cjk(cp) ? 750 : 500;
		}
		i = j;
	}
	return (milli + 999) / 1000;
}
